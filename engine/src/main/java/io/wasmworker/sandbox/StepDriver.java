package io.wasmworker.sandbox;

import com.dylibso.chicory.runtime.ExportFunction;
import com.dylibso.chicory.runtime.TrapException;
import io.wasmworker.abi.AbiV1;
import io.wasmworker.checkpoint.HostState;

/**
 * Drives a step guest: {@code _initialize} once (if exported), then {@code ww_step} until it
 * returns 1. Between steps the Wasm stack is empty, so a checkpoint there is exact; the policy
 * decides when (every N steps, every T, or when the guest asked with {@code checkpoint(0, 0)}).
 */
final class StepDriver extends GuestDriver {
    private static final long MORE = 0;
    private static final long DONE = 1;

    private boolean requested;

    StepDriver(Run run) {
        super(run);
    }

    @Override
    protected void driveFrom(HostState restored) {
        long steps = 0;
        if (restored != null) {
            steps = restored.steps();
        } else if (exportsFunction("_initialize")) {
            export("_initialize").apply();
        }
        ExportFunction step = export(AbiV1.STEP_EXPORT);
        long stepsAtLast = steps;
        long lastCheckpoint = System.nanoTime();
        while (true) {
            long result = step.apply()[0];
            steps++;
            if (result == DONE) {
                return;
            }
            if (result != MORE) {
                throw new TrapException(
                        AbiV1.STEP_EXPORT + " returned " + result + "; ABI v1 allows 0 (more) or 1 (done)");
            }
            if (run.checkpointer() != null
                    && (run.control().suspendRequested()
                            || run.policy().due(steps - stepsAtLast, System.nanoTime() - lastCheckpoint, requested))) {
                run.checkpointer().checkpoint(instance, memory, hostState(-1, -1, steps));
                suspendIfRequested();
                stepsAtLast = steps;
                lastCheckpoint = System.nanoTime();
            }
            requested = false;
        }
    }

    private boolean exportsFunction(String name) {
        var exports = instance.module().exportSection();
        for (int i = 0; i < exports.exportCount(); i++) {
            if (exports.getExport(i).name().equals(name)) {
                return true;
            }
        }
        return false;
    }

    @Override
    protected int onCheckpointCall(int buf, int len) {
        requested = true;
        return 0;
    }
}
