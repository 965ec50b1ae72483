package io.wasmworker.artifact;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Objects;
import java.util.regex.Pattern;

/** The identity of an artifact: {@code sha256:<64 lowercase hex>} of its exact bytes. */
public final class Digest {
    public static final String PREFIX = "sha256:";
    private static final Pattern HEX = Pattern.compile("[0-9a-f]{64}");

    private final String hex;

    private Digest(String hex) {
        this.hex = hex;
    }

    /** Parses {@code sha256:<hex>}; the error says exactly what is wrong with the text. */
    public static Digest parse(String text) {
        Objects.requireNonNull(text, "digest");
        if (!text.startsWith(PREFIX)) {
            throw new IllegalArgumentException("not a digest: '" + text + "' (expected sha256:<64 hex digits>)");
        }
        String hex = text.substring(PREFIX.length());
        if (!HEX.matcher(hex).matches()) {
            throw new IllegalArgumentException("malformed digest '" + text
                    + "': expected 64 lowercase hex digits after 'sha256:', got " + hex.length() + " characters");
        }
        return new Digest(hex);
    }

    public static boolean looksLikeDigest(String text) {
        return text != null && text.startsWith(PREFIX);
    }

    public static Digest of(byte[] bytes) {
        return new Digest(HexFormat.of().formatHex(sha256().digest(bytes)));
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }

    public String hex() {
        return hex;
    }

    /** A short form for logs: {@code sha256:0123456789ab}. */
    public String shortForm() {
        return PREFIX + hex.substring(0, 12);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Digest d && d.hex.equals(hex);
    }

    @Override
    public int hashCode() {
        return hex.hashCode();
    }

    @Override
    public String toString() {
        return PREFIX + hex;
    }
}
