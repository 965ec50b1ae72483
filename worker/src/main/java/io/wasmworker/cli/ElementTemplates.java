package io.wasmworker.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.wasmworker.artifact.Digest;
import io.wasmworker.module.GuestDescription;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Camunda Modeler element templates (the Camunda 7 / Operaton "Platform" schema,
 * https://unpkg.com/@camunda/element-templates-json-schema/resources/schema.json) for described
 * guests: a service task implemented as an external task on the guest's topic, its inputs as input
 * parameters (each defaulting to the process variable of the same name; null when an optional one
 * is not set), its outputs as output
 * parameters (result variables, defaulting to the output's name), and its business error codes as
 * {@code bpmn:Error} elements with those codes, so error boundary events can select them.
 */
final class ElementTemplates {
    static final String SCHEMA = "https://unpkg.com/@camunda/element-templates-json-schema/resources/schema.json";
    /** Template ids: this prefix and the artifact's name. */
    static final String ID_PREFIX = "io.wasmworker.";

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private ElementTemplates() {}

    /**
     * The template for one guest.
     *
     * @param name        the artifact name tasks bind to (the template's id and file name)
     * @param digest      the artifact it describes (named in the template's description)
     * @param description what the guest says about itself
     * @param topics      the topics that run it (from a worker configuration or a flag); empty: the
     *                    topic defaults to the artifact's name, and the modeller sets it
     */
    static ObjectNode template(String name, Digest digest, GuestDescription description, List<String> topics) {
        ObjectNode t = NODES.objectNode();
        t.put("$schema", SCHEMA);
        t.put("name", description.title() != null ? description.title() : name);
        t.put("id", ID_PREFIX + name);
        t.put("version", 1);
        t.put(
                "description",
                (description.description() != null ? description.description() + " " : "") + "(wasm-worker artifact "
                        + name + ", " + digest + ")");
        t.putArray("appliesTo").add("bpmn:ServiceTask");
        ArrayNode groups = t.putArray("groups");
        group(groups, "task", "External task");
        if (!description.inputs().isEmpty()) {
            group(groups, "inputs", "Inputs");
        }
        if (!description.outputs().isEmpty()) {
            group(groups, "outputs", "Results");
        }
        if (!description.errors().isEmpty()) {
            group(groups, "errors", "Business errors");
        }

        ArrayNode properties = t.putArray("properties");
        ObjectNode type = properties.addObject();
        type.put("type", "Hidden");
        type.put("value", "external");
        binding(type, "property").put("name", "camunda:type");
        properties.add(topic(name, topics));
        for (GuestDescription.Field input : description.inputs()) {
            properties.add(input(input));
        }
        for (GuestDescription.Field output : description.outputs()) {
            properties.add(output(output));
        }
        ArrayNode scopes = NODES.arrayNode();
        Set<String> errorIds = new HashSet<>();
        for (GuestDescription.ErrorCode error : description.errors()) {
            String id = errorId(name, error.code(), errorIds);
            properties.add(error(error, id));
            scopes.add(errorScope(error, id));
        }
        if (!scopes.isEmpty()) {
            t.set("scopes", scopes);
        }
        return t;
    }

    /** The template as the file's text (indented, UTF-8, a final newline). */
    static String text(ObjectNode template) {
        try {
            return JSON.writeValueAsString(template) + "\n";
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("a tree of plain nodes always serialises", e);
        }
    }

    private static ObjectNode topic(String name, List<String> topics) {
        ObjectNode p = NODES.objectNode();
        p.put("label", "Topic");
        p.put("group", "task");
        if (topics.size() > 1) {
            p.put("type", "Dropdown");
            p.put("value", topics.get(0));
            ArrayNode choices = p.putArray("choices");
            for (String topic : topics) {
                choices.addObject().put("name", topic).put("value", topic);
            }
            p.put("description", "The topics a wasm-worker serves with this guest");
        } else {
            p.put("type", "String");
            p.put("value", topics.isEmpty() ? name : topics.get(0));
            p.put(
                    "description",
                    topics.isEmpty()
                            ? "The external-task topic a wasm-worker serves with this guest (camunda.topics[].topic)"
                            : "The topic a wasm-worker serves with this guest");
            p.putObject("constraints").put("notEmpty", true);
        }
        binding(p, "property").put("name", "camunda:topic");
        return p;
    }

    private static ObjectNode input(GuestDescription.Field field) {
        ObjectNode p = NODES.objectNode();
        p.put("label", field.label() != null ? field.label() : field.name());
        p.put("description", hint(field, "the guest's input member '" + field.name() + "'"));
        p.put("group", "inputs");
        p.put("type", "String");
        // The Modeler always writes the parameter, and a parameter is a local variable hiding the process
        // variable it is named after: an optional one reads the process variable without failing when it
        // is not set (the guest then gets null), a required one as ${name}, which fails loudly.
        p.put(
                "value",
                field.required() ? "${" + field.name() + "}" : "${execution.getVariable(\"" + field.name() + "\")}");
        binding(p, "camunda:inputParameter").put("name", field.name());
        if (field.required()) {
            p.putObject("constraints").put("notEmpty", true);
        }
        return p;
    }

    private static ObjectNode output(GuestDescription.Field field) {
        ObjectNode p = NODES.objectNode();
        p.put("label", "Result variable for " + (field.label() != null ? field.label() : field.name()));
        p.put("description", hint(field, "the process variable that receives the output '" + field.name() + "'"));
        p.put("group", "outputs");
        p.put("type", "String");
        p.put("value", field.name());
        binding(p, "camunda:outputParameter").put("source", "${" + field.name() + "}");
        return p;
    }

    /**
     * The error is raised by the worker itself (a BPMN error with the guest's code), not by this
     * definition: its expression never holds. What the modeller gets is the {@code bpmn:Error} element
     * with the code, which error boundary events then refer to.
     */
    private static ObjectNode error(GuestDescription.ErrorCode error, String id) {
        ObjectNode p = NODES.objectNode();
        p.put("label", "Error " + error.code());
        p.put("group", "errors");
        p.put("type", "Hidden");
        p.put("value", "${false}");
        binding(p, "camunda:errorEventDefinition").put("errorRef", id);
        return p;
    }

    private static ObjectNode errorScope(GuestDescription.ErrorCode error, String id) {
        ObjectNode scope = NODES.objectNode();
        scope.put("type", "bpmn:Error");
        scope.put("id", id);
        ArrayNode properties = scope.putArray("properties");
        ObjectNode code = properties.addObject();
        code.put("type", "Hidden");
        code.put("value", error.code());
        binding(code, "property").put("name", "errorCode");
        ObjectNode name = properties.addObject();
        name.put("type", "Hidden");
        name.put("value", error.description() != null ? error.code() + ": " + error.description() : error.code());
        binding(name, "property").put("name", "name");
        return scope;
    }

    /** An XML id (an NCName) for the error, unique in the template: the code with other characters as '_'. */
    private static String errorId(String name, String code, Set<String> taken) {
        String base = ("Error_" + name + "_" + code).replaceAll("[^A-Za-z0-9_.-]", "_");
        String id = base;
        for (int i = 2; !taken.add(id); i++) {
            id = base + "_" + i;
        }
        return id;
    }

    private static String hint(GuestDescription.Field field, String what) {
        String text = field.description() != null ? field.description() : what;
        return text + " (" + field.type().jsonName() + (field.required() ? ", required" : "") + ")";
    }

    private static void group(ArrayNode groups, String id, String label) {
        groups.addObject().put("id", id).put("label", label);
    }

    private static ObjectNode binding(ObjectNode property, String type) {
        return property.putObject("binding").put("type", type);
    }
}
