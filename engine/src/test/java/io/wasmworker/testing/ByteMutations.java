package io.wasmworker.testing;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;

/**
 * Format-blind mutations for {@link Fuzzer}: bit flips, byte edits, insertions, deletions, splices,
 * boundary values as LEB128 (wasm) and as big-endian ints (the snapshot format), JSON-ish characters.
 */
public final class ByteMutations {
    private ByteMutations() {}

    /** Sizes and counts that break decoders: sign and width boundaries, and huge declared lengths. */
    static final long[] INTERESTING = {
        0,
        1,
        0x7f,
        0x80,
        0xff,
        0x3fff,
        0x4000,
        0xffff,
        0x10000,
        50_000,
        1_000_000,
        805_306_368,
        0x7fff_ffffL,
        0x8000_0000L,
        0xffff_ffffL
    };

    public static final Fuzzer.Mutation FLIP_BIT = (in, r, seeds) -> {
        if (in.length == 0) {
            return in;
        }
        byte[] out = in.clone();
        int at = r.nextInt(out.length);
        out[at] ^= (byte) (1 << r.nextInt(8));
        return out;
    };

    public static final Fuzzer.Mutation SET_BYTE = (in, r, seeds) -> {
        if (in.length == 0) {
            return in;
        }
        byte[] out = in.clone();
        byte[] values = {0x00, 0x01, 0x7f, (byte) 0x80, (byte) 0xff, 0x0b, 0x40, 0x60, 0x70};
        out[r.nextInt(out.length)] = r.nextBoolean() ? values[r.nextInt(values.length)] : (byte) r.nextInt(256);
        return out;
    };

    public static final Fuzzer.Mutation INSERT_BYTES = (in, r, seeds) -> {
        byte[] extra = new byte[1 + r.nextInt(8)];
        r.nextBytes(extra);
        return splice(in, r.nextInt(in.length + 1), 0, extra);
    };

    public static final Fuzzer.Mutation DELETE_BYTES = (in, r, seeds) -> {
        if (in.length == 0) {
            return in;
        }
        int at = r.nextInt(in.length);
        return splice(in, at, 1 + r.nextInt(Math.min(16, in.length - at)), new byte[0]);
    };

    public static final Fuzzer.Mutation DUPLICATE_RANGE = (in, r, seeds) -> {
        if (in.length == 0) {
            return in;
        }
        int from = r.nextInt(in.length);
        int len = 1 + r.nextInt(Math.min(64, in.length - from));
        return splice(in, r.nextInt(in.length + 1), 0, Arrays.copyOfRange(in, from, from + len));
    };

    /** Overwrites a byte or two with the LEB128 encoding of a boundary value (a count, size or index). */
    public static final Fuzzer.Mutation LEB_VALUE = (in, r, seeds) -> {
        if (in.length == 0) {
            return in;
        }
        int at = r.nextInt(in.length);
        int replaced = Math.min(in.length - at, 1 + r.nextInt(2));
        return splice(in, at, replaced, leb128(INTERESTING[r.nextInt(INTERESTING.length)]));
    };

    /** Inserts a slice of another seed: structures that are valid somewhere, in the wrong place. */
    public static final Fuzzer.Mutation SPLICE_SEED = (in, r, seeds) -> {
        byte[] other = seeds.get(r.nextInt(seeds.size()));
        if (other.length == 0) {
            return in;
        }
        int from = r.nextInt(other.length);
        int len = 1 + r.nextInt(Math.min(256, other.length - from));
        return splice(in, r.nextInt(in.length + 1), 0, Arrays.copyOfRange(other, from, from + len));
    };

    /** Overwrites four bytes with a boundary value as a big-endian int (the snapshot format's lengths and counts). */
    public static final Fuzzer.Mutation INT_VALUE = (in, r, seeds) -> {
        if (in.length < 4) {
            return in;
        }
        byte[] out = in.clone();
        long value = r.nextBoolean() ? INTERESTING[r.nextInt(INTERESTING.length)] : -r.nextInt(3);
        ByteBuffer.wrap(out).putInt(r.nextInt(out.length - 3), (int) value);
        return out;
    };

    /** Sets a byte to a digit or a JSON structural character (manifests are JSON). */
    public static final Fuzzer.Mutation TEXT_CHAR = (in, r, seeds) -> {
        if (in.length == 0) {
            return in;
        }
        byte[] out = in.clone();
        String chars = "0123456789-+.eE\"{}[]:,\\ntfu";
        out[r.nextInt(out.length)] = (byte) chars.charAt(r.nextInt(chars.length()));
        return out;
    };

    public static final Fuzzer.Mutation TRUNCATE =
            (in, r, seeds) -> in.length == 0 ? in : Arrays.copyOf(in, r.nextInt(in.length));

    public static final List<Fuzzer.Mutation> ALL = List.of(
            FLIP_BIT,
            SET_BYTE,
            INSERT_BYTES,
            DELETE_BYTES,
            DUPLICATE_RANGE,
            LEB_VALUE,
            INT_VALUE,
            TEXT_CHAR,
            SPLICE_SEED,
            TRUNCATE);

    /** {@code in} with {@code removed} bytes at {@code at} replaced by {@code inserted}. */
    public static byte[] splice(byte[] in, int at, int removed, byte[] inserted) {
        byte[] out = new byte[in.length - removed + inserted.length];
        System.arraycopy(in, 0, out, 0, at);
        System.arraycopy(inserted, 0, out, at, inserted.length);
        System.arraycopy(in, at + removed, out, at + inserted.length, in.length - at - removed);
        return out;
    }

    /** The unsigned LEB128 encoding of {@code value}. */
    public static byte[] leb128(long value) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        do {
            int b = (int) (value & 0x7f);
            value >>>= 7;
            out.write(value == 0 ? b : b | 0x80);
        } while (value != 0);
        return out.toByteArray();
    }

    /** Reads an unsigned LEB128 at {@code at}: {value, length in bytes}, or null if malformed there. */
    public static long[] readLeb128(byte[] in, int at) {
        long value = 0;
        for (int i = 0; i < 10 && at + i < in.length; i++) {
            value |= (long) (in[at + i] & 0x7f) << (7 * i);
            if ((in[at + i] & 0x80) == 0) {
                return new long[] {value, i + 1};
            }
        }
        return null;
    }
}
