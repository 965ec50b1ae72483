package io.wasmworker.checkpoint.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.wasmworker.artifact.Digest;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 17 item 3: a finished task stays finished in the store, whatever a late (zombie) attempt does. */
class FinishedTaskTest {
    private static final String KEY = "camunda:ext-task-7";
    private static final Digest ARTIFACT = Digest.parse("sha256:" + "cd".repeat(32));

    @TempDir
    Path temp;

    Path root;
    LocalSnapshotStore store;

    @BeforeEach
    void open() {
        root = temp.resolve("store");
        store = new LocalSnapshotStore(root, false);
    }

    @Test
    void finishedReplacesALinkPlantedWhereTheTaskBelongsWithoutFollowingIt() throws IOException {
        Path outside = Files.createDirectories(temp.resolve("outside"));
        Files.writeString(outside.resolve("keep"), "not the store's");
        Files.createSymbolicLink(root.resolve("tasks").resolve(LocalSnapshotStore.storageName(KEY)), outside);

        store.finished(KEY);

        assertThat(filesOf(KEY)).containsExactly("finished");
        assertThat(outside.resolve("keep")).hasContent("not the store's");
    }

    /** Every file (not directory) under the task's directory, relative to it. */
    private List<String> filesOf(String key) throws IOException {
        Path dir = root.resolve("tasks").resolve(LocalSnapshotStore.storageName(key));
        try (Stream<Path> tree = Files.walk(dir)) {
            return tree.filter(Files::isRegularFile)
                    .map(p -> dir.relativize(p).toString())
                    .sorted()
                    .toList();
        }
    }

    private Manifest.BlobRef put(String key, String name, String content) {
        byte[] data = content.getBytes(StandardCharsets.UTF_8);
        store.putBlob(key, name, data);
        return Blobs.ref(name, data);
    }

    private static Manifest manifest(String key, long generation, long sequence, Manifest.BlobRef... chain) {
        return new Manifest(key, generation, ARTIFACT, sequence, 1, List.of(chain), 1_700_000_000_000L + generation);
    }
}
