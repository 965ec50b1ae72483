package io.wasmworker.checkpoint.store;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.wasmworker.s3.S3Clients;
import io.wasmworker.s3.S3Conditions;
import io.wasmworker.s3.S3Location;
import io.wasmworker.s3.S3Settings;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.FutureTask;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * A {@link SnapshotStore} in S3 (or an S3-compatible server with atomic conditional writes, such as
 * Ceph RGW), so that any worker sharing the bucket resumes any task. The same layout as the local
 * store, under the location's prefix:
 *
 * <pre>
 * PREFIX/tasks/&lt;sha256 hex of the task key&gt;/manifest.json   (or the tombstone of a finished task)
 * PREFIX/tasks/&lt;sha256 hex of the task key&gt;/blobs/&lt;blob name&gt;
 * PREFIX/tasks/&lt;sha256 hex of the task key&gt;/attempts
 * PREFIX/tasks/&lt;sha256 hex of the task key&gt;/journal/&lt;sequence&gt;.call
 * PREFIX/tasks/&lt;sha256 hex of the task key&gt;/finished        (a tombstone written by stores before 2026-11-28)
 * </pre>
 *
 * Every key is built by {@link S3Location#key}, so none escapes the prefix. There are no locks:
 *
 * <ul>
 *   <li>Blobs are created with {@code If-None-Match: *} (immutable; a second put of the same bytes is
 *       fine, of other bytes refused) before any manifest names them.</li>
 *   <li>A manifest is published with {@code If-None-Match: *} for generation 1 and {@code If-Match:
 *       ETAG} of the manifest the writer expects otherwise: exactly one of racing writers wins, the
 *       others get {@link StaleGenerationException}. The manifest holds its generation, so two
 *       manifests of one history never share an ETag (the MD5 of the content).</li>
 *   <li>The attempt count is a compare-and-swap loop on its object the same way.</li>
 *   <li>{@link #finished} overwrites the manifest with a tombstone (unconditionally), then removes
 *       the rest. So the tombstone is itself the fence: from that write on, every publish fails by its
 *       own condition ({@code If-Match} of a manifest that was replaced, {@code If-None-Match: *} of
 *       a first manifest that finds the tombstone), with no request to look for it. A publish refused
 *       because the task finished removes the blobs its manifest named (a late writer's, put after
 *       finished() listed the task); a writer that crashed between its blob and its publish leaves
 *       one beside the tombstone, which {@link #collect} removes. An attempt count and a journal entry
 *       (objects of their own) look for the tombstone after their write, as before, and remove what
 *       they wrote if they find one.</li>
 *   <li>Stores written by the previous version hold a separate {@code finished} object as the
 *       tombstone (finished() removed the manifest after writing it; a crash in between left both).
 *       It is still honoured wherever a tombstone is looked for ({@link #latest}, attempt counts,
 *       journal entries, a refused publish's reason, listing and collection), looked up at the same time
 *       as the manifest, and after a first manifest (which its {@code If-None-Match} does not fence).
 *       {@link #finished} replaces it by the new tombstone.</li>
 *   <li>Requests that do not depend on each other run at once: the manifest and the old tombstone,
 *       and the blobs of a chain being restored ({@link #openSnapshots}, at most {@value
 *       #CONCURRENT_READS} requests at once per store).</li>
 * </ul>
 *
 * Every request is bounded by {@link S3Settings} (per attempt, attempts with backoff, in total), and
 * any error of the server or the network is thrown as {@link UncheckedIOException} naming the
 * store, the task and what was being done: the attempt fails as {@code checkpoint}, never as a fresh
 * start.
 */
public final class S3SnapshotStore implements SnapshotStore {
    private static final Logger LOG = LoggerFactory.getLogger(S3SnapshotStore.class);
    private static final String TASKS = "tasks";
    private static final String MANIFEST = "manifest.json";
    private static final String BLOBS = "blobs";
    private static final String ATTEMPTS = "attempts";
    /** The tombstone of stores written before the tombstone moved into the manifest object. */
    private static final String LEGACY_FINISHED = "finished";
    /**
     * A tombstone's body: this line, then the task key. Never the start of a manifest (JSON), so a
     * reader of the manifest object tells the two apart from its first bytes.
     */
    private static final byte[] TOMBSTONE = "wasm-worker finished task\n".getBytes(StandardCharsets.US_ASCII);
    /** GETs one store runs at once for one caller's independent reads (a restore's chain). */
    static final int CONCURRENT_READS = 16;

    private static final String JOURNAL = "journal";
    /**
     * A journal entry's object starts with this byte: Ceph RGW 16 refuses an empty object written with
     * a signed payload, and an entry may be empty.
     */
    private static final byte JOURNAL_FORMAT = 1;

    private static final int MAX_ATTEMPTS_BYTES = 32;
    /** Objects read to their end for an existence check; larger ones are aborted. */
    private static final long SMALL_OBJECT = 64 << 10;
    /** Manifests this instance last read or wrote, so that a publish need not read the manifest first. */
    private static final int KNOWN_MANIFESTS = 10_000;
    /** How long a blob this instance wrote counts as known to be there, without asking (see {@link #written}). */
    private static final Duration WRITTEN_FOR = Duration.ofMinutes(1);

    private final S3Client s3;
    private final boolean ownsClient;
    private final S3Location location;
    private final S3Settings settings;
    /** The task's current manifest as this instance last saw it: its generation, ETag and chain. */
    private final Cache<String, Known> known =
            Caffeine.newBuilder().maximumSize(KNOWN_MANIFESTS).build();
    /**
     * The blobs this instance wrote in the last minute (object key to size), whose task had not finished
     * after the write: a publish naming one of them need not ask the server whether it is there (one
     * request less per checkpoint). Nothing removes a young blob but {@link #finished} and {@link
     * #delete} (which forget the task's entries here; from another worker, the tombstone or the
     * manifest's absence fails the publish's condition), {@link #collect}, whose cutoff is far older
     * than a minute, and another writer's first publish, which sweeps older unnamed blobs: it changed
     * the manifest, so this instance's {@code If-Match} fails. (After {@link #delete} by another
     * worker a first manifest could name a blob that is gone: deleting a task's checkpoints while an
     * attempt of it runs is an operator's explicit fresh start, and the restore of such a manifest fails
     * loudly.)
     */
    private final Cache<String, Long> written = Caffeine.newBuilder()
            .maximumSize(KNOWN_MANIFESTS)
            .expireAfterWrite(WRITTEN_FOR)
            .build();
    /** Runs the reads a caller makes at once (at most {@value #CONCURRENT_READS}); idle threads end. */
    private final ThreadPoolExecutor reads;
    /** The last task directory {@link #collect} examined; the next collection goes on after it. */
    private volatile String gcCursor = "";

    /** What this instance knows of a task's manifest: absent (generation 0) or one it read or wrote. */
    private record Known(long generation, String etag, List<Manifest.BlobRef> chain, boolean swept) {}

    /** A store with its own client, built from {@code settings}; {@link #close} closes it. */
    public S3SnapshotStore(S3Location location, S3Settings settings) {
        this(S3Clients.create(settings), true, location, settings);
    }

    /** A store on a client the caller owns (and closes). */
    public S3SnapshotStore(S3Client s3, S3Location location, S3Settings settings) {
        this(s3, false, location, settings);
    }

    private S3SnapshotStore(S3Client s3, boolean ownsClient, S3Location location, S3Settings settings) {
        this.s3 = Objects.requireNonNull(s3, "s3");
        this.ownsClient = ownsClient;
        this.location = Objects.requireNonNull(location, "location");
        this.settings = Objects.requireNonNull(settings, "settings");
        AtomicInteger threads = new AtomicInteger();
        this.reads = new ThreadPoolExecutor(
                CONCURRENT_READS, CONCURRENT_READS, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
                    Thread t = new Thread(r, "s3-snapshot-read-" + threads.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
        this.reads.allowCoreThreadTimeOut(true);
    }

    // ---------------------------------------------------------------- reading

    @Override
    public Optional<Manifest> latest(String taskKey) {
        String name = TaskNames.storageName(taskKey);
        return readManifestOrFinished(taskKey, name)
                .filter(read -> !read.finished())
                .map(Read::manifest);
    }

    /**
     * The task's manifest object (a manifest, or the tombstone of a finished task: {@link Read#finished});
     * empty when there is none. An old-style tombstone ({@value #LEGACY_FINISHED}) is looked up at the
     * same time and makes it a tombstone whatever the manifest holds (a crash of the old finished()
     * left the manifest beside it).
     */
    private Optional<Read> readManifestOrFinished(String taskKey, String name) {
        Future<Boolean> legacy = async(() -> exists(key(name, LEGACY_FINISHED), taskKey, "look for the tombstone"));
        Optional<Read> read;
        try {
            read = readManifest(taskKey, name);
        } catch (RuntimeException e) {
            if (join(legacy, taskKey, "look for the tombstone")) {
                known.invalidate(taskKey);
                return Optional.of(Read.tombstone(null));
            }
            throw e;
        }
        if (join(legacy, taskKey, "look for the tombstone")) {
            known.invalidate(taskKey);
            return Optional.of(Read.tombstone(null));
        }
        return read;
    }

    /** Whether the task has finished (a tombstone, of either kind). */
    private boolean isFinished(String taskKey, String name) {
        return readManifestOrFinished(taskKey, name).map(Read::finished).orElse(false);
    }

    /**
     * The chain's snapshots as {@link #openSnapshot} opens them, fetched at once (one round trip and
     * the transfer, instead of one round trip per link); the caller fetches the first (the largest,
     * usually) itself. The memory is what the sequential reads would hold in the end: the whole chain.
     */
    @Override
    public List<ByteBuffer> openSnapshots(String taskKey, List<Manifest.BlobRef> chain) {
        return inParallel(taskKey, chain, ref -> openSnapshot(taskKey, ref));
    }

    @Override
    public List<ByteBuffer> getBlobBuffers(String taskKey, List<Manifest.BlobRef> refs) {
        return inParallel(taskKey, refs, ref -> getBlobBuffer(taskKey, ref.name(), ref.size()));
    }

    private List<ByteBuffer> inParallel(
            String taskKey, List<Manifest.BlobRef> refs, Function<Manifest.BlobRef, ByteBuffer> read) {
        List<Future<ByteBuffer>> rest = new ArrayList<>();
        try {
            for (Manifest.BlobRef ref : refs.subList(Math.min(1, refs.size()), refs.size())) {
                rest.add(async(() -> read.apply(ref)));
            }
            List<ByteBuffer> buffers = new ArrayList<>(refs.size());
            if (!refs.isEmpty()) {
                buffers.add(read.apply(refs.get(0)));
            }
            for (Future<ByteBuffer> f : rest) {
                buffers.add(join(f, taskKey, "read its checkpoint chain")); // the first failure in chain order
            }
            return buffers;
        } finally {
            rest.forEach(f -> f.cancel(true)); // after a failure: the other reads are not waited for
        }
    }

    private <T> Future<T> async(Callable<T> read) {
        try {
            return reads.submit(read);
        } catch (RejectedExecutionException closed) {
            FutureTask<T> inline = new FutureTask<>(read);
            inline.run();
            return inline;
        }
    }

    /** The read's result; its own exception (which names the task and object) if it failed. */
    private <T> T join(Future<T> read, String taskKey, String what) {
        try {
            return read.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            if (e.getCause() instanceof Error error) {
                throw error;
            }
            throw storeError(taskKey, what, e);
        } catch (InterruptedException e) {
            read.cancel(true);
            Thread.currentThread().interrupt();
            throw storeError(taskKey, what, new InterruptedIOException("interrupted"));
        }
    }

    @Override
    public byte[] getBlob(String taskKey, String blobName) {
        return getBlob(taskKey, blobName, Long.MAX_VALUE);
    }

    @Override
    public byte[] getBlob(String taskKey, String blobName, long maxBytes) {
        Blobs.checkName(blobName);
        String key = key(TaskNames.storageName(taskKey), BLOBS, blobName);
        Optional<Fetched> blob = fetch(
                key,
                Math.min(maxBytes, Integer.MAX_VALUE - 8),
                size -> new CorruptSnapshotException("blob " + blobName + " of task '" + taskKey + "' is damaged: "
                        + size + " bytes, more than the " + maxBytes + " expected (" + where(key) + ")"),
                taskKey,
                "read blob " + blobName);
        return blob.orElseThrow(() -> new CorruptSnapshotException(
                        "blob " + blobName + " of task '" + taskKey + "' is missing (" + where(key) + ")"))
                .bytes;
    }

    // ---------------------------------------------------------------- writing

    @Override
    public void putBlob(String taskKey, String blobName, byte[] data) {
        Blobs.checkName(blobName);
        Objects.requireNonNull(data, "data");
        String name = TaskNames.storageName(taskKey);
        String key = key(name, BLOBS, blobName);
        boolean created = putConditional(s3Put(key).ifNoneMatch("*"), data, taskKey, "write blob " + blobName)
                .isPresent();
        if (!created) {
            Optional<Fetched> existing = fetch(
                    key,
                    data.length,
                    size -> new IllegalStateException("blob " + blobName + " of task '" + taskKey
                            + "' already exists with different content (" + size + " bytes); blobs are immutable ("
                            + where(key) + ")"),
                    taskKey,
                    "read back blob " + blobName);
            if (existing.isPresent() && !Arrays.equals(existing.get().bytes, data)) {
                throw new IllegalStateException("blob " + blobName + " of task '" + taskKey
                        + "' already exists with different content; blobs are immutable (" + where(key) + ")");
            }
            // the same bytes again (or removed meanwhile): written again, so that its age, which
            // collections go by, starts anew
            put(s3Put(key), data, taskKey, "write blob " + blobName);
        }
        // No look for the tombstone (one request less per checkpoint): a blob is harmless until a manifest
        // names it, and the publish that would is refused once the task finished, and removes it.
        written.put(key, (long) data.length);
    }

    @Override
    public void publish(String taskKey, long expectedGeneration, Manifest manifest) {
        TaskNames.checkPublishable(taskKey, expectedGeneration, manifest);
        byte[] encoded = ManifestCodec.encode(manifest);
        String name = TaskNames.storageName(taskKey);
        String key = key(name, MANIFEST);
        Known previous = known.getIfPresent(taskKey);
        if (previous == null || previous.generation() != expectedGeneration) {
            // a corrupt current manifest throws here: we cannot tell the generation, so we must not overwrite
            Optional<Read> read = readManifestOrFinished(taskKey, name);
            if (read.isPresent() && read.get().finished()) {
                throw refuseFinished(taskKey, name, manifest);
            }
            previous = read.map(Read::known).orElse(new Known(0, null, List.of(), false));
            if (previous.generation() != expectedGeneration) {
                throw stale(taskKey, name, expectedGeneration, manifest);
            }
        }
        checkBlobsWritten(taskKey, name, expectedGeneration, manifest, previous.chain());
        PutObjectRequest.Builder request = s3Put(key);
        if (expectedGeneration == 0) {
            request.ifNoneMatch("*");
        } else {
            request.ifMatch(S3Conditions.ifMatch(previous.etag()));
        }
        Optional<String> written =
                putConditional(request, encoded, taskKey, "publish checkpoint " + manifest.reference());
        if (written.isEmpty()) {
            // another writer's manifest, or the tombstone (which fails both conditions) is there
            known.invalidate(taskKey);
            throw stale(taskKey, name, expectedGeneration, manifest);
        }
        if (expectedGeneration == 0 && exists(key(name, LEGACY_FINISHED), taskKey, "look for the tombstone")) {
            // an old-style tombstone has no manifest beside it to fence a first one: it must not stay there
            known.invalidate(taskKey);
            deleteQuietly(key, taskKey);
            throw refuseFinished(taskKey, name, manifest);
        }
        known.put(taskKey, new Known(manifest.generation(), written.get(), manifest.chain(), true));
        manifest.chain().forEach(ref -> this.written.invalidate(key(name, BLOBS, ref.name())));
        collectGarbage(taskKey, name, previous, manifest);
    }

    /**
     * The fencing error, from the manifest object as it is now: the task finished (then the blobs the
     * refused manifest named are removed), or another writer has another generation.
     */
    private StaleGenerationException stale(String taskKey, String name, long expected, Manifest manifest) {
        Optional<Read> now = readManifestOrFinished(taskKey, name);
        if (now.isPresent() && now.get().finished()) {
            return refuseFinished(taskKey, name, manifest);
        }
        return new StaleGenerationException(
                taskKey, expected, now.map(r -> r.manifest().generation()).orElse(0L));
    }

    /**
     * A publish refused because the task finished: its blobs go (a late writer's blob put after
     * finished() listed the task would stay otherwise), the task's being garbage now whoever wrote them.
     */
    private StaleGenerationException refuseFinished(String taskKey, String name, Manifest manifest) {
        known.invalidate(taskKey);
        for (Manifest.BlobRef ref : manifest.chain()) {
            String key = key(name, BLOBS, ref.name());
            written.invalidate(key);
            deleteQuietly(key, taskKey);
        }
        return StaleGenerationException.finished(taskKey, "cannot publish checkpoint " + manifest.reference());
    }

    /**
     * Data before metadata: the blobs a manifest names beyond the current manifest's chain must be
     * complete in the store (those of the current chain are, or the publish's condition fails).
     */
    private void checkBlobsWritten(
            String taskKey, String name, long expectedGeneration, Manifest manifest, List<Manifest.BlobRef> current) {
        Set<Manifest.BlobRef> published = new HashSet<>(current);
        for (Manifest.BlobRef ref : manifest.chain()) {
            if (published.contains(ref)) {
                continue;
            }
            String key = key(name, BLOBS, ref.name());
            Long justWritten = written.getIfPresent(key);
            if (justWritten != null && justWritten == ref.size()) {
                continue; // this instance wrote it a moment ago (and the task had not finished)
            }
            long size;
            try {
                size = blobSize(key);
            } catch (S3Exception e) {
                if (e.statusCode() != 404) {
                    throw storeError(taskKey, "check blob " + ref.name(), e);
                }
                // finished() removed it (the late writer is told why), or a winner's first publish
                // collected the older blobs no manifest names, a loser's among them: a writer that was
                // overtaken is told so, not that it forgot its blob
                known.invalidate(taskKey);
                StaleGenerationException stale = stale(taskKey, name, expectedGeneration, manifest);
                if (stale.taskFinished() || stale.actual() != expectedGeneration) {
                    throw stale;
                }
                throw new IllegalStateException("refusing to publish checkpoint " + manifest.reference() + ": blob "
                        + ref.name() + " is missing; put every blob before the manifest that names it");
            } catch (SdkException e) {
                throw storeError(taskKey, "check blob " + ref.name(), e);
            }
            if (size != ref.size()) {
                throw new IllegalStateException("refusing to publish checkpoint " + manifest.reference() + ": blob "
                        + ref.name() + " has " + size + " bytes, the manifest says " + ref.size());
            }
        }
    }

    /**
     * The blob's size. Ceph RGW 16 can answer 404 for a moment while other writers rewrite the same
     * object (racing checkpoint writers put the same blob; seen in a 16-thread race), so a 404 is asked
     * again a few times before it counts as missing.
     */
    private long blobSize(String key) {
        for (int tries = 1; ; tries++) {
            try {
                return s3.headObject(b -> b.bucket(location.bucket()).key(key)).contentLength();
            } catch (S3Exception e) {
                if (e.statusCode() != 404 || tries == 4) {
                    throw e;
                }
                try {
                    Thread.sleep(50L * tries);
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
            }
        }
    }

    /**
     * Best effort, after a publish: deletes the blobs of the previous chain the new one does not name
     * (no later writer can name them: its publish would follow the new manifest, whose chain and
     * sequence it continues). On the first publish of this instance for the task, also the blobs
     * older than every blob of the new chain that it does not name: superseded checkpoints and
     * leftovers of crashed or fenced-off writers. A blob put after the new chain's is kept: it may be
     * the next checkpoint, put but not yet published.
     */
    private void collectGarbage(String taskKey, String name, Known previous, Manifest current) {
        Set<String> keep = current.chain().stream().map(Manifest.BlobRef::name).collect(Collectors.toSet());
        try {
            for (Manifest.BlobRef ref : previous.chain()) {
                if (!keep.contains(ref.name())) {
                    s3.deleteObject(b -> b.bucket(location.bucket()).key(key(name, BLOBS, ref.name())));
                }
            }
            if (previous.swept()) {
                return;
            }
            List<S3Object> blobs = list(key(name, BLOBS) + "/");
            Instant oldestKept = null;
            for (S3Object blob : blobs) {
                if (keep.contains(blobName(blob))
                        && (oldestKept == null || blob.lastModified().isBefore(oldestKept))) {
                    oldestKept = blob.lastModified();
                }
            }
            for (S3Object blob : blobs) {
                if (!keep.contains(blobName(blob))
                        && oldestKept != null
                        && blob.lastModified().isBefore(oldestKept)) {
                    s3.deleteObject(b -> b.bucket(location.bucket()).key(blob.key()));
                }
            }
        } catch (SdkException | UncheckedIOException e) {
            LOG.warn("cannot collect old checkpoint blobs of task '{}' in {}: {}", taskKey, this, e.toString());
        }
    }

    private static String blobName(S3Object blob) {
        return blob.key().substring(blob.key().lastIndexOf('/') + 1);
    }

    @Override
    public int beginAttempt(String taskKey) {
        String name = TaskNames.storageName(taskKey);
        String key = key(name, ATTEMPTS);
        long deadline = System.nanoTime() + settings.callTimeout().toNanos();
        for (int round = 0; ; round++) {
            if (isFinished(taskKey, name)) {
                throw StaleGenerationException.finished(taskKey, "cannot be counted as another attempt");
            }
            Optional<Fetched> current = fetch(
                    key,
                    MAX_ATTEMPTS_BYTES,
                    size -> new CorruptSnapshotException(
                            "attempt count " + where(key) + " of task '" + taskKey + "' is corrupt"),
                    taskKey,
                    "read the attempt count");
            int previous = 0;
            if (current.isPresent()) {
                try {
                    previous = Integer.parseInt(new String(current.get().bytes, StandardCharsets.US_ASCII).trim());
                } catch (NumberFormatException e) {
                    previous = -1;
                }
                if (previous < 1) {
                    throw new CorruptSnapshotException(
                            "attempt count " + where(key) + " of task '" + taskKey + "' is corrupt");
                }
            }
            int attempt = previous + 1;
            PutObjectRequest.Builder request = s3Put(key);
            if (current.isEmpty()) {
                request.ifNoneMatch("*");
            } else {
                request.ifMatch(S3Conditions.ifMatch(current.get().etag));
            }
            byte[] count = Integer.toString(attempt).getBytes(StandardCharsets.US_ASCII);
            if (putConditional(request, count, taskKey, "count an attempt").isEmpty()) {
                if (System.nanoTime() > deadline) {
                    throw new UncheckedIOException(
                            "cannot count an attempt of task '" + taskKey + "' in " + this + ": the count kept changing"
                                    + " under us for " + settings.callTimeout().toSeconds() + " s (" + round
                                    + " tries)",
                            new IOException("contended"));
                }
                backoff(round);
                continue;
            }
            if (isFinished(taskKey, name)) {
                deleteQuietly(key, taskKey); // a count racing finished() must not stay beside the tombstone
                throw StaleGenerationException.finished(taskKey, "cannot be counted as another attempt");
            }
            return attempt;
        }
    }

    private static void backoff(int round) {
        long maxMillis = 1L << Math.min(round, 7);
        try {
            Thread.sleep(ThreadLocalRandom.current().nextLong(maxMillis + 1));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while counting an attempt", e);
        }
    }

    @Override
    public void finished(String taskKey) {
        String name = TaskNames.storageName(taskKey);
        known.invalidate(taskKey);
        forgetWritten(name);
        // the tombstone first, over the manifest: from now on no late attempt publishes (its condition
        // fails), whatever a crash leaves behind
        put(s3Put(key(name, MANIFEST)), tombstone(taskKey), taskKey, "mark it finished");
        known.invalidate(taskKey);
        removeAllBut(taskKey, name, MANIFEST); // an old-style tombstone too: this one replaces it
    }

    /** The tombstone of the task, as {@link #finished} writes it over the manifest. */
    static byte[] tombstone(String taskKey) {
        byte[] key = taskKey.getBytes(StandardCharsets.UTF_8);
        byte[] body = Arrays.copyOf(TOMBSTONE, TOMBSTONE.length + key.length);
        System.arraycopy(key, 0, body, TOMBSTONE.length, key.length);
        return body;
    }

    @Override
    public void delete(String taskKey) {
        String name = TaskNames.storageName(taskKey);
        known.invalidate(taskKey);
        forgetWritten(name);
        removeAllBut(taskKey, name, null);
    }

    private void forgetWritten(String name) {
        String prefix = taskPrefix(name);
        written.asMap().keySet().removeIf(k -> k.startsWith(prefix));
    }

    /**
     * Everything of the task but {@code keep} (if not null), the manifest first (it must never name a
     * removed blob) unless it is kept (a tombstone); {@code taskKey} (if known) for errors.
     */
    private int removeAllBut(String taskKey, String name, String keep) {
        String keepKey = keep == null ? null : key(name, keep);
        int removed = 0;
        try {
            String manifest = key(name, MANIFEST);
            List<S3Object> objects = list(taskPrefix(name));
            if (!manifest.equals(keepKey)
                    && objects.stream().anyMatch(o -> o.key().equals(manifest))) {
                s3.deleteObject(b -> b.bucket(location.bucket()).key(manifest));
                removed++;
            }
            for (S3Object o : objects) {
                if (!o.key().equals(manifest) && !o.key().equals(keepKey)) {
                    s3.deleteObject(b -> b.bucket(location.bucket()).key(o.key()));
                    removed++;
                }
            }
        } catch (SdkException e) {
            throw storeError(taskKey, keep == null ? "delete its checkpoints" : "remove its checkpoints", e);
        }
        return removed;
    }

    // ---------------------------------------------------------------- the host-call journal

    /**
     * Put-if-absent ({@code If-None-Match: *}): the first entry recorded under a number is the one that
     * counts. The tombstone is looked for once, after the write: a finished task has no entries left,
     * so a late writer's entry is created, found beside the tombstone and removed again;
     * one that finds an entry already there looks for the tombstone before handing that entry over.
     */
    @Override
    public byte[] recordCall(String taskKey, long sequence, byte[] entry) {
        Objects.requireNonNull(entry, "entry");
        String name = TaskNames.storageName(taskKey);
        String key = journalKey(name, sequence);
        String refusal = "cannot record host call " + sequence + " of it";
        byte[] framed = new byte[entry.length + 1];
        framed[0] = JOURNAL_FORMAT;
        System.arraycopy(entry, 0, framed, 1, entry.length);
        boolean created = putConditional(s3Put(key).ifNoneMatch("*"), framed, taskKey, "record host call " + sequence)
                .isPresent();
        if (created) {
            // finished while we wrote: nothing stays behind
            if (isFinished(taskKey, name)) {
                deleteQuietly(key, taskKey);
                throw StaleGenerationException.finished(taskKey, refusal);
            }
            return entry;
        }
        if (isFinished(taskKey, name)) {
            throw StaleGenerationException.finished(taskKey, refusal);
        }
        return recordedCall(taskKey, sequence, Integer.MAX_VALUE - 9)
                .orElseThrow(() -> new CorruptSnapshotException("journal entry " + sequence + " of task '" + taskKey
                        + "' existed a moment ago and is gone (removed while being recorded?) (" + where(key) + ")"));
    }

    @Override
    public Optional<byte[]> recordedCall(String taskKey, long sequence, long maxBytes) {
        String key = journalKey(TaskNames.storageName(taskKey), sequence);
        long framedMax = maxBytes >= Integer.MAX_VALUE - 9 ? Integer.MAX_VALUE - 8 : maxBytes + 1;
        Optional<Fetched> fetched = fetch(
                key,
                framedMax,
                size -> new CorruptSnapshotException("journal entry " + sequence + " of task '" + taskKey
                        + "' is damaged: " + (size - 1) + " bytes, more than the " + maxBytes
                        + " an entry can have (" + where(key) + ")"),
                taskKey,
                "read journal entry " + sequence);
        if (fetched.isEmpty()) {
            return Optional.empty();
        }
        byte[] framed = fetched.get().bytes;
        if (framed.length == 0 || framed[0] != JOURNAL_FORMAT) {
            throw new CorruptSnapshotException("journal entry " + sequence + " of task '" + taskKey
                    + "' is damaged: not an entry of this store's format (" + where(key) + ")");
        }
        return Optional.of(Arrays.copyOfRange(framed, 1, framed.length));
    }

    @Override
    public void dropCalls(String taskKey, long throughSequence) {
        String name = TaskNames.storageName(taskKey);
        String prefix = key(name, JOURNAL) + "/";
        try {
            for (S3Object o : list(prefix)) {
                String file = o.key().substring(prefix.length());
                if (file.matches("[0-9]{20}\\.call") && Long.parseLong(file.substring(0, 20)) <= throughSequence) {
                    s3.deleteObject(b -> b.bucket(location.bucket()).key(o.key()));
                }
            }
        } catch (SdkException | UncheckedIOException e) {
            // entries a checkpoint covers are never read again: a leftover costs space only, and goes
            // with the task's checkpoints when it finishes
            LOG.warn("cannot drop the journal entries of task '{}' in {}: {}", taskKey, where(prefix), e.toString());
        }
    }

    private String journalKey(String name, long sequence) {
        if (sequence < 1) {
            throw new IllegalArgumentException("host call sequence numbers start at 1, got " + sequence);
        }
        return key(name, JOURNAL, String.format("%020d.call", sequence));
    }

    // ---------------------------------------------------------------- listing

    @Override
    public List<String> taskKeys() {
        return entries().stream()
                .flatMap(e -> e.manifest().stream())
                .map(Manifest::taskKey)
                .sorted()
                .toList();
    }

    @Override
    public List<TaskEntry> entries() {
        List<TaskEntry> entries = new ArrayList<>();
        for (Iterator<TaskObjects> it = tasks(""); it.hasNext(); ) {
            TaskEntry entry = entry(it.next());
            if (entry != null) {
                entries.add(entry);
            }
        }
        entries.sort(Comparator.comparing(
                        (TaskEntry e) -> e.manifest().map(Manifest::taskKey).orElse(""))
                .thenComparing(TaskEntry::location));
        return entries;
    }

    /** The entry for one task directory; null when it holds no checkpoint. */
    private TaskEntry entry(TaskObjects task) {
        String location = where(tasksPrefix() + task.name);
        if (task.stray()) {
            return TaskEntry.damaged(location, "not a task directory of this store (stray object?)");
        }
        if (task.has(LEGACY_FINISHED) || !task.has(MANIFEST)) {
            return null; // an old-style tombstone, or an attempt count only, or what a removal left after a crash
        }
        try {
            Optional<Read> read = readManifestAt(key(task.name, MANIFEST));
            if (read.isEmpty()) {
                return null; // removed while listing
            }
            if (!TaskNames.storageName(read.get().taskKey()).equals(task.name)) {
                return TaskEntry.damaged(location, "its manifest names a task that does not belong in this directory");
            }
            if (read.get().finished()) {
                return null; // a finished task: nothing pending
            }
            return TaskEntry.ok(location, read.get().manifest);
        } catch (CorruptSnapshotException | IllegalArgumentException e) {
            return TaskEntry.damaged(location, e.getMessage());
        }
    }

    @Override
    public Collected collect(Instant cutoff, Set<String> running, int maxEntries) {
        Objects.requireNonNull(cutoff, "cutoff");
        if (maxEntries < 1) {
            throw new IllegalArgumentException("maxEntries must be 1 or more, got " + maxEntries);
        }
        Set<String> keep = running.stream().map(TaskNames::storageName).collect(Collectors.toSet());
        int removedTasks = 0;
        int removedBlobs = 0;
        int examined = 0;
        List<String> damaged = new ArrayList<>();
        String start = gcCursor;
        Set<String> seen = new HashSet<>();
        // from where the previous collection stopped, then from the start: young entries early in the
        // order never hold back old ones
        for (String after : start.isEmpty() ? List.of("") : List.of(start, "")) {
            for (Iterator<TaskObjects> it = tasks(after); it.hasNext() && examined < maxEntries; ) {
                TaskObjects task = it.next();
                if (!seen.add(task.name) || keep.contains(task.name)) {
                    continue;
                }
                examined++;
                gcCursor = task.name;
                if (task.stray()) {
                    damaged.add(where(tasksPrefix() + task.name) + ": "
                            + entry(task).problem());
                    continue;
                }
                try {
                    int[] removed = collectTask(task, cutoff);
                    if (removed == null) {
                        damaged.add(where(tasksPrefix() + task.name) + ": "
                                + entry(task).problem());
                    } else {
                        removedTasks += removed[0];
                        removedBlobs += removed[1];
                    }
                } catch (SdkException | UncheckedIOException e) {
                    LOG.warn("cannot collect {}: {}", where(tasksPrefix() + task.name), e.toString());
                }
            }
        }
        return new Collected(removedTasks, removedBlobs, damaged);
    }

    /** {tasks removed, blobs removed}, or null when its manifest is damaged (then nothing is touched). */
    private int[] collectTask(TaskObjects task, Instant cutoff) {
        if (task.has(LEGACY_FINISHED)) {
            if (task.get(LEGACY_FINISHED).lastModified().isBefore(cutoff)) {
                removeAllBut(null, task.name, null);
                return new int[] {1, 0};
            }
            // what a crash while finishing (or a zombie) left beside the tombstone
            return new int[] {0, task.objects.size() > 1 ? removeAllBut(null, task.name, LEGACY_FINISHED) : 0};
        }
        Optional<Read> read;
        try {
            read = task.has(MANIFEST) ? readManifestAt(key(task.name, MANIFEST)) : Optional.empty();
        } catch (CorruptSnapshotException | IllegalArgumentException e) {
            return null;
        }
        if (read.isPresent() && !TaskNames.storageName(read.get().taskKey()).equals(task.name)) {
            return null;
        }
        if (read.isPresent() && read.get().finished()) {
            int left = task.objects.size() > 1 ? removeAllBut(null, task.name, MANIFEST) : 0;
            if (task.get(MANIFEST).lastModified().isBefore(cutoff)) {
                // the tombstone last: it fences late writers until the end
                s3.deleteObject(b -> b.bucket(location.bucket()).key(key(task.name, MANIFEST)));
                return new int[] {1, 0};
            }
            // what a crash while finishing, or a late writer that died before its publish, left beside it
            return new int[] {0, left};
        }
        Optional<Manifest> manifest = read.map(Read::manifest);
        if (task.objects.stream().allMatch(o -> o.lastModified().isBefore(cutoff))) {
            removeAllBut(null, task.name, null);
            return new int[] {1, 0};
        }
        Set<String> named = manifest.map(
                        m -> m.chain().stream().map(Manifest.BlobRef::name).collect(Collectors.toSet()))
                .orElse(Set.of());
        String blobs = key(task.name, BLOBS) + "/";
        int removed = 0;
        for (S3Object o : task.objects) {
            if (o.key().startsWith(blobs)
                    && !named.contains(blobName(o))
                    && o.lastModified().isBefore(cutoff)) {
                s3.deleteObject(b -> b.bucket(location.bucket()).key(o.key()));
                removed++;
            }
        }
        return new int[] {0, removed};
    }

    /** The objects of one task directory (or one stray object directly under {@code tasks/}). */
    private record TaskObjects(String name, List<S3Object> objects, String dirPrefix) {
        boolean stray() {
            return !TaskNames.STORAGE_NAME.matcher(name).matches()
                    || objects.stream().anyMatch(o -> !o.key().startsWith(dirPrefix));
        }

        boolean has(String file) {
            return get(file) != null;
        }

        S3Object get(String file) {
            return objects.stream()
                    .filter(o -> o.key().equals(dirPrefix + file))
                    .findFirst()
                    .orElse(null);
        }
    }

    /**
     * The task directories in key order, each with all its objects, starting after the directory
     * {@code after} ("" = from the first). Lazily, page by page.
     */
    private Iterator<TaskObjects> tasks(String after) {
        String prefix = tasksPrefix();
        // every character of a key below a task directory sorts before '~'
        String startAfter = after.isEmpty() ? null : prefix + after + "/~";
        Iterator<S3Object> objects;
        try {
            objects = s3.listObjectsV2Paginator(
                            b -> b.bucket(location.bucket()).prefix(prefix).startAfter(startAfter))
                    .contents()
                    .iterator();
        } catch (SdkException e) {
            throw storeError(null, "list tasks", e);
        }
        return new Iterator<>() {
            S3Object pending;

            @Override
            public boolean hasNext() {
                return pending != null || advance() != null;
            }

            private S3Object advance() {
                try {
                    pending = objects.hasNext() ? objects.next() : null;
                } catch (SdkException e) {
                    throw storeError(null, "list tasks", e);
                }
                return pending;
            }

            @Override
            public TaskObjects next() {
                if (!hasNext()) {
                    throw new java.util.NoSuchElementException();
                }
                String rest = pending.key().substring(prefix.length());
                int slash = rest.indexOf('/');
                String name = slash < 0 ? rest : rest.substring(0, slash);
                List<S3Object> group = new ArrayList<>();
                while (pending != null
                        && dirOf(pending.key().substring(prefix.length())).equals(name)) {
                    group.add(pending);
                    advance();
                }
                return new TaskObjects(name, group, prefix + name + "/");
            }
        };
    }

    private static String dirOf(String rest) {
        int slash = rest.indexOf('/');
        return slash < 0 ? rest : rest.substring(0, slash);
    }

    private List<S3Object> list(String prefix) {
        List<S3Object> all = new ArrayList<>();
        s3.listObjectsV2Paginator(b -> b.bucket(location.bucket()).prefix(prefix))
                .contents()
                .forEach(all::add);
        return all;
    }

    // ---------------------------------------------------------------- objects

    /**
     * What a manifest object holds: a manifest, or a tombstone ({@code manifest} null) of the task
     * {@code tombstoneOf} (null for an old-style tombstone, a separate object).
     */
    private record Read(Manifest manifest, String etag, String tombstoneOf) {
        static Read tombstone(String taskKey) {
            return new Read(null, null, taskKey);
        }

        boolean finished() {
            return manifest == null;
        }

        String taskKey() {
            return finished() ? tombstoneOf : manifest.taskKey();
        }

        Known known() {
            return new Known(manifest.generation(), etag, manifest.chain(), false);
        }
    }

    private record Fetched(byte[] bytes, String etag) {}

    /** The task's manifest, checked to be the task's; empty when it has none. Remembered for the next publish. */
    private Optional<Read> readManifest(String taskKey, String name) {
        String key = key(name, MANIFEST);
        Optional<Read> read;
        try {
            read = readManifestAt(key);
        } catch (UncheckedIOException e) {
            known.invalidate(taskKey);
            throw e;
        }
        if (read.isEmpty()) {
            known.put(taskKey, new Known(0, null, List.of(), false));
            return read;
        }
        if (!read.get().taskKey().equals(taskKey)) {
            throw new CorruptSnapshotException("checkpoint manifest " + where(key) + " is corrupt: it names task '"
                    + read.get().taskKey() + "', expected '" + taskKey + "'");
        }
        if (read.get().finished()) {
            known.invalidate(taskKey);
            return read;
        }
        Manifest m = read.get().manifest;
        Known previous = known.getIfPresent(taskKey);
        known.put(taskKey, new Known(m.generation(), read.get().etag, m.chain(), previous != null && previous.swept()));
        return read;
    }

    /** Empty only when there is no manifest; anything unreadable is loud. */
    private Optional<Read> readManifestAt(String key) {
        Optional<Fetched> fetched = fetch(
                key,
                LocalSnapshotStore.MAX_MANIFEST_BYTES,
                size -> new CorruptSnapshotException("checkpoint manifest " + where(key) + " is corrupt: larger than "
                        + LocalSnapshotStore.MAX_MANIFEST_BYTES + " bytes, which no manifest is"),
                null,
                "read checkpoint manifest " + where(key));
        return fetched.map(f -> isTombstone(f.bytes)
                ? Read.tombstone(new String(
                        f.bytes, TOMBSTONE.length, f.bytes.length - TOMBSTONE.length, StandardCharsets.UTF_8))
                : new Read(ManifestCodec.decode(f.bytes, where(key)), f.etag, null));
    }

    private static boolean isTombstone(byte[] bytes) {
        return bytes.length >= TOMBSTONE.length
                && Arrays.equals(bytes, 0, TOMBSTONE.length, TOMBSTONE, 0, TOMBSTONE.length);
    }

    /**
     * An object's bytes and ETag; empty when there is none. An object longer than {@code maxBytes} is
     * refused with {@code tooLarge}'s exception before it is read.
     */
    private Optional<Fetched> fetch(
            String key,
            long maxBytes,
            java.util.function.LongFunction<RuntimeException> tooLarge,
            String taskKey,
            String what) {
        try (ResponseInputStream<GetObjectResponse> in =
                s3.getObject(b -> b.bucket(location.bucket()).key(key))) {
            long size = in.response().contentLength();
            if (size > maxBytes) {
                in.abort(); // not read: the rest of the body is never transferred
                throw tooLarge.apply(size);
            }
            byte[] bytes = in.readNBytes((int) size);
            if (bytes.length != size || in.read() != -1) {
                throw new IOException("the object ended after " + bytes.length + " of its " + size + " bytes");
            }
            return Optional.of(new Fetched(bytes, in.response().eTag()));
        } catch (S3Exception e) {
            if (isMissingObject(e)) {
                return Optional.empty();
            }
            throw storeError(taskKey, what, e);
        } catch (SdkException e) {
            throw storeError(taskKey, what, e);
        } catch (IOException e) {
            throw storeError(taskKey, what, e);
        }
    }

    /**
     * Whether the object exists. A GET, not a HEAD: a HEAD's 404 has no body, so a missing bucket
     * would look like a missing object, and a store error must never pass for "not there".
     */
    private boolean exists(String key, String taskKey, String what) {
        try (ResponseInputStream<GetObjectResponse> in =
                s3.getObject(b -> b.bucket(location.bucket()).key(key))) {
            if (in.response().contentLength() > SMALL_OBJECT) {
                in.abort();
            } else {
                in.readAllBytes(); // a small body read to its end keeps the connection for the next request
            }
            return true;
        } catch (S3Exception e) {
            if (isMissingObject(e)) {
                return false;
            }
            throw storeError(taskKey, what, e);
        } catch (SdkException e) {
            throw storeError(taskKey, what, e);
        } catch (IOException e) {
            throw storeError(taskKey, what, e);
        }
    }

    /** A 404 for the object itself, not for its bucket (which is a store error). */
    private static boolean isMissingObject(S3Exception e) {
        if (e instanceof NoSuchKeyException) {
            return true;
        }
        String code = e.awsErrorDetails() == null ? null : e.awsErrorDetails().errorCode();
        return e.statusCode() == 404 && !"NoSuchBucket".equals(code);
    }

    /** Writes the object unconditionally; returns its ETag. */
    private String put(PutObjectRequest.Builder request, byte[] data, String taskKey, String what) {
        try {
            return send(request, data);
        } catch (SdkException e) {
            throw storeError(taskKey, what, e);
        }
    }

    /** Writes the object if the request's condition holds: its ETag, or empty when another writer got there first. */
    private Optional<String> putConditional(
            PutObjectRequest.Builder request, byte[] data, String taskKey, String what) {
        try {
            return Optional.of(send(request, data));
        } catch (S3Exception e) {
            if (S3Conditions.lost(e)) {
                return Optional.empty();
            }
            throw storeError(taskKey, what, e);
        } catch (SdkException e) {
            throw storeError(taskKey, what, e);
        }
    }

    private String send(PutObjectRequest.Builder request, byte[] data) {
        // a stream over the caller's array, not a copy of it (16 MiB snapshots); opened anew on a retry
        return s3.putObject(
                        request.contentLength((long) data.length).build(),
                        RequestBody.fromContentProvider(
                                () -> new ByteArrayInputStream(data), data.length, "application/octet-stream"))
                .eTag();
    }

    private PutObjectRequest.Builder s3Put(String key) {
        return PutObjectRequest.builder().bucket(location.bucket()).key(key);
    }

    private void deleteQuietly(String key, String taskKey) {
        try {
            s3.deleteObject(b -> b.bucket(location.bucket()).key(key));
        } catch (SdkException e) {
            LOG.warn(
                    "task '{}' has finished, but a late attempt's {} could not be removed: {} (collected later by"
                            + " `snapshots gc`)",
                    taskKey,
                    where(key),
                    e.toString());
        }
    }

    /** A store error: fails the attempt as {@code checkpoint} (never a fresh start), naming what was done. */
    private UncheckedIOException storeError(String taskKey, String what, Exception e) {
        String task = taskKey == null ? "" : " of task '" + taskKey + "'";
        String message = "snapshot store " + this + ": cannot " + what + task + ": " + e.getMessage();
        return new UncheckedIOException(message, e instanceof IOException io ? io : new IOException(e.toString(), e));
    }

    // ---------------------------------------------------------------- keys

    private String tasksPrefix() {
        return location.key(TASKS) + "/";
    }

    private String taskPrefix(String name) {
        return location.key(TASKS, name) + "/";
    }

    private String key(String name, String... parts) {
        String[] all = new String[parts.length + 2];
        all[0] = TASKS;
        all[1] = name;
        System.arraycopy(parts, 0, all, 2, parts.length);
        return location.key(all);
    }

    private String where(String key) {
        return S3Location.SCHEME + location.bucket() + "/" + key;
    }

    @Override
    public String describe() {
        return location.toString();
    }

    @Override
    public String toString() {
        return describe();
    }

    /** Closes the client if this store created it. */
    @Override
    public void close() {
        reads.shutdown();
        if (ownsClient) {
            s3.close();
        }
    }
}
