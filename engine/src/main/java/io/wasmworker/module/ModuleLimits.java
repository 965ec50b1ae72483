package io.wasmworker.module;

import io.wasmworker.artifact.ArtifactStore;
import java.time.Duration;

/**
 * What a module may declare before this host will parse and compile it, and how long compiling may
 * take. Chicory allocates by declared counts (a type's parameter list, a function's locals, segment
 * lengths) and spends time per function, so a few kilobytes could otherwise take the heap or minutes
 * of CPU. The defaults leave ample room for what C, Rust, Go and AssemblyScript toolchains emit (a
 * 3 MB Go binary: about 2,000 functions, one memory, one table) and are modelled on the implementation
 * limits that browsers share (https://webassembly.github.io/spec/js-api/#limits), tightened where a
 * JVM pays more per item. All defaults live here; {@link #defaults()} is what every loader uses unless
 * given other limits.
 */
public final class ModuleLimits {
    private static final ModuleLimits DEFAULTS = builder().build();

    private final int maxModuleBytes;
    private final int maxTypes;
    private final int maxFunctionParams;
    private final int maxFunctionResults;
    private final int maxImports;
    private final int maxFunctions;
    private final int maxLocalsPerFunction;
    private final long maxTotalLocals;
    private final int maxTables;
    private final int maxGlobals;
    private final int maxExports;
    private final int maxElementSegments;
    private final long maxElementEntries;
    private final int maxDataSegments;
    private final int maxDescriptionBytes;
    private final Duration compileBudget;

    private ModuleLimits(Builder b) {
        this.maxModuleBytes = positive(b.maxModuleBytes, "maxModuleBytes");
        this.maxTypes = positive(b.maxTypes, "maxTypes");
        this.maxFunctionParams = positive(b.maxFunctionParams, "maxFunctionParams");
        this.maxFunctionResults = positive(b.maxFunctionResults, "maxFunctionResults");
        this.maxImports = positive(b.maxImports, "maxImports");
        this.maxFunctions = positive(b.maxFunctions, "maxFunctions");
        this.maxLocalsPerFunction = positive(b.maxLocalsPerFunction, "maxLocalsPerFunction");
        this.maxTotalLocals = positive(b.maxTotalLocals, "maxTotalLocals");
        this.maxTables = positive(b.maxTables, "maxTables");
        this.maxGlobals = positive(b.maxGlobals, "maxGlobals");
        this.maxExports = positive(b.maxExports, "maxExports");
        this.maxElementSegments = positive(b.maxElementSegments, "maxElementSegments");
        this.maxElementEntries = positive(b.maxElementEntries, "maxElementEntries");
        this.maxDataSegments = positive(b.maxDataSegments, "maxDataSegments");
        this.maxDescriptionBytes = positive(b.maxDescriptionBytes, "maxDescriptionBytes");
        if (b.compileBudget == null || b.compileBudget.isNegative() || b.compileBudget.isZero()) {
            throw new IllegalArgumentException("compileBudget must be positive, got " + b.compileBudget);
        }
        this.compileBudget = b.compileBudget;
    }

    private static <T extends Number> T positive(T value, String name) {
        if (value.longValue() <= 0) {
            throw new IllegalArgumentException(name + " must be positive, got " + value);
        }
        return value;
    }

    public static ModuleLimits defaults() {
        return DEFAULTS;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A builder starting from these limits. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.maxModuleBytes = maxModuleBytes;
        b.maxTypes = maxTypes;
        b.maxFunctionParams = maxFunctionParams;
        b.maxFunctionResults = maxFunctionResults;
        b.maxImports = maxImports;
        b.maxFunctions = maxFunctions;
        b.maxLocalsPerFunction = maxLocalsPerFunction;
        b.maxTotalLocals = maxTotalLocals;
        b.maxTables = maxTables;
        b.maxGlobals = maxGlobals;
        b.maxExports = maxExports;
        b.maxElementSegments = maxElementSegments;
        b.maxElementEntries = maxElementEntries;
        b.maxDataSegments = maxDataSegments;
        b.maxDescriptionBytes = maxDescriptionBytes;
        b.compileBudget = compileBudget;
        return b;
    }

    /** The largest module, in bytes. Chicory keeps roughly 50-100 heap bytes per byte of code while compiling. */
    public int maxModuleBytes() {
        return maxModuleBytes;
    }

    /** Function (and other) types in the type section. */
    public int maxTypes() {
        return maxTypes;
    }

    public int maxFunctionParams() {
        return maxFunctionParams;
    }

    public int maxFunctionResults() {
        return maxFunctionResults;
    }

    public int maxImports() {
        return maxImports;
    }

    /** Functions, imported and defined: compile time grows with their number. */
    public int maxFunctions() {
        return maxFunctions;
    }

    /** Locals one function declares (besides its parameters). */
    public int maxLocalsPerFunction() {
        return maxLocalsPerFunction;
    }

    /** Locals all functions together declare. */
    public long maxTotalLocals() {
        return maxTotalLocals;
    }

    /** Tables, imported and defined. Each one's entries are charged against the memory limit when it is instantiated. */
    public int maxTables() {
        return maxTables;
    }

    public int maxGlobals() {
        return maxGlobals;
    }

    public int maxExports() {
        return maxExports;
    }

    public int maxElementSegments() {
        return maxElementSegments;
    }

    /** Entries all element segments together hold (Chicory keeps each as a small instruction list). */
    public long maxElementEntries() {
        return maxElementEntries;
    }

    public int maxDataSegments() {
        return maxDataSegments;
    }

    /** The guest's description (custom section {@value GuestDescription#SECTION}), in bytes. */
    public int maxDescriptionBytes() {
        return maxDescriptionBytes;
    }

    /** How long parsing, validating and compiling one module may take. */
    public Duration compileBudget() {
        return compileBudget;
    }

    @Override
    public String toString() {
        return "ModuleLimits[maxModuleBytes=" + maxModuleBytes + ", maxTypes=" + maxTypes + ", maxFunctionParams="
                + maxFunctionParams + ", maxFunctionResults=" + maxFunctionResults + ", maxImports=" + maxImports
                + ", maxFunctions=" + maxFunctions + ", maxLocalsPerFunction=" + maxLocalsPerFunction
                + ", maxTotalLocals=" + maxTotalLocals + ", maxTables=" + maxTables + ", maxGlobals=" + maxGlobals
                + ", maxExports=" + maxExports + ", maxElementSegments=" + maxElementSegments + ", maxElementEntries="
                + maxElementEntries + ", maxDataSegments=" + maxDataSegments + ", maxDescriptionBytes="
                + maxDescriptionBytes + ", compileBudget=" + compileBudget + "]";
    }

    /** Limits with the defaults below; each {@code withX} overrides one. */
    public static final class Builder {
        // The defaults, in one place. Browsers' shared limits in brackets where ours are tighter.
        // [1 GiB] Chicory's parsed form is far larger than the bytes; the artifact stores keep no larger module
        private int maxModuleBytes = ArtifactStore.DEFAULT_MAX_BYTES;
        private int maxTypes = 100_000; // [1,000,000]
        private int maxFunctionParams = 1_000;
        private int maxFunctionResults = 1_000;
        private int maxImports = 10_000; // [100,000] this host offers a few dozen functions
        private int maxFunctions = 50_000; // [1,000,000] compiling 50,000 empty ones takes ~5 s
        private int maxLocalsPerFunction = 50_000;
        private long maxTotalLocals = 2_000_000; // [none] a few hundred bytes can declare millions
        private int maxTables = 8; // [100,000] toolchains emit one; see guests/ABI.md
        private int maxGlobals = 100_000; // [1,000,000]
        private int maxExports = 100_000;
        private int maxElementSegments = 100_000; // [10,000,000 entries]
        private long maxElementEntries = 1_000_000;
        private int maxDataSegments = 100_000;
        private int maxDescriptionBytes = 64 << 10; // a description is a few KiB of JSON
        private Duration compileBudget = Duration.ofSeconds(60);

        private Builder() {}

        public Builder withMaxModuleBytes(int bytes) {
            this.maxModuleBytes = bytes;
            return this;
        }

        public Builder withMaxTypes(int types) {
            this.maxTypes = types;
            return this;
        }

        public Builder withMaxFunctionParams(int params) {
            this.maxFunctionParams = params;
            return this;
        }

        public Builder withMaxFunctionResults(int results) {
            this.maxFunctionResults = results;
            return this;
        }

        public Builder withMaxImports(int imports) {
            this.maxImports = imports;
            return this;
        }

        public Builder withMaxFunctions(int functions) {
            this.maxFunctions = functions;
            return this;
        }

        public Builder withMaxLocalsPerFunction(int locals) {
            this.maxLocalsPerFunction = locals;
            return this;
        }

        public Builder withMaxTotalLocals(long locals) {
            this.maxTotalLocals = locals;
            return this;
        }

        public Builder withMaxTables(int tables) {
            this.maxTables = tables;
            return this;
        }

        public Builder withMaxGlobals(int globals) {
            this.maxGlobals = globals;
            return this;
        }

        public Builder withMaxExports(int exports) {
            this.maxExports = exports;
            return this;
        }

        public Builder withMaxElementSegments(int segments) {
            this.maxElementSegments = segments;
            return this;
        }

        public Builder withMaxElementEntries(long entries) {
            this.maxElementEntries = entries;
            return this;
        }

        public Builder withMaxDataSegments(int segments) {
            this.maxDataSegments = segments;
            return this;
        }

        public Builder withMaxDescriptionBytes(int bytes) {
            this.maxDescriptionBytes = bytes;
            return this;
        }

        public Builder withCompileBudget(Duration budget) {
            this.compileBudget = budget;
            return this;
        }

        public ModuleLimits build() {
            return new ModuleLimits(this);
        }
    }
}
