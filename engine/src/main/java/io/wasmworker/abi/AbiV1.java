package io.wasmworker.abi;

import com.dylibso.chicory.wasm.types.FunctionType;
import com.dylibso.chicory.wasm.types.ValType;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The guest ABI, version 1 (documented in {@code guests/ABI.md}). A guest is a WASI command:
 * input JSON on stdin, output JSON on stdout, diagnostics on stderr; exit code 3 with an error
 * object on stdout declares a business error. The host describes itself through environment
 * variables, so a guest can find out what is offered without importing anything.
 */
public final class AbiV1 {
    public static final int VERSION = 1;

    /** Additions within version 1 (documented, not announced: {@code WASM_WORKER_IMPORTS} lists them). */
    public static final int MINOR_VERSION = 1;

    /** The import module of the host's own functions. */
    public static final String HOST_MODULE = "wasm_worker";

    /** The host function a guest calls to checkpoint: {@code checkpoint(buf: i32, len: i32) -> i32}. */
    public static final String CHECKPOINT_IMPORT = "checkpoint";

    /** The export the host calls repeatedly on a step guest: {@code ww_step() -> i32}, 0 = more, 1 = done. */
    public static final String STEP_EXPORT = "ww_step";

    /** Exit code by which a guest declares a business error (its stdout holds the error object). */
    public static final int EXIT_BUSINESS_ERROR = 3;

    public static final String ENV_ABI = "WASM_WORKER_ABI";
    public static final String ENV_IMPORTS = "WASM_WORKER_IMPORTS";
    public static final String ENV_TASK_PREFIX = "WASM_WORKER_TASK_";

    private static final Pattern TASK_KEY = Pattern.compile("[A-Z][A-Z0-9_]*");

    private AbiV1() {}

    /** Guests call configured HTTP endpoints through the host (ABI 1.1): see {@code guests/ABI.md}. */
    public static final String HTTP_REQUEST_IMPORT = "http_request";

    public static final String HTTP_RESPONSE_IMPORT = "http_response";

    /** In the order {@code WASM_WORKER_IMPORTS} lists them. */
    private static final Map<String, FunctionType> HOST_FUNCTIONS = orderedFunctions();

    private static Map<String, FunctionType> orderedFunctions() {
        Map<String, FunctionType> map = new LinkedHashMap<>();
        map.put(CHECKPOINT_IMPORT, FunctionType.of(List.of(ValType.I32, ValType.I32), List.of(ValType.I32)));
        map.put(
                HTTP_REQUEST_IMPORT,
                FunctionType.of(java.util.Collections.nCopies(11, ValType.I32), List.of(ValType.I32)));
        map.put(
                HTTP_RESPONSE_IMPORT,
                FunctionType.of(java.util.Collections.nCopies(4, ValType.I32), List.of(ValType.I32)));
        return java.util.Collections.unmodifiableMap(map);
    }

    /** The functions this host offers in {@link #HOST_MODULE}. */
    public static Map<String, FunctionType> hostFunctionSignatures() {
        return HOST_FUNCTIONS;
    }

    /**
     * The guest's whole environment: the ABI version, the offered host functions and the task
     * metadata, each under {@code WASM_WORKER_TASK_<KEY>}. Nothing of the host's own environment.
     */
    public static Map<String, String> environment(Map<String, String> taskMetadata) {
        Map<String, String> env = new LinkedHashMap<>();
        env.put(ENV_ABI, Integer.toString(VERSION));
        env.put(ENV_IMPORTS, String.join(",", hostFunctionSignatures().keySet()));
        taskMetadata.forEach((key, value) -> {
            String k = key.toUpperCase(Locale.ROOT);
            if (!TASK_KEY.matcher(k).matches()) {
                throw new IllegalArgumentException("task metadata key '" + key + "' must be letters, digits and '_'");
            }
            if (value != null) {
                env.put(ENV_TASK_PREFIX + k, value);
            }
        });
        return env;
    }
}
