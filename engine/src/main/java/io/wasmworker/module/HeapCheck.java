package io.wasmworker.module;

import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.CompType;
import com.dylibso.chicory.wasm.types.TypeSection;

/**
 * Refuses, before instantiation, a module that could make the host allocate memory no limit can
 * charge. Linear memory and tables are charged to the run's memory budget; the WasmGC heap is not:
 * Chicory 1.7.5 allocates {@code array.new}'s {@code long[len]} (len up to 2^31) and every struct on
 * the JVM heap, in compiled code with no hook to charge it, and sweeps them only between top-level
 * calls. A guest can declare GC objects only through struct or array types, so refusing those types
 * closes the whole heap. (Checkpoints could not capture that heap either.)
 */
public final class HeapCheck {
    private HeapCheck() {}

    /**
     * Why the module cannot run here, naming its first GC type, or null if it declares none. The
     * loader refuses such modules; the sandbox checks again for modules built without the loader.
     */
    public static String refusal(WasmModule module) {
        TypeSection types = module.typeSection();
        for (int i = 0; i < types.subTypeCount(); i++) {
            CompType type = types.getSubType(i).compType();
            if (type.structType() != null || type.arrayType() != null) {
                return "the module declares a WasmGC "
                        + (type.structType() != null ? "struct" : "array") + " type (type " + i + "), which this host"
                        + " does not run: GC objects live on the worker's heap, outside the memory limit. Compile"
                        + " the guest to linear memory (no GC proposal)";
            }
        }
        return null;
    }
}
