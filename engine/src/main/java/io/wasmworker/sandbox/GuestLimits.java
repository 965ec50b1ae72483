package io.wasmworker.sandbox;

import java.time.Duration;

/**
 * What one guest run may use. Defaults are safe for untrusted code; artifacts override them in
 * configuration.
 *
 * @param maxMemoryBytes  cap on linear memory and tables together; growing past it fails inside the guest
 * @param timeout         wall-clock limit, enforced by interrupting the guest's thread
 * @param maxInputBytes   largest accepted stdin
 * @param maxOutputBytes  largest accepted stdout; the run stops at the first write past it
 * @param maxStderrBytes  how much of the end of stderr is kept (more is dropped, never fatal), and the most streamed as written
 */
public record GuestLimits(
        long maxMemoryBytes, Duration timeout, int maxInputBytes, int maxOutputBytes, int maxStderrBytes) {

    public static final int PAGE_SIZE = 65536;
    /** Chicory's own ceiling (32767 pages, just under 2 GiB). */
    public static final long MAX_MEMORY_BYTES = 32767L * PAGE_SIZE;

    public static final GuestLimits DEFAULTS =
            new GuestLimits(64L << 20, Duration.ofSeconds(30), 8 << 20, 8 << 20, 64 << 10);

    public GuestLimits {
        if (maxMemoryBytes < PAGE_SIZE || maxMemoryBytes > MAX_MEMORY_BYTES) {
            throw new IllegalArgumentException("memory limit must be between 64 KiB and " + (MAX_MEMORY_BYTES >> 20)
                    + " MiB, got " + maxMemoryBytes + " bytes");
        }
        if (timeout == null || timeout.isZero() || timeout.isNegative()) {
            throw new IllegalArgumentException("timeout must be positive, got " + timeout);
        }
        if (maxInputBytes < 0 || maxOutputBytes < 0 || maxStderrBytes < 0) {
            throw new IllegalArgumentException("byte limits must not be negative");
        }
    }

    /** The memory cap in whole 64 KiB pages. */
    public int maxMemoryPages() {
        return (int) (maxMemoryBytes / PAGE_SIZE);
    }

    public GuestLimits withMaxMemoryBytes(long bytes) {
        return new GuestLimits(bytes, timeout, maxInputBytes, maxOutputBytes, maxStderrBytes);
    }

    public GuestLimits withTimeout(Duration t) {
        return new GuestLimits(maxMemoryBytes, t, maxInputBytes, maxOutputBytes, maxStderrBytes);
    }

    public GuestLimits withMaxInputBytes(int bytes) {
        return new GuestLimits(maxMemoryBytes, timeout, bytes, maxOutputBytes, maxStderrBytes);
    }

    public GuestLimits withMaxOutputBytes(int bytes) {
        return new GuestLimits(maxMemoryBytes, timeout, maxInputBytes, bytes, maxStderrBytes);
    }

    public GuestLimits withMaxStderrBytes(int bytes) {
        return new GuestLimits(maxMemoryBytes, timeout, maxInputBytes, maxOutputBytes, bytes);
    }
}
