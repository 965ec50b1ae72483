package io.wasmworker.cli;

import io.wasmworker.checkpoint.store.LocalSnapshotStore;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** Where the local stores live: {@code --home}, else $WASM_WORKER_HOME, else ~/.wasm-worker. */
final class StoreOptions {
    @Option(
            names = "--home",
            paramLabel = "DIR",
            description = "Directory of the local stores (default: $WASM_WORKER_HOME or ~/.wasm-worker).")
    Path home;

    Path home() {
        if (home != null) {
            return home;
        }
        String env = System.getenv("WASM_WORKER_HOME");
        return env != null && !env.isBlank() ? Path.of(env) : Path.of(System.getProperty("user.home"), ".wasm-worker");
    }

    /** The local snapshot store: {@code dir} if given, else {@code <home>/snapshots}. */
    LocalSnapshotStore snapshots(Path dir) {
        return new LocalSnapshotStore(dir != null ? dir : home().resolve("snapshots"));
    }
}
