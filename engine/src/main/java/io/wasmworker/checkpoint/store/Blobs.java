package io.wasmworker.checkpoint.store;

import io.wasmworker.artifact.Digest;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.CRC32C;

/** Helpers shared by every {@link SnapshotStore}: blob names, hashes and read-back verification. */
public final class Blobs {
    /**
     * Blob names become file or object names, so they are restricted to a safe alphabet. No leading
     * dot: that rules out {@code .} and {@code ..} and keeps blob names apart from the store's own
     * hidden temp files.
     */
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}");

    private static final Pattern SHA256_HEX = Pattern.compile("[0-9a-f]{64}");

    /**
     * A snapshot named by its content ({@link SnapshotStore#writeSnapshot}): the sequence, the first 16
     * hex digits of its SHA-256 and its CRC32C. Names of snapshots written before the CRC32C was added
     * lack the last part, and so does every sealed snapshot's name (random, see {@link
     * EncryptingSnapshotStore}).
     */
    private static final Pattern CHECKSUMMED_NAME = Pattern.compile("\\d{10}-([0-9a-f]{16})-([0-9a-f]{8})\\.snap");

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

    /**
     * The name {@link SnapshotStore#writeSnapshot} gives a snapshot blob: {@code
     * 0000000003-<16 hex of its sha256>-<8 hex of its crc32c>.snap}, a content address that a restore can
     * check at memory speed (the CRC32C) while the full SHA-256 stays in the manifest.
     */
    public static String checksummedSnapshotName(long sequence, String sha256Hex, int crc32c) {
        return snapshotName(
                sequence, sha256Hex.substring(0, 16) + "-" + HexFormat.of().toHexDigits(crc32c));
    }

    /** CRC32C of the buffer's remaining bytes (its position is left alone). */
    public static int crc32c(ByteBuffer bytes) {
        CRC32C crc = new CRC32C();
        crc.update(bytes.duplicate());
        return (int) crc.getValue();
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

    /**
     * Checks a snapshot blob read for a restore against its reference, at memory speed where its name
     * allows: its size, and the CRC32C its name records (a name written by {@link
     * #checksummedSnapshotName}, whose SHA-256 prefix must also agree with the reference); a blob of
     * an older name gets the full SHA-256 check of {@link #verify} (~11 ms per 16 MiB here). Both catch
     * damage, a bit flip whose snapshot checksum was recomputed included; neither is a defence against
     * a writer who rewrites the manifest too (only sealing is, see {@link EncryptingSnapshotStore}).
     *
     * @throws CorruptSnapshotException naming the blob and what does not match
     */
    public static void verifyForRestore(String taskKey, Manifest.BlobRef ref, ByteBuffer bytes) {
        if (bytes.remaining() != ref.size()) {
            throw new CorruptSnapshotException("blob " + ref.name() + " of task '" + taskKey + "' is damaged: "
                    + bytes.remaining() + " bytes, but the manifest says " + ref.size());
        }
        Matcher named = CHECKSUMMED_NAME.matcher(ref.name());
        if (!named.matches()) {
            String actual = sha256Hex(bytes);
            if (!actual.equals(ref.sha256())) {
                throw new CorruptSnapshotException("blob " + ref.name() + " of task '" + taskKey
                        + "' is damaged: sha256 " + actual + ", but the manifest says " + ref.sha256());
            }
            return;
        }
        if (!ref.sha256().startsWith(named.group(1))) {
            throw new CorruptSnapshotException("blob " + ref.name() + " of task '" + taskKey
                    + "' does not match its manifest: its name says sha256 " + named.group(1)
                    + "..., the manifest says " + ref.sha256());
        }
        int expected = HexFormat.fromHexDigits(named.group(2));
        int actual;
        try {
            actual = crc32c(bytes);
        } catch (InternalError e) { // a mapped file cut short under us (SIGBUS)
            throw new CorruptSnapshotException(
                    "blob " + ref.name() + " of task '" + taskKey + "' changed while it was read: " + e, e);
        }
        if (actual != expected) {
            throw new CorruptSnapshotException("blob " + ref.name() + " of task '" + taskKey + "' is damaged: crc32c "
                    + HexFormat.of().toHexDigits(actual) + ", but its name says " + named.group(2));
        }
    }

    /** Lowercase hex SHA-256 of the buffer's remaining bytes (its position is left alone). */
    static String sha256Hex(ByteBuffer bytes) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(bytes.duplicate());
            return HexFormat.of().formatHex(sha.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }

    /** {@link SnapshotStore#getBlob} followed by {@link #verify}. */
    public static byte[] readVerified(SnapshotStore store, String taskKey, Manifest.BlobRef ref) {
        byte[] bytes = store.getBlob(taskKey, ref.name(), ref.size());
        verify(taskKey, ref, bytes);
        return bytes;
    }
}
