package io.wasmworker.host;

/**
 * A guest's stdin that is not held in memory: read in order, in pieces, from wherever it lives (an
 * input that references a large payload in S3, for example). Its length is known before the guest
 * starts; a resumed run continues from the position its checkpoint saved ({@link #seek}), so the
 * source must give the same bytes at the same positions on every attempt (and fail rather than give
 * others).
 */
public interface StdinSource extends AutoCloseable {

    /** The whole length, in bytes. */
    long length();

    /**
     * What identifies these exact bytes (for example the objects and their ETags), so that a
     * checkpoint taken with other bytes is never resumed with these.
     */
    String identity();

    /**
     * Reads up to {@code len} bytes at the current position into {@code into}; returns how many (at
     * least 1 when {@code len > 0} and the end is not reached).
     *
     * @throws Unavailable when the bytes cannot be read (the store failed, or they changed)
     */
    int read(byte[] into, int off, int len);

    /** Continues from {@code position} (a resumed run), 0 to {@link #length()}. */
    void seek(long position);

    /** Releases what the source holds open; never throws. */
    @Override
    void close();

    /** Stdin could not be read: the run fails with this message (naming what could not be read). */
    final class Unavailable extends RuntimeException {
        public Unavailable(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
