package io.wasmworker.artifact;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * The embedded default store: a directory with {@code blobs/sha256/<hex>.wasm} and
 * {@code names/<name>} (a file holding the digest). Files are written to a temporary name and
 * moved into place atomically, so readers never see half a module. Nothing larger than the
 * store's size limit is stored or read: a file is refused by its size before it is read.
 */
public final class LocalArtifactStore implements ArtifactStore {
    private static final String SUFFIX = ".wasm";
    /** A name file holds a digest and a newline. */
    private static final int MAX_NAME_FILE_BYTES = 1024;

    private final Path blobs;
    private final Path names;
    private final Path root;
    private final long maxBytes;

    public LocalArtifactStore(Path root) {
        this(root, DEFAULT_MAX_BYTES);
    }

    public LocalArtifactStore(Path root, long maxBytes) {
        if (maxBytes < 1 || maxBytes > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException("artifact size limit must be between 1 byte and 2 GiB, got " + maxBytes);
        }
        this.root = root;
        this.blobs = root.resolve("blobs").resolve("sha256");
        this.names = root.resolve("names");
        this.maxBytes = maxBytes;
        try {
            Files.createDirectories(blobs);
            Files.createDirectories(names);
        } catch (IOException e) {
            throw new ArtifactException("cannot create artifact store at " + root + ": " + e, e);
        }
    }

    @Override
    public long maxBytes() {
        return maxBytes;
    }

    @Override
    public String location() {
        return root.toString();
    }

    /**
     * Stores the bytes and returns their digest. If a file is already filed under that digest but
     * its bytes are damaged, the good bytes replace it.
     */
    @Override
    public Digest put(byte[] bytes) {
        if (bytes.length > maxBytes) {
            throw new ArtifactException("a module of " + bytes.length + " bytes is larger than the artifact store's"
                    + " limit of " + maxBytes + " bytes");
        }
        Digest digest = Digest.of(bytes);
        Path target = blobPath(digest);
        if (!Files.exists(target) || !holds(target, digest)) {
            writeAtomically(target, bytes);
        }
        return digest;
    }

    /** Whether the file holds exactly the bytes of {@code digest} (false for anything unreadable). */
    private boolean holds(Path file, Digest digest) {
        try {
            return Digest.of(readBounded(file, maxBytes, "artifact " + digest)).equals(digest);
        } catch (IOException | ArtifactException e) {
            return false;
        }
    }

    @Override
    public byte[] get(Digest digest) {
        Path path = blobPath(digest);
        byte[] bytes;
        try {
            bytes = readBounded(path, maxBytes, "artifact " + digest);
        } catch (NoSuchFileException e) {
            throw new ArtifactException.NotFound("artifact " + digest + " is not in the artifact store (" + path + ")");
        } catch (IOException e) {
            throw new ArtifactException("cannot read artifact " + digest + " from " + path + ": " + e, e);
        }
        Digest actual = Digest.of(bytes);
        if (!actual.equals(digest)) {
            throw new ArtifactException.DigestMismatch(digest, actual, path.toString());
        }
        return bytes;
    }

    /**
     * Reads a file of at most {@code max} bytes: a larger one is refused by its size, and the read
     * itself stops one byte past the limit (the file may grow meanwhile, or have no size: a pipe).
     *
     * @throws ArtifactException naming {@code what} and the file when it is too large
     */
    public static byte[] readBounded(Path file, long max, String what) throws IOException {
        long size = Files.isRegularFile(file) ? Files.size(file) : -1;
        byte[] bytes;
        if (size <= max) {
            try (InputStream in = Files.newInputStream(file)) {
                bytes = in.readNBytes((int) Math.min(max + 1, Integer.MAX_VALUE - 16));
            }
        } else {
            bytes = null;
        }
        if (bytes == null || bytes.length > max) {
            throw new ArtifactException(what + " (" + file + ") is " + (size > max ? size + " bytes" : "over the limit")
                    + ", more than the limit of " + max + " bytes for a module; refusing to read it");
        }
        return bytes;
    }

    @Override
    public boolean contains(Digest digest) {
        return Files.exists(blobPath(digest));
    }

    /** The digests stored; files that are not named like a digest (strays) are not among them. */
    @Override
    public List<Digest> list() {
        return files(blobs).stream()
                .flatMap(f -> digestOf(f.getFileName().toString()).stream())
                .toList();
    }

    @Override
    public List<Entry> inventory() {
        Map<String, Digest> bound = new TreeMap<>();
        List<Entry> entries = new ArrayList<>();
        for (Path file : files(names)) {
            String name = file.getFileName().toString();
            try {
                lookupName(name).ifPresent(d -> bound.put(name, d));
            } catch (ArtifactException | IllegalArgumentException e) {
                entries.add(new Entry(
                        Optional.empty(),
                        List.of(name),
                        file.toString(),
                        "name '" + name + "' is damaged: " + e.getMessage()));
            }
        }
        for (Path file : files(blobs)) {
            String fileName = file.getFileName().toString();
            Optional<Digest> digest = digestOf(fileName);
            if (digest.isEmpty()) {
                entries.add(new Entry(
                        Optional.empty(), List.of(), file.toString(), "a stray file, not named sha256-hex.wasm"));
                continue;
            }
            List<String> its = bound.entrySet().stream()
                    .filter(e -> e.getValue().equals(digest.get()))
                    .map(Map.Entry::getKey)
                    .toList();
            String problem = null;
            try {
                get(digest.get());
            } catch (ArtifactException e) {
                problem = e.getMessage();
            }
            entries.add(new Entry(digest, its, file.toString(), problem));
        }
        bound.forEach((name, digest) -> {
            if (!Files.exists(blobPath(digest))) {
                entries.add(new Entry(
                        Optional.of(digest),
                        List.of(name),
                        names.resolve(name).toString(),
                        "name '" + name + "' is bound to " + digest + ", which is not in the store"));
            }
        });
        return entries;
    }

    private static Optional<Digest> digestOf(String fileName) {
        if (!fileName.endsWith(SUFFIX)) {
            return Optional.empty();
        }
        String text = Digest.PREFIX + fileName.substring(0, fileName.length() - SUFFIX.length());
        try {
            return Optional.of(Digest.parse(text));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    /** Visible files of a directory, sorted; temp files (leading dot) are skipped. */
    private static List<Path> files(Path dir) {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> !p.getFileName().toString().startsWith("."))
                    .sorted()
                    .toList();
        } catch (IOException e) {
            throw new ArtifactException("cannot list " + dir + ": " + e, e);
        }
    }

    @Override
    public void bindName(String name, Digest digest) {
        ArtifactRef.checkName(name);
        if (!contains(digest)) {
            throw new ArtifactException.NotFound("cannot name '" + name + "': " + digest + " is not in the store");
        }
        writeAtomically(names.resolve(name), (digest + "\n").getBytes(StandardCharsets.US_ASCII));
    }

    @Override
    public Optional<Digest> lookupName(String name) {
        ArtifactRef.checkName(name);
        Path file = names.resolve(name);
        String text;
        try {
            text = new String(readBounded(file, MAX_NAME_FILE_BYTES, "artifact name file"), StandardCharsets.US_ASCII);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new ArtifactException("cannot read artifact name '" + name + "' from " + file + ": " + e, e);
        } catch (ArtifactException e) {
            throw new ArtifactException("artifact name file " + file + " is damaged: larger than a digest", e);
        }
        try {
            return Optional.of(Digest.parse(text.strip()));
        } catch (IllegalArgumentException e) {
            // not the parser's message: it would quote the file, which may hold anything
            throw new ArtifactException(
                    "artifact name file " + file + " is damaged: it does not hold a digest"
                            + " (expected sha256:<64 hex digits>); bind the name again with"
                            + " `wasm-worker artifacts put FILE --name " + name + "`",
                    e);
        }
    }

    @Override
    public Map<String, Digest> names() {
        Map<String, Digest> result = new TreeMap<>();
        for (Path file : files(names)) {
            String name = file.getFileName().toString();
            lookupName(name).ifPresent(d -> result.put(name, d));
        }
        return result;
    }

    private Path blobPath(Digest digest) {
        return blobs.resolve(digest.hex() + SUFFIX);
    }

    private static void writeAtomically(Path target, byte[] bytes) {
        Path tmp = null;
        try {
            tmp = Files.createTempFile(target.getParent(), ".tmp-", ".part");
            Files.write(tmp, bytes);
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            throw new ArtifactException("cannot write " + target + ": " + e, e);
        } finally {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // best effort: a leftover .part file is ignored by list()
                }
            }
        }
    }
}
