package io.wasmworker.host;

import com.dylibso.chicory.runtime.ByteArrayMemory;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.wasm.types.DataSegment;
import com.dylibso.chicory.wasm.types.MemoryLimits;
import java.nio.charset.Charset;

/**
 * A guest's linear memory, charged to the run's {@link MemoryBudget} (the artifact's memory limit,
 * shared with its tables). Growing past the budget fails inside the guest ({@code memory.grow}
 * returns -1), as Wasm prescribes; the budget remembers the refusal so a run that then fails is
 * reported as a memory-limit failure rather than an anonymous trap.
 *
 * <p>It also records which 64 KiB pages were written since the last {@link #clearDirty()}, so a
 * checkpoint copies only the changed pages. Marks are set after the delegate's write, which
 * bounds-checks first: an out-of-bounds access traps exactly as it would without tracking.
 *
 * <p>Every call delegates to Chicory's {@link ByteArrayMemory} (final, so the JIT inlines it).
 */
public final class LimitedMemory implements Memory {
    private final ByteArrayMemory delegate;
    private final MemoryBudget budget;
    private final boolean[] dirty;
    private boolean zeroedOnce;

    private LimitedMemory(ByteArrayMemory delegate, MemoryBudget budget) {
        this.delegate = delegate;
        this.budget = budget;
        this.dirty = new boolean[Math.max(1, delegate.maximumPages())];
    }

    /** The memory for a module declaring {@code declared}, alone under a cap of {@code capPages}. */
    public static LimitedMemory create(MemoryLimits declared, int capPages) {
        return create(declared, new MemoryBudget((long) capPages * PAGE_SIZE));
    }

    /**
     * The memory for a module declaring {@code declared}, its pages charged to {@code budget}.
     *
     * @throws MemoryLimitException when the module's initial size does not fit the budget
     */
    public static LimitedMemory create(MemoryLimits declared, MemoryBudget budget) {
        if (declared.shared()) {
            throw new IllegalStateException("shared memories are rejected when the module loads");
        }
        int capPages = capPages(budget);
        long initialBytes = (long) declared.initialPages() * PAGE_SIZE;
        if (!budget.chargeMemory(initialBytes)) {
            throw new MemoryLimitException("the module needs " + declared.initialPages()
                    + " pages (" + (initialBytes >> 20) + " MiB) of initial memory, more than the memory limit of "
                    + capPages + " pages (" + (budget.limitBytes() >> 20) + " MiB)"
                    + (budget.usedBytes() > 0
                            ? " of which " + (budget.usedBytes() >> 10) + " KiB are taken already"
                            : ""));
        }
        int max = Math.min(declared.maximumPages(), capPages);
        try {
            return new LimitedMemory(new ByteArrayMemory(new MemoryLimits(declared.initialPages(), max)), budget);
        } catch (OutOfMemoryError e) {
            budget.refundMemory(initialBytes);
            budget.heapRanOut();
            throw e;
        }
    }

    private static int capPages(MemoryBudget budget) {
        return (int) Math.min(budget.limitBytes() / PAGE_SIZE, RUNTIME_MAX_PAGES);
    }

    /** How many {@code memory.grow} calls were refused because of the limit. */
    public int refusedGrows() {
        return budget.refusedMemoryGrows();
    }

    /** The limit in whole pages (tables may take part of it). */
    public int capPages() {
        return capPages(budget);
    }

    /** Whether the page was written since the last {@link #clearDirty()}. */
    public boolean isDirty(int page) {
        return dirty[page];
    }

    public void clearDirty() {
        java.util.Arrays.fill(dirty, false);
    }

    private void mark(int addr, int size) {
        if (size <= 0) {
            return;
        }
        int first = addr >>> 16;
        int last = (int) ((Integer.toUnsignedLong(addr) + size - 1) >>> 16);
        for (int p = first; p <= last; p++) {
            dirty[p] = true;
        }
    }

    private void markAll() {
        java.util.Arrays.fill(dirty, 0, delegate.pages(), true);
    }

    /** Thrown when a module cannot even start within its memory limit. */
    public static final class MemoryLimitException extends RuntimeException {
        public MemoryLimitException(String message) {
            super(message);
        }
    }

    /**
     * Charges the pages before allocating them. A request the budget refuses is counted (even if the
     * declared maximum would refuse it too); one only the declared maximum refuses is plain Wasm.
     */
    @Override
    public int grow(int size) {
        if (size <= 0) {
            return delegate.grow(size); // 0: the current size; negative (unsigned > 2^31 pages): -1
        }
        long bytes = (long) size * PAGE_SIZE;
        if (!budget.chargeMemory(bytes)) {
            budget.refusedMemoryGrow();
            return -1;
        }
        int old;
        try {
            old = delegate.grow(size);
        } catch (OutOfMemoryError e) {
            budget.refundMemory(bytes);
            budget.heapRanOut();
            throw e;
        }
        if (old < 0) {
            budget.refundMemory(bytes);
        }
        return old;
    }

    // ---- plain delegation below ----

    @Override
    public int pages() {
        return delegate.pages();
    }

    @Override
    public int initialPages() {
        return delegate.initialPages();
    }

    @Override
    public int maximumPages() {
        return delegate.maximumPages();
    }

    @Override
    public boolean shared() {
        return delegate.shared();
    }

    @Override
    public Object lock(int address) {
        return delegate.lock(address);
    }

    @Override
    public int waitOn(int address, int expected, long timeout) {
        return delegate.waitOn(address, expected, timeout);
    }

    @Override
    public int waitOn(int address, long expected, long timeout) {
        return delegate.waitOn(address, expected, timeout);
    }

    @Override
    public int notify(int address, int maxThreads) {
        return delegate.notify(address, maxThreads);
    }

    @Override
    public void initialize(Instance instance, DataSegment[] dataSegments) {
        delegate.initialize(instance, dataSegments);
        markAll();
    }

    @Override
    public void initialize(Instance instance, DataSegment[] dataSegments, int memoryIndex) {
        delegate.initialize(instance, dataSegments, memoryIndex);
        markAll();
    }

    @Override
    public void initPassiveSegment(int segmentId, int dest, int offset, int size) {
        delegate.initPassiveSegment(segmentId, dest, offset, size);
        mark(dest, size);
    }

    @Override
    public void write(int addr, byte[] data, int offset, int size) {
        delegate.write(addr, data, offset, size);
        mark(addr, size);
    }

    @Override
    public void write(int addr, byte[] data) {
        delegate.write(addr, data);
        mark(addr, data.length);
    }

    @Override
    public byte read(int addr) {
        return delegate.read(addr);
    }

    @Override
    public byte[] readBytes(int addr, int len) {
        return delegate.readBytes(addr, len);
    }

    @Override
    public void writeI32(int addr, int data) {
        delegate.writeI32(addr, data);
        mark(addr, 4);
    }

    @Override
    public int readInt(int addr) {
        return delegate.readInt(addr);
    }

    @Override
    public long readI32(int addr) {
        return delegate.readI32(addr);
    }

    @Override
    public long readU32(int addr) {
        return delegate.readU32(addr);
    }

    @Override
    public void writeLong(int addr, long data) {
        delegate.writeLong(addr, data);
        mark(addr, 8);
    }

    @Override
    public long readLong(int addr) {
        return delegate.readLong(addr);
    }

    @Override
    public long readI64(int addr) {
        return delegate.readI64(addr);
    }

    @Override
    public void writeShort(int addr, short data) {
        delegate.writeShort(addr, data);
        mark(addr, 2);
    }

    @Override
    public short readShort(int addr) {
        return delegate.readShort(addr);
    }

    @Override
    public long readI16(int addr) {
        return delegate.readI16(addr);
    }

    @Override
    public long readU16(int addr) {
        return delegate.readU16(addr);
    }

    @Override
    public void writeByte(int addr, byte data) {
        delegate.writeByte(addr, data);
        dirty[addr >>> 16] = true;
    }

    @Override
    public long readU8(int addr) {
        return delegate.readU8(addr);
    }

    @Override
    public long readI8(int addr) {
        return delegate.readI8(addr);
    }

    @Override
    public void writeF32(int addr, float data) {
        delegate.writeF32(addr, data);
        mark(addr, 4);
    }

    @Override
    public long readF32(int addr) {
        return delegate.readF32(addr);
    }

    @Override
    public float readFloat(int addr) {
        return delegate.readFloat(addr);
    }

    @Override
    public void writeF64(int addr, double data) {
        delegate.writeF64(addr, data);
        mark(addr, 8);
    }

    @Override
    public double readDouble(int addr) {
        return delegate.readDouble(addr);
    }

    @Override
    public long readF64(int addr) {
        return delegate.readF64(addr);
    }
    /**
     * Chicory's {@code Instance.initialize} zeroes every memory right after creating it; a new
     * {@link ByteArrayMemory} is all zeros already, so that first pass (8% of a small invocation)
     * is skipped. Every later call zeroes for real.
     */
    @Override
    public void zero() {
        if (!zeroedOnce) {
            zeroedOnce = true;
            markAll();
            return;
        }
        delegate.zero();
        markAll();
    }

    @Override
    public void fill(byte value, int fromIndex, int toIndex) {
        delegate.fill(value, fromIndex, toIndex);
        mark(fromIndex, toIndex - fromIndex);
    }

    @Override
    public void copy(int dest, int src, int size) {
        delegate.copy(dest, src, size);
        mark(dest, size);
    }

    @Override
    public void drop(int segment) {
        delegate.drop(segment);
    }

    @Override
    public void writeString(int offset, String data, Charset charSet) {
        delegate.writeString(offset, data, charSet);
        markAll();
    }

    @Override
    public String readString(int addr, int len, Charset charSet) {
        return delegate.readString(addr, len, charSet);
    }

    @Override
    public void atomicFence() {
        delegate.atomicFence();
    }

    @Override
    public int atomicReadInt(int addr) {
        return delegate.atomicReadInt(addr);
    }

    @Override
    public long atomicReadLong(int addr) {
        return delegate.atomicReadLong(addr);
    }

    @Override
    public short atomicReadShort(int addr) {
        return delegate.atomicReadShort(addr);
    }

    @Override
    public byte atomicReadByte(int addr) {
        return delegate.atomicReadByte(addr);
    }

    @Override
    public void atomicWriteInt(int addr, int value) {
        delegate.atomicWriteInt(addr, value);
        mark(addr, 4);
    }

    @Override
    public void atomicWriteLong(int addr, long value) {
        delegate.atomicWriteLong(addr, value);
        mark(addr, 8);
    }

    @Override
    public void atomicWriteShort(int addr, short value) {
        delegate.atomicWriteShort(addr, value);
        mark(addr, 2);
    }

    @Override
    public void atomicWriteByte(int addr, byte value) {
        delegate.atomicWriteByte(addr, value);
        mark(addr, 1);
    }

    @Override
    public int atomicAddInt(int addr, int delta) {
        var r = delegate.atomicAddInt(addr, delta);
        mark(addr, 4);
        return r;
    }

    @Override
    public int atomicAndInt(int addr, int mask) {
        var r = delegate.atomicAndInt(addr, mask);
        mark(addr, 4);
        return r;
    }

    @Override
    public int atomicOrInt(int addr, int mask) {
        var r = delegate.atomicOrInt(addr, mask);
        mark(addr, 4);
        return r;
    }

    @Override
    public int atomicXorInt(int addr, int mask) {
        var r = delegate.atomicXorInt(addr, mask);
        mark(addr, 4);
        return r;
    }

    @Override
    public int atomicXchgInt(int addr, int value) {
        var r = delegate.atomicXchgInt(addr, value);
        mark(addr, 4);
        return r;
    }

    @Override
    public int atomicCmpxchgInt(int addr, int expected, int replacement) {
        var r = delegate.atomicCmpxchgInt(addr, expected, replacement);
        mark(addr, 4);
        return r;
    }

    @Override
    public long atomicAddLong(int addr, long delta) {
        var r = delegate.atomicAddLong(addr, delta);
        mark(addr, 8);
        return r;
    }

    @Override
    public long atomicAndLong(int addr, long mask) {
        var r = delegate.atomicAndLong(addr, mask);
        mark(addr, 8);
        return r;
    }

    @Override
    public long atomicOrLong(int addr, long mask) {
        var r = delegate.atomicOrLong(addr, mask);
        mark(addr, 8);
        return r;
    }

    @Override
    public long atomicXorLong(int addr, long mask) {
        var r = delegate.atomicXorLong(addr, mask);
        mark(addr, 8);
        return r;
    }

    @Override
    public long atomicXchgLong(int addr, long value) {
        var r = delegate.atomicXchgLong(addr, value);
        mark(addr, 8);
        return r;
    }

    @Override
    public long atomicCmpxchgLong(int addr, long expected, long replacement) {
        var r = delegate.atomicCmpxchgLong(addr, expected, replacement);
        mark(addr, 8);
        return r;
    }

    @Override
    public short atomicAddShort(int addr, short delta) {
        var r = delegate.atomicAddShort(addr, delta);
        mark(addr, 2);
        return r;
    }

    @Override
    public short atomicAndShort(int addr, short mask) {
        var r = delegate.atomicAndShort(addr, mask);
        mark(addr, 2);
        return r;
    }

    @Override
    public short atomicOrShort(int addr, short mask) {
        var r = delegate.atomicOrShort(addr, mask);
        mark(addr, 2);
        return r;
    }

    @Override
    public short atomicXorShort(int addr, short mask) {
        var r = delegate.atomicXorShort(addr, mask);
        mark(addr, 2);
        return r;
    }

    @Override
    public short atomicXchgShort(int addr, short value) {
        var r = delegate.atomicXchgShort(addr, value);
        mark(addr, 2);
        return r;
    }

    @Override
    public short atomicCmpxchgShort(int addr, short expected, short replacement) {
        var r = delegate.atomicCmpxchgShort(addr, expected, replacement);
        mark(addr, 2);
        return r;
    }

    @Override
    public byte atomicAddByte(int addr, byte delta) {
        var r = delegate.atomicAddByte(addr, delta);
        mark(addr, 1);
        return r;
    }

    @Override
    public byte atomicAndByte(int addr, byte mask) {
        var r = delegate.atomicAndByte(addr, mask);
        mark(addr, 1);
        return r;
    }

    @Override
    public byte atomicOrByte(int addr, byte mask) {
        var r = delegate.atomicOrByte(addr, mask);
        mark(addr, 1);
        return r;
    }

    @Override
    public byte atomicXorByte(int addr, byte mask) {
        var r = delegate.atomicXorByte(addr, mask);
        mark(addr, 1);
        return r;
    }

    @Override
    public byte atomicXchgByte(int addr, byte value) {
        var r = delegate.atomicXchgByte(addr, value);
        mark(addr, 1);
        return r;
    }

    @Override
    public byte atomicCmpxchgByte(int addr, byte expected, byte replacement) {
        var r = delegate.atomicCmpxchgByte(addr, expected, replacement);
        mark(addr, 1);
        return r;
    }
}
