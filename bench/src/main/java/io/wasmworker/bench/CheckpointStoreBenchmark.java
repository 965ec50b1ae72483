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
import io.wasmworker.checkpoint.SnapshotCodec;
import io.wasmworker.checkpoint.StateCapture;
import io.wasmworker.checkpoint.store.EncryptingSnapshotStore;
import io.wasmworker.checkpoint.store.LocalSnapshotStore;
import io.wasmworker.checkpoint.store.Manifest;
import io.wasmworker.checkpoint.store.SnapshotKeys;
import io.wasmworker.checkpoint.store.SnapshotStore;
import io.wasmworker.host.LimitedMemory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
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
 * Issue 12: checkpoint and restore of a 16 MiB guest memory with 1% of its pages changed per
 * checkpoint and a chain of 10 links (a full snapshot and 9 deltas), in the local store and in S3
 * (Ceph RGW on loopback), each also sealed ({@link EncryptingSnapshotStore}, AES-GCM), with the same
 * parameters in the same run. Run through {@link WithRgw} so that all forks share one RGW.
 *
 * <ul>
 *   <li>{@code checkpoint}: the real {@link Checkpointer#checkpoint} of the 10th link (a delta of the
 *       changed pages) onto a 9-link chain: capture, encode, write the blob, publish the manifest.
 *       Before each one the chain is cut back to 9 links (untimed), so every operation is the same.</li>
 *   <li>{@code checkpointFull}: the first checkpoint of a task (all 16 MiB), which the chain rule
 *       repeats every 64 links or when the deltas outweigh it.</li>
 *   <li>{@code restore}: read and verify the 10-link chain, decode it and apply it to a fresh
 *       instance, as a resumed attempt does.</li>
 * </ul>
 * The parts, to say where the time goes:
 * <ul>
 *   <li>{@code encodeDelta}: capture and encode of the changed pages only (no store);</li>
 *   <li>{@code writeDelta}: {@link SnapshotStore#writeSnapshot} of an encoded delta (name hash, or the
 *       seal, and the store's requests), no manifest;</li>
 *   <li>{@code latest}: reading the task's manifest, as a restore begins;</li>
 *   <li>{@code fetchChain}: the 10 blobs as stored (bytes only, no hash, no decryption);</li>
 *   <li>{@code readChain}: the 10 blobs verified as a restore reads them (SHA-256 against the
 *       manifest; for a sealed store also decrypted), not decoded.</li>
 * </ul>
 * For the S3 stores each trial prints the requests per operation (by client method).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class CheckpointStoreBenchmark {
    private static final int PAGE = 65536;
    private static final int LINKS = 10;
    private static final String TASK = "bench-chain";

    @Param({"local", "local-fsync", "s3", "local-sealed", "s3-sealed"})
    String store;

    @Param({"random", "sparse"})
    String content;

    @Param({"16"})
    int memoryMiB;

    @Param({"1"})
    int changedPercent;

    private WasmModule module;
    private Digest digest;
    private Instance instance;
    private LimitedMemory memory;
    private int[] changedPages;
    private final SplittableRandom random = new SplittableRandom(42);
    private int counter;

    private BenchS3 s3;
    private Path dir;
    private SnapshotStore snapshots;
    private CheckpointContext context;
    private Checkpointer checkpointer;
    /** The first 9 links, republished before each measured checkpoint. */
    private Manifest nineLinks;

    private Manifest tenLinks;
    private byte[] delta;
    private long writes;
    private int fullTasks;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        int pages = memoryMiB * 1024 / 64;
        byte[] wasm = CheckpointBenchmark.memoryOnlyModule(pages);
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
        if (store.startsWith("s3")) {
            s3 = new BenchS3();
        }
        dir = Files.createTempDirectory("ckpt-store-bench");
        SnapshotStore base = store.startsWith("s3")
                ? s3.newStore("ckpt-bench")
                : new LocalSnapshotStore(dir, store.equals("local-fsync"));
        snapshots = store.endsWith("-sealed")
                ? new EncryptingSnapshotStore(base, SnapshotKeys.of("bench", Map.of("bench", new byte[32])), false)
                : base;
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        if (s3 != null) {
            System.out.println("\n# " + store + ", S3 requests per operation: " + s3.perOperation());
            snapshots.close();
            s3.close();
        }
        deleteTree(dir);
    }

    /** A fresh 10-link chain: a full snapshot and 9 deltas. */
    @Setup(Level.Iteration)
    public void buildChain() {
        snapshots.delete(TASK);
        context = new CheckpointContext(snapshots, TASK, 1, CheckpointPolicy.DEFAULT);
        checkpointer = new Checkpointer(context, digest, new byte[0]);
        for (int link = 1; link <= LINKS; link++) {
            touchPages();
            checkpointer.checkpoint(instance, memory, host());
            if (link == LINKS - 1) {
                nineLinks = snapshots.latest(TASK).orElseThrow();
            }
        }
        tenLinks = snapshots.latest(TASK).orElseThrow();
        if (tenLinks.chain().size() != LINKS) {
            throw new IllegalStateException("expected a chain of " + LINKS + " links, got " + tenLinks.chain());
        }
        touchPages();
        delta = SnapshotCodec.encode(GuestSnapshot.builder(digest, TASK)
                .attempt(1)
                .sequence(LINKS + 1)
                .baseSequence(LINKS)
                .memory(memory.pages(), StateCapture.pages(memory, false))
                .globals(StateCapture.globals(instance))
                .tables(StateCapture.tables(instance))
                .host(host())
                .build());
    }

    @TearDown(Level.Iteration)
    public void dropTasks() {
        snapshots.delete(TASK);
        snapshots.delete("bench-writes");
        for (int i = 0; i < fullTasks; i++) {
            snapshots.delete("bench-full-" + i);
        }
        fullTasks = 0;
    }

    /** Before a measured checkpoint: back to 9 links (published as the next generation) and changed pages. */
    @Setup(Level.Invocation)
    public void rewind(org.openjdk.jmh.infra.BenchmarkParams params) {
        String name = params.getBenchmark();
        if (name.endsWith(".checkpoint")) {
            Manifest now = snapshots.latest(TASK).orElseThrow();
            if (now.chain().size() != LINKS - 1) {
                snapshots.publish(
                        TASK,
                        now.generation(),
                        new Manifest(
                                TASK,
                                now.generation() + 1,
                                digest,
                                nineLinks.sequence(),
                                1,
                                nineLinks.chain(),
                                System.currentTimeMillis(),
                                nineLinks.input()));
                checkpointer = new Checkpointer(context, digest, new byte[0]);
                checkpointer.load().orElseThrow();
            }
        }
        if (name.endsWith(".checkpoint") || name.endsWith(".encodeDelta") || name.endsWith(".checkpointFull")) {
            touchPages();
        }
    }

    private void touchPages() {
        counter++;
        for (int p : changedPages) {
            memory.writeI32(p * PAGE + (counter & 0x3ff) * 4, counter);
        }
    }

    @Benchmark
    public long checkpoint() {
        count();
        try {
            checkpointer.checkpoint(instance, memory, host());
            return checkpointer.sequence();
        } finally {
            uncount();
        }
    }

    @Benchmark
    public long checkpointFull() {
        count();
        try {
            Checkpointer first = new Checkpointer(
                    new CheckpointContext(snapshots, "bench-full-" + fullTasks++, 1, CheckpointPolicy.DEFAULT),
                    digest,
                    new byte[0]);
            first.checkpoint(instance, memory, host());
            return first.writtenBytes();
        } finally {
            uncount();
        }
    }

    @Benchmark
    public GuestSnapshot restore() {
        count();
        try {
            Checkpointer reader = new Checkpointer(context, digest, new byte[0]);
            List<GuestSnapshot> chain = reader.load().orElseThrow();
            LimitedMemory[] holder = new LimitedMemory[1];
            Instance fresh = Instance.builder(module)
                    .withMemoryFactory(l -> holder[0] = LimitedMemory.create(l, memory.capPages()))
                    .withStart(false)
                    .build();
            return StateCapture.apply(chain, fresh, holder[0]);
        } finally {
            uncount();
        }
    }

    @Benchmark
    public byte[] encodeDelta() {
        byte[] bytes = SnapshotCodec.encode(GuestSnapshot.builder(digest, TASK)
                .attempt(1)
                .sequence(LINKS + 1)
                .baseSequence(LINKS)
                .memory(memory.pages(), StateCapture.pages(memory, false))
                .globals(StateCapture.globals(instance))
                .tables(StateCapture.tables(instance))
                .host(host())
                .build());
        memory.clearDirty();
        return bytes;
    }

    @Benchmark
    public Manifest.BlobRef writeDelta() {
        count();
        try {
            return snapshots.writeSnapshot("bench-writes", ++writes, delta);
        } finally {
            uncount();
        }
    }

    @Benchmark
    public Manifest latest() {
        count();
        try {
            return snapshots.latest(TASK).orElseThrow();
        } finally {
            uncount();
        }
    }

    @Benchmark
    public long fetchChain() {
        SnapshotStore raw = snapshots instanceof EncryptingSnapshotStore e ? e.sealedStore() : snapshots;
        long bytes = 0;
        count();
        try {
            for (Manifest.BlobRef ref : tenLinks.chain()) {
                bytes += raw.getBlob(TASK, ref.name(), ref.size()).length;
            }
        } finally {
            uncount();
        }
        return bytes;
    }

    @Benchmark
    public long readChain() {
        long bytes = 0;
        count();
        try {
            for (Manifest.BlobRef ref : tenLinks.chain()) {
                bytes += snapshots.readSnapshot(TASK, ref).length;
            }
        } finally {
            uncount();
        }
        return bytes;
    }

    private void count() {
        if (s3 != null) {
            s3.counting();
        }
    }

    private void uncount() {
        if (s3 != null) {
            s3.stop();
        }
    }

    private static HostState host() {
        return new HostState(0, new byte[0], 0, 0, 0, -1, -1, 0);
    }

    private static void deleteTree(Path root) throws IOException {
        try (Stream<Path> files = Files.walk(root)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
