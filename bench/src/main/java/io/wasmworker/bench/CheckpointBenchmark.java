package io.wasmworker.bench;

import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmModule;
import io.wasmworker.artifact.Digest;
import io.wasmworker.checkpoint.CheckpointContext;
import io.wasmworker.checkpoint.CheckpointPolicy;
import io.wasmworker.checkpoint.Checkpointer;
import io.wasmworker.checkpoint.GuestSnapshot;
import io.wasmworker.checkpoint.HostState;
import io.wasmworker.checkpoint.StateCapture;
import io.wasmworker.checkpoint.store.LocalSnapshotStore;
import io.wasmworker.host.LimitedMemory;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Checkpoint and restore cost for a guest memory of 16 or 256 MiB with 1% or 100% of its pages
 * changed since the last checkpoint, beside the raw cost of copying that memory out of and into
 * Chicory in the same run.
 *
 * <ul>
 *   <li>{@code checkpoint}: capture (dirty pages, globals, tables), encode (pages zstd-compressed one
 *       by one where that pays), write the blob and publish the manifest to the local store, with and
 *       without fsync. With 1% changed this is a delta on top of a full snapshot, and every 64th one
 *       (the chain cap) is a full snapshot again; with 100% the chain rule makes every second or
 *       third one a full snapshot.</li>
 *   <li>{@code restore}: read and verify the chain (full + one delta), decode, and apply it to a fresh
 *       instance.</li>
 *   <li>{@code rawCopyOut}/{@code rawCopyIn}: {@code readBytes}/{@code write} of the whole memory.</li>
 *   <li>{@code rawRestore}: a fresh instance plus a {@code write} of the whole memory, what any restore
 *       into a new instance costs at least (no file, no checksum).</li>
 * </ul>
 * Memory content: {@code random} fills every page with random bytes (incompressible, every page
 * non-zero: the worst case); {@code sparse} fills one page in eight and leaves the rest zero, like
 * real guest heaps (a Go guest had 41 of 411 pages non-zero).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class CheckpointBenchmark {
    private static final int PAGE = 65536;

    @Param({"16", "256"})
    int memoryMiB;

    @Param({"1", "100"})
    int changedPercent;

    @Param({"false", "true"})
    boolean fsync;

    @Param({"random", "sparse"})
    String content;

    private WasmModule module;
    private Digest digest;
    private Instance instance;
    private LimitedMemory memory;
    private Path dir;
    private Checkpointer checkpointer;
    private CheckpointContext context;
    private int[] changedPages;
    private final SplittableRandom random = new SplittableRandom(42);
    private byte[] whole;
    private int counter;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        int pages = memoryMiB * 1024 / 64;
        byte[] wasm = memoryOnlyModule(pages);
        module = Parser.parse(wasm);
        digest = Digest.of(wasm);
        LimitedMemory[] holder = new LimitedMemory[1];
        instance = Instance.builder(module)
                .withMemoryFactory(l -> holder[0] = LimitedMemory.create(l, pages))
                .withStart(false)
                .build();
        memory = holder[0];
        byte[] page = new byte[PAGE];
        for (int p = 0; p < pages; p++) {
            if (content.equals("random") || p % 8 == 0) {
                random.nextBytes(page);
                memory.write(p * PAGE, page);
            }
        }
        int changed = Math.max(1, pages * changedPercent / 100);
        changedPages = new int[changed];
        for (int i = 0; i < changed; i++) {
            changedPages[i] = (int) ((long) i * pages / changed);
        }
        whole = memory.readBytes(0, pages * PAGE);
    }

    @Setup(Level.Iteration)
    public void freshStore() throws IOException {
        dir = Files.createTempDirectory("ckpt-bench");
        context = new CheckpointContext(new LocalSnapshotStore(dir, fsync), "bench", 1, CheckpointPolicy.DEFAULT);
        checkpointer = new Checkpointer(context, digest, new byte[0]);
        checkpointer.checkpoint(instance, memory, host()); // the full snapshot the deltas build on
        touchPages();
        checkpointer.checkpoint(instance, memory, host()); // and one delta, so restore reads a chain
    }

    @TearDown(Level.Iteration)
    public void dropStore() throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    @Setup(Level.Invocation)
    public void touchPages() {
        counter++;
        for (int p : changedPages) {
            memory.writeI32(p * PAGE + (counter & 0x3ff) * 4, counter);
        }
    }

    @Benchmark
    public long checkpoint() {
        checkpointer.checkpoint(instance, memory, host());
        return checkpointer.sequence();
    }

    @Benchmark
    public GuestSnapshot restore() {
        Checkpointer reader = new Checkpointer(context, digest, new byte[0]);
        List<GuestSnapshot> chain = reader.load().orElseThrow();
        LimitedMemory[] holder = new LimitedMemory[1];
        Instance fresh = Instance.builder(module)
                .withMemoryFactory(l -> holder[0] = LimitedMemory.create(l, memory.capPages()))
                .withStart(false)
                .build();
        return StateCapture.apply(chain, fresh, holder[0]);
    }

    @Benchmark
    public LimitedMemory rawRestore() {
        LimitedMemory[] holder = new LimitedMemory[1];
        Instance.builder(module)
                .withMemoryFactory(l -> holder[0] = LimitedMemory.create(l, memory.capPages()))
                .withStart(false)
                .build();
        holder[0].write(0, whole);
        return holder[0];
    }

    @Benchmark
    public byte[] rawCopyOut() {
        return memory.readBytes(0, memory.pages() * PAGE);
    }

    @Benchmark
    public int rawCopyIn() {
        memory.write(0, whole);
        return whole.length;
    }

    private static HostState host() {
        return new HostState(0, new byte[0], 0, 0, 0, -1, -1, 0);
    }

    /** A module with only a memory of {@code pages} pages, exported as "memory". */
    static byte[] memoryOnlyModule(int pages) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(new byte[] {0, 'a', 's', 'm', 1, 0, 0, 0});
        ByteArrayOutputStream memorySection = new ByteArrayOutputStream();
        memorySection.write(1); // one memory
        memorySection.write(1); // limits with a maximum
        leb(memorySection, pages);
        leb(memorySection, pages);
        section(out, 5, memorySection.toByteArray());
        ByteArrayOutputStream exportSection = new ByteArrayOutputStream();
        exportSection.write(1);
        exportSection.write(6);
        exportSection.writeBytes("memory".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        exportSection.write(2); // memory
        exportSection.write(0);
        section(out, 7, exportSection.toByteArray());
        return out.toByteArray();
    }

    private static void section(ByteArrayOutputStream out, int id, byte[] body) {
        out.write(id);
        leb(out, body.length);
        out.writeBytes(body);
    }

    private static void leb(ByteArrayOutputStream out, int value) {
        do {
            int b = value & 0x7f;
            value >>>= 7;
            out.write(value != 0 ? b | 0x80 : b);
        } while (value != 0);
    }
}
