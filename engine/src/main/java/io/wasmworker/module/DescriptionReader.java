package io.wasmworker.module;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.wasmworker.artifact.Digest;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Reads a guest's description document (the JSON in the custom section
 * {@value GuestDescription#SECTION}) strictly: like any input from a guest's author it is untrusted,
 * so its size was bounded by the scan before it gets here, its nesting and every list and string are
 * bounded here, and anything unexpected (an unknown member, a wrong type, a duplicate name) is an
 * {@link InvalidModuleException} naming the artifact and the member, never another exception.
 */
final class DescriptionReader {
    static final int MAX_FIELDS = 200;
    static final int MAX_ERRORS = 200;
    static final int MAX_NAME_CHARS = 128;
    static final int MAX_LABEL_CHARS = 200;
    static final int MAX_TEXT_CHARS = 4000;

    /** A process-variable name as Camunda's expression language can reference it: {@code ${name}}. */
    private static final Pattern NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
    /** BPMN error codes are free text; here: visible ASCII without spaces, as guests write them. */
    private static final Pattern CODE = Pattern.compile("[!-~]+");

    private static final ObjectMapper JSON = new ObjectMapper(JsonFactory.builder()
                    // a description nests three levels; the bound keeps a hostile one cheap to refuse
                    .streamReadConstraints(
                            StreamReadConstraints.builder().maxNestingDepth(16).build())
                    .build())
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private static final Set<String> TOP = Set.of("version", "title", "description", "inputs", "outputs", "errors");
    private static final Set<String> INPUT = Set.of("name", "label", "type", "description", "required");
    private static final Set<String> OUTPUT = Set.of("name", "label", "type", "description");
    private static final Set<String> ERROR = Set.of("code", "description");

    private final Digest digest;

    private DescriptionReader(Digest digest) {
        this.digest = digest;
    }

    /** The description in {@code bytes} (UTF-8 JSON), checked; throws naming the artifact and the member. */
    static GuestDescription read(Digest digest, byte[] bytes, int offset, int length) {
        return new DescriptionReader(digest).read(bytes, offset, length);
    }

    private GuestDescription read(byte[] bytes, int offset, int length) {
        JsonNode root;
        try {
            root = JSON.readTree(bytes, offset, length);
        } catch (JsonProcessingException e) {
            throw malformed(
                    "",
                    "not one JSON document: " + e.getOriginalMessage()
                            + (e.getLocation() == null
                                    ? ""
                                    : " (at byte " + e.getLocation().getByteOffset() + ")"));
        } catch (IOException | RuntimeException e) {
            throw malformed("", "not readable JSON: " + e.getMessage());
        }
        if (root == null || !root.isObject()) {
            throw malformed("", "must be a JSON object");
        }
        JsonNode version = root.get("version");
        if (version == null) {
            throw malformed("version", "is required (" + GuestDescription.VERSION + " for this format)");
        }
        if (!version.isIntegralNumber()) {
            throw malformed("version", "must be an integer");
        }
        if (!version.canConvertToInt() || version.intValue() != GuestDescription.VERSION) {
            throw malformed(
                    "version",
                    "is " + version.asText() + "; this host reads version " + GuestDescription.VERSION
                            + " (a newer format needs a newer wasm-worker)");
        }
        known(root, TOP, "");
        String title = text(root, "title", "title", MAX_LABEL_CHARS, false);
        String description = text(root, "description", "description", MAX_TEXT_CHARS, true);
        List<GuestDescription.Field> inputs = fields(root, "inputs", true);
        List<GuestDescription.Field> outputs = fields(root, "outputs", false);
        List<GuestDescription.ErrorCode> errors = errors(root);
        return new GuestDescription(title, description, inputs, outputs, errors);
    }

    private List<GuestDescription.Field> fields(JsonNode root, String list, boolean input) {
        List<GuestDescription.Field> fields = new ArrayList<>();
        Set<String> names = new HashSet<>();
        int i = 0;
        for (JsonNode node : array(root, list, MAX_FIELDS)) {
            String at = list + "[" + i++ + "]";
            if (!node.isObject()) {
                throw malformed(at, "must be an object with at least a name");
            }
            known(node, input ? INPUT : OUTPUT, at + ".");
            String name = text(node, "name", at + ".name", MAX_NAME_CHARS, false);
            if (name == null) {
                throw malformed(at + ".name", "is required");
            }
            if (!NAME.matcher(name).matches()) {
                throw malformed(
                        at + ".name",
                        "'" + name + "' is not a variable name (a letter or _, then letters, digits or _)");
            }
            if (!names.add(name)) {
                throw malformed(at + ".name", "'" + name + "' is listed twice in " + list);
            }
            String label = text(node, "label", at + ".label", MAX_LABEL_CHARS, false);
            String description = text(node, "description", at + ".description", MAX_TEXT_CHARS, true);
            GuestDescription.Type type = type(node, at + ".type");
            boolean required = false;
            JsonNode r = node.get("required");
            if (r != null) {
                if (!r.isBoolean()) {
                    throw malformed(at + ".required", "must be true or false");
                }
                required = r.booleanValue();
            }
            fields.add(new GuestDescription.Field(name, label, type, description, required));
        }
        return fields;
    }

    private List<GuestDescription.ErrorCode> errors(JsonNode root) {
        List<GuestDescription.ErrorCode> errors = new ArrayList<>();
        Set<String> codes = new HashSet<>();
        int i = 0;
        for (JsonNode node : array(root, "errors", MAX_ERRORS)) {
            String at = "errors[" + i++ + "]";
            if (!node.isObject()) {
                throw malformed(at, "must be an object with at least a code");
            }
            known(node, ERROR, at + ".");
            String code = text(node, "code", at + ".code", MAX_NAME_CHARS, false);
            if (code == null) {
                throw malformed(at + ".code", "is required");
            }
            if (!CODE.matcher(code).matches()) {
                throw malformed(at + ".code", "'" + code + "' must be visible ASCII characters without spaces");
            }
            if (!codes.add(code)) {
                throw malformed(at + ".code", "'" + code + "' is listed twice");
            }
            errors.add(new GuestDescription.ErrorCode(
                    code, text(node, "description", at + ".description", MAX_TEXT_CHARS, true)));
        }
        return errors;
    }

    private GuestDescription.Type type(JsonNode node, String at) {
        JsonNode t = node.get("type");
        if (t == null) {
            return GuestDescription.Type.STRING;
        }
        for (GuestDescription.Type type : GuestDescription.Type.values()) {
            if (t.isTextual() && type.jsonName().equals(t.textValue())) {
                return type;
            }
        }
        throw malformed(at, "must be one of string, number, integer, boolean, json; got " + shortly(t));
    }

    private Iterable<JsonNode> array(JsonNode root, String member, int max) {
        JsonNode node = root.get(member);
        if (node == null) {
            return List.of();
        }
        if (!node.isArray()) {
            throw malformed(member, "must be an array");
        }
        if (node.size() > max) {
            throw malformed(member, "has " + node.size() + " entries, more than the limit of " + max);
        }
        return node;
    }

    /** An optional string member; null when absent. Multi-line text only where {@code lines}. */
    private String text(JsonNode node, String member, String at, int maxChars, boolean lines) {
        JsonNode value = node.get(member);
        if (value == null) {
            return null;
        }
        if (!value.isTextual()) {
            throw malformed(at, "must be a string, got " + shortly(value));
        }
        String s = value.textValue();
        if (s.isEmpty()) {
            throw malformed(at, "must not be empty (leave it out instead)");
        }
        if (s.length() > maxChars) {
            throw malformed(at, "has " + s.length() + " characters, more than the limit of " + maxChars);
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if ((c < 0x20 && !(lines && (c == '\n' || c == '\t'))) || c == 0x7f) {
                throw malformed(at, "holds the control character U+" + String.format("%04X", (int) c) + " at " + i);
            }
        }
        return s;
    }

    private void known(JsonNode node, Set<String> known, String prefix) {
        for (Map.Entry<String, JsonNode> member : node.properties()) {
            String name = member.getKey();
            if (!known.contains(name)) {
                throw malformed(
                        prefix + name,
                        "unknown member (known here: "
                                + String.join(", ", known.stream().sorted().toList()) + ")");
            }
        }
    }

    private static String shortly(JsonNode value) {
        String s = value.toString();
        return s.length() <= 40 ? s : s.substring(0, 40) + "...";
    }

    private InvalidModuleException malformed(String member, String why) {
        return new InvalidModuleException("artifact " + digest + " has a malformed description (custom section '"
                + GuestDescription.SECTION + "')" + (member.isEmpty() ? "" : ": " + member) + ": " + why
                + " (see guests/ABI.md, \"Describing a guest\")");
    }
}
