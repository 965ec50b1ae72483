package io.wasmworker.module;

import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Machine;
import com.dylibso.chicory.wasm.WasmModule;
import io.wasmworker.artifact.Digest;
import java.util.function.Function;

/**
 * A parsed, validated and compiled module, ready to be instantiated any number of times. Shared by
 * all invocations of its digest; never mutated (see the table factory in the sandbox).
 *
 * @param digest          the artifact's identity
 * @param wasm            Chicory's parsed module
 * @param machineFactory  the compiled code, produced once
 * @param style           how the host drives it
 * @param sizeBytes       the module's size
 * @param compileMillis   how long parsing and compiling took
 */
public record GuestModule(
        Digest digest,
        WasmModule wasm,
        Function<Instance, Machine> machineFactory,
        GuestStyle style,
        int sizeBytes,
        long compileMillis) {}
