package io.wasmworker.adapter.camunda;

import io.wasmworker.artifact.ArtifactRef;
import io.wasmworker.artifact.ArtifactStore;
import io.wasmworker.artifact.LocalArtifactStore;
import io.wasmworker.checkpoint.store.LocalSnapshotStore;
import io.wasmworker.checkpoint.store.SnapshotStore;
import io.wasmworker.checkpoint.store.SnapshotStores;
import io.wasmworker.module.ModuleCache;
import io.wasmworker.module.ModuleLoader;
import io.wasmworker.s3.S3Settings;
import io.wasmworker.sandbox.Sandbox;
import io.wasmworker.task.TaskObserver;
import io.wasmworker.task.TaskRunner;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * A worker in the test JVM: its own artifact and snapshot stores under {@code home} (elsewhere when
 * {@code -Dwasmworker.artifacts.dir} or {@code -Dwasmworker.snapshots.dir} say so: workers sharing
 * one, a directory or {@code s3://BUCKET/PREFIX} reached with the AWS SDK's environment variables),
 * one adapter.
 */
final class Worker implements AutoCloseable {
    final Path home;
    final ArtifactStore artifacts;
    /** The artifact store is shared (S3): the test put the guests there, as an operator would. */
    private final boolean sharedArtifacts;

    final SnapshotStore snapshots;
    private final Sandbox sandbox = new Sandbox();
    final TaskRunner runner;
    private CamundaAdapter adapter;

    Worker(Path home) {
        this(home, TaskObserver.NONE);
    }

    /** @param observer told of every run (a test can make it throw, as a failing worker would) */
    Worker(Path home, TaskObserver observer) {
        this.home = home;
        String artifactsAt = System.getProperty("wasmworker.artifacts.dir");
        this.sharedArtifacts = artifactsAt != null;
        this.artifacts = sharedArtifacts
                ? ArtifactStore.at(artifactsAt, S3Settings::defaults)
                : new LocalArtifactStore(home.resolve("artifacts"));
        String shared = System.getProperty("wasmworker.snapshots.dir");
        this.snapshots = shared != null
                ? SnapshotStores.open(shared, false, S3Settings.defaults())
                : new LocalSnapshotStore(home.resolve("snapshots"), false);
        this.runner = new TaskRunner(
                artifacts, new ModuleCache(artifacts, new ModuleLoader(), 16), snapshots, sandbox, observer);
    }

    /**
     * Puts an example guest into the artifact store under its own name (into its own store only: in a
     * shared one the test bound it already).
     */
    ArtifactRef guest(String name) {
        if (sharedArtifacts) {
            return ArtifactRef.parse(name);
        }
        try {
            artifacts.bindName(name, artifacts.put(Files.readAllBytes(guestPath(name))));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return ArtifactRef.parse(name);
    }

    static Path guestPath(String name) {
        return Path.of(System.getProperty("wasmworker.guests.dir", "../../guests/dist"))
                .resolve(name + ".wasm");
    }

    Worker start(String restUrl, Duration grace, TopicSettings... topics) {
        return start(restUrl, null, grace, topics);
    }

    /** A worker that authenticates with OAuth2 client credentials (null: not at all). */
    Worker start(String restUrl, OAuth2ClientCredentials oauth2, Duration grace, TopicSettings... topics) {
        adapter = CamundaAdapter.builder(
                        new CamundaSettings(
                                restUrl,
                                "test-worker-" + ProcessHandle.current().pid(),
                                null,
                                null,
                                oauth2,
                                Duration.ofSeconds(5),
                                List.of(topics)),
                        runner)
                .shutdownGrace(grace)
                .build()
                .start();
        return this;
    }

    CamundaAdapter adapter() {
        return adapter;
    }

    @Override
    public void close() {
        if (adapter != null) {
            adapter.close();
        }
        sandbox.close();
        snapshots.close();
        artifacts.close();
    }
}
