package io.wasmworker.payload;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A reference to a payload in S3, written as the JSON value {@code {"$ref":"s3://BUCKET/KEY"}}: an
 * object with that one member, whose value starts with {@code s3://}. (An object with other members,
 * or a {@code $ref} that is no S3 URI, as JSON Schema writes them, is ordinary data.)
 */
public record PayloadRef(String bucket, String key) {
    public static final String FIELD = "$ref";
    public static final String SCHEME = "s3://";
    private static final Pattern BUCKET = Pattern.compile("[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]");
    /** S3's own bound on a key, in UTF-8 bytes. */
    private static final int MAX_KEY_BYTES = 1024;

    public PayloadRef {
        Objects.requireNonNull(bucket, "bucket");
        Objects.requireNonNull(key, "key");
    }

    /**
     * Parses {@code s3://BUCKET/KEY}; the error names what is wrong. A key part may not be empty,
     * {@code .} or {@code ..}, and no control characters are allowed.
     */
    public static PayloadRef parse(String uri) {
        if (!uri.startsWith(SCHEME)) {
            throw new IllegalArgumentException("'" + shorten(uri) + "' is not an S3 reference: write s3://BUCKET/KEY");
        }
        String rest = uri.substring(SCHEME.length());
        int slash = rest.indexOf('/');
        if (slash < 0 || slash == rest.length() - 1) {
            throw new IllegalArgumentException(
                    "the reference '" + shorten(uri) + "' names no key: write s3://BUCKET/KEY");
        }
        String bucket = rest.substring(0, slash);
        String key = rest.substring(slash + 1);
        if (!BUCKET.matcher(bucket).matches()) {
            throw new IllegalArgumentException("the reference '" + shorten(uri) + "' has an invalid bucket name");
        }
        if (key.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > MAX_KEY_BYTES
                || key.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
            throw new IllegalArgumentException("the reference '" + shorten(uri) + "' has an invalid key");
        }
        for (String part : key.split("/", -1)) {
            if (part.isEmpty() || part.equals(".") || part.equals("..")) {
                throw new IllegalArgumentException(
                        "the reference '" + shorten(uri) + "' has an empty, '.' or '..' part in its key");
            }
        }
        return new PayloadRef(bucket, key);
    }

    /** The JSON value standing for this payload. */
    public ObjectNode toJson() {
        return JsonNodeFactory.instance.objectNode().put(FIELD, toString());
    }

    @Override
    public String toString() {
        return SCHEME + bucket + "/" + key;
    }

    /** At most 200 characters of what was given, for messages. */
    static String shorten(String text) {
        return text.length() <= 200 ? text : text.substring(0, 200) + "...";
    }
}
