package io.wasmworker.checkpoint.store;

import java.util.Base64;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import javax.crypto.SecretKey;
import javax.crypto.spec.SecretKeySpec;

/**
 * The AES keys snapshots are sealed with, by key id: one <b>current</b> key seals everything written,
 * every key of the ring opens what was sealed with it. Rotation: add a new key and make it current;
 * keep the old ones until no checkpoint sealed with them is left (their tasks have finished, or
 * {@code snapshots gc} collected them), then remove them. A ring without a current key only reads.
 *
 * <p>Key ids are recorded in every sealed blob and manifest, in clear: 1 to 64 characters of
 * {@code [A-Za-z0-9._-]}. Keys are 128, 192 or 256 bits. Nothing here ever prints a key.
 */
public final class SnapshotKeys {
    private static final Pattern ID = Pattern.compile("[A-Za-z0-9._-]{1,64}");

    private final String current;
    private final Map<String, SecretKey> keys;

    private SnapshotKeys(String current, Map<String, SecretKey> keys) {
        this.current = current;
        this.keys = keys;
    }

    /**
     * @param current the id of the key that seals new snapshots; null for a ring that only reads
     * @param keys    raw AES keys by id (16, 24 or 32 bytes), at least one
     * @throws IllegalArgumentException naming the key id (never the key) that is wrong
     */
    public static SnapshotKeys of(String current, Map<String, byte[]> keys) {
        Objects.requireNonNull(keys, "keys");
        if (keys.isEmpty()) {
            throw new IllegalArgumentException("the snapshot key ring is empty: give at least one key");
        }
        Map<String, SecretKey> ring = new LinkedHashMap<>();
        keys.forEach((id, raw) ->
                ring.put(id, new SecretKeySpec(checkKey(id, raw).clone(), "AES")));
        if (current != null && !ring.containsKey(current)) {
            throw new IllegalArgumentException("the current snapshot key '" + current + "' is not in the key ring"
                    + " (its keys: " + String.join(", ", ring.keySet()) + ")");
        }
        return new SnapshotKeys(current, Collections.unmodifiableMap(ring));
    }

    /**
     * A key given as base64 (standard alphabet, padding optional; surrounding whitespace ignored).
     *
     * @throws IllegalArgumentException naming the key id (never the text) when it is not base64
     */
    public static byte[] decodeKey(String id, String base64) {
        if (base64 == null || base64.isBlank()) {
            throw new IllegalArgumentException("snapshot key '" + id + "' is empty");
        }
        try {
            return Base64.getDecoder().decode(base64.strip());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("snapshot key '" + id + "' is not valid base64 (standard alphabet"
                    + " A-Z a-z 0-9 + /, e.g. the output of `openssl rand -base64 32`)");
        }
    }

    /** Throws {@link IllegalArgumentException} unless {@code id} is a valid key id and {@code raw} an AES key. */
    public static byte[] checkKey(String id, byte[] raw) {
        checkId(id);
        if (raw == null || (raw.length != 16 && raw.length != 24 && raw.length != 32)) {
            throw new IllegalArgumentException("snapshot key '" + id + "' is " + (raw == null ? 0 : raw.length * 8)
                    + " bits long; AES keys are 128, 192 or 256 bits (16, 24 or 32 bytes, base64-encoded;"
                    + " e.g. `openssl rand -base64 32`)");
        }
        return raw;
    }

    /**
     * Reads a key file: one {@code <key id>=<base64 key>} per line, the <b>first</b> being the current
     * key (it seals what is written; the others only open what they sealed), blank lines and lines
     * starting with {@code #} ignored.
     *
     * @param source names the file in errors, which give its line and never a key
     * @throws IllegalArgumentException for a malformed line, a duplicate id or a file without keys
     */
    public static SnapshotKeys parseKeyFile(String text, String source) {
        Map<String, byte[]> keys = new LinkedHashMap<>();
        String[] lines = text.split("\r?\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i].strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String where = source + ":" + (i + 1) + ": ";
            int eq = line.indexOf('=');
            if (eq < 0) {
                throw new IllegalArgumentException(where + "expected <key id>=<base64 key>");
            }
            String id = line.substring(0, eq).strip();
            if (!isValidId(id)) { // not echoed: a line without its '=' where expected may hold part of a key
                throw new IllegalArgumentException(
                        where + "expected <key id>=<base64 key>, the key id 1-64 characters" + " of [A-Za-z0-9._-]");
            }
            try {
                if (keys.containsKey(id)) {
                    throw new IllegalArgumentException("snapshot key '" + id + "' is given twice");
                }
                keys.put(id, checkKey(id, decodeKey(id, line.substring(eq + 1))));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(where + e.getMessage());
            }
        }
        if (keys.isEmpty()) {
            throw new IllegalArgumentException(source + ": holds no snapshot key (one <key id>=<base64 key> per line,"
                    + " the first one current)");
        }
        return of(keys.keySet().iterator().next(), keys);
    }

    /** The same keys, with {@code id} (one of them) current. */
    public SnapshotKeys withCurrent(String id) {
        if (!keys.containsKey(id)) {
            throw new IllegalArgumentException("the current snapshot key '" + id + "' is not in the key ring"
                    + " (its keys: " + String.join(", ", keys.keySet()) + ")");
        }
        return new SnapshotKeys(id, keys);
    }

    /** The same keys, for reading only. */
    public SnapshotKeys readOnly() {
        return new SnapshotKeys(null, keys);
    }

    /** Throws {@link IllegalArgumentException} unless {@code id} is a valid key id. */
    public static String checkId(String id) {
        if (id == null || !ID.matcher(id).matches()) {
            throw new IllegalArgumentException(
                    "invalid snapshot key id '" + id + "': expected 1-64 characters of [A-Za-z0-9._-]");
        }
        return id;
    }

    static boolean isValidId(String id) {
        return id != null && ID.matcher(id).matches();
    }

    /** The id of the key new snapshots are sealed with; empty for a ring that only reads. */
    public Optional<String> current() {
        return Optional.ofNullable(current);
    }

    /** The key with this id, if the ring has it. */
    Optional<SecretKey> key(String id) {
        return Optional.ofNullable(keys.get(id));
    }

    /** Every key id of the ring, the current one included, in the order given. */
    public Set<String> ids() {
        return keys.keySet();
    }

    @Override
    public String toString() {
        return "SnapshotKeys[current=" + current + ", ids=" + keys.keySet() + "]";
    }
}
