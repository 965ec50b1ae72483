package io.wasmworker.checkpoint.store;

import io.wasmworker.artifact.Digest;
import java.util.Objects;
import java.util.regex.Pattern;

/** Helpers shared by every {@link SnapshotStore}: blob names, hashes and read-back verification. */
public final class Blobs {
    /**
     * Blob names become file or object names, so they are restricted to a safe alphabet. No leading
     * dot: that rules out {@code .} and {@code ..} and keeps blob names apart from the store's own
     * hidden temp files.
     */
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}");

    private static final Pattern SHA256_HEX = Pattern.compile("[0-9a-f]{64}");

    private Blobs() {}

    static boolean isValidName(String name) {
        return name != null && NAME.matcher(name).matches();
    }

    /** Throws {@link IllegalArgumentException} unless {@code name} is a valid blob name. */
    public static String checkName(String name) {
        Objects.requireNonNull(name, "blob name");
        if (!NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("invalid blob name '" + name + "': expected 1-128 characters of "
                    + "[A-Za-z0-9._-], not starting with '.'");
        }
        return name;
    }

    /** Throws {@link IllegalArgumentException} unless the reference is well formed. */
    static void checkRef(Manifest.BlobRef ref) {
        Objects.requireNonNull(ref, "blob reference");
        checkName(ref.name());
        if (ref.size() < 0) {
            throw new IllegalArgumentException("blob '" + ref.name() + "' has a negative size " + ref.size());
        }
        if (ref.sha256() == null || !SHA256_HEX.matcher(ref.sha256()).matches()) {
            throw new IllegalArgumentException("blob '" + ref.name() + "' has a malformed sha256 '" + ref.sha256()
                    + "' (expected 64 lowercase hex digits)");
        }
    }

    /** A snapshot blob's name: {@code 0000000003-<tag>.snap}, its sequence and a tag that tells it apart. */
    public static String snapshotName(long sequence, String tag) {
        return checkName(String.format("%010d-%s.snap", sequence, tag));
    }

    /** Lowercase hex SHA-256 of {@code bytes}. */
    public static String sha256Hex(byte[] bytes) {
        return Digest.of(bytes).hex();
    }

    /** The reference a manifest needs for a blob with these bytes. */
    public static Manifest.BlobRef ref(String name, byte[] bytes) {
        return new Manifest.BlobRef(checkName(name), bytes.length, sha256Hex(bytes));
    }

    /** Throws {@link CorruptSnapshotException} unless {@code bytes} match the reference's size and hash. */
    public static void verify(String taskKey, Manifest.BlobRef ref, byte[] bytes) {
        if (bytes.length != ref.size()) {
            throw new CorruptSnapshotException("blob " + ref.name() + " of task '" + taskKey + "' is damaged: "
                    + bytes.length + " bytes, but the manifest says " + ref.size());
        }
        String actual = sha256Hex(bytes);
        if (!actual.equals(ref.sha256())) {
            throw new CorruptSnapshotException("blob " + ref.name() + " of task '" + taskKey + "' is damaged: sha256 "
                    + actual + ", but the manifest says " + ref.sha256());
        }
    }

    /** {@link SnapshotStore#getBlob} followed by {@link #verify}. */
    public static byte[] readVerified(SnapshotStore store, String taskKey, Manifest.BlobRef ref) {
        byte[] bytes = store.getBlob(taskKey, ref.name(), ref.size());
        verify(taskKey, ref, bytes);
        return bytes;
    }
}
