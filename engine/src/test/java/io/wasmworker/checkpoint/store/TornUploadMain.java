package io.wasmworker.checkpoint.store;

import io.wasmworker.s3.S3Location;
import io.wasmworker.s3.S3Settings;
import java.net.URI;
import java.util.SplittableRandom;

/**
 * A worker JVM of {@link S3SnapshotStoreTest}'s torn-upload test: uploads one large blob of a task
 * through the S3 store and is killed (SIGKILL) while it does. Prints {@code uploading} just before the
 * upload and {@code uploaded} after it, then waits to be killed.
 *
 * <p>Arguments: {@code <endpoint> <access key> <secret key> <s3 location> <task key> <blob name> <bytes>}.
 */
public final class TornUploadMain {
    private TornUploadMain() {}

    public static void main(String[] args) throws Exception {
        S3Settings settings = S3Settings.builder()
                .endpoint(URI.create(args[0]))
                .region("us-east-1")
                .credentials(args[1], args[2])
                .callTimeout(java.time.Duration.ofMinutes(5))
                .attemptTimeout(java.time.Duration.ofMinutes(5))
                .build();
        byte[] blob = new byte[Integer.parseInt(args[6])];
        new SplittableRandom(7).nextBytes(blob);
        try (S3SnapshotStore store = new S3SnapshotStore(S3Location.parse(args[3]), settings)) {
            System.out.println("uploading");
            System.out.flush();
            store.putBlob(args[4], args[5], blob);
            System.out.println("uploaded");
            System.out.flush();
            Thread.sleep(Long.MAX_VALUE);
        }
    }
}
