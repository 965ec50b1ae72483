package io.wasmworker.checkpoint.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.wasmworker.checkpoint.CheckpointContext;
import io.wasmworker.checkpoint.CheckpointPolicy;
import io.wasmworker.module.GuestModule;
import io.wasmworker.s3.S3Location;
import io.wasmworker.s3.S3Settings;
import io.wasmworker.sandbox.FailureKind;
import io.wasmworker.sandbox.Invocation;
import io.wasmworker.sandbox.InvocationResult;
import io.wasmworker.sandbox.Outcome;
import io.wasmworker.sandbox.Sandbox;
import io.wasmworker.testbed.s3.Rgw;
import io.wasmworker.testing.Guests;
import io.wasmworker.testing.RgwSettings;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.HttpURLConnection;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3Configuration;
import software.amazon.awssdk.services.s3.model.S3Object;
import software.amazon.awssdk.services.s3.presigner.S3Presigner;

/**
 * The {@link SnapshotStore} contract for the S3 store against a real Ceph RGW (one bucket, a fresh
 * prefix per test), and what only S3 needs proven: a fencing race across store instances, a worker
 * killed mid-upload, an outage of the server, keys that never leave the prefix.
 */
class S3SnapshotStoreTest extends SnapshotStoreContract {
    private static final AtomicInteger PREFIXES = new AtomicInteger();
    private static Rgw rgw;
    private static S3Client s3;
    private static String bucket;

    S3Location location;

    @TempDir
    Path temp;

    @BeforeAll
    static void server() {
        rgw = Rgw.shared();
        s3 = rgw.client();
        bucket = rgw.newBucket("s3-snapshot-store");
    }

    @Override
    SnapshotStore open() {
        location = new S3Location(bucket, "run-" + PREFIXES.incrementAndGet() + "/snapshots");
        return reopen();
    }

    @Override
    SnapshotStore reopen() {
        return new S3SnapshotStore(s3, location, RgwSettings.of(rgw));
    }

    private String key(String taskKey, String file) {
        return location.key("tasks", TaskNames.storageName(taskKey)) + "/" + file;
    }

    /**
     * Ceph RGW 16 answers an empty body signed by the SDK (over http the payload is signed) with 400
     * XAmzContentSHA256Mismatch, so the S3 store cannot write an empty blob there (snapshots never
     * are); everything else is tried.
     */
    @Override
    int[] blobSizes() {
        return new int[] {1, 4095, 4096, 65537, (16 << 20) + 3};
    }

    @Override
    void writeRaw(String taskKey, String file, byte[] bytes) {
        if (bytes.length == 0) {
            putEmpty(key(taskKey, file));
            return;
        }
        s3.putObject(b -> b.bucket(bucket).key(key(taskKey, file)), RequestBody.fromBytes(bytes));
    }

    /** An empty object, through a presigned URL (its payload is unsigned: see {@link #blobSizes}). */
    private static void putEmpty(String key) {
        try (S3Presigner presigner = S3Presigner.builder()
                .endpointOverride(rgw.endpoint())
                .region(Region.US_EAST_1)
                .credentialsProvider(
                        StaticCredentialsProvider.create(AwsBasicCredentials.create(Rgw.ACCESS_KEY, Rgw.SECRET_KEY)))
                .serviceConfiguration(
                        S3Configuration.builder().pathStyleAccessEnabled(true).build())
                .build()) {
            URL url = presigner
                    .presignPutObject(p -> p.signatureDuration(Duration.ofMinutes(5))
                            .putObjectRequest(b -> b.bucket(bucket).key(key)))
                    .url();
            HttpURLConnection put = (HttpURLConnection) url.openConnection();
            put.setRequestMethod("PUT");
            put.setDoOutput(true);
            put.setFixedLengthStreamingMode(0);
            put.getOutputStream().close();
            assertThat(put.getResponseCode()).as("empty PUT").isEqualTo(200);
        } catch (java.io.IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    byte[] readRaw(String taskKey, String file) {
        return s3.getObjectAsBytes(b -> b.bucket(bucket).key(key(taskKey, file)))
                .asByteArray();
    }

    @Override
    void deleteRaw(String taskKey, String file) {
        s3.deleteObject(b -> b.bucket(bucket).key(key(taskKey, file)));
    }

    @Override
    List<String> filesOf(String taskKey) {
        String dir = key(taskKey, "");
        return listAll(dir).stream()
                .map(o -> o.key().substring(dir.length()))
                .sorted()
                .toList();
    }

    private List<S3Object> listAll(String prefix) {
        List<S3Object> all = new ArrayList<>();
        s3.listObjectsV2Paginator(b -> b.bucket(bucket).prefix(prefix))
                .contents()
                .forEach(all::add);
        return all;
    }

    @Override
    String manifestLocation(String taskKey) {
        return "s3://" + bucket + "/" + key(taskKey, "manifest.json");
    }

    @Override
    List<String> tombstoneFiles() {
        return List.of("manifest.json");
    }

    @Override
    void writeTombstone(String taskKey) {
        writeRaw(taskKey, "manifest.json", S3SnapshotStore.tombstone(taskKey));
    }

    @Override
    boolean refusesBlobsOfFinishedTasks() {
        return false;
    }

    @Override
    void writeStray(String name, byte[] bytes) {
        s3.putObject(b -> b.bucket(bucket).key(location.key("tasks", name)), RequestBody.fromBytes(bytes));
    }

    // ---------------------------------------------------------------- S3 only

    @Test
    void describeNamesTheLocation() {
        assertThat(store.describe()).isEqualTo("s3://" + bucket + "/" + location.prefix());
    }

    @Test
    void everyKeyStaysUnderThePrefix() {
        String own = rgw.newBucket("s3-snapshot-prefix");
        S3Location deep = new S3Location(own, "team-a/snapshots");
        SnapshotStore s = new S3SnapshotStore(s3, deep, RgwSettings.of(rgw));
        for (String key : hostileKeys()) {
            Manifest.BlobRef ref = put(s, key, "full", "payload");
            s.publish(key, 0, manifest(key, 1, 1, ref));
            s.beginAttempt(key);
        }
        s.finished(hostileKeys().get(0));

        List<S3Object> objects = new ArrayList<>();
        s3.listObjectsV2Paginator(b -> b.bucket(own)).contents().forEach(objects::add);
        assertThat(objects)
                .isNotEmpty()
                .allSatisfy(o -> assertThat(o.key())
                        .startsWith("team-a/snapshots/tasks/")
                        .doesNotContain("..")
                        .doesNotContain("//"));
        assertThat(s.taskKeys())
                .containsExactlyInAnyOrderElementsOf(
                        hostileKeys().subList(1, hostileKeys().size()));
    }

    /** A store error is never "no checkpoint": it fails loudly, naming the store and the task. */
    @Test
    void aStoreErrorIsLoudNeverAnEmptyAnswer() {
        SnapshotStore missingBucket =
                new S3SnapshotStore(s3, new S3Location("no-such-bucket-here", "x"), RgwSettings.of(rgw));
        assertThatThrownBy(() -> missingBucket.latest(KEY))
                .isInstanceOf(UncheckedIOException.class)
                .hasMessageContaining("snapshot store s3://no-such-bucket-here/x")
                .hasMessageContaining(KEY);

        S3Settings wrongSecret = S3Settings.builder()
                .endpoint(rgw.endpoint())
                .region("us-east-1")
                .credentials(Rgw.ACCESS_KEY, "not-the-secret")
                .build();
        try (S3SnapshotStore denied = new S3SnapshotStore(location, wrongSecret)) {
            assertThatThrownBy(() -> denied.latest(KEY)).isInstanceOf(UncheckedIOException.class);
            assertThatThrownBy(() -> denied.beginAttempt(KEY)).isInstanceOf(UncheckedIOException.class);
            assertThatThrownBy(() -> denied.putBlob(KEY, "b", bytes("x"))).isInstanceOf(UncheckedIOException.class);
        }
    }

    /**
     * What a checkpoint, a restore and a journaled call cost in requests, once the store knows the
     * task: a delta's blob (put) and its manifest (put), with no HEAD for the blob this instance has
     * just written and no look for the tombstone (the manifest's condition fails once the task
     * finished); a restore's manifest and old-style tombstone (at once) and its chain (at once); a
     * call's entry (put, then the manifest and the old-style tombstone, at once).
     */
    @Test
    void aCheckpointTakesTwoRequestsARestoreOnePerLinkAndTwoMore() {
        Map<String, Integer> requests = new java.util.concurrent.ConcurrentHashMap<>();
        S3Client counting = (S3Client) java.lang.reflect.Proxy.newProxyInstance(
                S3Client.class.getClassLoader(), new Class<?>[] {S3Client.class}, (proxy, method, args) -> {
                    if (method.getDeclaringClass() != Object.class) {
                        requests.merge(method.getName(), 1, Integer::sum);
                    }
                    try {
                        return method.invoke(s3, args);
                    } catch (java.lang.reflect.InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
        SnapshotStore counted = new S3SnapshotStore(counting, location, RgwSettings.of(rgw));
        Manifest.BlobRef full = put(counted, KEY, "0000000001-full", "full");
        counted.publish(KEY, 0, manifest(KEY, 1, 1, full));
        requests.clear();

        Manifest.BlobRef delta = put(counted, KEY, "0000000002-delta", "delta");
        counted.publish(KEY, 1, manifest(KEY, 2, 2, full, delta));

        assertThat(requests).isEqualTo(Map.of("putObject", 2));
        requests.clear();

        Manifest latest = reopenOn(counting).latest(KEY).orElseThrow();
        assertThat(requests).isEqualTo(Map.of("getObject", 2));
        assertThat(counted.openSnapshots(KEY, latest.chain()).stream().map(SnapshotStoreContract::contents))
                .containsExactly(bytes("full"), bytes("delta"));
        assertThat(requests).isEqualTo(Map.of("getObject", 4));
        requests.clear();

        counted.recordCall(KEY, 1, bytes("call 1"));

        assertThat(requests).isEqualTo(Map.of("putObject", 1, "getObject", 2));
        assertThat(store.latest(KEY).orElseThrow().chain()).containsExactly(full, delta);
        assertThat(store.recordedCall(KEY, 1, 1 << 20))
                .hasValueSatisfying(b -> assertThat(b).isEqualTo(bytes("call 1")));
    }

    /**
     * A blob this instance wrote before another worker finished the task (which removed it) does not
     * let a first manifest through, although the publish no longer asks for the blob it knows it wrote.
     */
    private SnapshotStore reopenOn(S3Client client) {
        return new S3SnapshotStore(client, location, RgwSettings.of(rgw));
    }

    @Test
    void aBlobWrittenBeforeTheTaskFinishedElsewhereDoesNotLetAFirstManifestThrough() {
        SnapshotStore zombie = reopen();
        Manifest.BlobRef blob = put(zombie, KEY, "0000000001-zombie", "zombie");
        store.finished(KEY);

        assertThatThrownBy(() -> zombie.publish(KEY, 0, manifest(KEY, 1, 1, blob)))
                .isInstanceOfSatisfying(
                        StaleGenerationException.class,
                        e -> assertThat(e.taskFinished()).isTrue());
        assertThat(filesOf(KEY)).containsExactly("manifest.json");
        assertThat(store.latest(KEY)).isEmpty();
    }

    /**
     * The tombstone replaces the manifest, so a late writer that knows the manifest's ETag is
     * refused by its publish's own condition, and a blob it put after finished() listed the task is
     * removed with that refusal.
     */
    @Test
    void aLateWriterIsRefusedByItsConditionAndItsBlobRemoved() {
        Manifest.BlobRef full = put(store, KEY, "0000000001-full", "full");
        store.publish(KEY, 0, manifest(KEY, 1, 1, full));
        SnapshotStore zombie = reopen();
        assertThat(zombie.latest(KEY)).isPresent(); // it knows generation 1 and its ETag
        store.finished(KEY);
        assertThat(readRaw(KEY, "manifest.json")).isEqualTo(S3SnapshotStore.tombstone(KEY));

        Manifest.BlobRef late = put(zombie, KEY, "0000000002-late", "late"); // accepted: no look for the tombstone
        assertThat(filesOf(KEY)).containsExactly("blobs/0000000002-late", "manifest.json");
        assertThatThrownBy(() -> zombie.publish(KEY, 1, manifest(KEY, 2, 2, full, late)))
                .isInstanceOfSatisfying(
                        StaleGenerationException.class,
                        e -> assertThat(e.taskFinished()).isTrue());

        assertThat(filesOf(KEY)).containsExactly("manifest.json");
    }

    /** A late writer that died between its blob and its publish leaves the blob: the collection removes it. */
    @Test
    void aBlobALateWriterLeftBesideTheTombstoneIsCollected() {
        store.finished(KEY);
        put(reopen(), KEY, "0000000001-orphan", "orphan");

        SnapshotStore.Collected collected = store.collect(Instant.now().minus(LATER), Set.of(), 100);

        assertThat(collected.blobs()).isEqualTo(1);
        assertThat(collected.tasks()).isZero();
        assertThat(filesOf(KEY)).containsExactly("manifest.json");
        assertThat(store.collect(Instant.now().plus(LATER), Set.of(), 100).tasks())
                .isEqualTo(1);
        assertThat(filesOf(KEY)).isEmpty();
    }

    /** A tombstone copied into another task's directory is damage, not a finish of that task. */
    @Test
    void aTombstoneOfAnotherTaskIsReportedAsDamage() {
        writeRaw(KEY, "manifest.json", S3SnapshotStore.tombstone("another task"));

        assertThatThrownBy(() -> store.latest(KEY))
                .isInstanceOf(CorruptSnapshotException.class)
                .hasMessageContaining("names task 'another task', expected '" + KEY + "'");
        assertThat(store.entries())
                .singleElement()
                .satisfies(e -> assertThat(e.problem()).contains("does not belong"));
        assertThat(store.collect(Instant.now().plus(LATER), Set.of(), 100).damaged())
                .hasSize(1);
        assertThat(filesOf(KEY)).containsExactly("manifest.json");
    }

    /**
     * Stores written before the tombstone moved into the manifest hold a {@code finished} object
     * (and, after a crash of the old finished(), the manifest beside it): still a finished task for
     * every reader and writer, and finished() replaces it by the new tombstone.
     */
    @Test
    void anOldStyleTombstoneIsStillHonoured() {
        writeRaw(KEY, "finished", bytes(KEY)); // what the previous finished() left
        SnapshotStore zombie = reopen();

        assertThat(zombie.latest(KEY)).isEmpty();
        assertThat(zombie.entries()).isEmpty();
        assertThatThrownBy(() -> zombie.beginAttempt(KEY))
                .isInstanceOfSatisfying(
                        StaleGenerationException.class,
                        e -> assertThat(e.taskFinished()).isTrue());
        assertThatThrownBy(() -> zombie.recordCall(KEY, 1, bytes("call")))
                .isInstanceOfSatisfying(
                        StaleGenerationException.class,
                        e -> assertThat(e.taskFinished()).isTrue());
        // a first manifest is not fenced by an old-style tombstone: it is looked for after the write
        Manifest.BlobRef blob = put(zombie, KEY, "0000000001-zombie", "zombie");
        assertThatThrownBy(() -> zombie.publish(KEY, 0, manifest(KEY, 1, 1, blob)))
                .isInstanceOfSatisfying(
                        StaleGenerationException.class,
                        e -> assertThat(e.taskFinished()).isTrue());
        assertThat(filesOf(KEY)).containsExactly("finished");

        store.finished(KEY);
        assertThat(filesOf(KEY)).containsExactly("manifest.json");
        assertThat(store.latest(KEY)).isEmpty();
    }

    @Test
    void anOldStyleTombstoneBesideTheManifestItWasRemovingWins() {
        Manifest.BlobRef full = put(store, KEY, "0000000001-full", "full");
        store.publish(KEY, 0, manifest(KEY, 1, 1, full));
        writeRaw(KEY, "finished", bytes(KEY)); // the old finished() crashed before removing the manifest

        SnapshotStore other = reopen();
        assertThat(other.latest(KEY)).isEmpty();
        assertThat(other.entries()).isEmpty();
        assertThatThrownBy(() -> other.publish(KEY, 1, manifest(KEY, 2, 2, full)))
                .isInstanceOfSatisfying(
                        StaleGenerationException.class,
                        e -> assertThat(e.taskFinished()).isTrue());

        SnapshotStore.Collected collected = store.collect(Instant.now().minus(LATER), Set.of(), 100);
        assertThat(collected.tasks()).isZero();
        assertThat(filesOf(KEY)).containsExactly("finished");
        assertThat(store.collect(Instant.now().plus(LATER), Set.of(), 100).tasks())
                .isEqualTo(1);
        assertThat(filesOf(KEY)).isEmpty();
    }

    /**
     * A restore's chain is read at once; a missing link still fails it naming the task and the blob,
     * never as a shorter chain.
     */
    @Test
    void aChainReadAtOnceNamesItsMissingLink() {
        List<Manifest.BlobRef> chain = new ArrayList<>();
        List<byte[]> contents = new ArrayList<>();
        for (int i = 1; i <= 12; i++) {
            chain.add(put(store, KEY, String.format("%010d-link", i), "link " + i));
            contents.add(bytes("link " + i));
        }
        assertThat(store.openSnapshots(KEY, chain).stream().map(SnapshotStoreContract::contents))
                .containsExactlyElementsOf(contents);
        deleteRaw(KEY, "blobs/" + chain.get(7).name());

        assertThatThrownBy(() -> store.openSnapshots(KEY, chain))
                .isInstanceOf(CorruptSnapshotException.class)
                .hasMessageContaining("blob " + chain.get(7).name() + " of task '" + KEY + "' is missing");
    }

    /** Issue 12: many writers on separate store instances, one winner per round, round after round. */
    @Test
    void fencingRaceHasExactlyOneWinnerPerRound() throws Exception {
        int writers = 16;
        int rounds = 8;
        List<SnapshotStore> workers = new ArrayList<>();
        for (int w = 0; w < writers; w++) {
            workers.add(reopen());
        }
        ExecutorService pool = Executors.newFixedThreadPool(writers);
        try {
            for (int round = 1; round <= rounds; round++) {
                long expected = round - 1;
                CyclicBarrier barrier = new CyclicBarrier(writers);
                List<Future<Boolean>> results = new ArrayList<>();
                for (int w = 0; w < writers; w++) {
                    SnapshotStore s = workers.get(w);
                    int attempt = w + 1;
                    int r = round;
                    results.add(pool.submit(() -> {
                        long current = s.latest(KEY).map(Manifest::generation).orElse(0L);
                        assertThat(current).isEqualTo(expected);
                        Manifest.BlobRef ref =
                                put(s, KEY, "r" + r + "-w" + attempt, "round " + r + " writer " + attempt);
                        Manifest m = new Manifest(KEY, expected + 1, ARTIFACT, r, attempt, List.of(ref), r);
                        barrier.await(60, TimeUnit.SECONDS);
                        try {
                            s.publish(KEY, expected, m);
                            return true;
                        } catch (StaleGenerationException e) {
                            assertThat(e.actual()).isEqualTo(expected + 1);
                            return false;
                        }
                    }));
                }
                int winners = 0;
                int winner = -1;
                for (int w = 0; w < writers; w++) {
                    if (results.get(w).get(120, TimeUnit.SECONDS)) {
                        winners++;
                        winner = w + 1;
                    }
                }
                assertThat(winners).as("winners in round " + round).isEqualTo(1);
                Manifest latest = store.latest(KEY).orElseThrow();
                assertThat(latest.generation()).isEqualTo(round);
                assertThat(latest.attempt()).isEqualTo(winner);
                Blobs.readVerified(store, KEY, latest.chain().get(0));
            }
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * A writer that lost the race while its blob was still unpublished: the winner's first publish
     * collects blobs older than its own, the loser's among them, and the loser's publish is told it is
     * stale (fenced), like any loser, not that it forgot to write its blob. Seen in the 16-writer race.
     */
    @Test
    void aLoserWhoseBlobTheWinnerCollectedIsToldItIsStale() throws Exception {
        store.publish(KEY, 0, new Manifest(KEY, 1, ARTIFACT, 1, 1, List.of(put(store, KEY, "g1", "first")), 1));
        SnapshotStore loser = reopen();
        assertThat(loser.latest(KEY).orElseThrow().generation()).isEqualTo(1);
        Manifest.BlobRef lost = put(loser, KEY, "g2-loser", "loser's second");
        Thread.sleep(1100); // the winner's blob is later by the object age the collection goes by
        SnapshotStore winner = reopen();
        Manifest.BlobRef won = put(winner, KEY, "g2-winner", "winner's second");
        winner.publish(KEY, 1, new Manifest(KEY, 2, ARTIFACT, 2, 2, List.of(won), 2));
        assertThat(filesOf(KEY))
                .as("the winner's first publish collected the loser's blob")
                .doesNotContain("blobs/g2-loser");

        assertThatThrownBy(() -> loser.publish(KEY, 1, new Manifest(KEY, 2, ARTIFACT, 2, 3, List.of(lost), 2)))
                .isInstanceOf(StaleGenerationException.class)
                .hasMessageContaining("2");
        assertThat(reopen().latest(KEY).orElseThrow().chain()).containsExactly(won);
    }

    /**
     * A worker JVM killed (SIGKILL) in the middle of uploading a large blob never damages the last
     * good checkpoint, and leaves no torn blob: the next attempt resumes from the good one and goes on.
     */
    @Test
    void aWorkerKilledMidUploadNeverDamagesTheLastGoodCheckpoint() throws Exception {
        byte[] good = new byte[1 << 20];
        new SplittableRandom(3).nextBytes(good);
        store.putBlob(KEY, "0000000001-full", good);
        Manifest gen1 = new Manifest(
                KEY, 1, ARTIFACT, 1, 1, List.of(Blobs.ref("0000000001-full", good)), System.currentTimeMillis());
        store.publish(KEY, 0, gen1);

        int size = 24 << 20;
        String torn = "0000000002-torn";
        try (ThrottlingProxy proxy = new ThrottlingProxy(rgw.endpoint(), 4 << 20)) { // ~6 s for the upload
            Process child = new ProcessBuilder(
                            Path.of(System.getProperty("java.home"), "bin", "java")
                                    .toString(),
                            "-XX:TieredStopAtLevel=1",
                            "-Xmx256m",
                            "-cp",
                            System.getProperty("java.class.path"),
                            TornUploadMain.class.getName(),
                            proxy.endpoint().toString(),
                            Rgw.ACCESS_KEY,
                            Rgw.SECRET_KEY,
                            location.toString(),
                            KEY,
                            torn,
                            Integer.toString(size))
                    .redirectError(temp.resolve("child.err").toFile())
                    .start();
            try {
                BufferedReader out =
                        new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
                assertThat(out.readLine()).as("the child starts its upload").isEqualTo("uploading");
                Thread.sleep(1500);
                assertThat(out.ready())
                        .as("the upload is still running when the worker is killed")
                        .isFalse();
                assertThat(child.isAlive()).isTrue();
            } finally {
                child.destroyForcibly(); // SIGKILL
                assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
            }
        }
        Thread.sleep(500); // the server sees the connection end

        assertThat(filesOf(KEY)).as("no torn blob").doesNotContain("blobs/" + torn);
        SnapshotStore next = reopen();
        Manifest latest = next.latest(KEY).orElseThrow();
        assertThat(latest).isEqualTo(gen1);
        assertThat(Blobs.readVerified(next, KEY, latest.chain().get(0))).isEqualTo(good);

        // the next attempt goes on from the good checkpoint
        byte[] delta = bytes("the next checkpoint");
        next.putBlob(KEY, "0000000002-delta", delta);
        next.publish(
                KEY,
                1,
                new Manifest(
                        KEY,
                        2,
                        ARTIFACT,
                        2,
                        2,
                        List.of(latest.chain().get(0), Blobs.ref("0000000002-delta", delta)),
                        System.currentTimeMillis()));
        assertThat(store.latest(KEY).orElseThrow().generation()).isEqualTo(2);
    }

    // ---------------------------------------------------------------- an outage mid-attempt

    /** Five steps, a checkpoint after each; the running sum lives in memory, the step count in a global. */
    private static final String STEP_GUEST = """
            (global $n (mut i32) (i32.const 0))
            (func (export "ww_step") (result i32)
              (global.set $n (i32.add (global.get $n) (i32.const 1)))
              (i32.store (i32.const 3000) (i32.add (i32.load (i32.const 3000)) (i32.mul (global.get $n) (i32.const 7))))
              (drop (call $checkpoint (i32.const 0) (i32.const 0)))
              (if (result i32) (i32.eq (global.get $n) (i32.const 5))
                (then (call $emit (i32.load (i32.const 3000))) (i32.const 1))
                (else (i32.const 0))))
            """;

    private static final String CHECKPOINT_IMPORT =
            "(import \"wasm_worker\" \"checkpoint\" (func $checkpoint (param i32 i32) (result i32)))";

    /**
     * The S3 server goes away after the second checkpoint: the attempt ends as {@code checkpoint}
     * within the store's bounded time, not hung; what was published is kept; once the server is back,
     * the next attempt resumes from the second checkpoint and ends with the uninterrupted output.
     */
    @Test
    void anOutageEndsTheAttemptAsCheckpointAndTheNextOneResumes() throws Exception {
        S3Settings bounded = S3Settings.builder()
                .endpoint(rgw.endpoint())
                .region("us-east-1")
                .credentials(Rgw.ACCESS_KEY, Rgw.SECRET_KEY)
                .attemptTimeout(Duration.ofSeconds(1))
                .callTimeout(Duration.ofSeconds(3))
                .maxAttempts(3)
                .build();
        GuestModule guest = Guests.emitting(CHECKPOINT_IMPORT, STEP_GUEST);
        byte[] input = bytes("{}");
        try (Sandbox sandbox = new Sandbox();
                S3SnapshotStore s3Store = new S3SnapshotStore(location, bounded)) {
            String uninterrupted = output(sandbox.invoke(guest, Invocation.of(input)));

            SnapshotStore stopsAfterTwo = new GatewayStoppingStore(s3Store, 2);
            long start = System.nanoTime();
            InvocationResult first;
            try {
                first = sandbox.invoke(
                        guest,
                        Invocation.of(input)
                                .withCheckpoints(
                                        new CheckpointContext(stopsAfterTwo, KEY, 1, CheckpointPolicy.DEFAULT)));
            } finally {
                // whatever happened, the server comes back for the other tests
                Duration took = Duration.ofNanos(System.nanoTime() - start);
                rgw.startGateway();
                assertThat(took).as("bounded by the store's call timeout").isLessThan(Duration.ofSeconds(20));
            }
            assertThat(first.outcome()).isInstanceOfSatisfying(Outcome.Failure.class, f -> {
                assertThat(f.kind()).isEqualTo(FailureKind.CHECKPOINT);
                assertThat(f.reason()).contains("snapshot store " + location).contains(KEY);
            });

            Manifest kept = s3Store.latest(KEY).orElseThrow();
            assertThat(kept.sequence()).as("nothing published is lost").isEqualTo(2);

            InvocationResult second = sandbox.invoke(
                    guest,
                    Invocation.of(input)
                            .withCheckpoints(new CheckpointContext(s3Store, KEY, 2, CheckpointPolicy.DEFAULT)));
            assertThat(output(second)).isEqualTo(uninterrupted);
            assertThat(second.metrics().checkpoints()).as("steps 3 and 4 only").isEqualTo(2);
        }
    }

    private static String output(InvocationResult r) {
        assertThat(r.outcome()).as(r.report()).isInstanceOf(Outcome.Success.class);
        return new String(r.stdout(), StandardCharsets.UTF_8);
    }

    /** Stops the S3 gateway right after the {@code n}th publish. */
    private static final class GatewayStoppingStore implements SnapshotStore {
        private final SnapshotStore store;
        private final int n;
        private int published;

        GatewayStoppingStore(SnapshotStore store, int n) {
            this.store = store;
            this.n = n;
        }

        @Override
        public void publish(String taskKey, long expectedGeneration, Manifest manifest) {
            store.publish(taskKey, expectedGeneration, manifest);
            if (++published == n) {
                rgw.stopGateway();
            }
        }

        @Override
        public Optional<Manifest> latest(String taskKey) {
            return store.latest(taskKey);
        }

        @Override
        public void putBlob(String taskKey, String blobName, byte[] data) {
            store.putBlob(taskKey, blobName, data);
        }

        @Override
        public byte[] getBlob(String taskKey, String blobName) {
            return store.getBlob(taskKey, blobName);
        }

        @Override
        public int beginAttempt(String taskKey) {
            return store.beginAttempt(taskKey);
        }

        @Override
        public byte[] recordCall(String taskKey, long sequence, byte[] entry) {
            return store.recordCall(taskKey, sequence, entry);
        }

        @Override
        public Optional<byte[]> recordedCall(String taskKey, long sequence, long maxBytes) {
            return store.recordedCall(taskKey, sequence, maxBytes);
        }

        @Override
        public void dropCalls(String taskKey, long throughSequence) {
            store.dropCalls(taskKey, throughSequence);
        }

        @Override
        public List<String> taskKeys() {
            return store.taskKeys();
        }

        @Override
        public void finished(String taskKey) {
            store.finished(taskKey);
        }

        @Override
        public void delete(String taskKey) {
            store.delete(taskKey);
        }

        @Override
        public Collected collect(Instant cutoff, Set<String> running, int maxEntries) {
            return store.collect(cutoff, running, maxEntries);
        }

        @Override
        public String describe() {
            return store.describe();
        }
    }
}
