package io.wasmworker.module;

import static org.assertj.core.api.Assertions.assertThat;

import com.dylibso.chicory.wasm.Parser;
import io.wasmworker.artifact.Digest;
import io.wasmworker.testing.ByteMutations;
import io.wasmworker.testing.Fuzzer;
import io.wasmworker.testing.Guests;
import java.io.ByteArrayInputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Mutants of real guests and of small modules using every section kind: each one loads or is
 * refused with {@link InvalidModuleException}, and never by running out of heap or stack (the
 * pre-scan must refuse those first). Findings go to target/fuzz-findings/; keep each as a regression
 * input under src/test/resources/fuzz/module-loader/.
 */
class ModuleLoaderFuzzTest {
    /** Small guests load in milliseconds; a few hundred KB of Rust in well under a second. */
    private static final List<String> GUESTS = List.of(
            "hostile-spin", "hostile-table-grow", "hostile-exit-code", "hostile-output-flood", "echo", "ckpt-step-c");

    static List<byte[]> seeds() {
        List<byte[]> seeds = new ArrayList<>();
        GUESTS.forEach(g -> seeds.add(Guests.bytes(g)));
        for (String wat : SmallModules.ALL) {
            seeds.add(Guests.wat(wat));
        }
        seeds.add(GuestDescriptionTest.described(GuestDescriptionTest.EXAMPLE)); // mutants reach the description reader
        return seeds;
    }

    @Test
    void mutantsLoadOrAreRefusedWithAReason() {
        ModuleLoader loader = new ModuleLoader();
        List<Fuzzer.Mutation> mutations = new ArrayList<>(ByteMutations.ALL);
        mutations.addAll(WasmMutations.ALL);
        mutations.addAll(WasmMutations.ALL); // structure-aware mutations reach deeper: pick them more often
        new Fuzzer("module-loader", seeds(), mutations)
                .run(input -> loadOrRefuse(loader, input))
                .assertNoFindings("module-loader fuzz", 100);
    }

    /** The fuzz target, also used to replay the corpus. */
    static void loadOrRefuse(ModuleLoader loader, byte[] input) {
        try {
            loader.load(Digest.of(input), input);
        } catch (InvalidModuleException e) {
            for (Throwable c = e.getCause(); c != null; c = c.getCause()) {
                if (c instanceof VirtualMachineError) {
                    throw new AssertionError("refused only after " + c + ": the pre-scan should have caught it", e);
                }
            }
            assertThat(e.getMessage()).contains(Digest.of(input).toString());
            // Chicory 1.7.5 is laxer than the spec in two places the scan is not: it does not check that
            // constant expressions hold only constant instructions, and it reads a function body past
            // its declared size. Those refusals are not compared.
            if (e.getCause() == null
                    && e.getMessage().contains("is not a valid WebAssembly module")
                    && !e.getMessage().contains("is not allowed in a constant expression")
                    && !e.getMessage().contains("body of function")) {
                refusedByTheScanOnly(input, e);
            }
        }
    }

    /**
     * The pre-scan must be no stricter than Chicory: what it calls malformed, Chicory's parser must
     * refuse too, or valid modules would be turned away. (Such inputs are small: the fuzzer's.)
     */
    private static void refusedByTheScanOnly(byte[] input, InvalidModuleException scan) {
        try {
            Parser.builder().withCustomParsers(Map.of()).build().parse(() -> new ByteArrayInputStream(input));
        } catch (Throwable chicoryRefusesItToo) {
            return;
        }
        throw new AssertionError("the pre-scan refused what Chicory parses: " + scan.getMessage());
    }
}
