package io.wasmworker.s3;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A bucket and a key prefix, written {@code s3://BUCKET/PREFIX}. Every key a store makes goes through
 * {@link #key}, which keeps it under the prefix: no part may be empty, {@code .} or {@code ..}, or hold
 * a {@code /} it did not declare.
 */
public record S3Location(String bucket, String prefix) {
    public static final String SCHEME = "s3://";
    // S3's bucket naming rules (lower-case letters, digits, dots and hyphens, 3-63 characters)
    private static final Pattern BUCKET = Pattern.compile("[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]");
    private static final Pattern PREFIX_PART = Pattern.compile("[A-Za-z0-9._=+%~-]{1,200}");

    public S3Location {
        Objects.requireNonNull(bucket, "bucket");
        Objects.requireNonNull(prefix, "prefix");
        if (!BUCKET.matcher(bucket).matches() || bucket.contains("..")) {
            throw new IllegalArgumentException(
                    "invalid S3 bucket name '" + bucket
                            + "': use 3-63 lower-case letters, digits, '.' and '-', starting and ending with a letter or digit");
        }
        if (!prefix.isEmpty()) {
            for (String part : prefix.split("/", -1)) {
                checkPart(part, "prefix '" + prefix + "'");
            }
        }
    }

    /** True when {@code text} names an S3 location rather than a local directory. */
    public static boolean isS3(String text) {
        return text != null && text.startsWith(SCHEME);
    }

    /** Parses {@code s3://BUCKET} or {@code s3://BUCKET/PREFIX} (a trailing slash is ignored). */
    public static S3Location parse(String text) {
        if (!isS3(text)) {
            throw new IllegalArgumentException("'" + text + "' is not an S3 location: write s3://BUCKET/PREFIX");
        }
        String rest = text.substring(SCHEME.length());
        while (rest.endsWith("/")) {
            rest = rest.substring(0, rest.length() - 1);
        }
        int slash = rest.indexOf('/');
        String bucket = slash < 0 ? rest : rest.substring(0, slash);
        String prefix = slash < 0 ? "" : rest.substring(slash + 1);
        try {
            return new S3Location(bucket, prefix);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("invalid S3 location '" + text + "': " + e.getMessage(), e);
        }
    }

    /** The object key for {@code parts} under this prefix; each part is checked, so no key escapes it. */
    public String key(String... parts) {
        StringBuilder key = new StringBuilder(prefix);
        for (String part : parts) {
            checkPart(part, "key part");
            if (!key.isEmpty()) {
                key.append('/');
            }
            key.append(part);
        }
        return key.toString();
    }

    /** The prefix all of this location's keys start with, for listing ("" or "PREFIX/"). */
    public String listPrefix() {
        return prefix.isEmpty() ? "" : prefix + "/";
    }

    /** A location one level below this one, e.g. {@code child("snapshots")}. */
    public S3Location child(String part) {
        return new S3Location(bucket, key(part));
    }

    private static void checkPart(String part, String what) {
        if (!PREFIX_PART.matcher(part).matches() || part.equals(".") || part.equals("..")) {
            throw new IllegalArgumentException("invalid " + what + ": '" + part
                    + "' must be 1-200 letters, digits or '._=+%~-', and not '.' or '..'");
        }
    }

    @Override
    public String toString() {
        return SCHEME + bucket + (prefix.isEmpty() ? "" : "/" + prefix);
    }
}
