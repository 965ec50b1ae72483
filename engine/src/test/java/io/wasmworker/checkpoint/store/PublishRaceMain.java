package io.wasmworker.checkpoint.store;

import io.wasmworker.artifact.Digest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A child JVM in the cross-process publish race of {@link LocalSnapshotStoreTest}: puts its own blob,
 * prints {@code ready}, waits for the go file, then publishes generation 1 (expected 0).
 *
 * <p>Exit codes: {@value #WON} published, {@value #STALE} lost with {@link StaleGenerationException},
 * anything else is a failure of the test.
 *
 * <p>Arguments: {@code <store root> <task key> <child index> <go file>}; the child publishes as
 * attempt index + 1.
 */
public final class PublishRaceMain {
    static final int WON = 0;
    static final int STALE = 3;
    private static final int NO_GO = 4;

    private PublishRaceMain() {}

    public static void main(String[] args) throws Exception {
        Path root = Path.of(args[0]);
        String taskKey = args[1];
        int attempt = Integer.parseInt(args[2]) + 1; // the child's index; attempts start at 1
        Path go = Path.of(args[3]);

        SnapshotStore store = new LocalSnapshotStore(root);
        byte[] data = ("snapshot of attempt " + attempt).getBytes(StandardCharsets.UTF_8);
        String blobName = "full-" + attempt;
        store.putBlob(taskKey, blobName, data);
        Manifest manifest = new Manifest(
                taskKey,
                1,
                Digest.parse("sha256:" + "0".repeat(64)),
                1,
                attempt,
                List.of(Blobs.ref(blobName, data)),
                System.currentTimeMillis());

        System.out.println("ready");
        System.out.flush();
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (!Files.exists(go)) {
            if (System.nanoTime() > deadline) {
                System.exit(NO_GO);
            }
            Thread.sleep(1);
        }
        try {
            store.publish(taskKey, 0, manifest);
            System.exit(WON);
        } catch (StaleGenerationException e) {
            System.exit(STALE);
        }
    }
}
