package io.wasmworker.host;

/** How many times one guest run called into the host. Used from the guest's thread only. */
public final class HostCallCounter {
    private long count;

    void increment() {
        count++;
    }

    public long count() {
        return count;
    }

    public void restore(long value) {
        count = value;
    }
}
