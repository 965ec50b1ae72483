package io.wasmworker.checkpoint;

import com.dylibso.chicory.runtime.GlobalInstance;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.TableInstance;
import com.dylibso.chicory.wasm.types.MutabilityType;
import com.dylibso.chicory.wasm.types.ValType;
import io.wasmworker.checkpoint.store.CorruptSnapshotException;
import io.wasmworker.host.LimitedMemory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Copies a guest's state out of a Chicory instance and back into a fresh one. Only valid at a
 * safe point (the Wasm stack is empty: between steps, or after an asyncify unwind).
 */
public final class StateCapture {
    private static final int PAGE = 65536;
    private static final byte[] ZEROS = new byte[PAGE];

    private StateCapture() {}

    /**
     * The memory pages of a checkpoint: all non-zero pages (full) or the pages written since the last
     * one (delta, all-zero ones as a zero marker). Each data page is copied out once, into an array of
     * its own; the codec compresses them as it writes the blob.
     */
    public static SnapshotPages pages(LimitedMemory memory, boolean full) {
        int total = memory.pages();
        SnapshotPages pages = SnapshotPages.withCapacity(full ? total : 16);
        for (int p = 0; p < total; p++) {
            if (!full && !memory.isDirty(p)) {
                continue;
            }
            byte[] bytes = memory.readBytes(p * PAGE, PAGE);
            if (!Arrays.equals(bytes, ZEROS)) {
                pages.add(p, bytes, 0, PAGE);
            } else if (!full) {
                pages.add(p, null, 0, 0);
            }
        }
        return pages;
    }

    public static List<GuestSnapshot.GlobalValue> globals(Instance instance) {
        List<GuestSnapshot.GlobalValue> globals = new ArrayList<>();
        for (int i = 0; i < instance.globalCount(); i++) {
            GlobalInstance g = instance.global(i);
            if (g.getMutabilityType() == MutabilityType.Var) {
                globals.add(new GuestSnapshot.GlobalValue(i, g.getValueLow(), g.getValueHigh()));
            }
        }
        return globals;
    }

    public static List<GuestSnapshot.TableRefs> tables(Instance instance) {
        List<GuestSnapshot.TableRefs> tables = new ArrayList<>();
        for (int t = 0; t < instance.tableCount(); t++) {
            TableInstance table = instance.table(t);
            int[] refs = new int[table.size()];
            for (int i = 0; i < refs.length; i++) {
                refs[i] = table.ref(i);
            }
            tables.add(new GuestSnapshot.TableRefs(t, refs));
        }
        return tables;
    }

    /**
     * Only v128 uses the high half; i32 and f32 values fit 32 bits (as captured, either extension); a
     * funcref is null (-1) or one of the module's functions.
     */
    private static boolean fits(ValType type, GuestSnapshot.GlobalValue g, int functionCount) {
        if (type.equals(ValType.V128)) {
            return true;
        }
        if (g.high() != 0) {
            return false;
        }
        if (type.equals(ValType.I32) || type.equals(ValType.F32)) {
            return g.low() == (int) g.low() || g.low() == (g.low() & 0xFFFF_FFFFL);
        }
        if (type.equals(ValType.FuncRef)) {
            return g.low() >= -1 && g.low() < functionCount;
        }
        return !type.isReference() || (g.low() >= -1 && g.low() <= Integer.MAX_VALUE);
    }

    /**
     * Applies a chain (a full snapshot, then deltas in order) to a freshly initialised instance and
     * returns the state of the last link. Each page is written once, from the last link that has it,
     * straight from where its snapshot holds it. Fresh instances have run their data segments, so
     * pages the snapshot says are zero are zeroed explicitly.
     */
    public static GuestSnapshot apply(List<GuestSnapshot> chain, Instance instance, LimitedMemory memory) {
        GuestSnapshot last = chain.get(chain.size() - 1);
        int total = last.totalPages();
        int initial = memory.pages();
        if (total < initial) { // memory never shrinks: no run of this module had less
            throw new CorruptSnapshotException("the snapshot has " + total + " pages of memory, fewer than the "
                    + initial + " the module starts with");
        }
        long buffer = last.host().asyncifyBuffer();
        if (buffer != -1 && (buffer < 0 || buffer + 8 > (long) total * PAGE)) {
            throw new CorruptSnapshotException(
                    "the snapshot's asyncify buffer lies outside its " + total + " pages of memory");
        }
        if (total > initial && memory.grow(total - initial) < 0) {
            throw new CorruptSnapshotException(
                    "the snapshot has " + total + " pages of memory, more than this run's memory limit allows ("
                            + memory.maximumPages() + " pages)");
        }
        // for each page, the snapshot that has its latest contents and the page's position in it
        SnapshotPages[] owner = new SnapshotPages[total];
        int[] slot = new int[total];
        for (GuestSnapshot s : chain) {
            if (s.isFull()) {
                Arrays.fill(owner, null);
            }
            SnapshotPages pages = s.pages();
            for (int i = 0; i < pages.size(); i++) {
                int p = pages.page(i);
                if (p < total) { // memory never shrinks: a link never has pages beyond the last one's size
                    owner[p] = pages;
                    slot[p] = i;
                }
            }
        }
        try (SnapshotPages.Decompressor decompressor = new SnapshotPages.Decompressor()) {
            for (int p = 0; p < total; p++) {
                if (owner[p] != null && !owner[p].isZero(slot[p])) {
                    owner[p].writeTo(slot[p], memory, p, decompressor);
                } else if (p < initial) {
                    memory.zeroPage(p); // pages beyond `initial` came from grow: already zero
                }
            }
        } catch (InternalError e) { // the JDK's answer to a mapped blob file cut short under us (SIGBUS)
            throw new CorruptSnapshotException("the snapshot's file changed while it was restored: " + e, e);
        }
        for (GuestSnapshot.GlobalValue g : last.globals()) {
            // checksummed, not trusted: every index and value is checked against this module
            if (g.index() < 0 || g.index() >= instance.globalCount()) {
                throw new CorruptSnapshotException(
                        "the snapshot has global " + g.index() + " but the module has " + instance.globalCount());
            }
            GlobalInstance global = instance.global(g.index());
            if (global.getMutabilityType() != MutabilityType.Var) {
                throw new CorruptSnapshotException("the snapshot sets global " + g.index() + ", which is immutable");
            }
            if (!fits(global.getType(), g, instance.functionCount())) {
                throw new CorruptSnapshotException(
                        "the snapshot's value of global " + g.index() + " does not fit its type " + global.getType());
            }
            global.setValueLow(g.low());
            global.setValueHigh(g.high());
        }
        for (GuestSnapshot.TableRefs t : last.tables()) {
            if (t.index() < 0 || t.index() >= instance.tableCount()) {
                throw new CorruptSnapshotException(
                        "the snapshot has table " + t.index() + " but the module has " + instance.tableCount());
            }
            TableInstance table = instance.table(t.index());
            boolean functions = table.elementType().equals(ValType.FuncRef);
            for (int ref : t.refs()) {
                if (ref < -1 || (functions && ref >= instance.functionCount())) {
                    throw new CorruptSnapshotException("table " + t.index() + " of the snapshot refers to function "
                            + ref + " but the module has " + instance.functionCount());
                }
            }
            if (t.refs().length > table.size() && table.grow(t.refs().length - table.size(), -1, instance) < 0) {
                throw new CorruptSnapshotException(
                        "table " + t.index() + " cannot grow to " + t.refs().length + " entries");
            }
            if (t.refs().length != table.size()) {
                throw new CorruptSnapshotException("table " + t.index() + " has " + table.size()
                        + " entries but the snapshot has " + t.refs().length);
            }
            for (int i = 0; i < t.refs().length; i++) {
                table.setRef(i, t.refs()[i], instance);
            }
        }
        memory.clearDirty();
        return last;
    }
}
