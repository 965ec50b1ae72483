package io.wasmworker.host;

import java.util.Arrays;

/**
 * The host side of a guest's standard streams: stdin served from a byte array, stdout collected up
 * to a hard limit (a flood is stopped at the first write that would pass it), stderr kept as a
 * bounded tail. Positions are explicit fields because they are guest-visible state.
 */
public final class GuestIo {
    private final byte[] stdin;
    private int stdinPosition;

    private final int stdoutLimit;
    private byte[] stdoutBuffer;
    private int stdoutLength;

    private final int stderrCapacity;
    private byte[] stderrTail = new byte[0];
    private long stderrTotal;

    public GuestIo(byte[] stdin, int maxStdoutBytes, int maxStderrTailBytes) {
        this.stdin = stdin;
        this.stdoutLimit = maxStdoutBytes;
        this.stdoutBuffer = new byte[0]; // both buffers grow on first use: most runs write little
        this.stderrCapacity = maxStderrTailBytes;
    }

    /** Thrown from inside {@code fd_write} when the guest's output would pass its limit. */
    public static final class OutputLimitExceeded extends RuntimeException {
        public OutputLimitExceeded(String message) {
            super(message, null, false, false);
        }
    }

    // ---- stdin ----

    public int stdinRemaining() {
        return stdin.length - stdinPosition;
    }

    public byte[] stdinBytes() {
        return stdin;
    }

    public int stdinPosition() {
        return stdinPosition;
    }

    public int stdinLength() {
        return stdin.length;
    }

    /** Puts back the state a checkpoint saved: the read position and the output so far. */
    public void restore(int position, byte[] output) {
        if (position < 0 || position > stdin.length) {
            throw new IllegalArgumentException(
                    "stdin position " + position + " is outside the input of " + stdin.length + " bytes");
        }
        stdinPosition = position;
        stdoutLength = 0;
        appendStdout(output);
    }

    /** Advances the read position after the caller copied {@code n} bytes from {@link #stdinBytes()}. */
    public void consumeStdin(int n) {
        if (n < 0 || n > stdinRemaining()) {
            throw new IllegalArgumentException("cannot consume " + n + " stdin bytes");
        }
        stdinPosition += n;
    }

    // ---- stdout ----

    /** Fails the run before anything is copied if {@code len} more bytes would pass the limit. */
    public void checkStdoutRoom(long len) {
        if (stdoutLength + len > stdoutLimit) {
            throw new OutputLimitExceeded("the guest wrote more than the output limit of " + stdoutLimit
                    + " bytes to stdout (stopped at a write of " + len + " bytes after " + stdoutLength + ")");
        }
    }

    public void appendStdout(byte[] data) {
        checkStdoutRoom(data.length);
        if (stdoutLength + data.length > stdoutBuffer.length) {
            int size = (int) Math.min(
                    stdoutLimit, Math.max(Math.max(256L, (long) stdoutBuffer.length * 2), stdoutLength + data.length));
            stdoutBuffer = Arrays.copyOf(stdoutBuffer, size);
        }
        System.arraycopy(data, 0, stdoutBuffer, stdoutLength, data.length);
        stdoutLength += data.length;
    }

    public byte[] stdout() {
        return Arrays.copyOf(stdoutBuffer, stdoutLength);
    }

    public int stdoutLength() {
        return stdoutLength;
    }

    // ---- stderr ----

    /** Keeps only the last bytes of stderr; {@code data} is the tail of a write of {@code fullLength}. */
    public void appendStderr(byte[] data, long fullLength) {
        stderrTotal += fullLength;
        int cap = stderrCapacity;
        if (cap == 0) {
            return;
        }
        if (stderrTail.length < cap) {
            stderrTail = new byte[cap];
        }
        // ring buffer indexed by total bytes written; data holds the last data.length bytes of this write
        long start = stderrTotal - data.length;
        for (int i = 0; i < data.length; i++) {
            stderrTail[(int) ((start + i) % cap)] = data[i];
        }
    }

    public int stderrTailCapacity() {
        return stderrCapacity;
    }

    public long stderrTotal() {
        return stderrTotal;
    }

    /** The last bytes the guest wrote to stderr, oldest first. */
    public byte[] stderrTail() {
        int cap = stderrCapacity;
        int n = (int) Math.min(cap, stderrTotal);
        byte[] out = new byte[n];
        long start = stderrTotal - n;
        for (int i = 0; i < n; i++) {
            out[i] = stderrTail[(int) ((start + i) % cap)];
        }
        return out;
    }
}
