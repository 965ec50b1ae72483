package io.wasmworker.checkpoint;

/**
 * The host-side state a guest can observe, saved with every checkpoint so a resumed run sees
 * exactly what an uninterrupted one would have.
 *
 * @param stdinPosition      how much of stdin the guest has read
 * @param stdout             the output it has written so far
 * @param hostCalls          calls into the host so far (the host-call sequence number)
 * @param clockState         the guest clock's state (virtual: readings; system: last monotonic value)
 * @param randomState        the guest random's state (seeded: bytes produced)
 * @param entryStackPointer  asyncify guests: the shadow stack pointer (global 0) at {@code _start}
 *                           entry, restored before every rewind; -1 for other guests
 * @param asyncifyBuffer     asyncify guests: the address of the buffer holding the unwound stack; -1 otherwise
 * @param steps              step guests: steps completed
 * @param durableCalls       journaled host calls ({@code http_request}) so far: the next one's sequence
 *                           number is this plus one
 * @param responsePending    whether the last journaled call's response was waiting for {@code
 *                           http_response} (a restore takes it back from the journal)
 */
public record HostState(
        int stdinPosition,
        byte[] stdout,
        long hostCalls,
        long clockState,
        long randomState,
        long entryStackPointer,
        long asyncifyBuffer,
        long steps,
        long durableCalls,
        boolean responsePending) {

    /** The state of a guest that has made no journaled host call (and snapshots from before them). */
    public HostState(
            int stdinPosition,
            byte[] stdout,
            long hostCalls,
            long clockState,
            long randomState,
            long entryStackPointer,
            long asyncifyBuffer,
            long steps) {
        this(
                stdinPosition,
                stdout,
                hostCalls,
                clockState,
                randomState,
                entryStackPointer,
                asyncifyBuffer,
                steps,
                0,
                false);
    }
}
