package io.wasmworker.host;

import com.dylibso.chicory.runtime.HostFunction;
import com.dylibso.chicory.wasi.WasiPreview1;
import java.util.HashMap;
import java.util.Map;

/**
 * What one run's WASI calls act on: its streams, clock, random source and environment, and Chicory's
 * WASI for the calls the host does not serve itself. The host's import tables are built once per
 * module ({@link WasiHost#functions(java.util.Collection, java.util.function.Supplier)}) and reach the
 * run's context when called, so nothing of one run is reachable from the next: every run has its own.
 *
 * <p>Chicory's WASI (its file-descriptor table, which {@code fd_close} or {@code fd_renumber} change) is
 * created at the first call that needs it, and its function table only for the rare calls not
 * dispatched straight to its methods: most guests need neither (building both took ~3.5 µs, about a
 * seventh of a small invocation).
 */
public final class WasiContext implements AutoCloseable {
    private final GuestIo io;
    private final GuestClock clock;
    private final GuestRandom random;
    private final Map<String, String> environment;

    private WasiPreview1 chicory;
    private Map<String, HostFunction> chicoryFunctions;

    public WasiContext(GuestIo io, GuestClock clock, GuestRandom random, Map<String, String> environment) {
        this.io = io;
        this.clock = clock;
        this.random = random;
        this.environment = environment;
    }

    public GuestIo io() {
        return io;
    }

    public GuestClock clock() {
        return clock;
    }

    public GuestRandom random() {
        return random;
    }

    /** This run's Chicory WASI, created at its first use. */
    WasiPreview1 chicory() {
        if (chicory == null) {
            chicory = WasiHost.newWasi(environment);
        }
        return chicory;
    }

    /** Chicory's function {@code name} bound to this run's WASI. */
    HostFunction chicoryFunction(String name) {
        if (chicoryFunctions == null) {
            Map<String, HostFunction> byName = new HashMap<>();
            for (HostFunction f : chicory().toHostFunctions()) {
                byName.put(f.name(), f);
            }
            chicoryFunctions = byName;
        }
        return chicoryFunctions.get(name);
    }

    /** Whether Chicory's WASI was needed (for tests). */
    boolean chicoryCreated() {
        return chicory != null;
    }

    @Override
    public void close() {
        if (chicory != null) {
            chicory.close();
        }
    }
}
