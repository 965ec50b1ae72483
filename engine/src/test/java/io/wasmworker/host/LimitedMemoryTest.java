package io.wasmworker.host;

import static com.dylibso.chicory.runtime.Memory.PAGE_SIZE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.dylibso.chicory.runtime.ByteArrayMemory;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.runtime.WasmRuntimeException;
import com.dylibso.chicory.wasm.types.MemoryLimits;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The worker's own memory against Chicory's {@link ByteArrayMemory} as the reference: the same
 * operations give the same values, the same contents and the same traps (out of bounds anywhere,
 * across page boundaries, at the end of memory, at negative addresses); and a tracking memory's dirty
 * pages are exactly the pages written since the last {@code clearDirty()}.
 */
class LimitedMemoryTest {
    private static final int INITIAL = 2;
    private static final int MAX = 4;

    /** One operation of a random program, applied to both memories. */
    private interface Op {
        Object apply(Memory m);
    }

    @Test
    void everyAccessBehavesAsChicorysByteArrayMemoryAndMarksExactlyWhatItWrites() {
        for (boolean tracking : new boolean[] {true, false}) {
            SplittableRandom random = new SplittableRandom(tracking ? 7 : 8);
            for (int round = 0; round < 20; round++) {
                LimitedMemory mine = LimitedMemory.create(
                        new MemoryLimits(INITIAL, MAX), new MemoryBudget(64L * PAGE_SIZE), tracking);
                ByteArrayMemory reference = new ByteArrayMemory(new MemoryLimits(INITIAL, MAX));
                mine.clearDirty();
                BitSet written = new BitSet();
                for (int step = 0; step < 250; step++) {
                    int addr = address(random, reference.pages());
                    Op op = randomOp(random, addr, reference.pages());
                    String what = "step " + step + " at " + addr + ": " + op;
                    byte[] before = contents(reference);
                    Object expected = outcome(op, reference);
                    Object actual = outcome(op, mine);
                    assertThat(actual).as(what).isEqualTo(expected);
                    byte[] after = contents(reference);
                    for (int p = 0; p < before.length / PAGE_SIZE; p++) {
                        if (!Arrays.equals(
                                before,
                                p * PAGE_SIZE,
                                (p + 1) * PAGE_SIZE,
                                after,
                                p * PAGE_SIZE,
                                (p + 1) * PAGE_SIZE)) {
                            written.set(p);
                        }
                    }
                    assertThat(mine.pages()).as(what).isEqualTo(reference.pages());
                    for (int p = 0; p < mine.pages(); p++) {
                        if (written.get(p)) { // a missed mark would be a wrong restore
                            assertThat(mine.isDirty(p)).as(what + ", page " + p).isTrue();
                        }
                        if (!tracking) {
                            assertThat(mine.isDirty(p))
                                    .as("untracked: every page counts")
                                    .isTrue();
                        }
                    }
                    if (tracking && random.nextInt(50) == 0) {
                        mine.clearDirty();
                        written.clear();
                    }
                }
                assertThat(contents(mine)).isEqualTo(contents(reference));
            }
        }
    }

    /** Stores mark only their own pages: a store to one page leaves every other page clean. */
    @Test
    void aStoreMarksOnlyItsPagesAndAStoreAcrossABoundaryMarksBoth() {
        LimitedMemory memory = tracked(3);
        memory.clearDirty();
        memory.writeByte(PAGE_SIZE + 5, (byte) 1);
        assertThat(dirtyPages(memory)).containsExactly(1);

        memory.clearDirty();
        memory.writeLong(2 * PAGE_SIZE - 3, -1L); // pages 1 and 2
        assertThat(dirtyPages(memory)).containsExactly(1, 2);
        assertThat(memory.readLong(2 * PAGE_SIZE - 3)).isEqualTo(-1L);

        memory.clearDirty();
        for (Runnable store : List.<Runnable>of(
                () -> memory.writeShort(7, (short) 1),
                () -> memory.writeI32(7, 1),
                () -> memory.writeF32(7, 1f),
                () -> memory.writeF64(7, 1d),
                () -> memory.fill((byte) 1, 7, 9),
                () -> memory.copy(7, PAGE_SIZE, 2),
                () -> memory.write(7, new byte[] {1}))) {
            store.run();
            assertThat(dirtyPages(memory)).containsExactly(0);
            memory.clearDirty();
        }
        assertThat(memory.grow(1)).isEqualTo(3);
        assertThat(dirtyPages(memory)).as("grown pages are zero, not written").isEmpty();
        memory.writeI32(3 * PAGE_SIZE + 8, 5);
        assertThat(dirtyPages(memory)).containsExactly(3);
    }

    /** A trapping store changes nothing, not even the part of it that would fit. */
    @Test
    void outOfBoundsAccessesTrapWithoutWritingAnything() {
        LimitedMemory memory = tracked(1);
        memory.clearDirty();
        int end = PAGE_SIZE;
        List<Runnable> traps = List.of(
                () -> memory.writeI32(end - 2, -1),
                () -> memory.writeLong(end - 1, -1),
                () -> memory.writeShort(end - 1, (short) -1),
                () -> memory.writeF64(end - 4, 1.5),
                () -> memory.writeByte(end, (byte) 1),
                () -> memory.writeByte(-1, (byte) 1),
                () -> memory.writeI32(Integer.MIN_VALUE, 1),
                () -> memory.read(end),
                () -> memory.readInt(-4),
                () -> memory.readLong(end - 7),
                () -> memory.fill((byte) 1, end - 1, end + 1),
                () -> memory.write(end - 1, new byte[2]),
                () -> memory.copy(0, end - 1, 2),
                () -> memory.copy(end - 1, 0, 2),
                () -> memory.readBytes(end, 1),
                () -> memory.fill((byte) 1, 10, 9)); // an unsigned size over 2 GiB
        for (Runnable trap : traps) {
            assertThatThrownBy(trap::run)
                    .isInstanceOf(WasmRuntimeException.class)
                    .hasMessageContaining("out of bounds memory access");
        }
        assertThat(memory.readBytes(0, PAGE_SIZE)).isEqualTo(new byte[PAGE_SIZE]);
        assertThat(memory.isDirty(0)).isFalse();
        // the last bytes themselves are in bounds
        memory.writeLong(end - 8, 0x0102030405060708L);
        assertThat(memory.readLong(end - 8)).isEqualTo(0x0102030405060708L);
        memory.fill((byte) 1, end, end); // an empty range at the end is in bounds
    }

    /** Growth is charged to the budget; a refusal by the budget is counted, one by the declared maximum is not. */
    @Test
    void growthIsBoundedByTheBudgetAndTheDeclaredMaximum() {
        MemoryBudget budget = new MemoryBudget(3L * PAGE_SIZE);
        LimitedMemory memory = LimitedMemory.create(new MemoryLimits(1, 10), budget, false);
        assertThat(memory.maximumPages()).isEqualTo(3);
        assertThat(memory.grow(0)).isEqualTo(1);
        assertThat(memory.grow(3)).isEqualTo(-1);
        assertThat(memory.refusedGrows()).isEqualTo(1);
        assertThat(memory.grow(2)).isEqualTo(1);
        assertThat(budget.memoryBytes()).isEqualTo(3L * PAGE_SIZE);
        assertThat(memory.readBytes(PAGE_SIZE, 2 * PAGE_SIZE)).isEqualTo(new byte[2 * PAGE_SIZE]);
        assertThat(memory.grow(-1)).isEqualTo(-1); // over 2^31 pages, unsigned

        LimitedMemory declared = LimitedMemory.create(new MemoryLimits(1, 2), new MemoryBudget(8L * PAGE_SIZE), true);
        assertThat(declared.grow(2)).isEqualTo(-1);
        assertThat(declared.refusedGrows())
                .as("the module's own maximum, not the limit")
                .isZero();
        assertThat(declared.grow(1)).isEqualTo(1);

        assertThatThrownBy(() -> LimitedMemory.create(new MemoryLimits(4, 10), new MemoryBudget(3L * PAGE_SIZE)))
                .isInstanceOf(LimitedMemory.MemoryLimitException.class)
                .hasMessageContaining("needs 4 pages");
    }

    @Test
    void anUntrackedMemoryCountsEveryPageAsWritten() {
        LimitedMemory memory = LimitedMemory.create(new MemoryLimits(2, 4), new MemoryBudget(4L * PAGE_SIZE), false);
        memory.clearDirty();
        assertThat(memory.tracksWrites()).isFalse();
        assertThat(dirtyPages(memory)).containsExactly(0, 1);
        memory.grow(1);
        assertThat(dirtyPages(memory)).containsExactly(0, 1, 2);
    }

    /**
     * A tracking memory's pages start as one shared zero page and get an array of their own when first
     * written: every kind of store, through every path, reaches only its own memory, so a second memory
     * (and the same one after a reset) still reads zeros everywhere.
     */
    @Test
    void aTrackingMemorysNeverWrittenPagesAreSharedZerosThatNoStoreReaches() {
        List<java.util.function.Consumer<LimitedMemory>> stores = List.of(
                m -> m.writeByte(PAGE_SIZE + 1, (byte) 1),
                m -> m.writeShort(PAGE_SIZE - 1, (short) -1), // across pages 0 and 1
                m -> m.writeI32(2 * PAGE_SIZE + 4, -1),
                m -> m.writeLong(2 * PAGE_SIZE - 4, -1L),
                m -> m.writeF32(8, 1f),
                m -> m.writeF64(PAGE_SIZE + 8, 1d),
                m -> m.write(PAGE_SIZE - 2, new byte[] {1, 2, 3, 4}),
                m -> m.fill((byte) 7, 3, 2 * PAGE_SIZE + 9),
                m -> {
                    m.writeByte(0, (byte) 9);
                    m.copy(2 * PAGE_SIZE + 100, 0, 1); // into a never-written page
                },
                m -> {
                    m.grow(1);
                    m.writeI32(3 * PAGE_SIZE, -1);
                },
                m -> m.restorePage(1, java.nio.ByteBuffer.wrap(filled(5)), 0),
                m -> m.restorePage(2, filled(6), 0));
        for (int i = 0; i < stores.size(); i++) {
            LimitedMemory memory = tracked(3);
            memory.clearDirty();
            stores.get(i).accept(memory);
            assertThat(contents(memory)).as("store " + i).isNotEqualTo(new byte[memory.pages() * PAGE_SIZE]);
            LimitedMemory other = tracked(4);
            assertThat(contents(other)).as("a fresh memory after store " + i).isEqualTo(new byte[4 * PAGE_SIZE]);
            memory.zero(); // the reset of a reused memory (its second zero(): the first is the new one's)
            memory.zero();
            assertThat(contents(memory)).as("reset after store " + i).isEqualTo(new byte[memory.pages() * PAGE_SIZE]);
            memory.writeI32(PAGE_SIZE + 4, 3);
            assertThat(contents(tracked(4))).isEqualTo(new byte[4 * PAGE_SIZE]);
        }
    }

    /** Zeros into a never-written page change nothing and mark nothing; anything else marks as usual. */
    @Test
    void fillingANeverWrittenPageWithZerosMarksNothing() {
        LimitedMemory memory = tracked(3);
        memory.clearDirty();
        memory.fill((byte) 0, 0, 3 * PAGE_SIZE);
        assertThat(dirtyPages(memory)).isEmpty();
        memory.writeByte(PAGE_SIZE, (byte) 1);
        memory.clearDirty();
        memory.fill((byte) 0, 0, 3 * PAGE_SIZE);
        assertThat(dirtyPages(memory))
                .as("a page that holds data is zeroed for real")
                .containsExactly(1);
        assertThat(contents(memory)).isEqualTo(new byte[3 * PAGE_SIZE]);
    }

    /** A fresh memory counts every page as written until the first clearDirty, without allocating them. */
    @Test
    void aFreshTrackingMemoryCountsEveryPageAsWritten() {
        LimitedMemory memory = tracked(3);
        assertThat(dirtyPages(memory)).containsExactly(0, 1, 2);
        memory.clearDirty();
        assertThat(dirtyPages(memory)).isEmpty();
        memory.zero();
        memory.zero();
        assertThat(dirtyPages(memory)).as("a reset memory is fresh again").containsExactly(0, 1, 2);
    }

    /** A restore writes whole pages from a buffer or an array, and puts zero pages back as they were. */
    @Test
    void aRestoreCopiesWholePagesAndPutsZeroPagesBack() {
        for (boolean tracking : new boolean[] {true, false}) {
            LimitedMemory memory =
                    LimitedMemory.create(new MemoryLimits(3, 8), new MemoryBudget(8L * PAGE_SIZE), tracking);
            byte[] blob = new byte[10 + PAGE_SIZE];
            System.arraycopy(filled(3), 0, blob, 10, PAGE_SIZE);
            memory.restorePage(
                    0, java.nio.ByteBuffer.allocateDirect(blob.length).put(blob), 10);
            memory.restorePage(2, blob, 10);
            memory.writeI32(PAGE_SIZE + 8, 1);
            memory.zeroPage(1);
            memory.zeroPage(2);
            byte[] expected = new byte[3 * PAGE_SIZE];
            System.arraycopy(filled(3), 0, expected, 0, PAGE_SIZE);
            assertThat(contents(memory)).isEqualTo(expected);
            memory.writeI32(2 * PAGE_SIZE + 8, 1); // a page put back is written like any other
            assertThat(memory.readInt(2 * PAGE_SIZE + 8)).isEqualTo(1);
            assertThat(contents(tracked(3))).isEqualTo(new byte[3 * PAGE_SIZE]);
            assertThatThrownBy(() -> memory.restorePage(3, blob, 10)).isInstanceOf(IndexOutOfBoundsException.class);
            assertThatThrownBy(() -> memory.zeroPage(-1)).isInstanceOf(IndexOutOfBoundsException.class);
        }
    }

    private static byte[] filled(int value) {
        byte[] page = new byte[PAGE_SIZE];
        Arrays.fill(page, (byte) value);
        return page;
    }

    private static LimitedMemory tracked(int pages) {
        return LimitedMemory.create(new MemoryLimits(pages, 8), new MemoryBudget(8L * PAGE_SIZE), true);
    }

    private static List<Integer> dirtyPages(LimitedMemory memory) {
        List<Integer> dirty = new ArrayList<>();
        for (int p = 0; p < memory.pages(); p++) {
            if (memory.isDirty(p)) {
                dirty.add(p);
            }
        }
        return dirty;
    }

    private static byte[] contents(Memory memory) {
        return memory.readBytes(0, memory.pages() * PAGE_SIZE);
    }

    /** The result, or the trap's class, of one operation. */
    private static Object outcome(Op op, Memory memory) {
        try {
            Object result = op.apply(memory);
            return result instanceof byte[] bytes ? Arrays.toString(bytes) : result;
        } catch (WasmRuntimeException e) {
            assertThat(e.getMessage()).startsWith("out of bounds memory access");
            return "trap";
        }
    }

    /** Mostly near a page boundary or the end of memory, sometimes negative or far out. */
    private static int address(SplittableRandom random, int pages) {
        return switch (random.nextInt(6)) {
            case 0 -> random.nextInt(pages * PAGE_SIZE);
            case 1 -> (1 + random.nextInt(pages)) * PAGE_SIZE - 1 - random.nextInt(9) + random.nextInt(2);
            case 2 -> pages * PAGE_SIZE - random.nextInt(10) + random.nextInt(3);
            case 3 -> -1 - random.nextInt(16);
            case 4 -> random.nextInt();
            default -> random.nextInt(16) * (PAGE_SIZE / 4) + random.nextInt(16);
        };
    }

    private static Op randomOp(SplittableRandom random, int addr, int pages) {
        long value = random.nextLong();
        int size = random.nextInt(10) == 0 ? random.nextInt() : random.nextInt(3 * PAGE_SIZE / 2);
        int other = address(random, pages);
        return switch (random.nextInt(24)) {
            case 0 ->
                named("writeByte", m -> {
                    m.writeByte(addr, (byte) value);
                    return null;
                });
            case 1 ->
                named("writeShort", m -> {
                    m.writeShort(addr, (short) value);
                    return null;
                });
            case 2 ->
                named("writeI32", m -> {
                    m.writeI32(addr, (int) value);
                    return null;
                });
            case 3 ->
                named("writeLong", m -> {
                    m.writeLong(addr, value);
                    return null;
                });
            case 4 ->
                named("writeF32", m -> {
                    m.writeF32(addr, Float.intBitsToFloat((int) value));
                    return null;
                });
            case 5 ->
                named("writeF64", m -> {
                    m.writeF64(addr, Double.longBitsToDouble(value));
                    return null;
                });
            case 6 -> named("read", m -> m.read(addr));
            case 7 -> named("readShort", m -> m.readShort(addr));
            case 8 -> named("readInt", m -> m.readInt(addr));
            case 9 -> named("readLong", m -> m.readLong(addr));
            case 10 -> named("readFloat", m -> Float.floatToRawIntBits(m.readFloat(addr)));
            case 11 -> named("readDouble", m -> Double.doubleToRawLongBits(m.readDouble(addr)));
            case 12 ->
                named(
                        "readU8/I8/U16/I16/U32/I32/F32/F64/I64",
                        m -> List.of(
                                outcome(n -> n.readU8(addr), m),
                                outcome(n -> n.readI8(addr), m),
                                outcome(n -> n.readU16(addr), m),
                                outcome(n -> n.readI16(addr), m),
                                outcome(n -> n.readU32(addr), m),
                                outcome(n -> n.readI32(addr), m),
                                outcome(n -> n.readF32(addr), m),
                                outcome(n -> n.readF64(addr), m),
                                outcome(n -> n.readI64(addr), m)));
            case 13 ->
                named("fill " + size, m -> {
                    m.fill((byte) value, addr, addr + size);
                    return null;
                });
            case 14, 15 ->
                named("copy from " + other + " size " + size, m -> {
                    m.copy(addr, other, size);
                    return null;
                });
            case 16 ->
                named("copy overlapping, size " + size, m -> {
                    m.copy(addr, addr - (int) (value & 0xFFFF), size);
                    return null;
                });
            case 17 ->
                named("write " + size, m -> {
                    byte[] data = new byte[Math.max(0, Math.min(size, 3 * PAGE_SIZE))];
                    new SplittableRandom(value).nextBytes(data);
                    m.write(addr, data, 0, data.length);
                    return null;
                });
            case 18 ->
                named("write slice", m -> {
                    byte[] data = new byte[100];
                    new SplittableRandom(value).nextBytes(data);
                    m.write(addr, data, (int) (value & 63), (int) ((value >>> 8) & 127));
                    return null;
                });
            case 19 -> named("readBytes " + size, m -> m.readBytes(addr, Math.min(size, 3 * PAGE_SIZE)));
            case 20 -> named("grow", m -> m.grow((int) (value & 1)));
            case 21 ->
                named(
                        "atomic add and cmpxchg",
                        m -> List.of(
                                outcome(n -> n.atomicAddInt(addr & ~3, (int) value), m),
                                outcome(n -> n.atomicCmpxchgLong(addr & ~7, 0, value), m)));
            case 22 ->
                named(
                        "atomic byte ops",
                        m -> List.of(
                                outcome(n -> n.atomicXorByte(addr, (byte) value), m),
                                outcome(n -> n.atomicReadShort(addr & ~1), m),
                                outcome(
                                        n -> {
                                            n.atomicWriteLong(addr & ~7, value);
                                            return "written";
                                        },
                                        m)));
            default ->
                named("string", m -> {
                    m.writeString(addr, "héllo");
                    return m.readString(addr, 6);
                });
        };
    }

    private static Op named(String name, Op op) {
        return new Op() {
            @Override
            public Object apply(Memory m) {
                return op.apply(m);
            }

            @Override
            public String toString() {
                return name;
            }
        };
    }
}
