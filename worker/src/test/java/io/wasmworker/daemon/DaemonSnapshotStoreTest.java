package io.wasmworker.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import io.wasmworker.artifact.LocalArtifactStore;
import io.wasmworker.checkpoint.store.EncryptingSnapshotStore;
import io.wasmworker.checkpoint.store.LocalSnapshotStore;
import io.wasmworker.checkpoint.store.SnapshotStore;
import io.wasmworker.daemon.config.ConfigLoader;
import io.wasmworker.module.ModuleCache;
import io.wasmworker.module.ModuleLoader;
import io.wasmworker.testing.Guests;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The daemon's snapshot store: sealed at rest exactly when {@code stores.encryption} says so. */
class DaemonSnapshotStoreTest {
    @TempDir
    Path home;

    private SnapshotStore store(String stores) throws Exception {
        LocalArtifactStore artifacts = new LocalArtifactStore(home.resolve("artifacts"));
        artifacts.bindName("order-pricing", artifacts.put(Guests.bytes("order-pricing")));
        Files.writeString(
                home.resolve("snapshot.keys"), "k2=" + Base64.getEncoder().encodeToString(new byte[32]) + "\n");
        Path file = home.resolve("worker.yaml");
        Files.writeString(file, stores + """
                camunda:
                  url: http://camunda/engine-rest
                  topics: [ { topic: t, artifact: order-pricing } ]
                """);
        DaemonPlan plan = DaemonPlan.of(
                file.toString(),
                ConfigLoader.withSystemEnvironment().load(file),
                home,
                dir -> new ModuleCache(artifacts, new ModuleLoader(), 8),
                4L << 30,
                2);
        return Daemon.snapshotStore(plan);
    }

    @Test
    void snapshotsAreSealedWithTheCurrentKeyWhenEncryptionIsConfigured() throws Exception {
        SnapshotStore sealed = store("stores: { encryption: { keysFile: snapshot.keys } }\n");
        assertThat(sealed).isInstanceOfSatisfying(EncryptingSnapshotStore.class, s -> {
            assertThat(s.keys().current()).contains("k2");
            assertThat(s.sealedStore()).isInstanceOf(LocalSnapshotStore.class);
        });
        assertThat(sealed.describe()).contains("encrypted, sealing with key 'k2'");

        assertThat(store("stores: { fsync: false }\n")).isInstanceOf(LocalSnapshotStore.class);
    }
}
