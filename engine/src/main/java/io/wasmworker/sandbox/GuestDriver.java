package io.wasmworker.sandbox;

import com.dylibso.chicory.runtime.ExportFunction;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.wasi.WasiExitException;
import io.wasmworker.checkpoint.CheckpointPolicy;
import io.wasmworker.checkpoint.Checkpointer;
import io.wasmworker.checkpoint.HostState;
import io.wasmworker.host.GuestClock;
import io.wasmworker.host.GuestIo;
import io.wasmworker.host.GuestRandom;
import io.wasmworker.host.HostCallCounter;
import io.wasmworker.host.HttpCalls;
import io.wasmworker.host.LimitedMemory;
import io.wasmworker.module.GuestStyle;

/**
 * Drives one guest instance to its end in the guest's style, and answers its
 * {@code wasm_worker.checkpoint} calls. With no {@link Checkpointer} (no task key or store),
 * checkpoint calls are no-ops and the run is simply uninterrupted.
 */
abstract class GuestDriver {
    /** The parts of a run a driver works with. */
    record Run(
            GuestIo io,
            HostCallCounter calls,
            GuestClock clock,
            GuestRandom random,
            Checkpointer checkpointer,
            CheckpointPolicy policy,
            RunControl control,
            HttpCalls http) {}

    /** Thrown after a checkpoint when the caller asked the run to suspend there. */
    static final class Suspended extends RuntimeException {
        private final long sequence;

        Suspended(long sequence) {
            super("suspended at checkpoint " + sequence, null, false, false);
            this.sequence = sequence;
        }

        long sequence() {
            return sequence;
        }
    }

    /** Ends the run right after a checkpoint if the caller asked it to suspend. */
    protected final void suspendIfRequested() {
        if (run.control().suspendRequested()) {
            throw new Suspended(run.checkpointer().sequence());
        }
    }

    protected final Run run;
    protected Instance instance;
    protected LimitedMemory memory;

    GuestDriver(Run run) {
        this.run = run;
    }

    static GuestDriver of(GuestStyle style, Run run) {
        return switch (style) {
            case COMMAND -> new CommandDriver(run);
            case ASYNCIFY_COMMAND -> new AsyncifyDriver(run);
            case STEP -> new StepDriver(run);
        };
    }

    /** Runs the guest from the start, or on from {@code restored}; returns its exit code. */
    final int drive(Instance instance, LimitedMemory memory, HostState restored) {
        this.instance = instance;
        this.memory = memory;
        try {
            driveFrom(restored);
            return 0;
        } catch (WasiExitException e) {
            return e.exitCode();
        }
    }

    /** Drives the guest from the start, or on from {@code restored}, in its style. */
    protected abstract void driveFrom(HostState restored);

    protected abstract int onCheckpointCall(int buf, int len);

    /**
     * The host side the guest has seen so far, for a checkpoint; {@link #restoreHost} puts it back.
     * The two are kept side by side: what one saves, the other restores.
     */
    protected final HostState hostState(long entryStackPointer, long asyncifyBuffer, long steps) {
        return new HostState(
                run.io().stdinPosition(),
                run.io().stdout(),
                run.calls().count(),
                run.clock().state(),
                run.random().state(),
                entryStackPointer,
                asyncifyBuffer,
                steps,
                run.http().sequence(),
                run.http().responsePending());
    }

    /**
     * Puts back the host side a checkpoint saved ({@link #hostState}), before the guest resumes: its
     * stdin position and output so far, the host-call count, the clock, the random stream and the
     * durable-call sequence. (The
     * driver's own part, the stack pointer, asyncify buffer and steps, it reads in {@link #driveFrom}.)
     */
    final void restoreHost(HostState saved) {
        run.io().restore(saved.stdinPosition(), saved.stdout());
        run.calls().restore(saved.hostCalls());
        run.clock().restore(saved.clockState());
        run.random().restore(saved.randomState());
        run.http().restore(saved.durableCalls(), saved.responsePending());
    }

    protected final ExportFunction export(String name) {
        return instance.export(name);
    }

    /** A plain command: runs {@code _start}; it imports no checkpoint function (checked at load). */
    static final class CommandDriver extends GuestDriver {
        CommandDriver(Run run) {
            super(run);
        }

        @Override
        protected void driveFrom(HostState restored) {
            export("_start").apply();
        }

        @Override
        protected int onCheckpointCall(int buf, int len) {
            throw new IllegalStateException("a plain command cannot checkpoint (refused at load)");
        }
    }
}
