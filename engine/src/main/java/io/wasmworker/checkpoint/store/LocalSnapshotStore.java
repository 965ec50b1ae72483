package io.wasmworker.checkpoint.store;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedded default {@link SnapshotStore}: a local directory.
 *
 * <pre>
 * &lt;root&gt;/tasks/&lt;sha256 hex of the task key&gt;/manifest.json     (or manifest.b.json: see below)
 * &lt;root&gt;/tasks/&lt;sha256 hex of the task key&gt;/blobs/&lt;blob name&gt;
 * &lt;root&gt;/tasks/&lt;sha256 hex of the task key&gt;/attempts
 * &lt;root&gt;/tasks/&lt;sha256 hex of the task key&gt;/journal/&lt;20-digit call sequence&gt;.call
 * &lt;root&gt;/tasks/&lt;sha256 hex of the task key&gt;/finished      (the tombstone of a finished task: alone in its directory)
 * &lt;root&gt;/locks/&lt;00..ff&gt;.lock
 * </pre>
 *
 * The directory name is a hash, so no task key can reach outside the root or collide with another;
 * the original key is kept inside the manifest. Every file is written through {@link DurableFiles}
 * (temp file, fsync, atomic link or rename, fsync of the directory) and a manifest is published under
 * {@link TaskLocks}, which fence other threads and other processes sharing the directory.
 *
 * <p>The manifest lives in one of two files, {@code manifest.json} and {@code manifest.b.json}: a
 * publish links the new one under the name that is free and only then unlinks the old one, so a crash
 * leaves the old manifest, or both (the higher generation wins), never none and never a torn one. A
 * rename over the old file would do the same in one call, but ext4 ({@code auto_da_alloc}, its
 * default) starts writing back the new file's data on every rename over an existing file, fsync or
 * not: about 1 ms here, most of a checkpoint. A reader reads both files under the task's lock too
 * (a lock is a few system calls; a restore reads the manifest once). Stores written before hold
 * {@code manifest.json} only, which reads as before.
 */
public final class LocalSnapshotStore implements SnapshotStore {
    private static final Logger LOG = LoggerFactory.getLogger(LocalSnapshotStore.class);
    private static final String MANIFEST = "manifest.json";
    private static final String MANIFEST_B = "manifest.b.json";
    private static final String BLOBS = "blobs";
    private static final String ATTEMPTS = "attempts";
    private static final String FINISHED = "finished";
    private static final String JOURNAL = "journal";
    private static final Pattern JOURNAL_ENTRY = Pattern.compile("(\\d{20})\\.call");
    private static final Pattern TASK_DIR = Pattern.compile("[0-9a-f]{64}");
    /** A manifest names at most {@code Checkpointer.MAX_CHAIN} blobs and a task key: far below this. */
    static final int MAX_MANIFEST_BYTES = 4 << 20;
    /** Temp files younger than this may belong to a write still in progress elsewhere. */
    static final Duration STALE_TEMP_AGE = Duration.ofHours(1);

    private final Path root;
    private final Path tasks;
    private final DurableFiles files;
    private final TaskLocks locks;
    /** The last task directory {@link #collect} examined; the next collection goes on after it. */
    private volatile String gcCursor = "";

    /** A store that fsyncs every write (the safe default). */
    public LocalSnapshotStore(Path root) {
        this(root, true);
    }

    /**
     * @param fsync whether to flush files and directories to disk; without it a crash of the process
     *              is still safe, a power loss may lose the latest checkpoints (tests, tmpfs)
     */
    public LocalSnapshotStore(Path root, boolean fsync) {
        this.root = root.toAbsolutePath().normalize();
        this.tasks = this.root.resolve("tasks");
        this.files = new DurableFiles(fsync);
        Path lockDir = this.root.resolve("locks");
        try {
            files.createDirectories(tasks);
            files.createDirectories(lockDir);
            this.locks = new TaskLocks(lockDir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create snapshot store at " + this.root + ": " + e, e);
        }
        cleanStaleTemps();
    }

    @Override
    public Optional<Manifest> latest(String taskKey) {
        Path dir = taskDir(taskKey);
        if (!dir.toFile().exists()) {
            // the common case, a task that never checkpointed: one stat and no exception (java.nio's
            // checks of a missing file throw and catch one each on JDK 17); anything there is read below
            return Optional.empty();
        }
        if (isFinished(dir)) {
            return Optional.empty(); // even if a crash while finishing left the manifest behind
        }
        // under the lock: read without it, the two files could be read on either side of a publish (or
        // of two), giving none, or a manifest superseded before this call began
        Optional<Current> current;
        try (TaskLocks.Held held = locks.lock(dir.getFileName().toString())) {
            current = isFinished(dir) ? Optional.empty() : readCurrent(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot lock task '" + taskKey + "' in " + dir + ": " + e, e);
        }
        current.ifPresent(c -> {
            if (!c.manifest().taskKey().equals(taskKey)) {
                throw new CorruptSnapshotException("checkpoint manifest " + c.file() + " is corrupt: it names task '"
                        + c.manifest().taskKey() + "', expected '" + taskKey + "'");
            }
        });
        return current.map(Current::manifest);
    }

    @Override
    public void putBlob(String taskKey, String blobName, byte[] data) {
        Blobs.checkName(blobName);
        Objects.requireNonNull(data, "data");
        Path taskDir = taskDir(taskKey);
        Path dir = taskDir.resolve(BLOBS);
        Path target = dir.resolve(blobName);
        if (isFinished(taskDir)) {
            throw StaleGenerationException.finished(taskKey, "cannot write a checkpoint of it");
        }
        try {
            files.createDirectories(dir);
            if (files.createIfAbsent(target, data)) {
                // the task may have finished while we wrote: then this blob is removed again (by us, or by
                // finished() if it listed the blobs after our write), so no zombie leaves one behind
                if (isFinished(taskDir)) {
                    removeFinishedLeftovers(taskKey, taskDir);
                    throw StaleGenerationException.finished(taskKey, "cannot write a checkpoint of it");
                }
                return;
            }
            if (Files.size(target) != data.length || !Arrays.equals(Files.readAllBytes(target), data)) {
                throw new IllegalStateException("blob " + blobName + " of task '" + taskKey
                        + "' already exists with different content; blobs are immutable (" + target + ")");
            }
            // the same bytes again: fine, and made "new" so garbage collection treats it like a fresh put
            Files.setLastModifiedTime(target, FileTime.from(Instant.now()));
        } catch (IOException e) {
            if (isFinished(taskDir)) { // finished() removed the blobs under our feet
                throw StaleGenerationException.finished(taskKey, "cannot write a checkpoint of it");
            }
            throw new UncheckedIOException(
                    "cannot write blob " + blobName + " of task '" + taskKey + "' to " + target + ": " + e, e);
        }
    }

    @Override
    public byte[] getBlob(String taskKey, String blobName) {
        return getBlob(taskKey, blobName, Long.MAX_VALUE);
    }

    @Override
    public byte[] getBlob(String taskKey, String blobName, long maxBytes) {
        // mapped and copied into the array once: read() into a heap array copies twice, through a native
        // buffer (16 MiB: ~4.5 ms against ~2.5 ms here)
        ByteBuffer mapped = getBlobBuffer(taskKey, blobName, maxBytes);
        byte[] bytes = new byte[mapped.remaining()];
        mapped.get(bytes);
        return bytes;
    }

    /**
     * The blob's file, mapped read-only: no copy at all (a restore copies each page from it straight
     * into guest memory). Blobs are immutable once named, so the file cannot change under the mapping
     * (a collection may unlink it: the mapping keeps the data); the mapping goes when the buffer is
     * collected.
     */
    @Override
    public ByteBuffer getBlobBuffer(String taskKey, String blobName, long maxBytes) {
        Blobs.checkName(blobName);
        Path file = taskDir(taskKey).resolve(BLOBS).resolve(blobName);
        try (java.nio.channels.FileChannel channel = java.nio.channels.FileChannel.open(file)) {
            long size = channel.size();
            if (size > maxBytes) { // before reading any of it
                throw new CorruptSnapshotException("blob " + blobName + " of task '" + taskKey + "' is damaged: " + size
                        + " bytes, more than the " + maxBytes + " expected (" + file + ")");
            }
            if (size > Integer.MAX_VALUE - 8) {
                throw new CorruptSnapshotException("blob " + blobName + " of task '" + taskKey
                        + "' is implausibly large (" + size + " bytes, " + file + ")");
            }
            return size == 0
                    ? ByteBuffer.allocate(0)
                    : channel.map(java.nio.channels.FileChannel.MapMode.READ_ONLY, 0, size);
        } catch (NoSuchFileException e) {
            throw new CorruptSnapshotException(
                    "blob " + blobName + " of task '" + taskKey + "' is missing (" + file + ")");
        } catch (IOException e) {
            throw new CorruptSnapshotException(
                    "cannot read blob " + blobName + " of task '" + taskKey + "' from " + file + ": " + e, e);
        }
    }

    @Override
    public byte[] recordCall(String taskKey, long sequence, byte[] entry) {
        Objects.requireNonNull(entry, "entry");
        Path taskDir = taskDir(taskKey);
        Path target = journalFile(taskDir, sequence);
        String refusal = "cannot record host call " + sequence + " of it";
        if (isFinished(taskDir)) {
            throw StaleGenerationException.finished(taskKey, refusal);
        }
        try {
            files.createDirectories(target.getParent());
            if (files.createIfAbsent(target, entry)) {
                if (isFinished(taskDir)) { // finished while we wrote: as for a blob, nothing stays behind
                    removeFinishedLeftovers(taskKey, taskDir);
                    throw StaleGenerationException.finished(taskKey, refusal);
                }
                return entry;
            }
        } catch (IOException e) {
            if (isFinished(taskDir)) {
                throw StaleGenerationException.finished(taskKey, refusal);
            }
            throw new UncheckedIOException(
                    "cannot record host call " + sequence + " of task '" + taskKey + "' in " + target + ": " + e, e);
        }
        // another writer recorded it first: its entry is the one that counts
        return recordedCall(taskKey, sequence, Long.MAX_VALUE)
                .orElseThrow(() -> new CorruptSnapshotException("journal entry " + target + " of task '" + taskKey
                        + "' existed a moment ago and is gone (removed while being recorded?)"));
    }

    @Override
    public Optional<byte[]> recordedCall(String taskKey, long sequence, long maxBytes) {
        Path file = journalFile(taskDir(taskKey), sequence);
        try (java.nio.channels.FileChannel channel = java.nio.channels.FileChannel.open(file)) {
            long size = channel.size();
            if (size > maxBytes || size > Integer.MAX_VALUE - 8) { // before reading any of it
                throw new CorruptSnapshotException("journal entry " + sequence + " of task '" + taskKey
                        + "' is damaged: " + size + " bytes, more than the " + maxBytes + " an entry can have ("
                        + file + ")");
            }
            ByteBuffer bytes = ByteBuffer.allocate((int) size);
            while (bytes.hasRemaining() && channel.read(bytes) >= 0) {
                // read it whole
            }
            if (bytes.hasRemaining()) {
                throw new CorruptSnapshotException(
                        "journal entry " + sequence + " of task '" + taskKey + "' shrank while read (" + file + ")");
            }
            return Optional.of(bytes.array());
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new CorruptSnapshotException(
                    "cannot read journal entry " + sequence + " of task '" + taskKey + "' from " + file + ": " + e, e);
        }
    }

    @Override
    public void dropCalls(String taskKey, long throughSequence) {
        Path dir = taskDir(taskKey).resolve(JOURNAL);
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(dir)) {
            for (Path file : stream) {
                var m = JOURNAL_ENTRY.matcher(file.getFileName().toString());
                if (m.matches() && Long.parseLong(m.group(1)) <= throughSequence) {
                    Files.deleteIfExists(file);
                }
            }
        } catch (IOException e) {
            // entries a checkpoint covers are never read again: a leftover costs space only, and goes
            // with the task's checkpoints when it finishes
            LOG.warn("cannot drop the journal entries of task '{}' in {}: {}", taskKey, dir, e.toString());
        }
    }

    private static Path journalFile(Path taskDir, long sequence) {
        if (sequence < 1) {
            throw new IllegalArgumentException("host call sequence numbers start at 1, got " + sequence);
        }
        return taskDir.resolve(JOURNAL).resolve(String.format("%020d.call", sequence));
    }

    @Override
    public void publish(String taskKey, long expectedGeneration, Manifest manifest) {
        TaskNames.checkPublishable(taskKey, expectedGeneration, manifest);
        byte[] encoded = ManifestCodec.encode(manifest);
        String name = storageName(taskKey);
        Path dir = tasks.resolve(name);
        Path file = dir.resolve(MANIFEST);
        try (TaskLocks.Held held = locks.lock(name)) {
            if (isFinished(dir)) {
                throw StaleGenerationException.finished(taskKey, "cannot publish checkpoint " + manifest.reference());
            }
            // a corrupt current manifest throws here: we cannot tell the generation, so we must not overwrite
            Optional<Current> current = readCurrent(dir);
            Optional<Manifest> previous = current.map(Current::manifest);
            long actual = previous.map(Manifest::generation).orElse(0L);
            if (actual != expectedGeneration) {
                throw new StaleGenerationException(taskKey, expectedGeneration, actual);
            }
            checkBlobsWritten(dir.resolve(BLOBS), previous, manifest);
            // the free name: the other one than the current manifest's (left by a crash, an older one)
            file = dir.resolve(
                    current.map(c -> c.file().getFileName().toString().equals(MANIFEST) ? MANIFEST_B : MANIFEST)
                            .orElse(MANIFEST));
            Files.deleteIfExists(file);
            if (!files.createIfAbsent(file, encoded)) {
                throw new IllegalStateException("manifest " + file + " appeared while the task's lock was held");
            }
            if (current.isPresent()) {
                Files.deleteIfExists(current.get().file()); // a crash before this leaves both: the newer wins
            }
            collectGarbage(dir, previous, manifest);
        } catch (IOException e) {
            throw new UncheckedIOException(
                    "cannot publish checkpoint " + manifest.reference() + " to " + file + ": " + e, e);
        }
    }

    @Override
    public int beginAttempt(String taskKey) {
        String name = storageName(taskKey);
        Path dir = tasks.resolve(name);
        Path file = dir.resolve(ATTEMPTS);
        try (TaskLocks.Held held = locks.lock(name)) {
            if (isFinished(dir)) {
                throw StaleGenerationException.finished(taskKey, "cannot be counted as another attempt");
            }
            int previous = 0;
            try {
                previous = Integer.parseInt(
                        Files.readString(file, StandardCharsets.US_ASCII).trim());
            } catch (NoSuchFileException e) {
                // the first attempt
            } catch (NumberFormatException e) {
                throw new CorruptSnapshotException("attempt count " + file + " of task '" + taskKey + "' is corrupt");
            }
            int attempt = previous + 1;
            // a count, not a checkpoint: atomic, but not worth an fsync on every task start
            files.createDirectories(dir);
            Path temp = Files.createTempFile(dir, DurableFiles.TEMP_PREFIX, ".part");
            Files.writeString(temp, Integer.toString(attempt), StandardCharsets.US_ASCII);
            Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            return attempt;
        } catch (IOException e) {
            throw new UncheckedIOException(
                    "cannot count an attempt of task '" + taskKey + "' in " + file + ": " + e, e);
        }
    }

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
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(tasks)) {
            for (Path dir : dirs) {
                String name = dir.getFileName().toString();
                if (DurableFiles.isTemp(dir)) {
                    continue;
                }
                TaskEntry entry = entry(dir, name);
                if (entry != null) {
                    entries.add(entry);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list tasks in " + tasks + ": " + e, e);
        }
        entries.sort(Comparator.comparing(
                        (TaskEntry e) -> e.manifest().map(Manifest::taskKey).orElse(""))
                .thenComparing(TaskEntry::location));
        return entries;
    }

    /** The entry for one directory of {@code tasks/}; null when it holds no checkpoint. */
    private static TaskEntry entry(Path dir, String name) {
        String location = dir.toString();
        if (!TASK_DIR.matcher(name).matches()) {
            return TaskEntry.damaged(location, "not a task directory of this store (stray file?)");
        }
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            return TaskEntry.damaged(
                    location,
                    Files.isSymbolicLink(dir)
                            ? "a symbolic link, not a directory (never followed)"
                            : "not a directory");
        }
        if (isFinished(dir)) {
            return null; // finished: a tombstone, not a checkpoint
        }
        try {
            Optional<Manifest> manifest = readCurrent(dir).map(Current::manifest);
            if (manifest.isEmpty()) {
                return null; // no checkpoint: an attempt count only, or what a removal left after a crash
            }
            if (!storageName(manifest.get().taskKey()).equals(name)) {
                return TaskEntry.damaged(location, "its manifest names a task that does not belong in this directory");
            }
            return TaskEntry.ok(location, manifest.get());
        } catch (CorruptSnapshotException | IllegalArgumentException e) {
            return TaskEntry.damaged(location, e.getMessage());
        }
    }

    @Override
    public void finished(String taskKey) {
        String name = storageName(taskKey);
        Path dir = tasks.resolve(name);
        try (TaskLocks.Held held = locks.lock(name)) {
            if (Files.exists(dir, LinkOption.NOFOLLOW_LINKS) && !Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
                removeDir(dir); // a symbolic link or stray file where the task's directory belongs: never followed
            }
            files.createDirectories(dir);
            // the tombstone first: from now on no late attempt publishes, whatever a crash leaves below
            files.replace(dir.resolve(FINISHED), taskKey.getBytes(StandardCharsets.UTF_8));
            removeAllBut(dir, FINISHED);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot mark task '" + taskKey + "' finished in " + dir + ": " + e, e);
        }
    }

    @Override
    public void delete(String taskKey) {
        String name = storageName(taskKey);
        Path dir = tasks.resolve(name);
        try (TaskLocks.Held held = locks.lock(name)) {
            removeDir(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(
                    "cannot delete the checkpoints of task '" + taskKey + "' in " + dir + ": " + e, e);
        }
    }

    /** Removes a task's directory, its tombstone included; call under the task's lock. */
    private void removeDir(Path dir) throws IOException {
        if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            // a symbolic link (or a stray file) where the task's directory belongs: removing it
            // removes the task; what it points at is outside the store and is never touched
            Files.delete(dir);
            files.syncDir(tasks);
            return;
        }
        // the manifest first: once it is gone the task has no checkpoint, whatever else survives a crash
        boolean hadCheckpoint = deleteManifests(dir);
        if (hadCheckpoint) {
            files.syncDir(dir);
        }
        deleteTree(dir, null);
        if (hadCheckpoint) {
            files.syncDir(tasks); // without a checkpoint, a leftover after a crash is only an attempt count
        }
    }

    /** Everything in a task's directory but {@code keep} (manifest first); call under the task's lock. */
    private void removeAllBut(Path dir, String keep) throws IOException {
        if (deleteManifests(dir)) {
            files.syncDir(dir);
        }
        deleteTree(dir, dir.resolve(keep));
    }

    /**
     * Deletes {@code path} and everything below it, except {@code keep} (and so its directory), never
     * following a link. Blob writers do not take the task lock: a file that vanishes meanwhile is fine,
     * and a directory a writer has just put a file into stays (that writer removes its file itself
     * when it sees the tombstone, or a collection does).
     */
    private static void deleteTree(Path path, Path keep) throws IOException {
        if (path.equals(keep)) {
            return;
        }
        if (Files.isDirectory(path, LinkOption.NOFOLLOW_LINKS)) {
            List<Path> children = new ArrayList<>();
            try (DirectoryStream<Path> stream = Files.newDirectoryStream(path)) {
                stream.forEach(children::add);
            } catch (NoSuchFileException e) {
                return;
            }
            for (Path child : children) {
                deleteTree(child, keep);
            }
            if (keep != null && keep.startsWith(path)) {
                return;
            }
            try {
                Files.deleteIfExists(path);
            } catch (DirectoryNotEmptyException e) {
                LOG.debug("{} was written to while being removed; left for its writer or a collection", path);
            }
            return;
        }
        Files.deleteIfExists(path);
    }

    /** A zombie's blob written while its task finished: removed under the lock, with an emptied blobs directory. */
    private void removeFinishedLeftovers(String taskKey, Path dir) {
        try (TaskLocks.Held held = locks.lock(dir.getFileName().toString())) {
            if (isFinished(dir)) {
                removeAllBut(dir, FINISHED);
            }
        } catch (IOException e) {
            LOG.warn(
                    "task '{}' has finished, but a late attempt's blob could not be removed from {}: {} (collected"
                            + " later by `snapshots gc`)",
                    taskKey,
                    dir,
                    e.toString());
        }
    }

    private static boolean isFinished(Path taskDir) {
        return Files.exists(taskDir.resolve(FINISHED), LinkOption.NOFOLLOW_LINKS);
    }

    @Override
    public Collected collect(Instant cutoff, Set<String> running, int maxEntries) {
        Objects.requireNonNull(cutoff, "cutoff");
        if (maxEntries < 1) {
            throw new IllegalArgumentException("maxEntries must be 1 or more, got " + maxEntries);
        }
        Set<String> keep = running.stream().map(LocalSnapshotStore::storageName).collect(Collectors.toSet());
        List<Path> dirs = new ArrayList<>();
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(tasks)) {
            stream.forEach(dirs::add);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list tasks in " + tasks + ": " + e, e);
        }
        dirs.sort(Comparator.naturalOrder());
        // where the previous collection stopped: young entries early in the order never hold back old ones
        String after = gcCursor;
        int first = 0;
        while (first < dirs.size() && dirs.get(first).getFileName().toString().compareTo(after) <= 0) {
            first++;
        }
        int removedTasks = 0;
        int removedBlobs = 0;
        int examined = 0;
        List<String> damaged = new ArrayList<>();
        for (int i = 0; i < dirs.size() && examined < maxEntries; i++) {
            Path dir = dirs.get((first + i) % dirs.size());
            String name = dir.getFileName().toString();
            if (DurableFiles.isTemp(dir) || keep.contains(name)) {
                continue;
            }
            examined++;
            gcCursor = name;
            if (!TASK_DIR.matcher(name).matches() || !Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
                damaged.add(dir + ": " + entry(dir, name).problem());
                continue;
            }
            try (TaskLocks.Held held = locks.lock(name)) {
                int[] removed = collectTask(dir, cutoff);
                if (removed == null) {
                    damaged.add(dir + ": " + entry(dir, name).problem());
                } else {
                    removedTasks += removed[0];
                    removedBlobs += removed[1];
                }
            } catch (IOException | UncheckedIOException e) {
                LOG.warn("cannot collect {}: {}", dir, e.toString()); // the next collection tries again
            }
        }
        return new Collected(removedTasks, removedBlobs, damaged);
    }

    /**
     * One task directory, under its lock: {tasks removed, blobs removed}, or null when its manifest is
     * damaged (then nothing is touched: which blobs it names cannot be told).
     */
    private int[] collectTask(Path dir, Instant cutoff) throws IOException {
        FileTime limit = FileTime.from(cutoff);
        if (isFinished(dir)) {
            if (Files.getLastModifiedTime(dir.resolve(FINISHED), LinkOption.NOFOLLOW_LINKS)
                            .compareTo(limit)
                    < 0) {
                removeDir(dir);
                return new int[] {1, 0};
            }
            int leftovers = countFiles(dir) - 1; // what a crash while finishing (or a zombie) left beside it
            if (leftovers > 0) {
                removeAllBut(dir, FINISHED);
            }
            return new int[] {0, Math.max(leftovers, 0)};
        }
        Optional<Manifest> manifest;
        try {
            manifest = readCurrent(dir).map(Current::manifest);
        } catch (CorruptSnapshotException e) {
            return null;
        }
        if (manifest.isPresent()
                && !storageName(manifest.get().taskKey())
                        .equals(dir.getFileName().toString())) {
            return null;
        }
        if (newestFile(dir).compareTo(limit) < 0) {
            removeDir(dir);
            return new int[] {1, 0};
        }
        Set<String> named = manifest.map(
                        m -> m.chain().stream().map(Manifest.BlobRef::name).collect(Collectors.toSet()))
                .orElse(Set.of());
        int removed = 0;
        Path blobs = dir.resolve(BLOBS);
        if (!Files.isDirectory(blobs, LinkOption.NOFOLLOW_LINKS)) {
            return new int[] {0, 0};
        }
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(blobs)) {
            for (Path blob : stream) {
                if (!named.contains(blob.getFileName().toString())
                        && Files.getLastModifiedTime(blob, LinkOption.NOFOLLOW_LINKS)
                                        .compareTo(limit)
                                < 0) {
                    Files.deleteIfExists(blob);
                    removed++;
                }
            }
        }
        return new int[] {0, removed};
    }

    /** The newest modification time of any file or directory in the tree (never through a link). */
    private static FileTime newestFile(Path dir) throws IOException {
        try (Stream<Path> tree = Files.walk(dir)) {
            FileTime newest = FileTime.fromMillis(Long.MIN_VALUE);
            for (Path path : tree.toList()) {
                if (Files.isRegularFile(path, LinkOption.NOFOLLOW_LINKS)) {
                    FileTime time = Files.getLastModifiedTime(path, LinkOption.NOFOLLOW_LINKS);
                    newest = time.compareTo(newest) > 0 ? time : newest;
                }
            }
            return newest;
        }
    }

    private static int countFiles(Path dir) throws IOException {
        try (Stream<Path> tree = Files.walk(dir)) {
            return (int) tree.filter(p -> !Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS))
                    .count();
        }
    }

    @Override
    public String describe() {
        return "local:" + root;
    }

    @Override
    public String toString() {
        return describe();
    }

    /** The task's directory name (see {@link TaskNames#storageName}). */
    static String storageName(String taskKey) {
        return TaskNames.storageName(taskKey);
    }

    private Path taskDir(String taskKey) {
        return tasks.resolve(storageName(taskKey));
    }

    /** The task's current manifest and the file holding it. */
    private record Current(Manifest manifest, Path file) {}

    /**
     * The task's current manifest: the one of the two files that exists, or of both (a crash between a
     * publish's link and unlink) the higher generation. Empty only when neither exists; either one
     * unreadable is loud, as two of one generation are.
     */
    private static Optional<Current> readCurrent(Path dir) {
        Path a = dir.resolve(MANIFEST);
        Path b = dir.resolve(MANIFEST_B);
        Optional<Manifest> inA = readManifest(a);
        Optional<Manifest> inB = readManifest(b);
        if (inA.isEmpty() || inB.isEmpty()) {
            return inA.map(m -> new Current(m, a)).or(() -> inB.map(m -> new Current(m, b)));
        }
        long ga = inA.get().generation();
        long gb = inB.get().generation();
        if (ga == gb) {
            throw new CorruptSnapshotException("checkpoint manifests " + a + " and " + b
                    + " are corrupt: both have generation " + ga + "; remove the one that is wrong");
        }
        return Optional.of(ga > gb ? new Current(inA.get(), a) : new Current(inB.get(), b));
    }

    /**
     * Deletes the task's manifest files, the older first (a crash in between leaves the newer: the
     * checkpoint as it was, never an older one); true if there was one. Call under the task's lock.
     */
    private static boolean deleteManifests(Path dir) throws IOException {
        Path newer;
        try {
            newer = readCurrent(dir).map(Current::file).orElse(dir.resolve(MANIFEST));
        } catch (CorruptSnapshotException e) {
            newer = dir.resolve(MANIFEST); // which one is older cannot be told: neither is a checkpoint
        }
        Path older = newer.getFileName().toString().equals(MANIFEST) ? dir.resolve(MANIFEST_B) : dir.resolve(MANIFEST);
        boolean deleted = Files.deleteIfExists(older);
        return Files.deleteIfExists(newer) || deleted;
    }

    /** Empty only when there is no manifest file; anything unreadable is loud. */
    private static Optional<Manifest> readManifest(Path file) {
        byte[] bytes;
        try (var in = Files.newInputStream(file)) {
            bytes = in.readNBytes(MAX_MANIFEST_BYTES + 1); // a limit, not whatever the file holds
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new CorruptSnapshotException("cannot read checkpoint manifest " + file + ": " + e, e);
        }
        if (bytes.length > MAX_MANIFEST_BYTES) {
            throw new CorruptSnapshotException("checkpoint manifest " + file + " is corrupt: larger than "
                    + MAX_MANIFEST_BYTES + " bytes, which no manifest is");
        }
        return Optional.of(ManifestCodec.decode(bytes, file.toString()));
    }

    /**
     * Data before metadata: every blob the manifest names must already be complete on disk. Those the
     * previous manifest named were checked when it was published, and nothing removes a blob the
     * current manifest names, so only the others are looked at (a delta's one, not the whole chain).
     */
    private static void checkBlobsWritten(Path blobs, Optional<Manifest> previous, Manifest manifest)
            throws IOException {
        Set<Manifest.BlobRef> checked = previous.map(p -> Set.copyOf(p.chain())).orElse(Set.of());
        for (Manifest.BlobRef ref : manifest.chain()) {
            if (checked.contains(ref)) {
                continue;
            }
            long size;
            try {
                size = Files.size(blobs.resolve(ref.name()));
            } catch (NoSuchFileException e) {
                throw new IllegalStateException("refusing to publish checkpoint " + manifest.reference() + ": blob "
                        + ref.name() + " is missing; put every blob before the manifest that names it");
            }
            if (size != ref.size()) {
                throw new IllegalStateException("refusing to publish checkpoint " + manifest.reference() + ": blob "
                        + ref.name() + " has " + size + " bytes, the manifest says " + ref.size());
            }
        }
    }

    /**
     * Best effort, after a publish and under the task lock: deletes blobs the new manifest does not name
     * when they are older than every blob of the new chain (superseded checkpoints, leftovers of crashed
     * or fenced-off writers), or when the previous manifest named them and they are not newer than the
     * new chain. A blob put after the new chain's blobs is kept: it may be the next checkpoint, put but
     * not yet published. Also removes manifest temp files: only lock holders write those, so any found
     * now are from a crashed write.
     *
     * <p>Only when the new chain does not extend the previous one (the first checkpoint, and each new
     * full snapshot: at least every {@code Checkpointer.MAX_CHAIN} checkpoints). A delta added to the
     * chain supersedes no blob, and listing the directories on each one cost more than the rest of
     * the publish; what a crashed or fenced-off writer left waits for the next full snapshot (or
     * {@code snapshots gc}).
     */
    private static void collectGarbage(Path taskDir, Optional<Manifest> previous, Manifest current) {
        if (previous.isPresent()
                && current.chain().size() == previous.get().chain().size() + 1
                && current.chain()
                        .subList(0, previous.get().chain().size())
                        .equals(previous.get().chain())) {
            return;
        }
        Path blobs = taskDir.resolve(BLOBS);
        Set<String> keep = current.chain().stream().map(Manifest.BlobRef::name).collect(Collectors.toSet());
        Set<String> dropped = new HashSet<>();
        previous.ifPresent(p -> p.chain().forEach(ref -> dropped.add(ref.name())));
        dropped.removeAll(keep);
        try {
            FileTime oldestKept = null;
            FileTime newestKept = null;
            for (String name : keep) {
                FileTime time = Files.getLastModifiedTime(blobs.resolve(name));
                oldestKept = oldestKept == null || time.compareTo(oldestKept) < 0 ? time : oldestKept;
                newestKept = newestKept == null || time.compareTo(newestKept) > 0 ? time : newestKept;
            }
            try (DirectoryStream<Path> stream = Files.newDirectoryStream(blobs)) {
                for (Path blob : stream) {
                    String name = blob.getFileName().toString();
                    if (keep.contains(name) || DurableFiles.isTemp(blob)) {
                        continue;
                    }
                    FileTime time = Files.getLastModifiedTime(blob);
                    if (time.compareTo(oldestKept) < 0 || dropped.contains(name) && time.compareTo(newestKept) <= 0) {
                        Files.deleteIfExists(blob);
                    }
                }
            }
        } catch (IOException e) {
            LOG.warn("cannot collect old checkpoint blobs in {}: {}", blobs, e.toString());
        }
        DurableFiles.deleteStaleTemps(blobs, STALE_TEMP_AGE);
        DurableFiles.deleteStaleTemps(taskDir, Duration.ZERO);
    }

    /** At startup: temp files left by writes that crashed before their rename. */
    private void cleanStaleTemps() {
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(tasks)) {
            for (Path dir : dirs) {
                if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
                    continue; // never clean through a symbolic link: it may point out of the store
                }
                DurableFiles.deleteStaleTemps(dir, STALE_TEMP_AGE);
                DurableFiles.deleteStaleTemps(dir.resolve(BLOBS), STALE_TEMP_AGE);
                DurableFiles.deleteStaleTemps(dir.resolve(JOURNAL), STALE_TEMP_AGE);
            }
        } catch (IOException e) {
            LOG.warn("cannot clean temp files under {}: {}", tasks, e.toString());
        }
    }
}
