package io.wasmworker.daemon.config;

import io.wasmworker.checkpoint.store.SnapshotKeys;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code stores.encryption} turned into a key ring: every key decoded and checked (base64, AES
 * length, key id), the current key known. Errors name the file, line and field, never a key.
 *
 * @param keys           the key ring, its current key sealing what is written
 * @param allowPlaintext whether snapshots written before encryption was turned on are read
 */
public record SnapshotEncryption(SnapshotKeys keys, boolean allowPlaintext) {
    private static final String PATH = "stores.encryption";

    /**
     * The encryption {@code config} asks for, or null when snapshots are kept in the clear.
     *
     * @param source the configuration file: errors name it, and {@code keysFile} is relative to it
     */
    public static SnapshotEncryption of(String source, WorkerConfig config) {
        return of(config, new Positions(source, Map.of()));
    }

    static SnapshotEncryption of(WorkerConfig config, Positions at) {
        WorkerConfig.Encryption e =
                config.stores() == null ? null : config.stores().encryption();
        if (e == null) {
            return null;
        }
        boolean inline = e.keys() != null && !e.keys().isEmpty();
        if (inline == (e.keysFile() != null)) {
            throw new ConfigException(at.where(PATH)
                    + (inline
                            ? "give the keys either in 'keys' or in 'keysFile', not both"
                            : "no keys: give them in 'keys' (<key id>: <base64 key>, e.g. \"${SNAPSHOT_KEY}\") or"
                                    + " in 'keysFile'"));
        }
        SnapshotKeys keys = inline ? inline(e.keys(), at) : file(e.keysFile(), at);
        if (e.current() != null) {
            try {
                keys = keys.withCurrent(e.current());
            } catch (IllegalArgumentException x) {
                throw new ConfigException(at.where(PATH + ".current") + x.getMessage());
            }
        }
        return new SnapshotEncryption(keys, e.allowPlaintext() != null && e.allowPlaintext());
    }

    /** In the order written; the first is current unless {@code current} says otherwise. */
    private static SnapshotKeys inline(Map<String, String> text, Positions at) {
        Map<String, byte[]> keys = new LinkedHashMap<>();
        text.forEach((id, base64) -> {
            try {
                keys.put(id, SnapshotKeys.checkKey(id, SnapshotKeys.decodeKey(id, base64)));
            } catch (IllegalArgumentException x) {
                throw new ConfigException(at.where(PATH + ".keys." + id) + x.getMessage());
            }
        });
        return SnapshotKeys.of(keys.keySet().iterator().next(), keys);
    }

    private static SnapshotKeys file(String name, Positions at) {
        Path base = Path.of(at.source()).toAbsolutePath().getParent();
        Path file = base == null ? Path.of(name) : base.resolve(name).normalize();
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException x) {
            throw new ConfigException(
                    at.where(PATH + ".keysFile") + "the snapshot key file " + file + " does not exist");
        } catch (IOException x) {
            throw new ConfigException(at.where(PATH + ".keysFile") + "cannot read the snapshot key file " + file + ": "
                    + x.getClass().getSimpleName());
        }
        try {
            return SnapshotKeys.parseKeyFile(text, file.toString());
        } catch (IllegalArgumentException x) {
            throw new ConfigException(at.where(PATH + ".keysFile") + x.getMessage());
        }
    }
}
