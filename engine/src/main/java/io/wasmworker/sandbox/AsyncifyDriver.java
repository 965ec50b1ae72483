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
 * <p>The shadow stack pointer (global 0) needs care, because asyncify only saves wasm locals. It
 * is set to its {@code _start}-entry value before each rewind and, when the rewind arrives back in
 * the checkpoint call, to the value it had when the guest made that call. Whether a binaryen
 * version re-runs function prologues while rewinding (allocating the frames again) or skips them
 * (binaryen 108 does), the guest then continues with exactly its frames, neither leaking stack
 * nor allocating over live frames.
 */
final class AsyncifyDriver extends GuestDriver {
    private static final int STATE_REWINDING = 2;
    private static final int HEADER = 8;

    private int pendingBuffer = -1;
    private boolean resuming;
    /** The shadow stack pointer when the guest called checkpoint (restored at the end of a rewind). */
    private long callStackPointer;

    AsyncifyDriver(Run run) {
        super(run);
    }

    @Override
    protected void driveFrom(HostState restored) {
        ExportFunction start = export("_start");
        GlobalInstance stackPointer = instance.global(0);
        long entryStackPointer;
        if (restored != null) {
            entryStackPointer = restored.entryStackPointer();
            callStackPointer = stackPointer.getValue(); // the snapshot was taken right after the unwind
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
            run.checkpointer()
                    .checkpoint(
                            instance, memory, hostState(entryStackPointer, Integer.toUnsignedLong(pendingBuffer), 0));
            suspendIfRequested();
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
            instance.global(0).setValue(callStackPointer);
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
        callStackPointer = instance.global(0).getValue();
        memory.writeI32(buf, buf + HEADER);
        memory.writeI32(buf + 4, buf + len);
        export("asyncify_start_unwind").apply(buf);
        pendingBuffer = buf;
        return 0;
    }
}
