package io.wasmworker.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.wasmworker.checkpoint.store.LocalSnapshotStore;
import io.wasmworker.checkpoint.store.SnapshotStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The daemon's own collection: bounded sweeps, running tasks left alone, counted, never thrown out of. */
class SnapshotCollectorTest {
    @TempDir
    Path root;

    @Test
    void sweepsAreBoundedLeaveRunningTasksAloneAndAreCounted() {
        LocalSnapshotStore store = new LocalSnapshotStore(root, false);
        for (String key : List.of("a", "b", "c", "running")) {
            store.finished(key);
        }
        // seen from ten days on, everything written now is old
        Clock later = Clock.fixed(Instant.now().plus(Duration.ofDays(10)), ZoneOffset.UTC);
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        SnapshotCollector collector = new SnapshotCollector(
                store,
                new SnapshotCollector.Schedule(Duration.ofDays(7), Duration.ofHours(1), 2),
                () -> Set.of("running"),
                registry,
                later);

        assertThat(collector.sweep().tasks()).isEqualTo(2);
        assertThat(collector.sweep().tasks()).isEqualTo(1);
        assertThat(collector.sweep().tasks()).isZero();
        assertThat(registry.get("wasm_worker_snapshots_collected")
                        .tag("what", "tasks")
                        .counter()
                        .count())
                .isEqualTo(3);
        assertThatOnlyRunningIsLeft(root);
    }

    @Test
    void aFailingStoreDoesNotStopTheCollector() {
        SnapshotStore store = new LocalSnapshotStore(root, false);
        SnapshotCollector collector = new SnapshotCollector(
                store,
                new SnapshotCollector.Schedule(Duration.ofDays(7), Duration.ofHours(1), 10),
                () -> {
                    throw new IllegalStateException("running tasks unavailable");
                },
                new SimpleMeterRegistry(),
                Clock.systemUTC());
        assertThat(collector.sweep().removals()).isZero(); // logged, not thrown
    }

    @Test
    void theFloorIsTenTimesTheLongestWait() {
        assertThat(SnapshotCollector.floor(
                        List.of(Duration.ofSeconds(60), Duration.ofMinutes(5), Duration.ofSeconds(30))))
                .isEqualTo(Duration.ofMinutes(50));
        assertThat(SnapshotCollector.floor(List.of())).isEqualTo(Duration.ZERO);
    }

    private static void assertThatOnlyRunningIsLeft(Path root) {
        try (var dirs = Files.list(root.resolve("tasks"))) {
            assertThat(dirs.map(p -> p.getFileName().toString()).toList())
                    .containsExactly(io.wasmworker.artifact.Digest.of("running".getBytes())
                            .hex());
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
