package io.wasmworker.sandbox;

import com.dylibso.chicory.runtime.HostFunction;
import com.dylibso.chicory.runtime.ImportValues;
import com.dylibso.chicory.runtime.WasmFunctionHandle;
import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.ExternalType;
import com.dylibso.chicory.wasm.types.FunctionType;
import com.dylibso.chicory.wasm.types.Import;
import io.wasmworker.abi.AbiV1;
import io.wasmworker.host.HostCallCounter;
import io.wasmworker.host.HttpCalls;
import io.wasmworker.host.WasiContext;
import io.wasmworker.host.WasiHost;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The host functions one module imports, built once and lent to one run at a time: each call counts
 * itself and acts on the state of the run the table is {@link #bind bound} to (its WASI context, its
 * driver's checkpoints, its HTTP calls). Building the table per run (Chicory's 48 WASI functions, their
 * counting wrappers, Chicory matching each import against all of them) took about a fifth of a small
 * invocation.
 *
 * <p>Nothing passes from one run to the next: the table holds no run state of its own, {@link
 * #release()} drops the bound run's, and a table is bound again only after its last run's instance is
 * done (runs are on the calling thread, and a run returns only when its guest has stopped).
 */
final class ImportTable {
    private final ImportValues values;

    // the run the table is lent to; null between runs
    private HostCallCounter calls;
    private WasiContext wasi;
    private GuestDriver driver;
    private HttpCalls http;
    private List<HostFunction> httpFunctions; // the run's, made at its first HTTP call

    ImportTable(WasmModule wasm) {
        Set<String> wasiNames = new LinkedHashSet<>();
        Set<String> hostNames = new LinkedHashSet<>();
        for (int i = 0; i < wasm.importSection().importCount(); i++) {
            Import imp = wasm.importSection().getImport(i);
            if (imp.importType() != ExternalType.FUNCTION) {
                continue;
            }
            if (imp.module().equals(WasiHost.MODULE)) {
                wasiNames.add(imp.name());
            } else if (imp.module().equals(AbiV1.HOST_MODULE)) {
                hostNames.add(imp.name());
            }
        }
        List<HostFunction> functions = new ArrayList<>(WasiHost.functions(wasiNames, () -> wasi));
        for (String name : hostNames) {
            FunctionType type = AbiV1.hostFunctionSignatures().get(name);
            if (type == null) {
                continue; // not offered: instantiation fails on it, naming it
            }
            WasmFunctionHandle handle = name.equals(AbiV1.CHECKPOINT_IMPORT)
                    ? (inst, args) -> new long[] {driver.onCheckpointCall((int) args[0], (int) args[1])}
                    : (inst, args) -> httpFunction(name).handle().apply(inst, args);
            functions.add(new HostFunction(AbiV1.HOST_MODULE, name, type, handle));
        }
        HostFunction[] counted = new HostFunction[functions.size()];
        for (int i = 0; i < counted.length; i++) {
            counted[i] = WasiHost.counted(functions.get(i), () -> calls);
        }
        this.values = ImportValues.builder().addFunction(counted).build();
    }

    /** Lends the table to a run; its instance is built with the returned imports. */
    ImportValues bind(HostCallCounter calls, WasiContext wasi, GuestDriver driver, HttpCalls http) {
        if (this.calls != null) {
            throw new IllegalStateException("an import table serves one run at a time");
        }
        this.calls = calls;
        this.wasi = wasi;
        this.driver = driver;
        this.http = http;
        return values;
    }

    /** The run is over: nothing of it stays reachable from the table. */
    void release() {
        calls = null;
        wasi = null;
        driver = null;
        http = null;
        httpFunctions = null;
    }

    /** Whether a run holds the table (for tests). */
    boolean bound() {
        return calls != null;
    }

    private HostFunction httpFunction(String name) {
        if (httpFunctions == null) {
            httpFunctions = http.functions();
        }
        for (HostFunction f : httpFunctions) {
            if (f.name().equals(name)) {
                return f;
            }
        }
        throw new IllegalStateException(
                "the host offers " + AbiV1.HOST_MODULE + "." + name + " but serves no such call");
    }
}
