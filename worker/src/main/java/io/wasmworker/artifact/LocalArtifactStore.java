package io.wasmworker.artifact;

import java.io.IOException;
import java.io.UncheckedIOException;
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
 * moved into place atomically, so readers never see half a module.
 */
public final class LocalArtifactStore implements ArtifactStore {
    private final Path blobs;
    private final Path names;

    public LocalArtifactStore(Path root) {
        this.blobs = root.resolve("blobs").resolve("sha256");
        this.names = root.resolve("names");
        try {
            Files.createDirectories(blobs);
            Files.createDirectories(names);
        } catch (IOException e) {
            throw new ArtifactException("cannot create artifact store at " + root + ": " + e, e);
        }
    }

    @Override
    public Digest put(byte[] bytes) {
        Digest digest = Digest.of(bytes);
        Path target = blobPath(digest);
        if (!Files.exists(target)) {
            writeAtomically(target, bytes);
        }
        return digest;
    }

    @Override
    public byte[] get(Digest digest) {
        Path path = blobPath(digest);
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(path);
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

    @Override
    public boolean contains(Digest digest) {
        return Files.exists(blobPath(digest));
    }

    @Override
    public List<Digest> list() {
        List<Digest> result = new ArrayList<>();
        try (Stream<Path> files = Files.list(blobs)) {
            files.map(p -> p.getFileName().toString())
                    .filter(n -> n.endsWith(".wasm"))
                    .sorted()
                    .forEach(n -> result.add(Digest.parse(Digest.PREFIX + n.substring(0, n.length() - 5))));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return result;
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
        try {
            return Optional.of(Digest.parse(Files.readString(file, StandardCharsets.US_ASCII).strip()));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new ArtifactException("cannot read artifact name '" + name + "' from " + file + ": " + e, e);
        } catch (IllegalArgumentException e) {
            throw new ArtifactException("artifact name file " + file + " is damaged: " + e.getMessage(), e);
        }
    }

    @Override
    public Map<String, Digest> names() {
        Map<String, Digest> result = new TreeMap<>();
        try (Stream<Path> files = Files.list(names)) {
            files.map(p -> p.getFileName().toString())
                    .filter(n -> !n.startsWith("."))
                    .forEach(n -> lookupName(n).ifPresent(d -> result.put(n, d)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return result;
    }

    private Path blobPath(Digest digest) {
        return blobs.resolve(digest.hex() + ".wasm");
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
