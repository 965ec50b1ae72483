package io.wasmworker.checkpoint.store;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;

/**
 * AES-GCM as snapshots use it (the JDK's {@code AES/GCM/NoPadding}): a fresh random 96-bit nonce for
 * every encryption, a 128-bit tag, and associated data that binds each ciphertext to where it
 * belongs. And the sealed blob format:
 *
 * <pre>
 *   "WWSEAL" u8 version(1) u8 keyIdLength, keyId (ASCII), 12-byte nonce, ciphertext, 16-byte tag
 * </pre>
 *
 * whose associated data is everything before the nonce, then the purpose {@code blob}, the task key
 * and the blob name (each as u32 length and UTF-8 bytes). So a sealed blob opens only under its own
 * task key and name, with the key id it states.
 */
final class SnapshotCipher {
    static final int NONCE_BYTES = 12;
    static final int TAG_BYTES = 16;
    private static final int TAG_BITS = TAG_BYTES * 8;
    private static final byte[] MAGIC = {'W', 'W', 'S', 'E', 'A', 'L'};
    private static final int VERSION = 1;
    /** The most a sealed blob adds to its content: header with the longest key id, nonce and tag. */
    static final int MAX_BLOB_OVERHEAD = MAGIC.length + 2 + 64 + NONCE_BYTES + TAG_BYTES;

    private static final SecureRandom RANDOM = new SecureRandom();

    private SnapshotCipher() {}

    static byte[] nonce() {
        byte[] nonce = new byte[NONCE_BYTES];
        RANDOM.nextBytes(nonce);
        return nonce;
    }

    /** {@code prefix}, then the ciphertext and tag of {@code plaintext}, in one array. */
    static byte[] encrypt(SecretKey key, byte[] nonce, byte[] associated, byte[] plaintext, byte[] prefix) {
        try {
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, nonce));
            cipher.updateAAD(associated);
            byte[] out = new byte[prefix.length + cipher.getOutputSize(plaintext.length)];
            System.arraycopy(prefix, 0, out, 0, prefix.length);
            int n = cipher.doFinal(plaintext, 0, plaintext.length, out, prefix.length);
            return n == out.length - prefix.length ? out : Arrays.copyOf(out, prefix.length + n);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM encryption failed: " + e, e); // every JDK has AES-GCM
        }
    }

    /** The plaintext, or null when the ciphertext does not authenticate under this key and data. */
    static byte[] decrypt(SecretKey key, byte[] nonce, byte[] associated, byte[] in, int offset, int length) {
        if (length < TAG_BYTES) {
            return null;
        }
        try {
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, nonce));
            cipher.updateAAD(associated);
            return cipher.doFinal(in, offset, length);
        } catch (AEADBadTagException e) {
            return null;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM decryption failed: " + e, e);
        }
    }

    /** Whether {@code bytes} are in the sealed blob format (by their magic; opening them decides the rest). */
    static boolean isSealedBlob(byte[] bytes) {
        return bytes.length >= MAGIC.length && Arrays.equals(bytes, 0, MAGIC.length, MAGIC, 0, MAGIC.length);
    }

    /** Seals a blob's content with the given key, for this task key and blob name. */
    static byte[] sealBlob(String keyId, SecretKey key, String taskKey, String blobName, byte[] content) {
        byte[] id = keyId.getBytes(StandardCharsets.US_ASCII);
        byte[] header = new byte[MAGIC.length + 2 + id.length];
        System.arraycopy(MAGIC, 0, header, 0, MAGIC.length);
        header[MAGIC.length] = VERSION;
        header[MAGIC.length + 1] = (byte) id.length;
        System.arraycopy(id, 0, header, MAGIC.length + 2, id.length);
        byte[] nonce = nonce();
        byte[] prefix = Arrays.copyOf(header, header.length + NONCE_BYTES);
        System.arraycopy(nonce, 0, prefix, header.length, NONCE_BYTES);
        return encrypt(key, nonce, blobData(header, taskKey, blobName), content, prefix);
    }

    /** A sealed blob's parts; null when the header is cut short or malformed. */
    record SealedBlob(String keyId, byte[] header, byte[] nonce, int offset) {
        static SealedBlob parse(byte[] bytes) {
            int idStart = MAGIC.length + 2;
            if (!isSealedBlob(bytes) || bytes.length < idStart || bytes[MAGIC.length] != VERSION) {
                return null;
            }
            int idLength = bytes[MAGIC.length + 1] & 0xff;
            int nonceStart = idStart + idLength;
            if (bytes.length < nonceStart + NONCE_BYTES + TAG_BYTES) {
                return null;
            }
            String keyId = new String(bytes, idStart, idLength, StandardCharsets.US_ASCII);
            if (!SnapshotKeys.isValidId(keyId)) {
                return null;
            }
            return new SealedBlob(
                    keyId,
                    Arrays.copyOf(bytes, nonceStart),
                    Arrays.copyOfRange(bytes, nonceStart, nonceStart + NONCE_BYTES),
                    nonceStart + NONCE_BYTES);
        }

        /** The content, or null when it does not authenticate under this key, task key and blob name. */
        byte[] open(SecretKey key, String taskKey, String blobName, byte[] bytes) {
            return decrypt(key, nonce, blobData(header, taskKey, blobName), bytes, offset, bytes.length - offset);
        }
    }

    /** What a sealed blob's tag covers besides its ciphertext. */
    private static byte[] blobData(byte[] header, String taskKey, String blobName) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(header);
        field(out, "blob");
        field(out, taskKey);
        field(out, blobName);
        return out.toByteArray();
    }

    /** What a sealed manifest's tag covers besides its ciphertext (see {@link ManifestCodec#sealedData}). */
    static byte[] manifestData(String taskKey, byte[] sealedFields) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        field(out, "wasm-worker manifest seal v1");
        field(out, taskKey);
        out.writeBytes(ByteBuffer.allocate(4).putInt(sealedFields.length).array());
        out.writeBytes(sealedFields);
        return out.toByteArray();
    }

    private static void field(ByteArrayOutputStream out, String value) {
        byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
        out.writeBytes(ByteBuffer.allocate(4).putInt(bytes.length).array());
        out.writeBytes(bytes);
    }
}
