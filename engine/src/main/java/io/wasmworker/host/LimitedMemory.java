package io.wasmworker.host;

import com.dylibso.chicory.runtime.ConstantEvaluators;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.runtime.WasmRuntimeException;
import com.dylibso.chicory.wasm.ChicoryException;
import com.dylibso.chicory.wasm.UninstantiableException;
import com.dylibso.chicory.wasm.types.ActiveDataSegment;
import com.dylibso.chicory.wasm.types.DataSegment;
import com.dylibso.chicory.wasm.types.MemoryLimits;
import com.dylibso.chicory.wasm.types.PassiveDataSegment;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.function.Function;

/**
 * A guest's linear memory, charged to the run's {@link MemoryBudget} (the artifact's memory limit,
 * shared with its tables). Growing past the budget fails inside the guest ({@code memory.grow}
 * returns -1), as Wasm prescribes; the budget remembers the refusal so a run that then fails is
 * reported as a memory-limit failure rather than an anonymous trap.
 *
 * <p>It owns its storage: 64 KiB pages in a table exactly as long as the memory, so one index check
 * against the table finds the page and traps an out-of-bounds access. Compiled guest code calls one
 * of the small accessors below for every load and store; each stays under C2's {@code MaxInlineSize}
 * (35 bytecodes), so it is inlined at every call site whatever the profile said when the guest's
 * function was compiled (the wrapper this replaces delegated to Chicory's {@code ByteArrayMemory}
 * and its dirty mark was 50 bytecodes: inlined at some sites and called at others, which made the
 * same guest run at different speeds in different JVMs).
 *
 * <p>When it tracks writes (a guest that can checkpoint), it records which pages were written since
 * the last {@link #clearDirty()}, so a checkpoint copies only those. Stores go through a second table,
 * {@code written}, that holds a page only once it is dirty: a store's page lookup is then also its
 * mark, and only the first store to a clean page takes the slow path that marks it. Without tracking
 * both tables are the same array and a store costs what a load does.
 *
 * <p>A tracking memory also allocates a page only when it is first written: until then its entry in
 * {@code pages} is the shared, all-zero {@link #ZERO_PAGE}, which loads read like any page and no
 * store ever reaches (a store finds its page through {@code written}, which never holds it, or through
 * {@link #mark}, which gives the page an array of its own first). So a restore allocates only the
 * pages it fills, and a guest that never touches most of its memory never pays for it (the budget is
 * charged for every page all the same).
 */
public final class LimitedMemory implements Memory {
    private static final int PAGE_SHIFT = 16;
    private static final int OFFSET_MASK = PAGE_SIZE - 1;
    private static final VarHandle SHORT = MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle INT = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle LONG = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle FLOAT = MethodHandles.byteArrayViewVarHandle(float[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle DOUBLE =
            MethodHandles.byteArrayViewVarHandle(double[].class, ByteOrder.LITTLE_ENDIAN);
    /** Every page of a tracking memory that was never written; never written itself (see the class comment). */
    private static final byte[] ZERO_PAGE = new byte[PAGE_SIZE];

    private final MemoryBudget budget;
    private final int initialPages;
    private final int maximumPages;
    private final boolean tracksWrites;

    /** The memory's pages, exactly {@link #pages()} of them. */
    private byte[][] pages;

    /**
     * Where stores find their page: {@link #pages} itself when writes are not tracked; otherwise a
     * table as long, holding the pages written since the last {@link #clearDirty()} and null for the
     * others.
     */
    private byte[][] written;

    /** A fresh memory counts every page as written until the first {@link #clearDirty()}. */
    private boolean allWritten = true;

    private DataSegment[] dataSegments;
    private boolean zeroedOnce;

    private LimitedMemory(MemoryBudget budget, int initialPages, int maximumPages, boolean tracksWrites) {
        this.budget = budget;
        this.initialPages = initialPages;
        this.maximumPages = maximumPages;
        this.tracksWrites = tracksWrites;
        this.pages = new byte[initialPages][];
        if (tracksWrites) {
            Arrays.fill(pages, ZERO_PAGE); // allocated when first written
            this.written = new byte[initialPages][];
        } else {
            for (int p = 0; p < initialPages; p++) {
                pages[p] = new byte[PAGE_SIZE];
            }
            this.written = pages;
        }
    }

    /**
     * The memory for a module declaring {@code declared}, alone under a cap of {@code capPages}, that
     * tracks writes.
     */
    public static LimitedMemory create(MemoryLimits declared, int capPages) {
        return create(declared, new MemoryBudget((long) capPages * PAGE_SIZE));
    }

    /** The memory for a module declaring {@code declared}, its pages charged to {@code budget}, that tracks writes. */
    public static LimitedMemory create(MemoryLimits declared, MemoryBudget budget) {
        return create(declared, budget, true);
    }

    /**
     * The memory for a module declaring {@code declared}, its pages charged to {@code budget}.
     *
     * @param tracksWrites whether to record the pages written since the last {@link #clearDirty()} (for
     *     checkpoints); without, every page counts as written
     * @throws MemoryLimitException when the module's initial size does not fit the budget
     */
    public static LimitedMemory create(MemoryLimits declared, MemoryBudget budget, boolean tracksWrites) {
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
            return new LimitedMemory(budget, declared.initialPages(), max, tracksWrites);
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

    /** Whether this memory records the pages written since the last {@link #clearDirty()}. */
    public boolean tracksWrites() {
        return tracksWrites;
    }

    /**
     * Whether the page was written since the last {@link #clearDirty()}; always true when writes are
     * not tracked.
     */
    public boolean isDirty(int page) {
        return written[page] != null || (allWritten && page >= 0 && page < pages.length);
    }

    /** Forgets which pages were written; without tracking, nothing to forget. */
    public void clearDirty() {
        if (tracksWrites) {
            Arrays.fill(written, null);
            allWritten = false;
        }
    }

    /**
     * Marks the pages of {@code [addr, addr + size)}, which lie within the memory, giving each an
     * array of its own first: call before any bulk store into {@code pages}.
     */
    private void mark(int addr, int size) {
        if (!tracksWrites || size <= 0) {
            return;
        }
        int last = (addr + size - 1) >>> PAGE_SHIFT;
        for (int p = addr >>> PAGE_SHIFT; p <= last; p++) {
            materialize(p);
        }
    }

    /** Page {@code p} of a tracking memory, marked written, with an array of its own. */
    private byte[] materialize(int p) {
        byte[] page = pages[p];
        if (page == ZERO_PAGE) {
            try {
                page = new byte[PAGE_SIZE];
            } catch (OutOfMemoryError e) { // charged already: the heap, not the limit, ran out
                budget.heapRanOut();
                throw e;
            }
            pages[p] = page;
        }
        written[p] = page;
        return page;
    }

    /** Thrown when a module cannot even start within its memory limit. */
    public static final class MemoryLimitException extends RuntimeException {
        public MemoryLimitException(String message) {
            super(message);
        }
    }

    // ---- size ----

    @Override
    public int pages() {
        return pages.length;
    }

    private int sizeInBytes() {
        return pages.length * PAGE_SIZE;
    }

    @Override
    public int initialPages() {
        return initialPages;
    }

    @Override
    public int maximumPages() {
        return maximumPages;
    }

    @Override
    public boolean shared() {
        return false;
    }

    /**
     * Charges the pages before allocating them. A request the budget refuses is counted (even if the
     * declared maximum would refuse it too); one only the declared maximum refuses is plain Wasm.
     * Grown pages are zero and not marked written.
     */
    @Override
    public int grow(int size) {
        int old = pages.length;
        if (size == 0) {
            return old;
        }
        if (size < 0) { // an unsigned request over 2^31 pages
            return -1;
        }
        long bytes = (long) size * PAGE_SIZE;
        if (!budget.chargeMemory(bytes)) {
            budget.refusedMemoryGrow();
            return -1;
        }
        if ((long) old + size > maximumPages) {
            budget.refundMemory(bytes);
            return -1;
        }
        int total = old + size;
        byte[][] grown;
        try {
            grown = Arrays.copyOf(pages, total);
            for (int p = old; p < total; p++) {
                grown[p] = tracksWrites ? ZERO_PAGE : new byte[PAGE_SIZE];
            }
        } catch (OutOfMemoryError e) { // nothing published yet
            budget.refundMemory(bytes);
            budget.heapRanOut();
            throw e;
        }
        pages = grown;
        written = tracksWrites ? Arrays.copyOf(written, total) : grown;
        return old;
    }

    // ---- page lookup: the accessors' hot path ----
    //
    // The accessors below are what compiled guest code calls for every load and store; each must stay
    // within 35 bytecodes (C2's MaxInlineSize), so they are written tersely: `(char) addr` is the offset
    // within the page (addr & 0xFFFF in one bytecode), and values that cross a page boundary (unaligned,
    // rare) go to a separate slow path.

    /** The page holding {@code addr}, for a load that does not cross it; past the end traps. */
    private byte[] readable(int addr) {
        int page = addr >>> PAGE_SHIFT;
        byte[][] table = pages;
        if (page < table.length) {
            return table[page];
        }
        throw outOfBounds(addr);
    }

    /** The page holding {@code addr}, for a store that does not cross it; past the end traps. */
    private byte[] writable(int addr) {
        int page = addr >>> PAGE_SHIFT;
        byte[][] table = written;
        if (page < table.length && table[page] != null) {
            return table[page];
        }
        return firstWrite(addr);
    }

    /** The first store to a page since {@link #clearDirty()} marks it; one past the end traps. */
    private byte[] firstWrite(int addr) {
        int page = addr >>> PAGE_SHIFT;
        if (page >= pages.length) {
            throw outOfBounds(addr);
        }
        return materialize(page);
    }

    private WasmRuntimeException outOfBounds(int addr) {
        return new WasmRuntimeException("out of bounds memory access: attempted to access address: " + addr
                + " but limit is: " + sizeInBytes());
    }

    private <E extends ChicoryException> E outOfBounds(int addr, int size, Function<String, E> exception) {
        return exception.apply("out of bounds memory access: attempted to access address: " + addr + " but limit is: "
                + sizeInBytes() + " and size: " + size);
    }

    /** Traps unless {@code [addr, addr + size)} lies within {@code limit} bytes (sizes are unsigned). */
    private void checkRange(int addr, int size, int limit) {
        if (addr < 0 || size < 0 || (long) addr + size > limit) {
            throw outOfBounds(addr, size, WasmRuntimeException::new);
        }
    }

    // ---- loads ----

    @Override
    public byte read(int addr) {
        return readable(addr)[(char) addr];
    }

    @Override
    public long readU8(int addr) {
        return read(addr) & 0xFFL;
    }

    @Override
    public long readI8(int addr) {
        return read(addr);
    }

    @Override
    public short readShort(int addr) {
        if ((char) addr <= PAGE_SIZE - 2) {
            return (short) SHORT.get(readable(addr), (int) (char) addr);
        }
        return (short) readAcross(addr, 2);
    }

    @Override
    public long readI16(int addr) {
        return readShort(addr);
    }

    @Override
    public long readU16(int addr) {
        return readShort(addr) & 0xFFFFL;
    }

    @Override
    public int readInt(int addr) {
        if ((char) addr <= PAGE_SIZE - 4) {
            return (int) INT.get(readable(addr), (int) (char) addr);
        }
        return (int) readAcross(addr, 4);
    }

    @Override
    public long readI32(int addr) {
        return readInt(addr);
    }

    @Override
    public long readU32(int addr) {
        return readInt(addr) & 0xFFFF_FFFFL;
    }

    @Override
    public long readLong(int addr) {
        if ((char) addr <= PAGE_SIZE - 8) {
            return (long) LONG.get(readable(addr), (int) (char) addr);
        }
        return readAcross(addr, 8);
    }

    @Override
    public long readI64(int addr) {
        return readLong(addr);
    }

    @Override
    public float readFloat(int addr) {
        if ((char) addr <= PAGE_SIZE - 4) {
            return (float) FLOAT.get(readable(addr), (int) (char) addr);
        }
        return Float.intBitsToFloat(readInt(addr));
    }

    @Override
    public long readF32(int addr) {
        return readInt(addr);
    }

    @Override
    public double readDouble(int addr) {
        if ((char) addr <= PAGE_SIZE - 8) {
            return (double) DOUBLE.get(readable(addr), (int) (char) addr);
        }
        return Double.longBitsToDouble(readLong(addr));
    }

    @Override
    public long readF64(int addr) {
        return readLong(addr);
    }

    /** A little-endian value of {@code size} bytes that crosses a page boundary. */
    private long readAcross(int addr, int size) {
        checkRange(addr, size, sizeInBytes());
        long value = 0;
        for (int i = size - 1; i >= 0; i--) {
            int a = addr + i;
            value = (value << 8) | (pages[a >>> PAGE_SHIFT][a & OFFSET_MASK] & 0xFFL);
        }
        return value;
    }

    // ---- stores ----

    @Override
    public void writeByte(int addr, byte data) {
        writable(addr)[(char) addr] = data;
    }

    @Override
    public void writeShort(int addr, short data) {
        if ((char) addr <= PAGE_SIZE - 2) {
            SHORT.set(writable(addr), (int) (char) addr, data);
        } else {
            writeAcross(addr, data, 2);
        }
    }

    @Override
    public void writeI32(int addr, int data) {
        if ((char) addr <= PAGE_SIZE - 4) {
            INT.set(writable(addr), (int) (char) addr, data);
        } else {
            writeAcross(addr, data, 4);
        }
    }

    @Override
    public void writeLong(int addr, long data) {
        if ((char) addr <= PAGE_SIZE - 8) {
            LONG.set(writable(addr), (int) (char) addr, data);
        } else {
            writeAcross(addr, data, 8);
        }
    }

    @Override
    public void writeF32(int addr, float data) {
        if ((char) addr <= PAGE_SIZE - 4) {
            FLOAT.set(writable(addr), (int) (char) addr, data);
        } else {
            writeI32(addr, Float.floatToRawIntBits(data));
        }
    }

    @Override
    public void writeF64(int addr, double data) {
        if ((char) addr <= PAGE_SIZE - 8) {
            DOUBLE.set(writable(addr), (int) (char) addr, data);
        } else {
            writeLong(addr, Double.doubleToRawLongBits(data));
        }
    }

    /**
     * The low {@code size} bytes of {@code value}, little-endian, across a page boundary: traps before
     * writing anything if any byte is out of bounds, and marks both pages.
     */
    private void writeAcross(int addr, long value, int size) {
        checkRange(addr, size, sizeInBytes());
        mark(addr, size);
        for (int i = 0; i < size; i++) {
            int a = addr + i;
            pages[a >>> PAGE_SHIFT][a & OFFSET_MASK] = (byte) (value >>> (8 * i));
        }
    }

    // ---- bulk ----

    @Override
    public byte[] readBytes(int addr, int len) {
        checkRange(addr, len, sizeInBytes());
        byte[] result = new byte[len];
        int done = 0;
        while (done < len) {
            int a = addr + done;
            int chunk = Math.min(len - done, PAGE_SIZE - (a & OFFSET_MASK));
            System.arraycopy(pages[a >>> PAGE_SHIFT], a & OFFSET_MASK, result, done, chunk);
            done += chunk;
        }
        return result;
    }

    @Override
    public void write(int addr, byte[] data) {
        write(addr, data, 0, data.length);
    }

    @Override
    public void write(int addr, byte[] data, int offset, int size) {
        checkRange(offset, size, data.length);
        checkRange(addr, size, sizeInBytes());
        mark(addr, size);
        int done = 0;
        while (done < size) {
            int a = addr + done;
            int chunk = Math.min(size - done, PAGE_SIZE - (a & OFFSET_MASK));
            System.arraycopy(data, offset + done, pages[a >>> PAGE_SHIFT], a & OFFSET_MASK, chunk);
            done += chunk;
        }
    }

    /** {@code memory.fill}: Chicory passes the end as start + size, so the size comes back by subtraction. */
    @Override
    public void fill(byte value, int fromIndex, int toIndex) {
        int size = toIndex - fromIndex;
        checkRange(fromIndex, size, sizeInBytes());
        int done = 0;
        while (done < size) {
            int a = fromIndex + done;
            int chunk = Math.min(size - done, PAGE_SIZE - (a & OFFSET_MASK));
            if (value != 0 || pages[a >>> PAGE_SHIFT] != ZERO_PAGE) { // zeros into a never-written page change nothing
                mark(a, chunk);
                Arrays.fill(pages[a >>> PAGE_SHIFT], a & OFFSET_MASK, (a & OFFSET_MASK) + chunk, value);
            }
            done += chunk;
        }
    }

    /** {@code memory.copy}, overlapping ranges included (as if through a temporary buffer). */
    @Override
    public void copy(int dest, int src, int size) {
        int limit = sizeInBytes();
        checkRange(dest, size, limit);
        checkRange(src, size, limit);
        mark(dest, size);
        if (dest > src && dest < src + size) { // forwards would overwrite source bytes before copying them
            int left = size;
            while (left > 0) {
                int d = dest + left; // one past the next chunk's end
                int s = src + left;
                int chunk = Math.min(left, Math.min(inPageBefore(d), inPageBefore(s)));
                d -= chunk;
                s -= chunk;
                System.arraycopy(
                        pages[s >>> PAGE_SHIFT], s & OFFSET_MASK, pages[d >>> PAGE_SHIFT], d & OFFSET_MASK, chunk);
                left -= chunk;
            }
        } else {
            int done = 0;
            while (done < size) {
                int d = dest + done;
                int s = src + done;
                int chunk = Math.min(size - done, PAGE_SIZE - Math.max(d & OFFSET_MASK, s & OFFSET_MASK));
                System.arraycopy(
                        pages[s >>> PAGE_SHIFT], s & OFFSET_MASK, pages[d >>> PAGE_SHIFT], d & OFFSET_MASK, chunk);
                done += chunk;
            }
        }
    }

    /** How many bytes of {@code end}'s page lie before it (a whole page when it starts one). */
    private static int inPageBefore(int end) {
        int offset = end & OFFSET_MASK;
        return offset == 0 ? PAGE_SIZE : offset;
    }

    /**
     * Chicory's {@code Instance.initialize} zeroes every memory right after creating it; a new one is
     * all zeros already, so that first pass (8% of a small invocation) is skipped. Every later call
     * zeroes for real.
     */
    @Override
    public void zero() {
        if (!zeroedOnce) {
            zeroedOnce = true;
            allWritten = true;
            return;
        }
        if (tracksWrites) {
            // only the pages that have an array were ever written; they keep it, so the memory's next
            // run (or a restore into it) allocates nothing for them
            for (byte[] page : pages) {
                if (page != ZERO_PAGE) {
                    Arrays.fill(page, (byte) 0);
                }
            }
            Arrays.fill(written, null);
            allWritten = true;
            return;
        }
        fill((byte) 0, 0, sizeInBytes());
    }

    // ---- restore (engine-internal: StateCapture) ----

    /**
     * Page {@code page} becomes the {@value #PAGE_SIZE} bytes of {@code src} from absolute index
     * {@code offset}, copied straight into the page's own array (a mapped snapshot blob needs no
     * intermediate array), which is allocated now if the page was never written. Marks the page.
     */
    public void restorePage(int page, ByteBuffer src, int offset) {
        src.get(offset, pageForRestore(page), 0, PAGE_SIZE);
    }

    /** {@link #restorePage(int, ByteBuffer, int)} from an array. */
    public void restorePage(int page, byte[] src, int offset) {
        System.arraycopy(src, offset, pageForRestore(page), 0, PAGE_SIZE);
    }

    /**
     * Page {@code page} becomes all zeros: in a tracking memory, the shared zero page again (its array
     * goes, nothing is filled) and unmarked, as a restore leaves every page (it clears the marks at its
     * end); in another, filled with zeros.
     */
    public void zeroPage(int page) {
        if (page < 0 || page >= pages.length) {
            throw new IndexOutOfBoundsException("page " + page + " of " + pages.length);
        }
        if (tracksWrites) {
            pages[page] = ZERO_PAGE;
            written[page] = null;
        } else {
            Arrays.fill(pages[page], (byte) 0);
        }
    }

    private byte[] pageForRestore(int page) {
        if (page < 0 || page >= pages.length) {
            throw new IndexOutOfBoundsException("page " + page + " of " + pages.length);
        }
        return tracksWrites ? materialize(page) : pages[page];
    }

    // ---- data segments ----

    @Override
    public void initialize(Instance instance, DataSegment[] dataSegments) {
        initialize(instance, dataSegments, 0);
    }

    /** Writes the active data segments of memory {@code memoryIndex}; one out of bounds fails the instance. */
    @Override
    public void initialize(Instance instance, DataSegment[] dataSegments, int memoryIndex) {
        this.dataSegments = dataSegments;
        if (dataSegments != null) {
            for (DataSegment s : dataSegments) {
                if (s instanceof ActiveDataSegment segment && segment.index() == memoryIndex) {
                    byte[] data = segment.data();
                    int offset =
                            (int) ConstantEvaluators.computeConstantValue(instance, segment.offsetInstructions())[0];
                    if (offset < 0 || (long) offset + data.length > sizeInBytes()) {
                        throw outOfBounds(offset, data.length, UninstantiableException::new);
                    }
                    write(offset, data, 0, data.length);
                }
            }
        }
        allWritten = true;
    }

    @Override
    public void initPassiveSegment(int segmentId, int dest, int offset, int size) {
        write(dest, dataSegments[segmentId].data(), offset, size);
    }

    @Override
    public void drop(int segment) {
        dataSegments[segment] = PassiveDataSegment.EMPTY;
    }

    // ---- threads: the memory is never shared ----

    /**
     * The monitor the {@link Memory} interface's atomic operations hold: they read and write through
     * the accessors above, so they trap and mark like any access. A memory is never shared (shared
     * memories are rejected at load), so only its own thread ever takes it.
     */
    @Override
    @SuppressWarnings("removal")
    public Object lock(int address) {
        return this;
    }

    @Override
    public void atomicFence() {
        VarHandle.fullFence();
    }

    /** {@code memory.atomic.wait} traps on an unshared memory. */
    @Override
    @SuppressWarnings("removal")
    public int waitOn(int address, int expected, long timeout) {
        throw new ChicoryException("Attempt to wait on a non-shared memory, not supported.");
    }

    @Override
    @SuppressWarnings("removal")
    public int waitOn(int address, long expected, long timeout) {
        throw new ChicoryException("Attempt to wait on a non-shared memory, not supported.");
    }

    /** No thread can wait on an unshared memory: nobody to wake. */
    @Override
    @SuppressWarnings("removal")
    public int notify(int address, int maxThreads) {
        return 0;
    }
}
