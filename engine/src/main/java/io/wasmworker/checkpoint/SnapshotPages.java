package io.wasmworker.checkpoint;

import com.github.luben.zstd.ZstdDecompressCtx;
import com.github.luben.zstd.ZstdException;
import io.wasmworker.checkpoint.store.CorruptSnapshotException;
import io.wasmworker.host.LimitedMemory;
import java.nio.ByteBuffer;
import java.util.AbstractList;
import java.util.Arrays;
import java.util.List;

/**
 * The memory pages of one snapshot, in ascending page order. Each page is kept in its stored form:
 * a length of 0 is an all-zero page, {@value #PAGE} bytes are the page itself, anything in between is
 * one zstd frame that decompresses to the page. The bytes live in an array or a buffer at some
 * offset: a captured page has an array of its own, a decoded snapshot's pages point into the blob it
 * was read from (for the local store, a mapping of its file), so a restore copies each page once,
 * from the blob straight into the guest memory's own page (a compressed page through one 64 KiB
 * buffer), with no intermediate arrays.
 */
public final class SnapshotPages {
    static final int PAGE = 65536;

    private int count;
    private int[] index;
    private byte[][] array;
    private ByteBuffer[] buffer;
    private int[] offset;
    private int[] length;

    private SnapshotPages(int capacity) {
        index = new int[capacity];
        array = new byte[capacity][];
        buffer = new ByteBuffer[capacity];
        offset = new int[capacity];
        length = new int[capacity];
    }

    /** Pages are added in ascending order; {@link #add} refuses anything else. */
    static SnapshotPages withCapacity(int capacity) {
        return new SnapshotPages(Math.max(capacity, 4));
    }

    /**
     * Adds page {@code page} in its stored form: {@code len} bytes of {@code bytes} at {@code off}
     * (0 for an all-zero page, {@value #PAGE} for the page itself, else a zstd frame).
     */
    void add(int page, byte[] bytes, int off, int len) {
        add(page, len == 0 ? null : bytes, null, off, len);
    }

    /** {@link #add(int, byte[], int, int)} for a page held in a buffer (at absolute index {@code off}). */
    void addInBuffer(int page, ByteBuffer bytes, int off, int len) {
        add(page, null, len == 0 ? null : bytes, off, len);
    }

    private void add(int page, byte[] bytes, ByteBuffer inBuffer, int off, int len) {
        if (count > 0 && page <= index[count - 1]) {
            throw new IllegalArgumentException("page " + page + " after page " + index[count - 1]);
        }
        if (len < 0 || len > PAGE) {
            throw new IllegalArgumentException("stored page length " + len);
        }
        if (count == index.length) {
            int n = count * 2;
            index = Arrays.copyOf(index, n);
            array = Arrays.copyOf(array, n);
            buffer = Arrays.copyOf(buffer, n);
            offset = Arrays.copyOf(offset, n);
            length = Arrays.copyOf(length, n);
        }
        index[count] = page;
        array[count] = bytes;
        buffer[count] = inBuffer;
        offset[count] = off;
        length[count] = len;
        count++;
    }

    /** How many pages (zero pages included). */
    public int size() {
        return count;
    }

    /** The page number of the {@code i}-th page. */
    public int page(int i) {
        return index[checked(i)];
    }

    /** Whether the {@code i}-th page is all zeros. */
    public boolean isZero(int i) {
        return length[checked(i)] == 0;
    }

    /** How many pages hold data (are not all zeros). */
    public int dataPages() {
        int n = 0;
        for (int i = 0; i < count; i++) {
            n += length[i] == 0 ? 0 : 1;
        }
        return n;
    }

    /** The {@code i}-th page's stored form: its length (0, {@value #PAGE}, or a zstd frame's). */
    int storedLength(int i) {
        return length[checked(i)];
    }

    /** The array holding the {@code i}-th page's stored form: a copy of it if a buffer holds it. */
    byte[] storedArray(int i) {
        if (buffer[checked(i)] != null) {
            byte[] copy = new byte[length[i]];
            buffer[i].get(offset[i], copy);
            return copy;
        }
        return array[i];
    }

    /** Where the {@code i}-th page's stored form starts in {@link #storedArray}. */
    int storedOffset(int i) {
        return buffer[checked(i)] != null ? 0 : offset[i];
    }

    /**
     * Writes the {@code i}-th page (which must hold data) into page {@code page} of {@code memory}:
     * copied straight from where it is held into the page's own array, or decompressed through the
     * decompressor's buffer.
     */
    void writeTo(int i, LimitedMemory memory, int page, Decompressor decompressor) {
        int len = length[checked(i)];
        if (len == PAGE && buffer[i] == null) {
            memory.restorePage(page, array[i], offset[i]);
        } else if (len == PAGE) {
            memory.restorePage(page, buffer[i], offset[i]);
        } else if (len > 0 && buffer[i] == null) {
            memory.restorePage(page, decompressor.page(array[i], offset[i], len, index[i]), 0);
        } else if (len > 0) {
            memory.restorePage(page, decompressor.page(buffer[i], offset[i], len, index[i]), 0);
        } else {
            throw new IllegalArgumentException("page " + index[i] + " is all zeros");
        }
    }

    /** Every page's contents, decoded as the list is read (an empty array for an all-zero page). For tools. */
    public List<byte[]> values() {
        return new AbstractList<>() {
            @Override
            public byte[] get(int i) {
                int len = length[checked(i)];
                if (len == 0) {
                    return GuestSnapshot.ZERO_PAGE;
                }
                byte[] stored = storedArray(i);
                int off = storedOffset(i);
                if (len == PAGE) {
                    return Arrays.copyOfRange(stored, off, off + PAGE);
                }
                try (Decompressor d = new Decompressor()) {
                    return d.page(stored, off, len, index[i]).clone();
                }
            }

            @Override
            public int size() {
                return count;
            }
        };
    }

    private int checked(int i) {
        if (i < 0 || i >= count) {
            throw new IndexOutOfBoundsException(i);
        }
        return i;
    }

    /**
     * Decompresses pages into one reused array; one per restore (it holds a native zstd context).
     */
    static final class Decompressor implements AutoCloseable {
        private final byte[] page = new byte[PAGE];
        private byte[] frame;
        private ZstdDecompressCtx zstd;

        /** {@link #page(byte[], int, int, int)} for a frame held in a buffer. */
        byte[] page(ByteBuffer src, int off, int len, int pageNumber) {
            if (frame == null) {
                frame = new byte[PAGE];
            }
            src.get(off, frame, 0, len);
            return page(frame, 0, len, pageNumber);
        }

        /** The page decompressed from a frame; a frame that does not yield exactly one page is corrupt. */
        byte[] page(byte[] src, int off, int len, int pageNumber) {
            if (zstd == null) {
                zstd = new ZstdDecompressCtx();
            }
            int n;
            try {
                n = zstd.decompressByteArray(page, 0, PAGE, src, off, len);
            } catch (ZstdException e) {
                throw new CorruptSnapshotException(
                        "page " + pageNumber + " of the snapshot cannot be decompressed: " + e.getMessage(), e);
            }
            if (n != PAGE) {
                throw new CorruptSnapshotException(
                        "page " + pageNumber + " of the snapshot decompressed to " + n + " bytes, expected " + PAGE);
            }
            return page;
        }

        @Override
        public void close() {
            if (zstd != null) {
                zstd.close();
            }
        }
    }
}
