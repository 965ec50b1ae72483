package io.wasmworker.cli;

import io.wasmworker.artifact.LocalArtifactStore;
import io.wasmworker.checkpoint.store.SnapshotStore;
import io.wasmworker.checkpoint.store.SnapshotStores;
import io.wasmworker.s3.S3Settings;
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

    LocalArtifactStore artifacts() {
        return new LocalArtifactStore(home().resolve("artifacts"));
    }

    /** What {@code --snapshots LOCATION} says, for every command that takes it. */
    static final String SNAPSHOTS_HELP =
            "Snapshot store: a directory or s3://BUCKET/PREFIX (default: <home>/snapshots)."
                    + " For S3, endpoint, region and credentials come from the AWS SDK's standard settings"
                    + " (AWS_ENDPOINT_URL, AWS_REGION, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, profiles).";

    /**
     * The snapshot store at {@code location} (a directory or {@code s3://BUCKET/PREFIX}) if given, else
     * {@code <home>/snapshots}. S3 is reached with the SDK's standard settings.
     */
    SnapshotStore snapshots(String location) {
        return SnapshotStores.open(
                location != null ? location : home().resolve("snapshots").toString(), true, S3Settings.defaults());
    }
}
