package io.wasmworker.sandbox;

import io.wasmworker.checkpoint.CheckpointContext;
import io.wasmworker.host.GuestClock;
import io.wasmworker.host.GuestRandom;
import io.wasmworker.host.HttpEndpoints;
import io.wasmworker.host.StderrListener;
import io.wasmworker.host.StdinSource;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.function.Supplier;

/**
 * One request to run a guest: its input (and, when the input references a large payload, the
 * {@link StdinSource} the guest reads instead: {@link #withStdin}), its limits, the task metadata it
 * sees (as {@code WASM_WORKER_TASK_*} variables), where its time and randomness come from, and
 * (optionally) where it checkpoints, (optionally) the caller's {@link RunControl} over it, the HTTP
 * endpoints it may call, and (optionally) who is told of its stderr lines as they are written.
 */
public record Invocation(
        byte[] input,
        GuestLimits limits,
        Map<String, String> task,
        Supplier<GuestClock> clock,
        Supplier<GuestRandom> random,
        CheckpointContext checkpoints,
        RunControl control,
        HttpEndpoints endpoints,
        StdinSource stdin,
        StderrListener stderrListener) {

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
        this(input, limits, task, clock, random, checkpoints, control, HttpEndpoints.NONE, null, null);
    }

    /** The default deterministic epoch: 2025-01-01T00:00:00Z. */
    public static final long DETERMINISTIC_EPOCH_NANOS = 1_735_689_600_000_000_000L;

    public static Invocation of(byte[] input) {
        return new Invocation(
                input, GuestLimits.DEFAULTS, Map.of(), GuestClock::system, GuestRandom::secure, null, null);
    }

    public Invocation withLimits(GuestLimits l) {
        return new Invocation(input, l, task, clock, random, checkpoints, control, endpoints, stdin, stderrListener);
    }

    public Invocation withTask(Map<String, String> t) {
        return new Invocation(
                input, limits, Map.copyOf(t), clock, random, checkpoints, control, endpoints, stdin, stderrListener);
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
                endpoints,
                stdin,
                stderrListener);
    }

    /** Checkpoints under this context, resuming from the task's last checkpoint if there is one. */
    public Invocation withCheckpoints(CheckpointContext context) {
        return new Invocation(input, limits, task, clock, random, context, control, endpoints, stdin, stderrListener);
    }

    /** Lets the caller suspend or cancel the run while it is in progress. */
    public Invocation withControl(RunControl c) {
        return new Invocation(input, limits, task, clock, random, checkpoints, c, endpoints, stdin, stderrListener);
    }

    /** The HTTP endpoints the guest may call through the host ({@code wasm_worker.http_request}). */
    public Invocation withEndpoints(HttpEndpoints e) {
        return new Invocation(input, limits, task, clock, random, checkpoints, control, e, stdin, stderrListener);
    }

    /**
     * The guest reads {@code source} as its stdin instead of {@link #input()} (which still is what the
     * caller was given, checked against the input limit, e.g. a JSON object referencing the payload).
     * The run closes the source when it ends.
     */
    public Invocation withStdin(StdinSource source) {
        return new Invocation(
                input, limits, task, clock, random, checkpoints, control, endpoints, source, stderrListener);
    }

    /**
     * The guest's stderr lines go to {@code listener} as they are written (bounded by the stderr
     * limit, long lines cut), besides the tail the result keeps.
     */
    public Invocation withStderrListener(StderrListener listener) {
        return new Invocation(input, limits, task, clock, random, checkpoints, control, endpoints, stdin, listener);
    }

    /** The length of the guest's stdin: the streamed source's, else the input's. */
    public long stdinLength() {
        return stdin == null ? input.length : stdin.length();
    }

    /**
     * What a checkpoint of this run belongs to: the input, and with a streamed stdin also what
     * identifies the streamed bytes (a payload changed between attempts is another input).
     */
    public byte[] inputIdentity() {
        return inputIdentity(input, stdin);
    }

    /** {@link #inputIdentity()} of an input and the stdin streamed instead of it (null: none). */
    public static byte[] inputIdentity(byte[] input, StdinSource stdin) {
        if (stdin == null) {
            return input;
        }
        ByteArrayOutputStream identity = new ByteArrayOutputStream();
        identity.writeBytes(input);
        identity.writeBytes(("\n--- streamed stdin: " + stdin.identity()).getBytes(StandardCharsets.UTF_8));
        return identity.toByteArray();
    }
}
