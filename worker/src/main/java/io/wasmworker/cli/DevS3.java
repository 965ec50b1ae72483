package io.wasmworker.cli;

import io.wasmworker.s3.S3Settings;
import java.net.URI;

/**
 * The S3 server {@code dev --s3} runs (the test bed's Ceph RGW on loopback) and where the stores live
 * in its bucket: artifacts under {@code s3://BUCKET/artifacts}, snapshots under {@code
 * s3://BUCKET/snapshots}. The generated configurations name the server explicitly ({@code stores.s3}),
 * so nothing depends on the user's AWS settings.
 */
record DevS3(URI endpoint, String bucket, String accessKeyId, String secretAccessKey) {
    /** RGW ignores the region; the SDK signs with one. */
    static final String REGION = "us-east-1";

    String artifacts() {
        return "s3://" + bucket + "/artifacts";
    }

    String snapshots() {
        return "s3://" + bucket + "/snapshots";
    }

    S3Settings settings() {
        return S3Settings.builder()
                .endpoint(endpoint)
                .region(REGION)
                .credentials(accessKeyId, secretAccessKey)
                .build();
    }

    /** The {@code stores} mapping of a worker configuration (two-space indented, for the top level). */
    String storesYaml() {
        return """
                stores:
                  artifacts: "%s"
                  snapshots: "%s"
                  s3: { endpoint: "%s", region: %s, accessKeyId: "%s", secretAccessKey: "%s" }
                """.formatted(artifacts(), snapshots(), endpoint, REGION, accessKeyId, secretAccessKey);
    }
}
