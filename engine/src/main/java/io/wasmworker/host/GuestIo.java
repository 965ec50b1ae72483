package io.wasmworker.host;

import com.dylibso.chicory.runtime.Memory;
import java.util.Arrays;

/**
 * The host side of a guest's standard streams: stdin served from a byte array or streamed from a
 * {@link StdinSource} through one small buffer, stdout collected up to a hard limit (a flood is
 * stopped at the first write that would pass it), stderr kept as a bounded tail and, when asked,
 * streamed line by line as it is written ({@link #streamStderr}). Positions are
 * explicit fields because they are guest-visible state.
 */
public final class GuestIo {
    /** The buffer a streamed stdin is copied through, whatever its length. */
    static final int STREAM_CHUNK = 64 * 1024;

    /** Stdin in memory; null when it is streamed from {@link #source}. */
    private final byte[] stdin;

    private final StdinSource source;
    private final int stdinLength;
    private byte[] chunk;
    private int stdinPosition;

    private final int stdoutLimit;
    private byte[] stdoutBuffer;
    private int stdoutLength;

    private final int stderrCapacity;
    private byte[] stderrTail = new byte[0];
    private long stderrTotal;

    /** Where stderr lines go as they are written; null: stderr is only kept as a tail. */
    private StderrListener stderrListener;
    /** Bytes handed to the listener: at most the stderr limit, like the tail. */
    private long stderrStreamed;

    private boolean stderrLimitShown;

    private byte[] stderrLine;
    private int stderrLineLength;
    /** The line under way passed {@link #MAX_STDERR_LINE_BYTES}: it was shown cut, the rest is dropped. */
    private boolean stderrLineCut;

    /** The longest stderr line shown as written; a longer one is cut there and marked. */
    public static final int MAX_STDERR_LINE_BYTES = 4096;

    public GuestIo(byte[] stdin, int maxStdoutBytes, int maxStderrTailBytes) {
        this(stdin, null, stdin.length, maxStdoutBytes, maxStderrTailBytes);
    }

    /** Stdin streamed from {@code source}, of at most 2 GiB (a checkpoint saves the position as 32 bits). */
    public GuestIo(StdinSource source, int maxStdoutBytes, int maxStderrTailBytes) {
        this(null, source, checkedLength(source), maxStdoutBytes, maxStderrTailBytes);
    }

    private GuestIo(byte[] stdin, StdinSource source, int stdinLength, int maxStdoutBytes, int maxStderrTailBytes) {
        this.stdin = stdin;
        this.source = source;
        this.stdinLength = stdinLength;
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

    private static int checkedLength(StdinSource source) {
        long length = source.length();
        if (length < 0 || length > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(
                    "a streamed stdin of " + length + " bytes: at most 2 GiB - 1 is possible");
        }
        return (int) length;
    }

    // ---- stdin ----

    public int stdinRemaining() {
        return stdinLength - stdinPosition;
    }

    public int stdinPosition() {
        return stdinPosition;
    }

    public int stdinLength() {
        return stdinLength;
    }

    /** Puts back the state a checkpoint saved: the read position and the output so far. */
    public void restore(int position, byte[] output) {
        if (position < 0 || position > stdinLength) {
            throw new IllegalArgumentException(
                    "stdin position " + position + " is outside the input of " + stdinLength + " bytes");
        }
        stdinPosition = position;
        if (source != null) {
            source.seek(position);
        }
        stdoutLength = 0;
        appendStdout(output);
    }

    /**
     * Copies the next {@code n} bytes of stdin (at most {@link #stdinRemaining()}) into the guest's
     * memory at {@code address} and advances the position. A streamed stdin goes through one buffer of
     * {@link #STREAM_CHUNK} bytes, so the host holds no more of it than that.
     *
     * @throws StdinSource.Unavailable when a streamed stdin cannot be read
     */
    public void copyStdin(Memory memory, int address, int n) {
        if (n < 0 || n > stdinRemaining()) {
            throw new IllegalArgumentException("cannot read " + n + " stdin bytes");
        }
        if (stdin != null) {
            memory.write(address, stdin, stdinPosition, n);
            stdinPosition += n;
            return;
        }
        if (chunk == null) {
            chunk = new byte[STREAM_CHUNK];
        }
        for (int done = 0; done < n; ) {
            int got = source.read(chunk, 0, Math.min(chunk.length, n - done));
            if (got <= 0) {
                throw new StdinSource.Unavailable(
                        "the streamed input ended at byte " + (stdinPosition + done) + " of " + stdinLength, null);
            }
            memory.write(address + done, chunk, 0, got);
            done += got;
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

    /**
     * Streams stderr to {@code listener} line by line as the guest writes it: at most as many bytes as
     * the stderr limit (after that one line says so, and {@link #endStderr} shows the end that was not
     * streamed from the kept tail), lines of at most {@link #MAX_STDERR_LINE_BYTES} (a longer one is
     * cut and marked).
     */
    public void streamStderr(StderrListener listener) {
        this.stderrListener = listener;
    }

    /**
     * A guest's {@code fd_write} to stderr of {@code len} bytes at {@code address}: the tail keeps its
     * end, the listener (if any) gets its lines within the stream's limit. Reads at most the limit
     * from memory, in chunks.
     */
    public void writeStderr(Memory memory, int address, long len) {
        int keep = (int) Math.min(len, stderrCapacity);
        appendStderr(memory.readBytes((int) (address + len - keep), keep), len);
        if (stderrListener == null) {
            return;
        }
        long room = stderrCapacity - stderrStreamed;
        long stream = Math.min(len, room);
        for (long off = 0; off < stream; ) {
            int n = (int) Math.min(STREAM_CHUNK, stream - off);
            splitLines(memory.readBytes((int) (address + off), n));
            off += n;
        }
        stderrStreamed += stream;
        if (stream < len && !stderrLimitShown) {
            stderrLimitShown = true;
            flushStderrLine();
            emit("[wasm-worker: the guest wrote more than its stderr limit of " + stderrCapacity
                    + " bytes; the rest is not shown as it is written, its end is shown when the run ends]");
        }
    }

    /**
     * The run ended: the line under way (without its newline) goes to the listener, and then the end
     * of stderr that was past the stream's limit, from the kept tail.
     */
    public void endStderr() {
        if (stderrListener == null) {
            return;
        }
        flushStderrLine();
        if (stderrTotal > stderrStreamed) {
            byte[] tail = stderrTail();
            long tailStart = stderrTotal - tail.length;
            int from = (int) Math.max(0, stderrStreamed - tailStart);
            emit("[wasm-worker: " + (stderrTotal - stderrStreamed) + " bytes of stderr were not shown; the last "
                    + (tail.length - from) + ":]");
            splitLines(Arrays.copyOfRange(tail, from, tail.length));
            flushStderrLine();
        }
        stderrListener = null; // once
    }

    private void splitLines(byte[] data) {
        for (byte b : data) {
            if (b == '\n') {
                if (!stderrLineCut) {
                    emit(takeLine()); // an empty line too: the listener decides what to show
                }
                stderrLineCut = false;
            } else if (stderrLineCut) {
                continue; // the rest of a line already shown cut
            } else if (stderrLineLength == MAX_STDERR_LINE_BYTES) {
                emit(takeLine() + " [line cut at " + MAX_STDERR_LINE_BYTES + " bytes]");
                stderrLineCut = true;
            } else {
                if (stderrLine == null) {
                    stderrLine = new byte[MAX_STDERR_LINE_BYTES];
                }
                stderrLine[stderrLineLength++] = b;
            }
        }
    }

    /** A line without its newline, under way when the run ended or the stream's limit was reached. */
    private void flushStderrLine() {
        if (stderrLineLength > 0) {
            emit(takeLine());
        }
        stderrLineCut = false;
    }

    private String takeLine() {
        String line = stderrLineLength == 0
                ? ""
                : new String(stderrLine, 0, stderrLineLength, java.nio.charset.StandardCharsets.UTF_8);
        stderrLineLength = 0;
        return line;
    }

    private void emit(String line) {
        try {
            stderrListener.line(line);
        } catch (RuntimeException e) {
            // a listener's failure is not the guest's: its stderr is still kept as a tail
        }
    }

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
