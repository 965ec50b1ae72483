package io.wasmworker.checkpoint.store;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;

/** The {@link SnapshotStore} contract for the local directory store. */
class LocalSnapshotStoreContractTest extends SnapshotStoreContract {
    @TempDir
    Path temp;

    Path root;

    @Override
    SnapshotStore open() {
        root = temp.resolve("store");
        return new LocalSnapshotStore(root, false); // fsync on/off does not change behaviour
    }

    @Override
    SnapshotStore reopen() {
        return new LocalSnapshotStore(root, false);
    }

    private Path dir(String taskKey) {
        return root.resolve("tasks").resolve(LocalSnapshotStore.storageName(taskKey));
    }

    /**
     * The task's file {@code file}; the contract's {@code manifest.json} is whichever of the store's two
     * manifest files holds the manifest ({@code manifest.b.json} after an even number of publishes).
     */
    private Path file(String taskKey, String file) {
        Path dir = dir(taskKey);
        if (file.equals("manifest.json")
                && !Files.exists(dir.resolve(file))
                && Files.exists(dir.resolve("manifest.b.json"))) {
            return dir.resolve("manifest.b.json");
        }
        return dir.resolve(file);
    }

    @Override
    void writeRaw(String taskKey, String file, byte[] bytes) {
        try {
            Path target = file(taskKey, file);
            Files.createDirectories(target.getParent());
            Files.write(target, bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    byte[] readRaw(String taskKey, String file) {
        try {
            return Files.readAllBytes(file(taskKey, file));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    void deleteRaw(String taskKey, String file) {
        try {
            Files.delete(file(taskKey, file));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    List<String> filesOf(String taskKey) {
        Path dir = dir(taskKey);
        if (!Files.exists(dir)) {
            return List.of();
        }
        try (Stream<Path> tree = Files.walk(dir)) {
            return tree.filter(Files::isRegularFile)
                    .map(p -> dir.relativize(p).toString())
                    .map(name -> name.equals("manifest.b.json") ? "manifest.json" : name) // see file()
                    .sorted()
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    String manifestLocation(String taskKey) {
        return file(taskKey, "manifest.json").toString();
    }

    @Override
    List<String> tombstoneFiles() {
        return List.of("finished");
    }

    @Override
    void writeTombstone(String taskKey) {
        writeRaw(taskKey, "finished", taskKey.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    @Override
    boolean refusesBlobsOfFinishedTasks() {
        return true;
    }

    @Override
    void writeStray(String name, byte[] bytes) {
        try {
            Files.write(root.resolve("tasks").resolve(name), bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
