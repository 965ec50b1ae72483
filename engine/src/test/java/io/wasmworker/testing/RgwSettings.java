package io.wasmworker.testing;

import io.wasmworker.s3.S3Settings;
import io.wasmworker.testbed.s3.Rgw;

/** The stores' {@link S3Settings} for the test bed's S3 server ({@link Rgw}, which knows nothing of the worker). */
public final class RgwSettings {
    private RgwSettings() {}

    /** Settings that reach {@code rgw}: its endpoint (path-style), region and keys; default timeouts. */
    public static S3Settings of(Rgw rgw) {
        return S3Settings.builder()
                .endpoint(rgw.endpoint())
                .region(Rgw.REGION)
                .credentials(Rgw.ACCESS_KEY, Rgw.SECRET_KEY)
                .build();
    }
}
