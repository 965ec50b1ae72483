package io.wasmworker.adapter.temporal;

import static org.assertj.core.api.Assertions.assertThat;

import io.wasmworker.artifact.ArtifactRef;
import io.wasmworker.checkpoint.CheckpointPolicy;
import io.wasmworker.sandbox.GuestLimits;
import io.wasmworker.task.TaskBinding;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Default concurrency from memory limits, and the heartbeat interval from the heartbeat timeout. */
class SizingTest {
    private static TaskBinding withMemory(long bytes) {
        return new TaskBinding(
                ArtifactRef.parse("g"), GuestLimits.DEFAULTS.withMaxMemoryBytes(bytes), CheckpointPolicy.DEFAULT);
    }

    @Test
    void concurrencyIsBoundedByTheLargestMemoryLimitAndByCores() {
        long gib = 1L << 30;
        // 60% of 4 GiB over 2 x 64 MiB a slot = 19, but 2 cores allow 8
        assertThat(Concurrency.fromMemory(List.of(withMemory(64L << 20)), 4 * gib, 2))
                .isEqualTo(8);
        // one 512 MiB guest on the queue sizes every slot: 60% of 4 GiB / 1 GiB = 2
        assertThat(Concurrency.fromMemory(List.of(withMemory(64L << 20), withMemory(512L << 20)), 4 * gib, 16))
                .isEqualTo(2);
        // never below one, even if a single guest could not fit
        assertThat(Concurrency.fromMemory(List.of(withMemory(1024L << 20)), gib, 4))
                .isEqualTo(1);
    }

    @Test
    void heartbeatsTickAtAQuarterOfTheTimeoutWithinBounds() {
        assertThat(Heartbeats.interval(Duration.ofSeconds(20))).isEqualTo(Duration.ofSeconds(5));
        assertThat(Heartbeats.interval(Duration.ofMillis(100))).isEqualTo(Duration.ofMillis(50));
        assertThat(Heartbeats.interval(Duration.ofMinutes(10))).isEqualTo(Duration.ofSeconds(10));
        assertThat(Heartbeats.interval(Duration.ZERO)).isEqualTo(Duration.ofSeconds(10));
    }
}
