package io.wasmworker.host;

import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.TableInstance;
import com.dylibso.chicory.wasm.types.Table;
import com.dylibso.chicory.wasm.types.TableLimits;
import io.wasmworker.host.LimitedMemory.MemoryLimitException;
import java.util.function.Supplier;

/**
 * A guest's table, its entries charged to the run's {@link MemoryBudget} like linear memory: at
 * instantiation (its initial size) and on every {@code table.grow}. Growth past the budget fails
 * inside the guest ({@code table.grow} returns -1), as Wasm prescribes, and is remembered by the
 * budget.
 */
public final class LimitedTable extends TableInstance {
    private final MemoryBudget budget;

    private LimitedTable(Table table, int initValue, MemoryBudget budget) {
        super(table, initValue);
        this.budget = budget;
    }

    /**
     * The table for {@code declared}, charged to {@code budget}. It gets its own copy of the limits:
     * Chicory 1.7.5's {@code table.grow} mutates the limits of the shared parsed module, so growth
     * would leak into the next instance.
     *
     * @param describe what to say about the module's tables when they do not fit (names them all)
     * @throws MemoryLimitException when the initial size does not fit the budget; nothing is allocated
     */
    public static LimitedTable create(Table declared, int initValue, MemoryBudget budget, Supplier<String> describe) {
        TableLimits limits = declared.limits();
        long bytes = limits.min() * MemoryBudget.TABLE_ENTRY_BYTES;
        if (!budget.chargeTable(bytes)) {
            throw new MemoryLimitException(describe.get() + ": at " + MemoryBudget.TABLE_ENTRY_BYTES
                    + " bytes of host memory an entry, with " + (budget.usedBytes() >> 10)
                    + " KiB of memory and tables already taken, that is more than the memory limit of "
                    + mib(budget.limitBytes()) + " (tables count against it like linear memory)");
        }
        try {
            return new LimitedTable(
                    new Table(
                            declared.elementType(), new TableLimits(limits.min(), limits.max()), declared.initialize()),
                    initValue,
                    budget);
        } catch (OutOfMemoryError e) {
            budget.refundTable(bytes);
            budget.heapRanOut();
            throw e;
        }
    }

    /**
     * Wasm's {@code table.grow}: the old size, or -1. {@code size} is the guest's u32: negative here
     * means at least 2^31 entries, always refused (Chicory 1.7.5 overflows an int on a large count
     * and throws NegativeArraySizeException, so the bounds are checked here in long arithmetic first).
     */
    @Override
    public int grow(int size, int value, Instance instance) {
        long more = Integer.toUnsignedLong(size);
        long bytes = more * MemoryBudget.TABLE_ENTRY_BYTES;
        if (!budget.fits(bytes)) {
            budget.refusedTableGrow(); // counted even if the declared maximum would refuse it too
            return -1;
        }
        if (size() + more > limits().max()) {
            return -1; // the declared maximum (or Chicory's 10M entries): plain Wasm, not the limit
        }
        budget.chargeTable(bytes);
        try {
            return super.grow(size, value, instance);
        } catch (OutOfMemoryError e) {
            budget.refundTable(bytes);
            budget.heapRanOut();
            throw e;
        }
    }

    private static String mib(long bytes) {
        return (bytes >> 20) + " MiB";
    }
}
