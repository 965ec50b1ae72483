package io.wasmworker.checkpoint;

import com.dylibso.chicory.runtime.Memory;
import com.github.luben.zstd.ZstdDecompressCtx;
import com.github.luben.zstd.ZstdException;
import io.wasmworker.checkpoint.store.CorruptSnapshotException;
import java.util.AbstractList;
import java.util.Arrays;
import java.util.List;

/**
 * The memory pages of one snapshot, in ascending page order. Each page is kept in its stored form:
 * a length of 0 is an all-zero page, {@value #PAGE} bytes are the page itself, anything in between is
 * one zstd frame that decompresses to the page. The bytes live in some array at some offset: a
 * captured page has an array of its own, a decoded snapshot's pages point into the blob it was read
 * from, so a restore copies (or decompresses) each page exactly once, from the blob into guest
 * memory, with no whole-memory intermediate arrays.
 */
public final class SnapshotPages {
    static final int PAGE = 65536;

    private int count;
    private int[] index;
    private byte[][] array;
    private int[] offset;
    private int[] length;

    private SnapshotPages(int capacity) {
        index = new int[capacity];
        array = new byte[capacity][];
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
            offset = Arrays.copyOf(offset, n);
            length = Arrays.copyOf(length, n);
        }
        index[count] = page;
        array[count] = len == 0 ? null : bytes;
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

    byte[] storedArray(int i) {
        return array[checked(i)];
    }

    int storedOffset(int i) {
        return offset[checked(i)];
    }

    /**
     * Writes the {@code i}-th page (which must hold data) into {@code memory} at {@code address}:
     * copied straight from where it is held, or through the decompressor's buffer if compressed.
     */
    void writeTo(int i, Memory memory, int address, Decompressor decompressor) {
        int len = length[checked(i)];
        if (len == PAGE) {
            memory.write(address, array[i], offset[i], PAGE);
        } else if (len > 0) {
            memory.write(address, decompressor.page(array[i], offset[i], len, index[i]), 0, PAGE);
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
                if (len == PAGE) {
                    return Arrays.copyOfRange(array[i], offset[i], offset[i] + PAGE);
                }
                try (Decompressor d = new Decompressor()) {
                    return d.page(array[i], offset[i], len, index[i]).clone();
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

    /** Decompresses pages into one reused buffer; one per restore (it holds a native zstd context). */
    static final class Decompressor implements AutoCloseable {
        private final byte[] page = new byte[PAGE];
        private ZstdDecompressCtx zstd;

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
