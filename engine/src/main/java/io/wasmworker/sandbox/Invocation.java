package io.wasmworker.sandbox;

import io.wasmworker.checkpoint.CheckpointContext;
import io.wasmworker.host.GuestClock;
import io.wasmworker.host.GuestRandom;
import io.wasmworker.host.HttpEndpoints;
import java.util.Map;
import java.util.function.Supplier;

/**
 * One request to run a guest: its input, its limits, the task metadata it sees (as
 * {@code WASM_WORKER_TASK_*} variables), where its time and randomness come from, and (optionally)
 * where it checkpoints, (optionally) the caller's {@link RunControl} over it, and the HTTP endpoints
 * it may call.
 */
public record Invocation(
        byte[] input,
        GuestLimits limits,
        Map<String, String> task,
        Supplier<GuestClock> clock,
        Supplier<GuestRandom> random,
        CheckpointContext checkpoints,
        RunControl control,
        HttpEndpoints endpoints) {

    public Invocation {
        if (endpoints == null) {
            endpoints = HttpEndpoints.NONE;
        }
    }

    public Invocation(
            byte[] input,
            GuestLimits limits,
            Map<String, String> task,
            Supplier<GuestClock> clock,
            Supplier<GuestRandom> random,
            CheckpointContext checkpoints,
            RunControl control) {
        this(input, limits, task, clock, random, checkpoints, control, HttpEndpoints.NONE);
    }

    /** The default deterministic epoch: 2025-01-01T00:00:00Z. */
    public static final long DETERMINISTIC_EPOCH_NANOS = 1_735_689_600_000_000_000L;

    public static Invocation of(byte[] input) {
        return new Invocation(
                input, GuestLimits.DEFAULTS, Map.of(), GuestClock::system, GuestRandom::secure, null, null);
    }

    public Invocation withLimits(GuestLimits l) {
        return new Invocation(input, l, task, clock, random, checkpoints, control, endpoints);
    }

    public Invocation withTask(Map<String, String> t) {
        return new Invocation(input, limits, Map.copyOf(t), clock, random, checkpoints, control, endpoints);
    }

    /**
     * Reproducible time and randomness: a virtual clock advancing 1 ms per reading from
     * {@link #DETERMINISTIC_EPOCH_NANOS} and a seeded random stream.
     */
    public Invocation deterministic(long seed) {
        return new Invocation(
                input,
                limits,
                task,
                () -> GuestClock.virtual(DETERMINISTIC_EPOCH_NANOS, 1_000_000L),
                () -> GuestRandom.seeded(seed),
                checkpoints,
                control,
                endpoints);
    }

    /** Checkpoints under this context, resuming from the task's last checkpoint if there is one. */
    public Invocation withCheckpoints(CheckpointContext context) {
        return new Invocation(input, limits, task, clock, random, context, control, endpoints);
    }

    /** Lets the caller suspend or cancel the run while it is in progress. */
    public Invocation withControl(RunControl c) {
        return new Invocation(input, limits, task, clock, random, checkpoints, c, endpoints);
    }

    /** The HTTP endpoints the guest may call through the host ({@code wasm_worker.http_request}). */
    public Invocation withEndpoints(HttpEndpoints e) {
        return new Invocation(input, limits, task, clock, random, checkpoints, control, e);
    }
}
