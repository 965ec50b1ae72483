package io.wasmworker.checkpoint.store;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * The manifest's file format: a JSON object with a format version, every {@link Manifest} field and
 * a {@code checksum}, the SHA-256 of the compact JSON of all other fields in a fixed order. The
 * checksum turns a torn write or a hand edit into a loud {@link CorruptSnapshotException} instead
 * of a silently wrong restore.
 */
final class ManifestCodec {
    static final int FORMAT = 1;
    private static final String CHECKSUM_PREFIX = "sha256:";
    private static final Set<String> FIELDS = Set.of("format", "taskKey", "generation", "artifact", "sequence",
            "attempt", "chain", "createdAtMillis", "checksum");
    private static final Set<String> BLOB_FIELDS = Set.of("name", "size", "sha256");

    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    private ManifestCodec() {}

    /** The file content for {@code manifest} (pretty-printed for people; the checksum does not care). */
    static byte[] encode(Manifest m) {
        Objects.requireNonNull(m.taskKey(), "manifest taskKey");
        Objects.requireNonNull(m.artifact(), "manifest artifact");
        m.chain().forEach(Blobs::checkRef);
        ObjectNode node = body(m.taskKey(), m.generation(), m.artifact(), m.sequence(), m.attempt(), m.chain(),
                m.createdAtMillis());
        node.put("checksum", checksum(node));
        try {
            return JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(node);
        } catch (JacksonException e) {
            throw new IllegalStateException("cannot encode manifest " + m.reference(), e);
        }
    }

    /** Parses and checks a manifest file's bytes; {@code source} names the file in errors. */
    static Manifest decode(byte[] bytes, String source) {
        JsonNode root;
        try {
            root = JSON.readTree(bytes);
        } catch (IOException e) {
            String why = e instanceof JacksonException je ? je.getOriginalMessage() : e.toString();
            throw corrupt(source, "not valid JSON (torn write?): " + why);
        }
        if (root == null || root.isMissingNode()) {
            throw corrupt(source, "the file is empty (torn write?)");
        }
        if (!root.isObject()) {
            throw corrupt(source, "expected a JSON object, found " + root.getNodeType());
        }
        checkFields(root, FIELDS, source, "manifest");
        int format = intField(root, "format", source);
        if (format != FORMAT) {
            throw corrupt(source, "unsupported manifest format " + format + " (this worker reads format " + FORMAT + ")");
        }
        String taskKey = textField(root, "taskKey", source);
        long generation = longField(root, "generation", source);
        String artifact = textField(root, "artifact", source);
        long sequence = longField(root, "sequence", source);
        int attempt = intField(root, "attempt", source);
        List<Manifest.BlobRef> chain = chain(root.get("chain"), source);
        long createdAt = longField(root, "createdAtMillis", source);
        String stated = textField(root, "checksum", source);

        String actual = checksum(body(taskKey, generation, artifact, sequence, attempt, chain, createdAt));
        if (!actual.equals(stated)) {
            throw corrupt(source, "checksum mismatch (stated " + stated + ", content hashes to " + actual
                    + "); the file was torn or edited");
        }
        try {
            chain.forEach(Blobs::checkRef);
            return new Manifest(taskKey, generation, artifact, sequence, attempt, chain, createdAt);
        } catch (IllegalArgumentException e) {
            throw corrupt(source, e.getMessage());
        }
    }

    private static ObjectNode body(String taskKey, long generation, String artifact, long sequence, int attempt,
            List<Manifest.BlobRef> chain, long createdAt) {
        ObjectNode node = JSON.createObjectNode();
        node.put("format", FORMAT);
        node.put("taskKey", taskKey);
        node.put("generation", generation);
        node.put("artifact", artifact);
        node.put("sequence", sequence);
        node.put("attempt", attempt);
        ArrayNode blobs = node.putArray("chain");
        for (Manifest.BlobRef ref : chain) {
            blobs.addObject().put("name", ref.name()).put("size", ref.size()).put("sha256", ref.sha256());
        }
        node.put("createdAtMillis", createdAt);
        return node;
    }

    /** Over the compact serialization, so field order and values are fixed by {@link #body}. */
    private static String checksum(ObjectNode body) {
        try {
            byte[] canonical = JSON.writeValueAsBytes(body);
            return CHECKSUM_PREFIX + Blobs.sha256Hex(canonical);
        } catch (JacksonException e) {
            throw new IllegalStateException("cannot serialize manifest body", e);
        }
    }

    private static List<Manifest.BlobRef> chain(JsonNode node, String source) {
        if (!node.isArray()) {
            throw corrupt(source, "field 'chain' must be an array, found " + node.getNodeType());
        }
        List<Manifest.BlobRef> chain = new ArrayList<>();
        for (JsonNode blob : node) {
            if (!blob.isObject()) {
                throw corrupt(source, "chain entry " + chain.size() + " must be an object, found " + blob.getNodeType());
            }
            checkFields(blob, BLOB_FIELDS, source, "chain entry " + chain.size());
            chain.add(new Manifest.BlobRef(textField(blob, "name", source), longField(blob, "size", source),
                    textField(blob, "sha256", source)));
        }
        return chain;
    }

    /** Exactly the expected fields: a missing one is damage, an unknown one is a format we do not know. */
    private static void checkFields(JsonNode node, Set<String> expected, String source, String what) {
        Set<String> present = new TreeSet<>();
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            present.add(it.next());
        }
        Set<String> missing = new TreeSet<>(expected);
        missing.removeAll(present);
        if (!missing.isEmpty()) {
            throw corrupt(source, what + " lacks field(s) " + missing);
        }
        present.removeAll(expected);
        if (!present.isEmpty()) {
            throw corrupt(source, what + " has unexpected field(s) " + present);
        }
    }

    private static String textField(JsonNode node, String name, String source) {
        JsonNode value = node.get(name);
        if (!value.isTextual()) {
            throw corrupt(source, "field '" + name + "' must be a string, found " + value.getNodeType());
        }
        return value.textValue();
    }

    private static long longField(JsonNode node, String name, String source) {
        JsonNode value = node.get(name);
        if (!value.isIntegralNumber() || !value.canConvertToLong()) {
            throw corrupt(source, "field '" + name + "' must be an integer, found " + value);
        }
        return value.longValue();
    }

    private static int intField(JsonNode node, String name, String source) {
        JsonNode value = node.get(name);
        if (!value.isIntegralNumber() || !value.canConvertToInt()) {
            throw corrupt(source, "field '" + name + "' must be a 32-bit integer, found " + value);
        }
        return value.intValue();
    }

    private static CorruptSnapshotException corrupt(String source, String what) {
        return new CorruptSnapshotException("checkpoint manifest " + source + " is corrupt: " + what);
    }
}
