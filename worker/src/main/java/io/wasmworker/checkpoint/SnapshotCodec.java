package io.wasmworker.checkpoint;

import com.github.luben.zstd.Zstd;
import io.wasmworker.checkpoint.store.CorruptSnapshotException;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.zip.CRC32C;

/**
 * The binary snapshot format, version 1:
 *
 * <pre>
 *   "WWSNAP" u8 version u8 flags(1 = zstd)  u32 bodyLength(uncompressed)  u32 crc32c(of all that follows)
 *   body (zstd level 1): header fields, pages, globals, tables, host state
 * </pre>
 *
 * Zero pages are a marker only; data pages are raw 64 KiB (the compressor does the rest). Any
 * inconsistency on decode is a {@link CorruptSnapshotException}: a snapshot is used whole or not at all.
 */
public final class SnapshotCodec {
    public static final int VERSION = 1;
    private static final byte[] MAGIC = {'W', 'W', 'S', 'N', 'A', 'P'};
    private static final int HEADER = MAGIC.length + 2 + 4 + 4;
    private static final int PAGE = 65536;
    private static final int ZSTD_LEVEL = 1;

    private SnapshotCodec() {}

    public static byte[] encode(GuestSnapshot s) {
        ByteArrayOutputStream raw = new ByteArrayOutputStream(64 + s.pages().size() * (PAGE + 5));
        try (DataOutputStream out = new DataOutputStream(raw)) {
            out.writeUTF(s.artifact());
            writeString(out, s.taskKey());
            out.writeInt(s.attempt());
            out.writeLong(s.sequence());
            out.writeLong(s.baseSequence());
            out.writeInt(s.totalPages());
            out.writeInt(s.pages().size());
            for (var e : s.pages().entrySet()) {
                out.writeInt(e.getKey());
                byte[] page = e.getValue();
                out.writeByte(page.length == 0 ? 0 : 1);
                if (page.length != 0) {
                    out.write(page);
                }
            }
            out.writeInt(s.globals().size());
            for (var g : s.globals()) {
                out.writeInt(g.index());
                out.writeLong(g.low());
                out.writeLong(g.high());
            }
            out.writeInt(s.tables().size());
            for (var t : s.tables()) {
                out.writeInt(t.index());
                out.writeInt(t.refs().length);
                for (int ref : t.refs()) {
                    out.writeInt(ref);
                }
            }
            HostState h = s.host();
            out.writeInt(h.stdinPosition());
            out.writeInt(h.stdout().length);
            out.write(h.stdout());
            out.writeLong(h.hostCalls());
            out.writeLong(h.clockState());
            out.writeLong(h.randomState());
            out.writeLong(h.entryStackPointer());
            out.writeLong(h.asyncifyBuffer());
            out.writeLong(h.steps());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        byte[] body = raw.toByteArray();
        byte[] compressed = Zstd.compress(body, ZSTD_LEVEL);
        ByteBuffer buf = ByteBuffer.allocate(HEADER + compressed.length);
        buf.put(MAGIC).put((byte) VERSION).put((byte) 1).putInt(body.length).putInt(0).put(compressed);
        byte[] bytes = buf.array();
        ByteBuffer.wrap(bytes).putInt(HEADER - 4, crc(bytes));
        return bytes;
    }

    public static GuestSnapshot decode(byte[] bytes, String where) {
        if (bytes.length < HEADER || !Arrays.equals(bytes, 0, MAGIC.length, MAGIC, 0, MAGIC.length)) {
            throw new CorruptSnapshotException(where + " is not a wasm-worker snapshot (bad magic or too short: "
                    + bytes.length + " bytes)");
        }
        ByteBuffer head = ByteBuffer.wrap(bytes);
        int version = bytes[MAGIC.length];
        if (version != VERSION) {
            throw new CorruptSnapshotException(where + " has snapshot format version " + version + "; this worker reads " + VERSION);
        }
        int bodyLength = head.getInt(MAGIC.length + 2);
        int storedCrc = head.getInt(HEADER - 4);
        if (storedCrc != crc(bytes)) {
            throw new CorruptSnapshotException(where + " fails its checksum (torn or damaged)");
        }
        byte[] body;
        try {
            body = Zstd.decompress(Arrays.copyOfRange(bytes, HEADER, bytes.length), bodyLength);
        } catch (RuntimeException e) {
            throw new CorruptSnapshotException(where + " cannot be decompressed: " + e.getMessage(), e);
        }
        if (body.length != bodyLength) {
            throw new CorruptSnapshotException(where + " decompressed to " + body.length + " bytes, expected " + bodyLength);
        }
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(body))) {
            String artifact = in.readUTF();
            String taskKey = readString(in);
            int attempt = in.readInt();
            long sequence = in.readLong();
            long base = in.readLong();
            int totalPages = in.readInt();
            int pageCount = in.readInt();
            SortedMap<Integer, byte[]> pages = new TreeMap<>();
            for (int i = 0; i < pageCount; i++) {
                int index = in.readInt();
                if (index < 0 || index >= totalPages) {
                    throw new CorruptSnapshotException(where + " has page " + index + " outside its " + totalPages + " pages");
                }
                byte[] page = GuestSnapshot.ZERO_PAGE;
                if (in.readByte() != 0) {
                    page = new byte[PAGE];
                    in.readFully(page);
                }
                pages.put(index, page);
            }
            int globalCount = in.readInt();
            List<GuestSnapshot.GlobalValue> globals = new ArrayList<>(globalCount);
            for (int i = 0; i < globalCount; i++) {
                globals.add(new GuestSnapshot.GlobalValue(in.readInt(), in.readLong(), in.readLong()));
            }
            int tableCount = in.readInt();
            List<GuestSnapshot.TableRefs> tables = new ArrayList<>(tableCount);
            for (int i = 0; i < tableCount; i++) {
                int index = in.readInt();
                int[] refs = new int[checkedLength(in, in.readInt(), 4)];
                for (int j = 0; j < refs.length; j++) {
                    refs[j] = in.readInt();
                }
                tables.add(new GuestSnapshot.TableRefs(index, refs));
            }
            int stdinPosition = in.readInt();
            byte[] stdout = new byte[checkedLength(in, in.readInt(), 1)];
            in.readFully(stdout);
            HostState host = new HostState(stdinPosition, stdout, in.readLong(), in.readLong(), in.readLong(),
                    in.readLong(), in.readLong(), in.readLong());
            if (in.available() != 0) {
                throw new CorruptSnapshotException(where + " has " + in.available() + " unexpected trailing bytes");
            }
            return new GuestSnapshot(artifact, taskKey, attempt, sequence, base, totalPages, pages, globals, tables, host);
        } catch (EOFException | NegativeArraySizeException e) {
            throw new CorruptSnapshotException(where + " ends early: its contents are inconsistent", e);
        } catch (IOException e) {
            throw new CorruptSnapshotException(where + " cannot be read: " + e.getMessage(), e);
        }
    }

    /** A length read from the body must fit in what is left of it. */
    private static int checkedLength(DataInputStream in, int n, int unit) throws IOException {
        if (n < 0 || (long) n * unit > in.available()) {
            throw new EOFException("implausible length " + n);
        }
        return n;
    }

    private static int crc(byte[] bytes) {
        CRC32C crc = new CRC32C();
        crc.update(bytes, 0, HEADER - 4);
        crc.update(bytes, HEADER, bytes.length - HEADER);
        return (int) crc.getValue();
    }

    private static void writeString(DataOutputStream out, String s) throws IOException {
        byte[] b = s.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        out.writeInt(b.length);
        out.write(b);
    }

    private static String readString(DataInputStream in) throws IOException {
        int n = in.readInt();
        if (n < 0 || n > 1 << 20) {
            throw new EOFException("implausible string length " + n);
        }
        byte[] b = new byte[n];
        in.readFully(b);
        return new String(b, java.nio.charset.StandardCharsets.UTF_8);
    }
}
