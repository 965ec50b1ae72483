package io.wasmworker.sandbox;

/**
 * The caller's handle on a run in progress, for the adapters: {@link #suspend()} asks the guest to
 * stop at its next checkpoint (graceful shutdown: the retry resumes there, nothing is lost), and
 * {@link #cancel(String)} stops it at once (a heartbeat said the attempt is cancelled or timed
 * out, so a zombie must not keep running). One control belongs to one run.
 */
public final class RunControl {
    private volatile boolean suspendRequested;
    private GuestRun run;
    private String cancelReason;

    /**
     * The guest stops right after its next checkpoint, ending as {@link FailureKind#SUSPENDED}. A
     * step guest is checkpointed after its current step; an asyncify guest at its next
     * {@code wasm_worker.checkpoint} call; a guest that cannot checkpoint runs on (the caller
     * decides how long to wait before {@link #cancel}).
     */
    public void suspend() {
        suspendRequested = true;
    }

    public boolean suspendRequested() {
        return suspendRequested;
    }

    /** Stops the run now; it ends as {@link FailureKind#CANCELLED} with this reason. */
    public synchronized void cancel(String reason) {
        if (cancelReason == null) {
            cancelReason = reason;
        }
        if (run != null) {
            run.cancel();
        }
    }

    synchronized String cancelReason() {
        return cancelReason;
    }

    /** Binds the run; a cancel that came before the run started applies at once. */
    synchronized void attach(GuestRun guestRun) {
        if (run != null) {
            throw new IllegalStateException("a RunControl belongs to one run");
        }
        run = guestRun;
        if (cancelReason != null) {
            guestRun.cancel();
        }
    }
}
