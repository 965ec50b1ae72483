package io.wasmworker.checkpoint.store;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Mutual exclusion for changing a task's manifest, across threads and processes.
 *
 * <p>Two layers, because an OS file lock belongs to the whole JVM: a second thread asking for it gets
 * {@link java.nio.channels.OverlappingFileLockException} instead of waiting. So a thread first takes an
 * in-JVM lock, then the exclusive {@link FileLock} that fences other processes.
 *
 * <p>Locks are striped: task {@code <hex>} uses {@code <dir>/<first two hex digits>.lock}, 256 files in
 * all that are never deleted. A lock file inside a task's directory could not be deleted safely with
 * the task (a process may have just opened the old file while another creates a new one, and both
 * would "hold" the lock); fixed stripes avoid that and do not leave one file per task ever run.
 */
final class TaskLocks {
    /** Static: every store instance in this JVM on the same directory must share the in-JVM locks. */
    private static final ConcurrentHashMap<Path, ReentrantLock> IN_JVM = new ConcurrentHashMap<>();

    private final Path dir;

    /** {@code dir} must exist; it is made absolute and real so that aliases of one root share locks. */
    TaskLocks(Path dir) throws IOException {
        this.dir = dir.toRealPath();
    }

    /** Blocks until this thread holds the task's lock; close the result to release it. */
    Held lock(String storageName) throws IOException {
        Path file = dir.resolve(storageName.substring(0, 2) + ".lock");
        ReentrantLock local = IN_JVM.computeIfAbsent(file, f -> new ReentrantLock());
        local.lock();
        FileChannel channel = null;
        try {
            channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            return new Held(local, channel, channel.lock());
        } catch (IOException | RuntimeException | Error e) {
            if (channel != null) {
                channel.close();
            }
            local.unlock();
            throw e;
        }
    }

    /** A held task lock. */
    static final class Held implements AutoCloseable {
        private final ReentrantLock local;
        private final FileChannel channel;
        private final FileLock fileLock;

        private Held(ReentrantLock local, FileChannel channel, FileLock fileLock) {
            this.local = local;
            this.channel = channel;
            this.fileLock = fileLock;
        }

        @Override
        public void close() throws IOException {
            try (FileChannel c = channel) {
                fileLock.release();
            } finally {
                local.unlock(); // only after the file lock is gone, or the next thread would overlap it
            }
        }
    }
}
