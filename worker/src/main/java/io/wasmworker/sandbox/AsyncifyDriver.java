package io.wasmworker.sandbox;

import com.dylibso.chicory.runtime.ExportFunction;
import com.dylibso.chicory.runtime.GlobalInstance;
import com.dylibso.chicory.runtime.TrapException;
import io.wasmworker.checkpoint.HostState;

/**
 * Checkpoints an asyncify-instrumented command anywhere it calls {@code wasm_worker.checkpoint}:
 * the host starts an unwind, {@code _start} returns with the guest's whole call stack saved in its
 * own memory, the host snapshots (the Wasm stack is now empty, so the snapshot is exact), then
 * rewinds: {@code _start} is entered again and asyncify fast-forwards to the checkpoint call,
 * which returns. A resumed run restores the snapshot and rewinds the same way.
 *
 * <p>The shadow stack pointer (global 0) is reset to its value at {@code _start} entry before
 * each rewind: the rewind re-runs every function prologue, which allocates the frames again.
 */
final class AsyncifyDriver extends GuestDriver {
    private static final int STATE_REWINDING = 2;
    private static final int HEADER = 8;

    private int pendingBuffer = -1;
    private boolean resuming;

    AsyncifyDriver(Run run) {
        super(run);
    }

    @Override
    protected void run(HostState restored) {
        ExportFunction start = export("_start");
        GlobalInstance stackPointer = instance.global(0);
        long entryStackPointer;
        if (restored != null) {
            entryStackPointer = restored.entryStackPointer();
            rewind(stackPointer, entryStackPointer, (int) restored.asyncifyBuffer());
            resuming = true;
        } else {
            entryStackPointer = stackPointer.getValue();
        }
        while (true) {
            pendingBuffer = -1;
            start.apply();
            if (pendingBuffer < 0) {
                return; // _start finished
            }
            export("asyncify_stop_unwind").apply();
            run.checkpointer().checkpoint(instance, memory,
                    hostState(entryStackPointer, Integer.toUnsignedLong(pendingBuffer), 0));
            rewind(stackPointer, entryStackPointer, pendingBuffer);
        }
    }

    private void rewind(GlobalInstance stackPointer, long entryStackPointer, int buffer) {
        stackPointer.setValue(entryStackPointer);
        export("asyncify_start_rewind").apply(buffer);
    }

    @Override
    protected int onCheckpointCall(int buf, int len) {
        if (export("asyncify_get_state").apply()[0] == STATE_REWINDING) {
            export("asyncify_stop_rewind").apply();
            boolean wasResume = resuming;
            resuming = false;
            return wasResume ? 1 : 0;
        }
        if (run.checkpointer() == null) {
            return 0; // nowhere to save: the run just goes on
        }
        long end = Integer.toUnsignedLong(buf) + Integer.toUnsignedLong(len);
        if (buf == 0 || len < HEADER + 16 || (buf & 3) != 0 || end > (long) memory.pages() * 65536) {
            throw new TrapException("wasm_worker.checkpoint: the asyncify buffer (" + Integer.toUnsignedLong(buf) + ", "
                    + Integer.toUnsignedLong(len) + ") must be 4-byte aligned, at least 24 bytes and inside memory");
        }
        memory.writeI32(buf, buf + HEADER);
        memory.writeI32(buf + 4, buf + len);
        export("asyncify_start_unwind").apply(buf);
        pendingBuffer = buf;
        return 0;
    }
}
