package io.wasmworker.cli;

import io.wasmworker.checkpoint.store.EncryptingSnapshotStore;
import io.wasmworker.checkpoint.store.SnapshotKeys;
import io.wasmworker.checkpoint.store.SnapshotStore;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Optional;
import java.util.function.Function;
import picocli.CommandLine.Option;

/**
 * The key ring of an encrypted snapshot store: {@code --snapshot-keys FILE}, else the file
 * $WASM_WORKER_SNAPSHOT_KEYS names; without either, snapshots are read and written in the clear.
 */
final class SnapshotKeyOptions {
    static final String ENV = "WASM_WORKER_SNAPSHOT_KEYS";

    @Option(
            names = "--snapshot-keys",
            paramLabel = "FILE",
            description = "Key file of an encrypted snapshot store: one <key id>=<base64 key> per line, the first one"
                    + " seals what is written, the others only open what they sealed (default: the file"
                    + " $" + ENV + " names).")
    Path keysFile;

    @Option(
            names = "--allow-plaintext-snapshots",
            description = "With keys: also read checkpoints written before encryption was turned on (unauthenticated).")
    boolean allowPlaintext;

    /** For tests: the environment. */
    Function<String, String> environment = System::getenv;

    /** The key ring, if a key file is given; throws {@link IllegalArgumentException} naming what is wrong. */
    Optional<SnapshotKeys> keys() {
        Path file = keysFile;
        if (file == null) {
            String env = environment.apply(ENV);
            if (env == null || env.isBlank()) {
                return Optional.empty();
            }
            file = Path.of(env);
        }
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("the snapshot key file " + file + " does not exist"
                    + (keysFile == null ? " ($" + ENV + " names it)" : ""));
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read the snapshot key file " + file + ": " + e);
        }
        return Optional.of(SnapshotKeys.parseKeyFile(text, file.toString()));
    }

    /** {@code store}, sealed with the key ring if one is given. */
    SnapshotStore wrap(SnapshotStore store) {
        return keys().<SnapshotStore>map(k -> new EncryptingSnapshotStore(store, k, allowPlaintext))
                .orElse(store);
    }

    /** How to give the keys, for messages. */
    static String howToGiveKeys() {
        return "give its key file with --snapshot-keys FILE or $" + ENV;
    }
}
