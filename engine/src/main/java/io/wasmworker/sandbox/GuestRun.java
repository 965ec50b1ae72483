package io.wasmworker.sandbox;

import com.dylibso.chicory.runtime.ChicoryInterruptedException;
import com.dylibso.chicory.runtime.ExecutionListener;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.wasm.ChicoryException;
import com.dylibso.chicory.wasm.WasmModule;
import io.wasmworker.abi.AbiV1;
import io.wasmworker.checkpoint.CheckpointContext;
import io.wasmworker.checkpoint.CheckpointException;
import io.wasmworker.checkpoint.CheckpointPolicy;
import io.wasmworker.checkpoint.Checkpointer;
import io.wasmworker.checkpoint.GuestSnapshot;
import io.wasmworker.checkpoint.HostState;
import io.wasmworker.checkpoint.StateCapture;
import io.wasmworker.checkpoint.StoreCallJournal;
import io.wasmworker.checkpoint.store.CorruptSnapshotException;
import io.wasmworker.checkpoint.store.StaleGenerationException;
import io.wasmworker.host.CallJournal;
import io.wasmworker.host.GuestClock;
import io.wasmworker.host.GuestIo;
import io.wasmworker.host.GuestRandom;
import io.wasmworker.host.HostCallCounter;
import io.wasmworker.host.HttpCalls;
import io.wasmworker.host.LimitedMemory;
import io.wasmworker.host.LimitedTable;
import io.wasmworker.host.MemoryBudget;
import io.wasmworker.host.NonDeterminismException;
import io.wasmworker.host.StdinSource;
import io.wasmworker.host.WasiContext;
import io.wasmworker.module.GuestModule;
import java.util.EnumSet;
import java.util.Set;

/**
 * One execution of a guest on the calling thread: a fresh instance, its own WASI and I/O state,
 * and a classification of however it ended. {@link #stop()} (the watchdog) interrupts it from
 * another thread, only while it runs.
 */
final class GuestRun {

    /**
     * Chicory 1.7.5's interpreter does not check for interrupts on br_if/br_table back edges. The
     * compiler does. The module loader refuses functions too large to compile, so loaded modules run
     * compiled; a module built with another machine factory (tests, benchmarks) may be interpreted, and
     * this listener, which runs for interpreted instructions only, keeps its loops stoppable at no cost
     * to compiled code.
     */
    private static final ExecutionListener INTERRUPT_CHECK = (instruction, stack) -> {
        if (Thread.currentThread().isInterrupted()) {
            throw new ChicoryInterruptedException("Thread interrupted");
        }
    };

    /** Failures of the guest's own making, which a refused grow before them explains. */
    private static final Set<FailureKind> GUEST_FAILURES =
            EnumSet.of(FailureKind.TRAP, FailureKind.EXIT, FailureKind.STACK_OVERFLOW, FailureKind.INVALID_OUTPUT);

    private final GuestModule module;
    private final Invocation invocation;
    private final ModulePool<ImportTable> importTables;
    private final ModulePool<PooledMemory> memories;

    /** The memory and budget of a run that ended normally, given to the pool once the run is measured. */
    private PooledMemory reusableMemory;

    private final RunControl control;

    /** The checkpoint this run resumed from (0: it started fresh). */
    private long resumedFrom;

    private Thread thread;
    private boolean running;
    private volatile boolean stopRequested;
    private volatile boolean cancelRequested;

    GuestRun(
            GuestModule module,
            Invocation invocation,
            ModulePool<ImportTable> importTables,
            ModulePool<PooledMemory> memories) {
        this.module = module;
        this.invocation = invocation;
        this.importTables = importTables;
        this.memories = memories;
        this.control = invocation.control() != null ? invocation.control() : new RunControl();
    }

    /** Interrupts the guest if it is still running; its outcome will be a timeout. */
    synchronized void stop() {
        if (running) {
            stopRequested = true;
            thread.interrupt();
        }
    }

    /** Interrupts the guest for its {@link RunControl}; its outcome will be {@code cancelled}. */
    synchronized void cancel() {
        cancelRequested = true;
        if (running) {
            thread.interrupt();
        }
    }

    /** Executes the guest to its end on the calling thread. */
    InvocationResult execute() {
        synchronized (this) {
            thread = Thread.currentThread();
            running = true;
        }
        control.attach(this);
        try {
            return driveAndMeasure();
        } finally {
            if (invocation.stdin() != null) {
                invocation.stdin().close();
            }
            synchronized (this) {
                running = false;
                if (stopRequested || cancelRequested) {
                    Thread.interrupted(); // our interrupt must not outlive the run
                }
            }
        }
    }

    private InvocationResult driveAndMeasure() {
        GuestLimits limits = invocation.limits();
        GuestIo io = invocation.stdin() == null
                ? new GuestIo(invocation.input(), limits.maxOutputBytes(), limits.maxStderrBytes())
                : new GuestIo(invocation.stdin(), limits.maxOutputBytes(), limits.maxStderrBytes());
        if (invocation.stderrListener() != null) {
            io.streamStderr(invocation.stderrListener());
        }
        HostCallCounter calls = new HostCallCounter();
        GuestClock clock = invocation.clock().get();
        GuestRandom random = invocation.random().get();
        CheckpointContext context = invocation.checkpoints();
        Checkpointer checkpointer = context != null && module.style().canCheckpoint()
                ? new Checkpointer(context, module.digest(), invocation.inputIdentity(), invocation.stdinLength())
                : null;
        PooledMemory pooled = memories.take(module.wasm());
        pooled = pooled == null ? null : pooled.forLimit(limits.maxMemoryBytes());
        MemoryBudget budget = pooled != null ? pooled.budget() : new MemoryBudget(limits.maxMemoryBytes());
        long start = System.nanoTime();
        Outcome outcome;
        try {
            GuestDriver.Run run = new GuestDriver.Run(
                    io,
                    calls,
                    clock,
                    random,
                    checkpointer,
                    context == null ? CheckpointPolicy.DEFAULT : context.policy(),
                    control,
                    new HttpCalls(invocation.endpoints(), journal(context), budget));
            outcome = instantiateAndDrive(run, budget, pooled);
        } catch (Throwable t) {
            // The instance, its memory and tables (and the driver holding them) were reachable only from
            // the frame unwound by now: after an OutOfMemoryError they are garbage, and this result can
            // be built.
            outcome = classify(t, limits, budget);
        }
        if (budget.refusedMemoryGrows() + budget.refusedTableGrows() > 0
                && outcome instanceof Outcome.Failure f
                && GUEST_FAILURES.contains(f.kind())) {
            outcome = new Outcome.Failure(
                    FailureKind.MEMORY_LIMIT,
                    "the guest reached its memory limit of " + mib(limits.maxMemoryBytes()) + " (" + budget.refusals()
                            + ") and then failed: " + f.reason());
        }
        io.endStderr(); // the last line without a newline, and what went past the stream's limit
        long wall = System.nanoTime() - start;
        var metrics = InvocationMetrics.builder(outcome.label())
                .wallNanos(wall)
                .peakMemoryBytes(budget.memoryBytes())
                .hostCalls(calls.count())
                .inputBytes(io.stdinLength())
                .outputBytes(io.stdoutLength())
                .stderrBytes(io.stderrTotal())
                .resumedFromSequence(resumedFrom);
        if (checkpointer != null) {
            metrics.checkpoints(checkpointer.written(), checkpointer.writtenBytes(), checkpointer.writtenNanos())
                    .checkpointReference(checkpointer.reference());
        }
        InvocationResult result = new InvocationResult(outcome, io.stdout(), io.stderrTail(), metrics.build());
        if (reusableMemory != null) {
            // last: the next run to take it starts the budget over, which this run has read by now
            memories.give(module.wasm(), reusableMemory);
            reusableMemory = null;
        }
        return result;
    }

    /**
     * The task's journal of host calls, under a task key (any guest: a plain command's retry starts
     * over and replays the calls its task made); none without one.
     */
    private CallJournal journal(CheckpointContext context) {
        return context == null ? CallJournal.NONE : new StoreCallJournal(context, invocation.inputIdentity());
    }

    /**
     * A fresh instance, restored from the task's checkpoint if it has one, driven to its end. Everything
     * that references the instance lives in this frame only.
     */
    private Outcome instantiateAndDrive(GuestDriver.Run run, MemoryBudget budget, PooledMemory pooled) {
        GuestDriver driver = GuestDriver.of(module.style(), run);
        GuestIo io = run.io();
        LimitedMemory[] memory = new LimitedMemory[1];
        ImportTable imports = importTables.take(module.wasm());
        if (imports == null) {
            imports = new ImportTable(module.wasm());
        }
        boolean tracksWrites = run.checkpointer() != null; // dirty pages only for guests that checkpoint
        try (WasiContext wasi = new WasiContext(io, run.clock(), run.random(), AbiV1.environment(invocation.task()))) {
            Instance instance = Instance.builder(module.wasm())
                    .withMachineFactory(module.machineFactory())
                    .withImportValues(imports.bind(run.calls(), wasi, driver, run.http()))
                    .withMemoryFactory(declared -> {
                        if (memory[0] != null) {
                            return LimitedMemory.create(
                                    declared, budget, tracksWrites); // refused at load; not the ABI's
                        }
                        // a kept memory serves only a run that tracks writes as it does: an untracked one would
                        // make each checkpoint save every page, a tracked one slow a run that never checkpoints
                        if (pooled != null
                                && pooled.memory().pages() == declared.initialPages()
                                && pooled.memory().tracksWrites() == tracksWrites) {
                            memory[0] = pooled.memory();
                        } else {
                            if (pooled != null) {
                                budget.startOver(0); // its memory is not used: nothing is charged yet
                            }
                            memory[0] = LimitedMemory.create(declared, budget, tracksWrites);
                        }
                        return memory[0];
                    })
                    .withTableFactory((table, init) ->
                            LimitedTable.create(table, init, budget, () -> describeTables(module.wasm())))
                    .withUnsafeExecutionListener(INTERRUPT_CHECK)
                    .withStart(false)
                    .build();
            HostState restored = null;
            if (run.checkpointer() != null) {
                var chain = run.checkpointer().load();
                if (chain.isPresent()) {
                    GuestSnapshot last = StateCapture.apply(chain.get(), instance, memory[0]);
                    restored = last.host();
                    driver.restoreHost(restored);
                    resumedFrom = last.sequence();
                }
            } else if (invocation.checkpoints() != null) {
                Checkpointer.refuseToReplace(invocation.checkpoints(), module.digest(), invocation.inputIdentity());
            }
            int exitCode = driver.drive(instance, memory[0], restored);
            if (PooledMemory.reusable(module.wasm(), memory[0])) {
                // the guest ended as guests do (no trap, no stop, nothing thrown): its instance is not
                // called again, and the memory can serve the module's next run. Only then: while a failure
                // unwinds, the memory (perhaps holding the pages of a grow the heap could not finish) must
                // become garbage with this frame.
                reusableMemory = new PooledMemory(memory[0], budget);
            }
            return OutcomeDecoder.decode(exitCode, io.stdout());
        } finally {
            // the guest has stopped (this thread ran it): nothing calls into its instance any more
            imports.release();
            importTables.give(module.wasm(), imports);
        }
    }

    private Outcome classify(Throwable t, GuestLimits limits, MemoryBudget budget) {
        if (stopRequested) {
            return new Outcome.Failure(
                    FailureKind.TIMEOUT,
                    "the guest ran past its time limit of " + limits.timeout().toMillis() + " ms and was stopped");
        }
        if (t instanceof GuestDriver.Suspended s) {
            return new Outcome.Failure(
                    FailureKind.SUSPENDED,
                    "stopped at checkpoint " + s.sequence()
                            + " because the worker asked (shutting down); a retry resumes from it");
        }
        if (cancelRequested) {
            return new Outcome.Failure(FailureKind.CANCELLED, "the run was cancelled: " + control.cancelReason());
        }
        if (t instanceof ChicoryInterruptedException || Thread.currentThread().isInterrupted()) {
            return new Outcome.Failure(
                    FailureKind.CANCELLED,
                    "the run was cancelled: its thread was interrupted (the worker is shutting down?)");
        }
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof GuestIo.OutputLimitExceeded) {
                return new Outcome.Failure(FailureKind.OUTPUT_LIMIT, c.getMessage());
            }
            if (c instanceof NonDeterminismException) {
                return new Outcome.Failure(FailureKind.NON_DETERMINISM, c.getMessage());
            }
            if (c instanceof StdinSource.Unavailable) {
                return new Outcome.Failure(FailureKind.INVALID_INPUT, c.getMessage());
            }
            if (c instanceof LimitedMemory.MemoryLimitException) {
                return new Outcome.Failure(FailureKind.MEMORY_LIMIT, c.getMessage());
            }
            if (c instanceof StackOverflowError) {
                return new Outcome.Failure(
                        FailureKind.STACK_OVERFLOW,
                        "the guest's call stack went deeper than the sandbox allows (runaway recursion?)");
            }
            if (c instanceof OutOfMemoryError && budget.heapRanOutInGuestAllocation()) {
                return new Outcome.Failure(
                        FailureKind.MEMORY_LIMIT,
                        "the worker's heap ran out while the guest"
                                + " allocated memory within its limit of " + mib(limits.maxMemoryBytes())
                                + " (the worker is"
                                + " over-committed: raise -Xmx or lower concurrency or memory limits)");
            }
            if (c instanceof OutOfMemoryError) {
                // not the guest's own allocation (those are charged to its budget): the worker's heap
                // was exhausted by something else, so the guest is not to blame
                return new Outcome.Failure(
                        FailureKind.INTERNAL,
                        "the worker's heap ran out while the guest ran,"
                                + " outside the guest's own allocations (" + c + "); raise -Xmx or lower concurrency or"
                                + " memory limits");
            }
        }
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof StaleGenerationException) {
                return new Outcome.Failure(FailureKind.CHECKPOINT, "fenced off: " + c.getMessage());
            }
            if (c instanceof CorruptSnapshotException || c instanceof Checkpointer.CheckpointMismatchException) {
                return new Outcome.Failure(FailureKind.CHECKPOINT, "cannot resume: " + c.getMessage());
            }
            if (c instanceof CheckpointException) {
                return new Outcome.Failure(FailureKind.CHECKPOINT, c.getMessage());
            }
            if (c instanceof java.io.UncheckedIOException || c instanceof java.io.IOException) {
                return new Outcome.Failure(FailureKind.CHECKPOINT, "the snapshot store failed: " + c.getMessage());
            }
        }
        if (t instanceof ChicoryException) {
            return new Outcome.Failure(FailureKind.TRAP, "the guest trapped: " + t.getMessage());
        }
        return new Outcome.Failure(FailureKind.INTERNAL, "the host failed while running the guest: " + t);
    }

    /** The module's tables and their initial sizes, for a refusal: "3 tables of 30000000 initial entries in all (...)". */
    static String describeTables(WasmModule wasm) {
        var section = wasm.tableSection();
        int count = section.tableCount();
        long total = 0;
        StringBuilder each = new StringBuilder();
        for (int i = 0; i < count; i++) {
            long min = section.getTable(i).limits().min();
            total += min;
            if (i < 5) {
                each.append(i == 0 ? "" : ", ")
                        .append("table ")
                        .append(i)
                        .append(": ")
                        .append(min);
            } else if (i == 5) {
                each.append(", ...");
            }
        }
        return "the module declares " + count + (count == 1 ? " table" : " tables") + " of " + total
                + " initial entries in all (" + each + ")";
    }

    private static String mib(long bytes) {
        return (bytes >> 20) + " MiB";
    }
}
