package io.wasmworker.module;

import java.util.List;
import java.util.Locale;

/**
 * What a guest says about itself: its input fields, output variables and business error codes,
 * read from the module's custom section {@value #SECTION} (a versioned JSON document, see
 * guests/ABI.md, "Describing a guest"). Kept in the module, it is covered by the module's digest:
 * the description of {@code sha256:...} can never drift from its code. Read and checked by
 * {@link ModuleLoader#describe}; a module whose description is malformed is refused when it loads.
 *
 * @param title       a short human name, for the Modeler's template list (null: the artifact's name)
 * @param description what the guest does (null: none)
 * @param inputs      the input object's fields, in the order the guest documents them
 * @param outputs     the output object's members
 * @param errors      the business error codes the guest may report (exit code 3)
 */
public record GuestDescription(
        String title, String description, List<Field> inputs, List<Field> outputs, List<ErrorCode> errors) {
    /** The custom section's name. */
    public static final String SECTION = "wasm-worker.description";
    /** The format version this host reads (the document's {@code "version"}). */
    public static final int VERSION = 1;

    public GuestDescription {
        inputs = List.copyOf(inputs);
        outputs = List.copyOf(outputs);
        errors = List.copyOf(errors);
    }

    /**
     * An input field or output variable.
     *
     * @param name        the JSON member (and process variable) name
     * @param label       a human label (null: the name)
     * @param type        what kind of JSON value it is
     * @param description what it means (null: none)
     * @param required    whether the guest refuses an input without it (always false for outputs)
     */
    public record Field(String name, String label, Type type, String description, boolean required) {}

    /** The JSON value a field holds. */
    public enum Type {
        STRING,
        NUMBER,
        INTEGER,
        BOOLEAN,
        /** an object or array (a Json variable in Camunda) */
        JSON;

        /** As written in a description. */
        public String jsonName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /**
     * A business error code.
     *
     * @param code        the code, as in the guest's error object (the BPMN error code)
     * @param description when the guest reports it (null: none)
     */
    public record ErrorCode(String code, String description) {}
}
