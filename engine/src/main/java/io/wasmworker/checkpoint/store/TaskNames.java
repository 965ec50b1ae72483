package io.wasmworker.checkpoint.store;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.regex.Pattern;

/** What every store does alike with task keys and the manifests published under them. */
final class TaskNames {
    /** A task's storage name: 64 lower-case hex digits. */
    static final Pattern STORAGE_NAME = Pattern.compile("[0-9a-f]{64}");

    private TaskNames() {}

    /**
     * The task's storage name (a directory, an object key part): hex SHA-256 of the key's UTF-8 bytes,
     * so no task key can reach outside the store or collide with another; the original key is kept
     * inside the manifest. Keys that are not valid Unicode (a lone surrogate) are refused, since
     * lenient encoding would map different keys to the same bytes.
     */
    static String storageName(String taskKey) {
        Objects.requireNonNull(taskKey, "taskKey");
        try {
            ByteBuffer utf8 = StandardCharsets.UTF_8
                    .newEncoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .encode(CharBuffer.wrap(taskKey));
            byte[] bytes = new byte[utf8.remaining()];
            utf8.get(bytes);
            return Blobs.sha256Hex(bytes);
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException("task key is not valid Unicode text (unpaired surrogate?)", e);
        }
    }

    /** The caller's part of {@link SnapshotStore#publish}: the manifest must be the task's next generation. */
    static void checkPublishable(String taskKey, long expectedGeneration, Manifest manifest) {
        Objects.requireNonNull(taskKey, "taskKey");
        Objects.requireNonNull(manifest, "manifest");
        if (expectedGeneration < 0) {
            throw new IllegalArgumentException("expected generation must be >= 0, got " + expectedGeneration);
        }
        if (manifest.generation() != expectedGeneration + 1) {
            throw new IllegalArgumentException("manifest " + manifest.reference() + " cannot follow generation "
                    + expectedGeneration + "; its generation must be " + (expectedGeneration + 1));
        }
        if (!taskKey.equals(manifest.taskKey())) {
            throw new IllegalArgumentException(
                    "manifest for task '" + manifest.taskKey() + "' cannot be published as task '" + taskKey + "'");
        }
    }
}
