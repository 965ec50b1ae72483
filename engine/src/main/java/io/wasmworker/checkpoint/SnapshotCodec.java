package io.wasmworker.checkpoint;

import com.github.luben.zstd.Zstd;
import com.github.luben.zstd.ZstdCompressCtx;
import com.github.luben.zstd.ZstdException;
import io.wasmworker.artifact.Digest;
import io.wasmworker.checkpoint.store.CorruptSnapshotException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * The binary snapshot format, version 2 (big-endian):
 *
 * <pre>
 *   "WWSNAP" u8 version u8 flags (bit 0: journaled host calls follow steps)
 *   str artifact, str taskKey                  (str: u32 length, UTF-8 bytes)
 *   i32 attempt, i64 sequence, i64 baseSequence, i32 totalPages
 *   i32 pageCount, then per page, in ascending page order:
 *       i32 page, i32 storedLength, storedLength bytes
 *   i32 globalCount, then per global: i32 index, i64 low, i64 high
 *   i32 tableCount, then per table: i32 index, i32 n, n x i32 function index (-1: null)
 *   i32 stdinPosition, i32 stdoutLength, stdout bytes, i64 hostCalls, clockState, randomState,
 *       entryStackPointer, asyncifyBuffer, steps[, i64 durableCalls, u8 responsePending]
 *   u32 crc32c of every byte before it
 * </pre>
 *
 * Each page is stored on its own, in one of three forms told apart by its stored length: 0 is an
 * all-zero page, 65536 is the page as is, anything else is a zstd frame (level 1) of the page. A page
 * is compressed only when that saves at least an eighth of it, so incompressible memory is written
 * and restored by plain copies, straight from the blob into guest memory, and compressible memory is
 * decompressed a page at a time: no stage ever holds a second copy of the whole memory.
 *
 * <p>Any inconsistency on decode is a {@link CorruptSnapshotException}: a snapshot is used whole or
 * not at all. The checksum is verified before anything else is read.
 */
public final class SnapshotCodec {
    public static final int VERSION = 2;
    private static final byte[] MAGIC = {'W', 'W', 'S', 'N', 'A', 'P'};
    private static final int HEADER = MAGIC.length + 2;
    private static final int TRAILER = 4;
    private static final int PAGE = SnapshotPages.PAGE;
    private static final int MAX_PAGES = 65536; // 4 GiB, the most a 32-bit Wasm memory can have
    private static final int ZSTD_LEVEL = 1;
    /** The longest a zstd frame header can be (ZSTD_FRAMEHEADERSIZE_MAX). */
    private static final int FRAME_HEADER_MAX = 18;
    /** A snapshot is one Java array: the largest the JVM reliably allocates. */
    static final int MAX_SNAPSHOT_BYTES = Integer.MAX_VALUE - 16;
    /** A compressed page is kept only if it is at most this long; otherwise the page is stored raw. */
    private static final int WORTH_COMPRESSING = PAGE - PAGE / 8;
    /**
     * A flag rather than a new version: snapshots of guests that made no journaled call stay readable
     * by workers from before journaled calls, and those refuse the others ("unknown flags").
     */
    private static final byte FLAG_DURABLE_CALLS = 1;

    private SnapshotCodec() {}

    public static byte[] encode(GuestSnapshot s) {
        SnapshotPages pages = s.pages();
        int n = pages.size();
        byte[][] stored = new byte[n][];
        int[] storedOffset = new int[n];
        int[] storedLength = new int[n];
        long pageBytes = 0;
        byte[] scratch = new byte[(int) Zstd.compressBound(PAGE)];
        try (ZstdCompressCtx zstd = new ZstdCompressCtx()) {
            zstd.setLevel(ZSTD_LEVEL);
            for (int i = 0; i < n; i++) {
                stored[i] = pages.storedArray(i);
                storedOffset[i] = pages.storedOffset(i);
                storedLength[i] = pages.storedLength(i);
                if (storedLength[i] == PAGE) {
                    int c = zstd.compressByteArray(scratch, 0, scratch.length, stored[i], storedOffset[i], PAGE);
                    if (c <= WORTH_COMPRESSING) {
                        stored[i] = Arrays.copyOf(scratch, c);
                        storedOffset[i] = 0;
                        storedLength[i] = c;
                    }
                }
                pageBytes += 8 + storedLength[i];
            }
        }

        byte[] artifact = utf8(s.artifact().toString());
        byte[] taskKey = utf8(s.taskKey());
        HostState h = s.host();
        long size = HEADER
                + 4
                + artifact.length
                + 4
                + taskKey.length
                + 4
                + 8
                + 8
                + 4 // identity, sequence, memory size
                + 4
                + pageBytes
                + 4
                + 20L * s.globals().size()
                + 4 // table count; tables below
                + 4
                + 4
                + h.stdout().length
                + 6 * 8 // host state
                + (journaled(h) ? 9 : 0)
                + TRAILER;
        for (GuestSnapshot.TableRefs t : s.tables()) {
            size += 8 + 4L * t.refs().length;
        }
        if (size > MAX_SNAPSHOT_BYTES) {
            throw new CheckpointException("the checkpoint of task '" + s.taskKey() + "' would take " + size
                    + " bytes, more than a snapshot can hold (" + MAX_SNAPSHOT_BYTES + " bytes, just under 2 GiB);"
                    + " lower the artifact's memory limit, or keep less memory in use (incompressible pages are"
                    + " stored whole)");
        }
        byte[] bytes = new byte[(int) size];
        ByteBuffer out = ByteBuffer.wrap(bytes);
        byte flags = journaled(h) ? FLAG_DURABLE_CALLS : 0;
        out.put(MAGIC).put((byte) VERSION).put(flags);
        out.putInt(artifact.length).put(artifact);
        out.putInt(taskKey.length).put(taskKey);
        out.putInt(s.attempt()).putLong(s.sequence()).putLong(s.baseSequence()).putInt(s.totalPages());
        out.putInt(n);
        for (int i = 0; i < n; i++) {
            out.putInt(pages.page(i)).putInt(storedLength[i]);
            if (storedLength[i] != 0) {
                out.put(stored[i], storedOffset[i], storedLength[i]);
            }
        }
        out.putInt(s.globals().size());
        for (GuestSnapshot.GlobalValue g : s.globals()) {
            out.putInt(g.index()).putLong(g.low()).putLong(g.high());
        }
        out.putInt(s.tables().size());
        for (GuestSnapshot.TableRefs t : s.tables()) {
            out.putInt(t.index()).putInt(t.refs().length);
            for (int ref : t.refs()) {
                out.putInt(ref);
            }
        }
        out.putInt(h.stdinPosition()).putInt(h.stdout().length).put(h.stdout());
        out.putLong(h.hostCalls())
                .putLong(h.clockState())
                .putLong(h.randomState())
                .putLong(h.entryStackPointer())
                .putLong(h.asyncifyBuffer())
                .putLong(h.steps());
        if (flags != 0) {
            out.putLong(h.durableCalls()).put((byte) (h.responsePending() ? 1 : 0));
        }
        out.putInt(crc(bytes));
        if (out.hasRemaining()) {
            throw new IllegalStateException("snapshot size miscounted by " + out.remaining() + " bytes");
        }
        return bytes;
    }

    /**
     * Checks and decodes a snapshot. The pages of the result point into {@code bytes} (nothing is
     * copied), so the caller must not change the array afterwards.
     */
    public static GuestSnapshot decode(byte[] bytes, String where) {
        return decode(ByteBuffer.wrap(bytes), where);
    }

    /**
     * Checks and decodes the snapshot in the buffer's remaining bytes, which may be a mapped file. The
     * pages of the result point into the buffer (nothing is copied: a restore copies each page once,
     * from there into guest memory), so its content must not change while the snapshot is used.
     */
    public static GuestSnapshot decode(ByteBuffer blob, String where) {
        return decode(blob, where, true);
    }

    /**
     * {@link #decode(ByteBuffer, String)} of a blob its store has just checked as a whole against what
     * was recorded when it was written ({@link
     * io.wasmworker.checkpoint.store.SnapshotStore#openSnapshot}: the CRC32C its name records, its
     * SHA-256, or its seal): every check but the trailer's CRC32C, which that covers, so a restore
     * reads the blob once for its checksum instead of twice. Tools use {@link #decode(ByteBuffer, String)}.
     */
    public static GuestSnapshot decodeChecked(ByteBuffer blob, String where) {
        return decode(blob, where, false);
    }

    private static GuestSnapshot decode(ByteBuffer blob, String where, boolean checkCrc) {
        ByteBuffer bytes = blob.slice(); // index 0 is the snapshot's first byte; big-endian
        int size = bytes.remaining();
        if (size < HEADER + TRAILER || !bytes.slice(0, MAGIC.length).equals(ByteBuffer.wrap(MAGIC))) {
            throw new CorruptSnapshotException(
                    where + " is not a wasm-worker snapshot (bad magic or too short: " + size + " bytes)");
        }
        int version = bytes.get(MAGIC.length);
        if (version != VERSION) {
            throw new CorruptSnapshotException(
                    where + " has snapshot format version " + version + "; this worker reads " + VERSION);
        }
        if (checkCrc && bytes.getInt(size - TRAILER) != crc(bytes)) {
            throw new CorruptSnapshotException(where + " fails its checksum (torn or damaged)");
        }
        byte flags = bytes.get(MAGIC.length + 1);
        if ((flags & ~FLAG_DURABLE_CALLS) != 0) {
            throw new CorruptSnapshotException(where + " has unknown flags " + flags);
        }
        ByteBuffer in = bytes.slice(0, size - TRAILER).position(HEADER);
        try {
            String artifactText = readString(in);
            Digest artifact;
            try {
                artifact = Digest.parse(artifactText);
            } catch (IllegalArgumentException e) {
                throw new CorruptSnapshotException(where + " names no module digest: " + e.getMessage());
            }
            String taskKey = readString(in);
            int attempt = in.getInt();
            long sequence = in.getLong();
            long base = in.getLong();
            int totalPages = in.getInt();
            if (totalPages < 0 || totalPages > MAX_PAGES) {
                throw new CorruptSnapshotException(
                        where + " has an impossible memory size of " + totalPages + " pages");
            }
            int pageCount = length(in, in.getInt(), 8);
            SnapshotPages pages = SnapshotPages.withCapacity(pageCount);
            int previous = -1;
            for (int i = 0; i < pageCount; i++) {
                int page = in.getInt();
                if (page <= previous || page >= totalPages) {
                    throw new CorruptSnapshotException(
                            where + " has page " + page + " out of order or outside its " + totalPages + " pages");
                }
                previous = page;
                int stored = length(in, in.getInt(), 1);
                if (stored > PAGE || (stored != 0 && stored != PAGE && frameContentSize(in, stored) != PAGE)) {
                    throw new CorruptSnapshotException(
                            where + " has page " + page + " in a malformed form (" + stored + " bytes)");
                }
                if (bytes.hasArray()) { // an array: pages are written into guest memory straight from it
                    pages.add(page, bytes.array(), bytes.arrayOffset() + in.position(), stored);
                } else {
                    pages.addInBuffer(page, bytes, in.position(), stored);
                }
                in.position(in.position() + stored);
            }
            int globalCount = length(in, in.getInt(), 20);
            List<GuestSnapshot.GlobalValue> globals = new ArrayList<>(globalCount);
            for (int i = 0; i < globalCount; i++) {
                globals.add(new GuestSnapshot.GlobalValue(in.getInt(), in.getLong(), in.getLong()));
            }
            int tableCount = length(in, in.getInt(), 8);
            List<GuestSnapshot.TableRefs> tables = new ArrayList<>(tableCount);
            for (int i = 0; i < tableCount; i++) {
                int index = in.getInt();
                int[] refs = new int[length(in, in.getInt(), 4)];
                in.asIntBuffer().get(refs);
                in.position(in.position() + 4 * refs.length);
                tables.add(new GuestSnapshot.TableRefs(index, refs));
            }
            int stdinPosition = in.getInt();
            byte[] stdout = new byte[length(in, in.getInt(), 1)];
            in.get(stdout);
            HostState host = new HostState(
                    stdinPosition,
                    stdout,
                    in.getLong(),
                    in.getLong(),
                    in.getLong(),
                    in.getLong(),
                    in.getLong(),
                    in.getLong(),
                    (flags & FLAG_DURABLE_CALLS) != 0 ? in.getLong() : 0,
                    (flags & FLAG_DURABLE_CALLS) != 0 && pending(in.get(), where));
            if (in.hasRemaining()) {
                throw new CorruptSnapshotException(where + " has " + in.remaining() + " unexpected trailing bytes");
            }
            return GuestSnapshot.builder(artifact, taskKey)
                    .attempt(attempt)
                    .sequence(sequence)
                    .baseSequence(base)
                    .memory(totalPages, pages)
                    .globals(globals)
                    .tables(tables)
                    .host(host)
                    .build();
        } catch (BufferUnderflowException e) {
            throw new CorruptSnapshotException(where + " ends early: its contents are inconsistent", e);
        }
    }

    private static boolean journaled(HostState h) {
        return h.durableCalls() != 0 || h.responsePending();
    }

    private static boolean pending(byte value, String where) {
        if (value != 0 && value != 1) {
            throw new CorruptSnapshotException(where + " has an impossible pending-response flag " + value);
        }
        return value == 1;
    }

    /** A count of items of {@code unit} bytes each, read from the body, must fit in what is left of it. */
    private static int length(ByteBuffer in, int n, int unit) {
        if (n < 0 || (long) n * unit > in.remaining()) {
            throw new BufferUnderflowException();
        }
        return n;
    }

    /**
     * What the header of the zstd frame of {@code length} bytes at the buffer's position says it
     * decompresses to; -1 if it is no zstd frame. Only the header is read (at most 18 bytes).
     */
    private static long frameContentSize(ByteBuffer in, int length) {
        byte[] header = new byte[Math.min(length, FRAME_HEADER_MAX)];
        in.get(in.position(), header);
        try {
            return Zstd.getFrameContentSize(header, 0, header.length);
        } catch (ZstdException e) {
            return -1;
        }
    }

    /** CRC32C of everything before the trailer. */
    private static int crc(byte[] bytes) {
        return crc(ByteBuffer.wrap(bytes));
    }

    /** CRC32C of everything before the trailer of the snapshot that starts at index 0. */
    private static int crc(ByteBuffer bytes) {
        CRC32C crc = new CRC32C();
        crc.update(bytes.slice(0, bytes.remaining() - TRAILER));
        return (int) crc.getValue();
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static String readString(ByteBuffer in) {
        byte[] b = new byte[length(in, in.getInt(), 1)];
        in.get(b);
        return new String(b, StandardCharsets.UTF_8);
    }
}
