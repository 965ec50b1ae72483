package io.wasmworker.module;

import static io.wasmworker.module.WasmBytes.repeat;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.wasmworker.artifact.Digest;
import io.wasmworker.testing.Guests;
import java.time.Duration;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** Limits other than the defaults, and the compile budget. */
class ModuleLimitsTest {

    private static GuestModule load(ModuleLoader loader, byte[] bytes) {
        return loader.load(Digest.of(bytes), bytes);
    }

    /** A valid command with {@code n} empty functions: compiling it takes time in proportion. */
    static byte[] manyFunctions(int n) {
        return WasmBytes.module()
                .section(1, 1L, 0x60, 0L, 0L)
                .section(3, (long) n, repeat(n, 0L))
                .section(5, 1L, 0, 1L)
                .section(7, 2L, 6L, "_start".getBytes(), 0, 0L, 6L, "memory".getBytes(), 2, 0L)
                .section(10, (long) n, repeat(n, 2L, 0L, 0x0b))
                .build();
    }

    @Test
    void theDefaultsAreTheDocumentedOnes() {
        ModuleLimits d = ModuleLimits.defaults();
        assertThat(d.maxTables()).isEqualTo(8);
        assertThat(d.maxFunctions()).isEqualTo(50_000);
        assertThat(d.maxModuleBytes()).isEqualTo(32 << 20);
        assertThat(d.compileBudget()).isEqualTo(Duration.ofSeconds(60));
        assertThat(new ModuleLoader().limits()).isSameAs(d);
        assertThat(d.toBuilder().build().toString()).isEqualTo(d.toString());
    }

    @Test
    void eachLimitCanBeTightened() {
        byte[] twoTables = Guests.wat("(module (memory (export \"memory\") 1) (table 1 funcref) (table 1 externref)"
                + " (func (export \"_start\")))");
        ModuleLoader oneTable =
                new ModuleLoader(ModuleLimits.builder().withMaxTables(1).build());
        assertThatThrownBy(() -> load(oneTable, twoTables))
                .isInstanceOf(InvalidModuleException.class)
                .hasMessageContaining("declares 2 tables; this host runs modules with at most 1 (maxTables");

        byte[] echo = Guests.bytes("echo");
        ModuleLoader small =
                new ModuleLoader(ModuleLimits.builder().withMaxModuleBytes(1024).build());
        assertThatThrownBy(() -> load(small, echo))
                .hasMessageContaining("is refused: it is " + echo.length + " bytes, more than the limit of 1024 bytes"
                        + " (maxModuleBytes)");

        ModuleLoader fewFunctions =
                new ModuleLoader(ModuleLimits.builder().withMaxFunctions(10).build());
        assertThatThrownBy(() -> load(fewFunctions, manyFunctions(11)))
                .hasMessageContaining("declares 11 functions (imported and defined), more than the limit of 10");
        assertThat(load(fewFunctions, manyFunctions(10))
                        .wasm()
                        .functionSection()
                        .functionCount())
                .isEqualTo(10);
    }

    @Test
    void nonPositiveLimitsAreRejected() {
        assertThatThrownBy(() -> ModuleLimits.builder().withMaxTables(0).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("maxTables must be positive, got 0");
        assertThatThrownBy(() ->
                        ModuleLimits.builder().withCompileBudget(Duration.ZERO).build())
                .hasMessageContaining("compileBudget must be positive");
    }

    @Test
    void compilingOverTheBudgetIsAnInvalidModuleAndRunawayCompilesDoNotPileUpThreads() {
        ModuleLoader loader = new ModuleLoader(
                ModuleLimits.builder().withCompileBudget(Duration.ofMillis(1)).build());
        byte[] slow = manyFunctions(5_000); // ~0.5 s to compile
        Set<Thread> before = compilerThreads();
        for (int i = 0; i < 6; i++) {
            byte[] distinct = slow.clone();
            long start = System.nanoTime();
            assertThatThrownBy(() -> load(loader, distinct))
                    .isInstanceOf(InvalidModuleException.class)
                    .hasMessageContaining("artifact " + Digest.of(distinct))
                    .hasMessageContaining("parsing and compiling it took longer than the compile budget of 1 ms"
                            + " (compileBudget)");
            // the caller waits for the compiles queued before it, then at most the budget
            assertThat((System.nanoTime() - start) / 1_000_000).isLessThan(30_000);
        }
        Set<Thread> added = compilerThreads();
        added.removeAll(before);
        assertThat(added).as("compiler threads this loader started").hasSizeLessThanOrEqualTo(2);
    }

    @Test
    void aModuleOverTheBudgetIsNotCompiledAgainWhenRetried() {
        ModuleLoader loader = new ModuleLoader(
                ModuleLimits.builder().withCompileBudget(Duration.ofMillis(1)).build());
        byte[] slow = manyFunctions(5_001);
        assertThatThrownBy(() -> load(loader, slow)).hasMessageEndingWith("(compileBudget)");
        assertThatThrownBy(() -> load(loader, slow))
                .isInstanceOf(InvalidModuleException.class)
                .hasMessageContaining("took longer than the compile budget of 1 ms (compileBudget)")
                .hasMessageEndingWith("(refused within the last 10 minutes: not compiled again)");
    }

    @Test
    void aModuleWithinTheBudgetLoadsOnTheCompilerPool() {
        ModuleLoader loader = new ModuleLoader(
                ModuleLimits.builder().withCompileBudget(Duration.ofMinutes(2)).build());
        GuestModule m = load(loader, manyFunctions(100));
        assertThat(m.compileMillis()).isLessThan(Duration.ofMinutes(2).toMillis());
        assertThat(m.style()).isEqualTo(GuestStyle.COMMAND);
    }

    private static Set<Thread> compilerThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().startsWith("wasm-worker-compiler-"))
                .collect(Collectors.toSet());
    }
}
