package io.wasmworker.checkpoint.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Crash-safe file writes: bytes go to a hidden temp file in the target's directory, are flushed to
 * disk, and only then appear under the final name by an atomic rename or link. A crash leaves either
 * the old file, the new file, or an ignorable temp file, never a torn file under the final name.
 */
final class DurableFiles {
    private static final Logger LOG = LoggerFactory.getLogger(DurableFiles.class);
    static final String TEMP_PREFIX = ".tmp-";
    private static final int WRITE_SLICE = 1 << 20;

    private static final boolean POSIX =
            FileSystems.getDefault().supportedFileAttributeViews().contains("posix");
    private static final Set<StandardOpenOption> CREATE_NEW =
            Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
    private static final FileAttribute<?> OWNER_ONLY =
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"));

    private final boolean fsync;

    DurableFiles(boolean fsync) {
        this.fsync = fsync;
    }

    /** Atomically replaces (or creates) {@code target} with {@code bytes}. */
    void replace(Path target, byte[] bytes) throws IOException {
        Path tmp = writeTemp(target.getParent(), bytes);
        try {
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
            syncDir(target.getParent());
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /**
     * Creates {@code target} with {@code bytes} unless it already exists; returns false (and writes
     * nothing) when it does. A hard link fails atomically if the name is taken, where a rename would
     * silently replace it, so two racing writers cannot overwrite each other's immutable file.
     */
    boolean createIfAbsent(Path target, byte[] bytes) throws IOException {
        if (Files.exists(target)) {
            return false;
        }
        Path tmp = writeTemp(target.getParent(), bytes);
        try {
            try {
                Files.createLink(target, tmp);
            } catch (FileAlreadyExistsException e) {
                return false;
            } catch (UnsupportedOperationException | FileSystemException e) {
                // file systems without hard links: a plain move that refuses an existing target
                // (check-then-rename, so only almost atomic there)
                try {
                    Files.move(tmp, target);
                } catch (FileAlreadyExistsException taken) {
                    return false;
                }
            }
            syncDir(target.getParent());
            return true;
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** Creates {@code dir} and missing parents, making the new directory entries durable. */
    void createDirectories(Path dir) throws IOException {
        if (Files.isDirectory(dir)) {
            return;
        }
        createDirectories(dir.getParent());
        try {
            Files.createDirectory(dir);
        } catch (FileAlreadyExistsException e) {
            return; // another writer made it
        }
        syncDir(dir.getParent());
    }

    /** Flushes a directory so renames, links and deletions in it survive a power loss. */
    void syncDir(Path dir) throws IOException {
        if (!fsync) {
            return;
        }
        try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
            channel.force(true);
        } catch (IOException e) {
            // some platforms (Windows) cannot open a directory; there the rename is all we have
            LOG.debug("cannot fsync directory {}: {}", dir, e.toString());
        }
    }

    static boolean isTemp(Path file) {
        return file.getFileName().toString().startsWith(TEMP_PREFIX);
    }

    /**
     * Deletes temp files in {@code dir} left by crashed writes. Only ones older than {@code minAge}:
     * a younger one may belong to a write still running in another thread or process.
     */
    static void deleteStaleTemps(Path dir, Duration minAge) {
        Instant cutoff = Instant.now().minus(minAge);
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, TEMP_PREFIX + "*")) {
            for (Path file : files) {
                try {
                    if (Files.getLastModifiedTime(file).toInstant().isBefore(cutoff)) {
                        Files.deleteIfExists(file);
                    }
                } catch (NoSuchFileException ignored) {
                    // its writer finished or someone else cleaned it
                }
            }
        } catch (NoSuchFileException ignored) {
            // nothing to clean
        } catch (IOException e) {
            LOG.warn("cannot clean temp files in {}: {}", dir, e.toString());
        }
    }

    /**
     * Where the write slice starting at {@code offset} ends: never past {@code length}, and never by
     * {@code offset + WRITE_SLICE}, which overflows an int for arrays of more than 2047 MiB.
     */
    static int nextSlice(int offset, int length) {
        return offset + Math.min(WRITE_SLICE, length - offset);
    }

    private Path writeTemp(Path dir, byte[] bytes) throws IOException {
        Path tmp = dir.resolve(
                TEMP_PREFIX + Long.toUnsignedString(ThreadLocalRandom.current().nextLong(), 36) + ".part");
        // created and opened in one call, private to its owner as Files.createTempFile makes it (which
        // takes a second open to write)
        try (FileChannel channel = POSIX
                ? FileChannel.open(tmp, CREATE_NEW, OWNER_ONLY)
                : FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            // in slices: a heap buffer written whole is first copied into a native buffer of its full
            // size, which the JDK then keeps per thread (256 MiB held after one 256 MiB checkpoint)
            for (int offset = 0; offset < bytes.length; offset = nextSlice(offset, bytes.length)) {
                ByteBuffer slice = ByteBuffer.wrap(bytes, offset, nextSlice(offset, bytes.length) - offset);
                while (slice.hasRemaining()) {
                    channel.write(slice);
                }
            }
            if (fsync) {
                channel.force(true); // data on disk before any name points at it
            }
        } catch (FileAlreadyExistsException e) {
            throw e; // another writer's (a 64-bit random name taken): never delete it
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
        return tmp;
    }
}
