package io.wasmworker.daemon;

import io.wasmworker.daemon.config.ByteSize;
import io.wasmworker.daemon.config.ConfigException;
import io.wasmworker.sandbox.GuestLimits;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Admission control: the heap must hold every guest the configuration lets run at once, each at its
 * worst, beside the worker itself. A configuration that does not fit is refused at start-up (so an
 * OutOfMemoryError under load is never how an operator learns of it), unless the file says
 * {@code allowHeapOvercommit: true}, which starts it with a warning.
 *
 * <p>A guest's worst case is its limits: linear memory (and, with the engine's table accounting,
 * tables) up to {@code maxMemory}, its input and its output. A guest that checkpoints needs more
 * while it does: the pages copied out of memory (up to {@code maxMemory}), their compressed forms
 * (each kept only if at most 7/8 of the page) and the encoded blob (up to {@code maxMemory}), so
 * about 3.9 times its memory at the peak, counted as {@value #CHECKPOINT_FACTOR} (restoring a
 * chain of at most about two full snapshots into memory stays under that).
 */
final class HeapBudget {
    private static final Logger LOG = LoggerFactory.getLogger(HeapBudget.class);
    /** Kept for the worker itself: the Temporal SDK and gRPC, the Camunda client, parsed modules, metrics. */
    static final long RESERVE = 96L << 20;

    static final int CHECKPOINT_FACTOR = 4;

    /** One topic's or task queue's claim: {@code slots} guests at once, each needing up to {@code perSlot}. */
    record Claim(String field, String name, int slots, GuestLimits limits, boolean checkpoints) {
        long perSlot() {
            return HeapBudget.perSlot(limits, checkpoints);
        }

        long bytes() {
            return slots * perSlot();
        }

        String describe() {
            return field + " '" + name + "': " + slots + " at once x " + ByteSize.describe(perSlot()) + " ("
                    + (checkpoints ? CHECKPOINT_FACTOR + " x " : "") + "maxMemory "
                    + ByteSize.describe(limits.maxMemoryBytes())
                    + (checkpoints ? ", checkpointing" : "") + " + maxInput "
                    + ByteSize.describe(limits.maxInputBytes())
                    + " + maxOutput " + ByteSize.describe(limits.maxOutputBytes()) + ") = "
                    + ByteSize.describe(bytes());
        }
    }

    static long perSlot(GuestLimits limits, boolean checkpoints) {
        return (checkpoints ? CHECKPOINT_FACTOR : 1) * limits.maxMemoryBytes()
                + limits.maxInputBytes()
                + limits.maxOutputBytes();
    }

    /** What guests may use: the heap less {@link #RESERVE}. */
    static long available(long maxHeapBytes) {
        return Math.max(0, maxHeapBytes - RESERVE);
    }

    /**
     * Refuses (or, with {@code overcommit}, warns about) claims that together exceed the heap.
     *
     * @param source the configuration file, for the message
     */
    static void admit(String source, List<Claim> claims, long maxHeapBytes, boolean overcommit) {
        long total = claims.stream().mapToLong(Claim::bytes).sum();
        long available = available(maxHeapBytes);
        if (total <= available) {
            LOG.info(
                    "heap: guests may use up to {} of the {} available ({} heap less {} for the worker)",
                    ByteSize.describe(total),
                    ByteSize.describe(available),
                    ByteSize.describe(maxHeapBytes),
                    ByteSize.describe(RESERVE));
            return;
        }
        List<String> lines = new ArrayList<>();
        claims.forEach(c -> lines.add("  " + c.describe()));
        String message = "the guests this configuration lets run at once may need " + ByteSize.describe(total)
                + " of heap, but the JVM has " + ByteSize.describe(maxHeapBytes) + " (-Xmx) less "
                + ByteSize.describe(RESERVE) + " kept for the worker itself = " + ByteSize.describe(available) + ":\n"
                + String.join("\n", lines);
        if (overcommit) {
            LOG.warn(
                    "{}: {}\nstarting anyway (allowHeapOvercommit: true): a guest that reaches its limits while"
                            + " the others do may end the worker's heap",
                    source,
                    message);
            return;
        }
        throw new ConfigException(source + ": " + message + "\nlower maxConcurrent or limits.maxMemory, give the"
                + " JVM more heap (-Xmx, e.g. WASM_WORKER_JAVA_OPTS=-Xmx" + ((total + RESERVE) / (1L << 30) + 1)
                + "g), or set `allowHeapOvercommit: true` to start anyway");
    }

    /**
     * The concurrency of a task queue whose size the configuration leaves to the worker: what fits
     * in the heap left over, shared with the other such queues, at most {@code perCore} per core,
     * at least 1.
     */
    static int fit(long leftBytes, int sharers, long perSlot, int cores, int perCore) {
        long byMemory = leftBytes / Math.max(1, sharers) / perSlot;
        return (int) Math.max(1, Math.min(byMemory, (long) perCore * Math.max(1, cores)));
    }
}
