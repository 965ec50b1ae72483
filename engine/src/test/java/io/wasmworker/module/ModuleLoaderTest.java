package io.wasmworker.module;

import static io.wasmworker.module.WasmBytes.bytes;
import static io.wasmworker.module.WasmBytes.repeat;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.wasmworker.artifact.Digest;
import io.wasmworker.testing.Guests;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

class ModuleLoaderTest {
    private final ModuleLoader loader = new ModuleLoader();

    private void load(byte[] bytes) {
        loader.load(Digest.of(bytes), bytes);
    }

    @Test
    void textIsNotAModule() {
        assertThatThrownBy(() -> load("hello".getBytes()))
                .isInstanceOf(InvalidModuleException.class)
                .hasMessageContaining("is not a WebAssembly module")
                .hasMessageContaining(Digest.of("hello".getBytes()).toString());
    }

    @Test
    void aTruncatedModuleIsInvalid() {
        byte[] echo = Guests.bytes("echo");
        assertThatThrownBy(() -> load(Arrays.copyOf(echo, echo.length / 2)))
                .isInstanceOf(InvalidModuleException.class)
                .hasMessageContaining("is not a valid WebAssembly module");
    }

    @Test
    void foreignImportsAreNamed() {
        assertThatThrownBy(
                        () -> load(Guests.wat("(module (import \"env\" \"now\" (func)) (memory (export \"memory\") 1)"
                                + " (func (export \"_start\")))")))
                .hasMessageContaining("imports env.now from module 'env'");
        assertThatThrownBy(() -> load(
                        Guests.wat("(module (import \"env\" \"mem\" (memory 1))" + " (func (export \"_start\")))")))
                .hasMessageContaining("imports memory env.mem");
        assertThatThrownBy(() ->
                        load(Guests.wat("(module (import \"wasi_snapshot_preview1\" \"fd_write\" (func (param i32)))"
                                + " (memory (export \"memory\") 1) (func (export \"_start\")))")))
                .hasMessageContaining("wasi_snapshot_preview1.fd_write with type");
    }

    @Test
    void aModuleWithoutStartIsNotACommand() {
        assertThatThrownBy(() -> load(Guests.wat("(module (memory (export \"memory\") 1) (func (export \"run\")))")))
                .hasMessageContaining("is not a WASI command: it exports no function '_start'");
    }

    private void assertRefused(byte[] module, String... messageParts) {
        assertThatThrownBy(() -> load(module))
                .isInstanceOf(InvalidModuleException.class)
                .hasMessageContaining(Digest.of(module).toString())
                .hasMessageContainingAll(messageParts);
    }

    // Section ids (https://webassembly.github.io/spec/core/binary/modules.html#sections)
    private static final int TYPE = 1;
    private static final int FUNCTION = 3;
    private static final int TABLE = 4;
    private static final int MEMORY = 5;
    private static final int GLOBAL = 6;
    private static final int EXPORT = 7;
    private static final int ELEMENT = 9;
    private static final int CODE = 10;
    private static final int DATA = 11;
    private static final int I32 = 0x7f;
    private static final int F64 = 0x7c;
    private static final int END = 0x0b;
    /** One type, {@code [] -> []}. */
    private static final byte[] VOID_TYPE = bytes(1L, 0x60, 0L, 0L);

    @Test
    void aTypeDeclaring805MillionParamsIsRefusedBeforeChicoryAllocatesThem() {
        // Chicory 1.7.5 sizes an ArrayList by the declared count: OutOfMemoryError from 17 bytes
        assertRefused(
                WasmBytes.module().section(TYPE, 1L, 0x60, 805_306_368L).build(),
                "is refused: it declares 805306368 params in type 0, more than the limit of 1000 (maxFunctionParams)");
    }

    @Test
    void millionsOfLocalsInOneFunctionAreRefused() {
        // 8 KB: 2,000 runs of 50,000 i32 locals, each within Chicory's own per-run check
        byte[] body = bytes(2000L, repeat(2000, 50_000L, I32), END);
        assertRefused(
                WasmBytes.module()
                        .section(TYPE, VOID_TYPE)
                        .section(FUNCTION, 1L, 0L)
                        .section(CODE, 1L, (long) body.length, body)
                        .build(),
                "locals in function 0",
                "(maxLocalsPerFunction)");
    }

    @Test
    void localsAreCountedAcrossAllFunctions() {
        int functions = 100;
        byte[] body = bytes(1L, 40_000L, I32, END); // 4 million in all, each function within its own limit
        assertRefused(
                WasmBytes.module()
                        .section(TYPE, VOID_TYPE)
                        .section(FUNCTION, (long) functions, repeat(functions, 0L))
                        .section(CODE, (long) functions, repeat(functions, (long) body.length, body))
                        .build(),
                "locals in all functions",
                "(maxTotalLocals)");
    }

    @Test
    void aLocalsCountBeyond32BitsIsMalformedNotOverflowed() {
        // two runs of 2^32-1: as int they would wrap to -2
        byte[] body = bytes(2L, 0xffff_ffffL, I32, 0xffff_ffffL, I32, END);
        assertRefused(
                WasmBytes.module()
                        .section(TYPE, VOID_TYPE)
                        .section(FUNCTION, 1L, 0L)
                        .section(CODE, 1L, (long) body.length, body)
                        .build(),
                "4294967295 in its first 1 of 2 locals entries",
                "(maxLocalsPerFunction)");
    }

    @Test
    void twoHundredThousandFunctionsAreRefusedBeforeCompiling() {
        int n = 200_000;
        long start = System.nanoTime();
        assertRefused(
                WasmBytes.module()
                        .section(TYPE, VOID_TYPE)
                        .section(FUNCTION, (long) n, repeat(n, 0L))
                        .section(MEMORY, 1L, 0, 1L)
                        .section(EXPORT, 2L, 6L, "_start".getBytes(), 0, 0L, 6L, "memory".getBytes(), 2, 0L)
                        .section(CODE, (long) n, repeat(n, 2L, 0L, END))
                        .build(),
                "declares 200000 functions (imported and defined), more than the limit of 50000 (maxFunctions)");
        assertThat((System.nanoTime() - start) / 1_000_000).as("ms to refuse").isLessThan(2_000);
    }

    @Test
    void aDataSegmentLongerThanTheModuleIsMalformed() {
        // Chicory 1.7.5: new byte[(int) 0xffffffff] -> NegativeArraySizeException
        assertRefused(
                WasmBytes.module()
                        .section(DATA, 1L, 0L, 0x41, 0L, END, 0xffff_ffffL)
                        .build(),
                "is not a valid WebAssembly module: data segment 0 declares 4294967295 bytes, but only 0 remain");
    }

    @Test
    void aCountLargerThanItsSectionIsMalformed() {
        assertRefused(
                WasmBytes.module()
                        .section(GLOBAL, 0x7fff_ffffL, I32, 0, 0x41, 0L, END)
                        .build(),
                "2147483647 globals declared at byte 10, but only 5 bytes remain to hold them");
    }

    @Test
    void aTruncatedConstantIsMalformed() {
        // Chicory 1.7.5 reads f64.const with ByteBuffer.getLong: BufferUnderflowException
        assertRefused(
                WasmBytes.module().section(GLOBAL, 1L, F64, 0, 0x44, 0, 0).build(),
                "is not a valid WebAssembly module: unexpected end");
    }

    @Test
    void aTruncatedConstantInsideAFunctionBodyIsNamedToo() {
        // bodies are not pre-scanned: this one reaches Chicory's parser, whose BufferUnderflowException is wrapped
        byte[] body = bytes(0L, 0x44, 0, 0);
        assertRefused(
                WasmBytes.module()
                        .section(TYPE, VOID_TYPE)
                        .section(FUNCTION, 1L, 0L)
                        .section(CODE, 1L, (long) body.length, body)
                        .build(),
                "is not a valid WebAssembly module",
                "BufferUnderflowException");
    }

    @Test
    void aBranchPastTheFunctionIsInvalidNotANullPointer() {
        // Chicory 1.7.5's code-section parser: NullPointerException on ControlTree.addCallback
        byte[] body = bytes(0L, 0x0c, 2L, END);
        assertRefused(
                WasmBytes.module()
                        .section(TYPE, VOID_TYPE)
                        .section(FUNCTION, 1L, 0L)
                        .section(CODE, 1L, (long) body.length, body)
                        .build(),
                "is not a valid WebAssembly module",
                "NullPointerException");
    }

    @Test
    void aV128LocalIsRefusedByTheCompilerWithAReason() {
        // Chicory 1.7.5's compiler: IllegalArgumentException "Unsupported type id: 123" (no SIMD in the compiler)
        assertRefused(
                Guests.wat("(module (memory (export \"memory\") 1) (func (export \"_start\") (local v128)))"),
                "could not be compiled",
                "Unsupported type id: 123");
    }

    @Test
    void aCompilerStackMismatchIsRefusedWithAReason() throws IOException {
        // found by fuzzing: validates, then Chicory 1.7.5's compiler throws RuntimeException "Types not empty"
        assertRefused(
                Files.readAllBytes(Path.of("src/test/resources/fuzz/module-loader/compiler-types-not-empty.wasm")),
                "could not be compiled",
                "Types not empty");
    }

    @Test
    void aFunctionTooLargeForTheCompilerIsRefusedNotInterpreted() {
        // 40,000 locals fit the locals bound but not one JVM method: Chicory 1.7.5 would interpret the
        // function, and the interpreter allocates each call's locals on the heap, uncharged (a recursing
        // 50-byte module exhausted a 256 MiB heap in 2 s) and ignores interrupts on br_if back edges
        byte[] body = bytes(1L, 40_000L, I32, END);
        assertRefused(
                WasmBytes.module()
                        .section(TYPE, VOID_TYPE)
                        .section(FUNCTION, 1L, 0L)
                        .section(MEMORY, 1L, 0L, 1L)
                        .section(EXPORT, 2L, 6L, "memory".getBytes(), 2L, 0L, 6L, "_start".getBytes(), 0L, 0L)
                        .section(CODE, 1L, (long) body.length, body)
                        .build(),
                "could not be compiled",
                "function 0",
                "too large");
    }

    @Test
    void aWasmGcModuleIsRefusedWhenItLoads() {
        // its heap lives outside the memory limit: refused at load, so `artifacts put` says so at once
        byte[] gcArray = java.util.HexFormat.of()
                .parseHex("0061736d01000000"
                        + "0107025e7e01600000" + "03020101" + "0503010001"
                        + "071302066d656d6f72790200065f737461727400000a" // exports memory, _start; code section:
                        + "040102000b"); // one empty body
        assertRefused(gcArray, "cannot run here", "WasmGC array type (type 0)");
    }

    @Test
    void aSecondMemoryIsRefused() {
        assertRefused(
                WasmBytes.module().section(MEMORY, 2L, 0, 1L, 0, 1L).build(),
                "declares 2 memories; this host runs modules with one memory (the multi-memory proposal is not supported");
    }

    @Test
    void moreTablesThanTheBoundAreRefused() {
        assertRefused(
                WasmBytes.module().section(TABLE, 9L, repeat(9, 0x70, 0, 1L)).build(),
                "declares 9 tables; this host runs modules with at most 8 (maxTables");
        assertThat(Guests.watModule("(module (memory (export \"memory\") 1) (table 1 funcref) (table 1 externref)"
                                + " (func (export \"_start\")))")
                        .wasm()
                        .tableSection()
                        .tableCount())
                .isEqualTo(2);
    }

    @Test
    void elementEntriesAreBoundedBeforeChicoryReservesThem() {
        // Chicory 1.7.5: new ArrayList<>(initCnt) for a segment declaring 2^31-1 entries
        assertRefused(
                WasmBytes.module()
                        .section(ELEMENT, 1L, 0L, 0x41, 0L, END, 0x7fff_ffffL)
                        .build(),
                "2147483647 entries in element segment 0 declared");
    }

    @Test
    void aNameLongerThanItsSectionIsMalformed() {
        // Chicory 1.7.5 readName: new byte[length] before checking -> NegativeArraySizeException / OutOfMemoryError
        assertRefused(
                WasmBytes.module().section(0, 0xffff_ffffL, (int) 'x').build(),
                "a custom section name at byte 10 declares 4294967295 bytes, but only 1 remain");
    }

    private static final String ASYNCIFY_SHAPED = """
            (module
              (import "wasm_worker" "checkpoint" (func (param i32 i32) (result i32)))
              (global (mut i32) (i32.const 65536))
              (memory (export "memory") 2)
              (func (export "_start"))
              (func (export "asyncify_start_unwind") (param i32))
              (func (export "asyncify_stop_unwind"))
              (func (export "asyncify_start_rewind") (param i32))
              (func (export "asyncify_stop_rewind"))
              (func (export "asyncify_get_state") (result i32) (i32.const 0)))
            """;

    /** A wasm name: its length (below 128, one LEB128 byte), then its UTF-8 bytes. */
    private static byte[] name(String s) {
        return bytes(s.length(), s.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    /** The module with the "producers" custom section `go build` (Go 1.23) appends. */
    private static byte[] builtByGo(byte[] module) {
        byte[] payload = bytes(
                name("producers"),
                2, // fields
                name("language"),
                1,
                name("Go"),
                name("go1.23.5"),
                name("processed-by"),
                1,
                name("Go cmd/compile"),
                name("go1.23.5"));
        return bytes(module, 0, payload.length, payload); // custom section id 0; payload.length < 128
    }

    @Test
    void aGoModuleCallingCheckpointIsRefusedNamingGoWhetherAsyncifiedOrNot() {
        byte[] asyncified = Guests.wat(ASYNCIFY_SHAPED);
        assertThat(loader.load(Digest.of(asyncified), asyncified).digest())
                .as("the same module not made by Go loads")
                .isEqualTo(Digest.of(asyncified));
        assertRefused(builtByGo(asyncified), "was built by the Go compiler, and Go guests cannot be checkpointed");
        assertRefused(
                builtByGo(Guests.wat("""
                        (module
                          (import "wasm_worker" "checkpoint" (func (param i32 i32) (result i32)))
                          (memory (export "memory") 1)
                          (func (export "_start")))
                        """)),
                "was built by the Go compiler",
                "write the checkpointing guest in C, Rust, Zig or AssemblyScript");
    }

    @Test
    void aGoModuleThatDoesNotCheckpointLoadsAndAMalformedProducersSectionIsIgnored() {
        byte[] plain = builtByGo(Guests.wat("(module (memory (export \"memory\") 1) (func (export \"_start\")))"));
        assertThat(loader.load(Digest.of(plain), plain).digest()).isEqualTo(Digest.of(plain));
        byte[] malformed = builtByGo(Guests.wat(ASYNCIFY_SHAPED));
        int language = malformed.length - 60; // the length byte of "language"
        assertThat(malformed[language]).isEqualTo((byte) 8);
        malformed[language] = 127; // now longer than the section
        assertThat(loader.load(Digest.of(malformed), malformed).digest()).isEqualTo(Digest.of(malformed));
    }

    @Test
    void everyExampleGuestStillLoads() throws IOException {
        try (Stream<Path> files = Files.list(Guests.dir())) {
            List<Path> wasm =
                    files.filter(f -> f.toString().endsWith(".wasm")).sorted().toList();
            assertThat(wasm).hasSizeGreaterThan(10);
            for (Path f : wasm) {
                byte[] b = Files.readAllBytes(f);
                String name = f.getFileName().toString();
                if (name.equals("hostile-bad-import.wasm")) {
                    assertRefused(b, "which this host does not provide");
                } else if (name.equals("hostile-ckpt-plain.wasm")) {
                    assertRefused(b, "cannot be checkpointed: it is a plain command");
                } else {
                    assertThat(loader.load(Digest.of(b), b).digest()).as(name).isEqualTo(Digest.of(b));
                }
            }
        }
    }

    /** Inputs the fuzzer (or the outside review) found escaping as raw throwables; each must stay a clear refusal. */
    @Test
    void theFuzzCorpusLoadsOrIsRefusedWithAReason() throws IOException {
        Path corpus = Path.of("src/test/resources/fuzz/module-loader");
        try (Stream<Path> files = Files.list(corpus)) {
            List<Path> inputs =
                    files.filter(f -> f.toString().endsWith(".wasm")).sorted().toList();
            assertThat(inputs).hasSizeGreaterThan(10);
            for (Path input : inputs) {
                try {
                    ModuleLoaderFuzzTest.loadOrRefuse(loader, Files.readAllBytes(input));
                } catch (Throwable t) {
                    throw new AssertionError(input.getFileName() + ": " + t, t);
                }
            }
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }
}
