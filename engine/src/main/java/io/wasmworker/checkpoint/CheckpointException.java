package io.wasmworker.checkpoint;

/**
 * A checkpoint cannot be resumed or taken for a reason other than damage or a store failure: it
 * belongs to another module or input, or the guest's state is too large to save. The attempt fails
 * as {@code checkpoint}; the message names the task and what to do.
 */
public class CheckpointException extends RuntimeException {
    public CheckpointException(String message) {
        super(message);
    }
}
