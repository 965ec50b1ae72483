package io.wasmworker.testbed.camunda;

import java.util.Locale;

/**
 * The Camunda 7 engines the test bed runs, each from the same runnable jar in a process of its own:
 * Camunda 7.24 (the last community edition) and Operaton (its open-source successor, which speaks
 * the same REST API at {@code /engine-rest}).
 */
public enum EngineProduct {
    /** Camunda 7.24 CE, with Cockpit at {@code /camunda} and Spin's Json variables. */
    CAMUNDA("Camunda 7.24", "/camunda/app/cockpit/default/", true),
    /**
     * Operaton 1.0.3, with Cockpit at {@code /operaton}; no Json variables: Operaton's Spin JSON data
     * format ({@code org.operaton.spin:operaton-spin-dataformat-json-jackson}) is not on the Central
     * reachable here, and without it the engine stores no Json (nor objects serialized as JSON).
     */
    OPERATON("Operaton 1.0.3", "/operaton/app/cockpit/default/", false);

    private final String displayName;
    private final String cockpitPath;
    private final boolean json;

    EngineProduct(String displayName, String cockpitPath, boolean json) {
        this.displayName = displayName;
        this.cockpitPath = cockpitPath;
        this.json = json;
    }

    /** The test bed's command for it, also the {@code --engine} value: {@code camunda}, {@code operaton}. */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    public String displayName() {
        return displayName;
    }

    String cockpitPath() {
        return cockpitPath;
    }

    /** Whether the engine stores Json variables (Spin's JSON data format is installed). */
    public boolean hasJson() {
        return json;
    }

    /** The product named {@code id}, or an error naming the known ones. */
    public static EngineProduct of(String id) {
        for (EngineProduct p : values()) {
            if (p.id().equals(id)) {
                return p;
            }
        }
        throw new IllegalArgumentException("unknown engine '" + id + "': use camunda or operaton");
    }

    @Override
    public String toString() {
        return displayName;
    }
}
