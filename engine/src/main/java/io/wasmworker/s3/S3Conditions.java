package io.wasmworker.s3;

import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * The conditional writes stores fence with: {@code If-None-Match: *} creates an object only if it is
 * absent, {@code If-Match: ETAG} replaces it only if nobody else did first.
 */
public final class S3Conditions {
    private S3Conditions() {}

    /**
     * The ETag as {@code If-Match} wants it. Ceph RGW 16 matches only the bare value and answers 412 to
     * the quoted form S3 returns; AWS accepts both.
     */
    public static String ifMatch(String etag) {
        if (etag.length() >= 2 && etag.startsWith("\"") && etag.endsWith("\"")) {
            return etag.substring(1, etag.length() - 1);
        }
        return etag;
    }

    /**
     * True when a conditional write lost: 412 Precondition Failed; 409 when AWS saw a concurrent
     * conditional write; 404 for {@code If-Match} on an object that is gone (RGW answers 412 there).
     */
    public static boolean lost(S3Exception e) {
        int status = e.statusCode();
        return status == 412 || status == 409 || status == 404;
    }
}
