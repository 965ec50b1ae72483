package io.wasmworker.task;

import io.wasmworker.checkpoint.store.Manifest;

/**
 * One published checkpoint of a task: its key and the manifest generation that published it. Its
 * text form {@code <taskKey>@<generation>} is what Temporal heartbeats and failure details carry;
 * it is formatted by {@link #toString()} and parsed by {@link #parse} and nowhere else.
 *
 * @param task       the task the checkpoint belongs to
 * @param generation the manifest generation, 1 or more
 */
public record CheckpointRef(TaskKey task, long generation) {
    public CheckpointRef {
        if (task == null) {
            throw new IllegalArgumentException("a checkpoint reference names its task");
        }
        if (generation < 1) {
            throw new IllegalArgumentException("a checkpoint generation is 1 or more, got " + generation);
        }
    }

    /** The reference of a published manifest. */
    public static CheckpointRef of(Manifest manifest) {
        return new CheckpointRef(TaskKey.of(manifest.taskKey()), manifest.generation());
    }

    /**
     * Parses {@code <taskKey>@<generation>} (task keys may hold {@code @}: the last one separates);
     * the error says what is wrong with the text.
     */
    public static CheckpointRef parse(String text) {
        int at = text == null ? -1 : text.lastIndexOf('@');
        if (at <= 0) {
            throw new IllegalArgumentException("'" + text + "' names no task (expected <task key>@<generation>)");
        }
        long generation;
        try {
            generation = Long.parseLong(text.substring(at + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + text + "' has no checkpoint generation after '@'");
        }
        if (generation < 1) {
            throw new IllegalArgumentException("'" + text + "' has no checkpoint generation after '@' (1 or more)");
        }
        return new CheckpointRef(TaskKey.of(text.substring(0, at)), generation);
    }

    /** Whether this checkpoint is {@code other} or was published after it (same task). */
    public boolean isAtLeast(CheckpointRef other) {
        return task.equals(other.task) && generation >= other.generation;
    }

    @Override
    public String toString() {
        return task + "@" + generation;
    }
}
