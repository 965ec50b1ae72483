package io.wasmworker.testbed.auth;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Bearer tokens that carry their own expiry and are signed with a shared key, so the issuer (the
 * {@link TokenEndpoint} in a test's JVM) and the checker (the engine's filter, in the engine's JVM)
 * share nothing but the key: {@code <expiry epoch millis>.<HMAC-SHA256 of it, base64url>}.
 */
public final class BearerTokens {
    private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();

    private final byte[] key;
    private final Clock clock;

    private BearerTokens(byte[] key, Clock clock) {
        this.key = key.clone();
        this.clock = clock;
    }

    /** Tokens under a fresh random key. */
    public static BearerTokens random() {
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        return new BearerTokens(key, Clock.systemUTC());
    }

    /** Tokens under the key {@link #encodedKey()} gave. */
    public static BearerTokens ofKey(String encodedKey) {
        return new BearerTokens(Base64.getUrlDecoder().decode(encodedKey), Clock.systemUTC());
    }

    /** The key, to hand to the engine ({@code --testbed.bearer-key=...}). */
    public String encodedKey() {
        return B64.encodeToString(key);
    }

    /** A token valid for {@code lifetime} from now. */
    public String mint(Duration lifetime) {
        String expiry = Long.toString(clock.millis() + lifetime.toMillis());
        return expiry + "." + sign(expiry);
    }

    /** Why {@code token} is not valid now, or null if it is. */
    public String problem(String token) {
        int dot = token.indexOf('.');
        if (dot < 1) {
            return "not a test-bed token";
        }
        String expiry = token.substring(0, dot);
        byte[] given = token.substring(dot + 1).getBytes(StandardCharsets.US_ASCII);
        if (!MessageDigest.isEqual(given, sign(expiry).getBytes(StandardCharsets.US_ASCII))) {
            return "bad signature";
        }
        long expiresAt;
        try {
            expiresAt = Long.parseLong(expiry);
        } catch (NumberFormatException e) {
            return "not a test-bed token";
        }
        long now = clock.millis();
        return now >= expiresAt ? "expired " + (now - expiresAt) + " ms ago" : null;
    }

    private String sign(String text) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return B64.encodeToString(mac.doFinal(text.getBytes(StandardCharsets.US_ASCII)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
        }
    }
}
