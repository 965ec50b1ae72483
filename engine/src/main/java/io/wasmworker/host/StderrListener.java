package io.wasmworker.host;

/**
 * Told of each line a guest writes to stderr as it writes it (not when the run ends), so that a log or a
 * terminal shows a long-running guest's progress. Called on the guest's thread: must be quick; whatever
 * it throws is ignored. The line is the guest's raw text (without its newline): escape it before showing
 * it ({@code GuestText.escapeLine}).
 */
@FunctionalInterface
public interface StderrListener {
    void line(String line);
}
