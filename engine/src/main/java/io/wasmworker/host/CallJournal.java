package io.wasmworker.host;

import java.util.Optional;

/**
 * Where a task's journaled host calls are recorded, so that a resumed attempt replays a call its
 * task has made instead of making it again. Implemented over the snapshot store by the checkpoint
 * package; used from the guest's thread only.
 */
public interface CallJournal {

    /** The call recorded under {@code sequence}, or empty when the task has not made it. */
    Optional<RecordedCall> recorded(long sequence);

    /**
     * Durably records a call just made, before its result reaches the guest, and returns the record
     * that counts: {@code call}, or the one another attempt recorded first under its sequence number.
     */
    RecordedCall record(RecordedCall call);

    /** The idempotency key of call {@code sequence}: the same on every attempt of the task with its input. */
    String idempotencyKey(long sequence);

    /** A task's journal, for log lines and failure details: the task key. */
    String task();

    /**
     * What a run without a task key has: nothing is recorded, every call is live, and each has a key of
     * its own.
     */
    CallJournal NONE = new CallJournal() {
        @Override
        public Optional<RecordedCall> recorded(long sequence) {
            return Optional.empty();
        }

        @Override
        public RecordedCall record(RecordedCall call) {
            return call;
        }

        @Override
        public String idempotencyKey(long sequence) {
            return java.util.UUID.randomUUID().toString();
        }

        @Override
        public String task() {
            return "(no task key)";
        }
    };
}
