package io.wasmworker.module;

import io.wasmworker.testing.ByteMutations;
import io.wasmworker.testing.Fuzzer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * Section-aware mutations of WebAssembly binaries: they edit inside a section and fix its size, so
 * the mutant gets past the section framing into the decoders of counts, types, locals and segments.
 */
final class WasmMutations {
    private WasmMutations() {}

    /** A section of a binary: id at {@code start}, content from {@code content} to {@code end}. */
    record Section(int id, int start, int content, int end) {}

    static List<Section> sections(byte[] in) {
        List<Section> sections = new ArrayList<>();
        int at = 8;
        while (at < in.length) {
            long[] size = ByteMutations.readLeb128(in, at + 1);
            if (size == null || size[0] < 0 || size[0] > in.length - (at + 1 + size[1])) {
                break;
            }
            int content = (int) (at + 1 + size[1]);
            sections.add(new Section(in[at] & 0xff, at, content, (int) (content + size[0])));
            at = (int) (content + size[0]);
        }
        return sections;
    }

    /** Replaces the LEB128 at {@code at} inside {@code s} with {@code value}, fixing the section's size. */
    static byte[] replaceLeb(byte[] in, Section s, int at, long value) {
        long[] old = ByteMutations.readLeb128(in, at);
        if (old == null || at + old[1] > s.end()) {
            return in;
        }
        byte[] content = ByteMutations.splice(
                Arrays.copyOfRange(in, s.content(), s.end()),
                at - s.content(),
                (int) old[1],
                ByteMutations.leb128(value));
        return replaceSection(in, s, content);
    }

    static byte[] replaceSection(byte[] in, Section s, byte[] content) {
        byte[] section = WasmBytes.bytes(s.id(), (long) content.length, content);
        return ByteMutations.splice(in, s.start(), s.end() - s.start(), section);
    }

    private static Section pick(byte[] in, Random r) {
        List<Section> sections = sections(in);
        return sections.isEmpty() ? null : sections.get(r.nextInt(sections.size()));
    }

    private static long interesting(Random r) {
        long[] values = {
            0,
            1,
            2,
            0x7f,
            0x80,
            1000,
            1001,
            50_000,
            65_536,
            1_000_000,
            805_306_368,
            0x7fff_ffffL,
            0x8000_0000L,
            0xffff_ffffL
        };
        return values[r.nextInt(values.length)];
    }

    /** A section's leading count (its vector length) set to a boundary value. */
    static final Fuzzer.Mutation INFLATE_COUNT = (in, r, seeds) -> {
        Section s = pick(in, r);
        return s == null || s.id() == 0 ? in : replaceLeb(in, s, s.content(), interesting(r));
    };

    /** Any LEB128 inside a section (param counts, locals, segment lengths, indices) set to a boundary value. */
    static final Fuzzer.Mutation INFLATE_INNER = (in, r, seeds) -> {
        Section s = pick(in, r);
        if (s == null || s.end() == s.content()) {
            return in;
        }
        return replaceLeb(in, s, s.content() + r.nextInt(s.end() - s.content()), interesting(r));
    };

    /** A byte inside a section flipped, the framing kept. */
    static final Fuzzer.Mutation FLIP_INSIDE = (in, r, seeds) -> {
        Section s = pick(in, r);
        if (s == null || s.end() == s.content()) {
            return in;
        }
        byte[] out = in.clone();
        out[s.content() + r.nextInt(s.end() - s.content())] ^= (byte) (1 << r.nextInt(8));
        return out;
    };

    static final Fuzzer.Mutation DROP_SECTION = (in, r, seeds) -> {
        Section s = pick(in, r);
        return s == null ? in : ByteMutations.splice(in, s.start(), s.end() - s.start(), new byte[0]);
    };

    static final Fuzzer.Mutation DUPLICATE_SECTION = (in, r, seeds) -> {
        Section s = pick(in, r);
        return s == null ? in : ByteMutations.splice(in, s.end(), 0, Arrays.copyOfRange(in, s.start(), s.end()));
    };

    /** A section of another seed spliced in at a section boundary, or replacing this seed's section of that id. */
    static final Fuzzer.Mutation SPLICE_SECTION = (in, r, seeds) -> {
        byte[] other = seeds.get(r.nextInt(seeds.size()));
        Section donor = pick(other, r);
        if (donor == null) {
            return in;
        }
        byte[] piece = Arrays.copyOfRange(other, donor.start(), donor.end());
        for (Section s : sections(in)) {
            if (s.id() == donor.id() && r.nextBoolean()) {
                return ByteMutations.splice(in, s.start(), s.end() - s.start(), piece);
            }
        }
        List<Section> mine = sections(in);
        int at = mine.isEmpty()
                ? Math.min(8, in.length)
                : mine.get(r.nextInt(mine.size())).start();
        return ByteMutations.splice(in, at, 0, piece);
    };

    static final List<Fuzzer.Mutation> ALL =
            List.of(INFLATE_COUNT, INFLATE_INNER, FLIP_INSIDE, DROP_SECTION, DUPLICATE_SECTION, SPLICE_SECTION);
}
