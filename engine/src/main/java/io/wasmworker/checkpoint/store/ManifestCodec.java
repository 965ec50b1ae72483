package io.wasmworker.checkpoint.store;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.wasmworker.artifact.Digest;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * The manifest's file format: a JSON object with a format version, every {@link Manifest} field and
 * a {@code checksum}, the SHA-256 of the compact JSON of all other fields in a fixed order. The
 * checksum turns a torn write or a hand edit into a loud {@link CorruptSnapshotException} instead
 * of a silently wrong restore.
 *
 * <p>Format 2 adds {@code input}, the digest of the input the checkpointed run was given. Format 1
 * (no {@code input}) is still read, and written for a manifest that records no input, so manifests
 * published before the change keep resuming.
 *
 * <p>Format 3 is a sealed manifest ({@link EncryptingSnapshotStore}): format 1's fields, which the
 * store needs to fence and collect, and {@code sealed}: the key id, nonce and AES-GCM ciphertext of
 * the whole manifest in the clear (format 1 or 2), authenticated together with every other field
 * ({@link #sealedData}). This codec checks its form and checksum; opening it takes the keys.
 *
 * <p>Errors name the file and what is wrong with it, never its contents: a manifest may be any file
 * someone put there, secrets included.
 */
final class ManifestCodec {
    static final int FORMAT = 2;
    private static final int FORMAT_WITHOUT_INPUT = 1;
    static final int FORMAT_SEALED = 3;
    private static final String CHECKSUM_PREFIX = "sha256:";
    private static final Set<String> FIELDS_V1 = Set.of(
            "format",
            "taskKey",
            "generation",
            "artifact",
            "sequence",
            "attempt",
            "chain",
            "createdAtMillis",
            "checksum");
    private static final Set<String> FIELDS_V2 = Set.of(
            "format",
            "taskKey",
            "generation",
            "artifact",
            "sequence",
            "attempt",
            "input",
            "chain",
            "createdAtMillis",
            "checksum");
    private static final Set<String> FIELDS_V3 = Set.of(
            "format",
            "taskKey",
            "generation",
            "artifact",
            "sequence",
            "attempt",
            "chain",
            "createdAtMillis",
            "sealed",
            "checksum");
    private static final Set<String> SEAL_FIELDS = Set.of("keyId", "nonce", "ciphertext");
    private static final Pattern BASE64 = Pattern.compile("[A-Za-z0-9+/]*={0,2}");
    private static final Pattern DIGEST = Pattern.compile(Pattern.quote(Digest.PREFIX) + "[0-9a-f]{64}");
    /** Generations and sequences count publishes: far below this, which leaves room to add to them. */
    private static final long MAX_COUNTER = 1L << 53;

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
        ObjectNode node = body(
                m.taskKey(),
                m.generation(),
                m.artifact().toString(),
                m.sequence(),
                m.attempt(),
                m.input() == null ? null : m.input().toString(),
                m.chain(),
                m.createdAtMillis(),
                m.seal(),
                true);
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
            // not the parser's message: it quotes the offending text
            String where = e instanceof JsonProcessingException je && je.getLocation() != null
                    ? " at line " + je.getLocation().getLineNr() + ", column "
                            + je.getLocation().getColumnNr()
                    : "";
            throw corrupt(source, "not valid JSON" + where + " (torn write?)");
        }
        if (root == null || root.isMissingNode()) {
            throw corrupt(source, "the file is empty (torn write?)");
        }
        if (!root.isObject()) {
            throw corrupt(source, "expected a JSON object, found " + root.getNodeType());
        }
        if (!root.has("format")) {
            throw corrupt(source, "manifest lacks field(s) [format]");
        }
        int format = intField(root, "format", source);
        if (format != FORMAT && format != FORMAT_WITHOUT_INPUT && format != FORMAT_SEALED) {
            throw corrupt(
                    source,
                    "unsupported manifest format " + format + " (this worker reads formats " + FORMAT_WITHOUT_INPUT
                            + " to " + FORMAT_SEALED + ")");
        }
        checkFields(
                root,
                format == FORMAT ? FIELDS_V2 : format == FORMAT_SEALED ? FIELDS_V3 : FIELDS_V1,
                source,
                "manifest");
        String taskKey = textField(root, "taskKey", source);
        long generation = longField(root, "generation", source);
        String artifact = textField(root, "artifact", source);
        long sequence = longField(root, "sequence", source);
        int attempt = intField(root, "attempt", source);
        String input = format == FORMAT ? textField(root, "input", source) : null;
        List<Manifest.BlobRef> chain = chain(root.get("chain"), source);
        long createdAt = longField(root, "createdAtMillis", source);
        Manifest.Seal seal = format == FORMAT_SEALED ? seal(root.get("sealed"), source) : null;
        String stated = textField(root, "checksum", source);

        String actual =
                checksum(body(taskKey, generation, artifact, sequence, attempt, input, chain, createdAt, seal, true));
        if (!actual.equals(stated)) {
            throw corrupt(
                    source,
                    "checksum mismatch (its content hashes to " + actual
                            + ", not to the stated checksum); the file was torn or edited");
        }
        try {
            for (int i = 0; i < chain.size(); i++) {
                checkRef(i, chain.get(i));
            }
            if (sequence < 1 || sequence > MAX_COUNTER || generation > MAX_COUNTER || attempt < 1) {
                throw new IllegalArgumentException("its generation, sequence or attempt is out of range");
            }
            checkDigest("artifact", artifact);
            if (input != null) {
                checkDigest("input", input);
            }
            return new Manifest(
                    taskKey,
                    generation,
                    Digest.parse(artifact),
                    sequence,
                    attempt,
                    chain,
                    createdAt,
                    input == null ? null : Digest.parse(input),
                    seal);
        } catch (IllegalArgumentException e) {
            throw corrupt(source, e.getMessage());
        }
    }

    /**
     * What a seal authenticates besides its ciphertext: every field of the sealed manifest {@code m}
     * would be stored with, and the id of the key, in their canonical form. So no field can be
     * changed, and no seal moved to another task, generation or chain, without failing to open.
     */
    static byte[] sealedData(Manifest m, String keyId) {
        ObjectNode node = body(
                m.taskKey(),
                m.generation(),
                m.artifact().toString(),
                m.sequence(),
                m.attempt(),
                null,
                m.chain(),
                m.createdAtMillis(),
                new Manifest.Seal(keyId, "", ""),
                false);
        try {
            return JSON.writeValueAsBytes(node);
        } catch (JacksonException e) {
            throw new IllegalStateException("cannot serialize manifest body", e);
        }
    }

    /**
     * Format 1's body exactly when there is no input and no seal, so old checksums still verify.
     *
     * @param sealContent whether to include the seal's nonce and ciphertext, or only its key id
     */
    private static ObjectNode body(
            String taskKey,
            long generation,
            String artifact,
            long sequence,
            int attempt,
            String input,
            List<Manifest.BlobRef> chain,
            long createdAt,
            Manifest.Seal seal,
            boolean sealContent) {
        ObjectNode node = JSON.createObjectNode();
        node.put("format", seal != null ? FORMAT_SEALED : input == null ? FORMAT_WITHOUT_INPUT : FORMAT);
        node.put("taskKey", taskKey);
        node.put("generation", generation);
        node.put("artifact", artifact);
        node.put("sequence", sequence);
        node.put("attempt", attempt);
        if (input != null) {
            node.put("input", input);
        }
        ArrayNode blobs = node.putArray("chain");
        for (Manifest.BlobRef ref : chain) {
            blobs.addObject().put("name", ref.name()).put("size", ref.size()).put("sha256", ref.sha256());
        }
        node.put("createdAtMillis", createdAt);
        if (seal != null) {
            ObjectNode sealed = node.putObject("sealed").put("keyId", seal.keyId());
            if (sealContent) {
                sealed.put("nonce", seal.nonce()).put("ciphertext", seal.ciphertext());
            }
        }
        return node;
    }

    private static Manifest.Seal seal(JsonNode node, String source) {
        if (!node.isObject()) {
            throw corrupt(source, "field 'sealed' must be an object, found " + node.getNodeType());
        }
        checkFields(node, SEAL_FIELDS, source, "field 'sealed'");
        String keyId = textField(node, "keyId", source);
        if (!SnapshotKeys.isValidId(keyId)) {
            throw corrupt(source, "field 'sealed' has an invalid key id (expected 1-64 characters of [A-Za-z0-9._-])");
        }
        String nonce = textField(node, "nonce", source);
        String ciphertext = textField(node, "ciphertext", source);
        if (!BASE64.matcher(nonce).matches() || !BASE64.matcher(ciphertext).matches()) {
            throw corrupt(source, "field 'sealed' holds a nonce or ciphertext that is not base64");
        }
        return new Manifest.Seal(keyId, nonce, ciphertext);
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
                throw corrupt(
                        source, "chain entry " + chain.size() + " must be an object, found " + blob.getNodeType());
            }
            checkFields(blob, BLOB_FIELDS, source, "chain entry " + chain.size());
            chain.add(new Manifest.BlobRef(
                    textField(blob, "name", source),
                    longField(blob, "size", source),
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
        if (!present.isEmpty()) { // counted, not named: the names are the file's content
            throw corrupt(
                    source,
                    what + " has " + present.size() + " unexpected field(s); expected exactly "
                            + new TreeSet<>(expected));
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
            throw corrupt(source, "field '" + name + "' must be an integer, found " + kind(value));
        }
        return value.longValue();
    }

    private static int intField(JsonNode node, String name, String source) {
        JsonNode value = node.get(name);
        if (!value.isIntegralNumber() || !value.canConvertToInt()) {
            throw corrupt(source, "field '" + name + "' must be a 32-bit integer, found " + kind(value));
        }
        return value.intValue();
    }

    /** {@link Blobs#checkRef}, worded without the values. */
    private static void checkRef(int index, Manifest.BlobRef ref) {
        try {
            Blobs.checkRef(ref);
        } catch (IllegalArgumentException e) {
            String what = !Blobs.isValidName(ref.name())
                    ? "an invalid blob name (expected 1-128 characters of " + "[A-Za-z0-9._-], not starting with '.')"
                    : ref.size() < 0 ? "a negative size" : "a malformed sha256 (expected 64 lowercase hex digits)";
            throw new IllegalArgumentException("chain entry " + index + " has " + what);
        }
    }

    private static void checkDigest(String field, String value) {
        if (!DIGEST.matcher(value).matches()) {
            throw new IllegalArgumentException(
                    "field '" + field + "' is not a digest (expected sha256:<64 hex digits>)");
        }
    }

    /** What a value is, without its text. */
    private static String kind(JsonNode value) {
        return value.isNumber()
                ? "a number out of range or with a fraction"
                : value.getNodeType().toString();
    }

    private static CorruptSnapshotException corrupt(String source, String what) {
        return new CorruptSnapshotException("checkpoint manifest " + source + " is corrupt: " + what);
    }
}
