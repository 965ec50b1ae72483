package io.wasmworker.module;

import static io.wasmworker.module.WasmBytes.bytes;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import com.dylibso.chicory.wasm.Parser;
import io.wasmworker.artifact.Digest;
import java.io.ByteArrayInputStream;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The pre-scan walks every encoding Chicory 1.7.5 reads, so it never turns away a module Chicory
 * would parse: the GC type forms, all eight element segment forms, tables with initialisers, the
 * constant instructions, imports of every kind. Each module here is accepted by both.
 */
class ModuleScanTest {
    private static final int END = 0x0b;
    private static final int I32_CONST = 0x41;
    private static final int FUNCREF = 0x70;
    private static final int REF_NULL_TYPE = 0x63;

    private static void acceptedByBoth(byte[] module) {
        assertThatCode(() -> ModuleScan.check(Digest.of(module), module, ModuleLimits.defaults()))
                .as("the pre-scan")
                .doesNotThrowAnyException();
        assertThat(Parser.builder()
                        .withCustomParsers(Map.of())
                        .withValidation(false)
                        .build()
                        .parse(() -> new ByteArrayInputStream(module)))
                .as("Chicory's parser")
                .isNotNull();
    }

    @Test
    void gcTypeForms() {
        byte[] types = bytes(
                3L,
                0x4E,
                2L, // rec group of two
                0x50,
                0L,
                0x5F,
                2L,
                0x7f,
                1,
                REF_NULL_TYPE,
                0L,
                0, //   sub struct (mut i32) (ref null 0)
                0x4F,
                1L,
                0L,
                0x5E,
                0x78,
                1, //   sub final (super 0) array (mut i8)
                0x5E,
                0x77,
                0, // array i16
                0x60,
                2L,
                0x64,
                1L,
                FUNCREF,
                1L,
                0x6f); // func (ref 1) funcref -> externref
        acceptedByBoth(WasmBytes.module().section(1, types).build());
    }

    @Test
    void everyImportKindAndTags() {
        byte[] imports = bytes(
                5L, 1L, (int) 'm', 1L, (int) 'f', 0, 0L, // func type 0
                1L, (int) 'm', 1L, (int) 't', 1, FUNCREF, 0x01, 1L, 2L, // table funcref 1..2
                1L, (int) 'm', 1L, (int) 'M', 2, 0x00, 1L, // memory 1
                1L, (int) 'm', 1L, (int) 'g', 3, 0x7f, 0, // global i32
                1L, (int) 'm', 1L, (int) 'e', 4, 0, 0L); // tag type 0
        acceptedByBoth(WasmBytes.module()
                .section(1, 1L, 0x60, 0L, 0L)
                .section(2, imports)
                .section(13, 1L, 0, 0L)
                .build());
    }

    @Test
    void tablesWithAndWithoutInitialisers() {
        byte[] tables = bytes(
                2L,
                FUNCREF,
                0x00,
                1L, // funcref, min 1
                0x40,
                0,
                REF_NULL_TYPE,
                FUNCREF,
                0x01,
                1L,
                4L,
                0xD0,
                FUNCREF,
                END); // (ref null func) 1..4 = ref.null
        acceptedByBoth(WasmBytes.module().section(4, tables).build());
    }

    @Test
    void allEightElementSegmentForms() {
        byte[] offset = bytes(I32_CONST, 0L, END);
        byte[] refFunc = bytes(0xD2, 0L, END);
        byte[] elements = bytes(
                8L,
                0L,
                offset,
                1L,
                0L, // 0: active table 0, func indices
                1L,
                0x00,
                1L,
                0L, // 1: passive, elemkind
                2L,
                0L,
                offset,
                0x00,
                1L,
                0L, // 2: active table x, elemkind
                3L,
                0x00,
                1L,
                0L, // 3: declarative, elemkind
                4L,
                offset,
                1L,
                refFunc, // 4: active table 0, expressions
                5L,
                FUNCREF,
                2L,
                refFunc,
                bytes(0xD0, FUNCREF, END), // 5: passive, reftype, expressions
                6L,
                0L,
                offset,
                FUNCREF,
                1L,
                refFunc, // 6: active table x, reftype, expressions
                7L,
                FUNCREF,
                1L,
                refFunc); // 7: declarative, reftype, expressions
        acceptedByBoth(WasmBytes.module()
                .section(1, 1L, 0x60, 0L, 0L)
                .section(3, 1L, 0L)
                .section(4, 1L, FUNCREF, 0x00, 1L)
                .section(9, elements)
                .section(10, 1L, 2L, 0L, END)
                .build());
    }

    @Test
    void constantInstructionsAndDataModes() {
        byte[] globals = bytes(
                5L,
                0x7f,
                0,
                I32_CONST,
                1L,
                I32_CONST,
                2L,
                0x6A,
                END, // extended const i32.add
                0x7e,
                1,
                0x42,
                0x80,
                0x80,
                0x80,
                0x80,
                0x80,
                0x80,
                0x80,
                0x80,
                0x01,
                END, // i64.const, 9-byte LEB
                0x7d,
                0,
                0x43,
                0,
                0,
                0x80,
                0x3f,
                END, // f32.const 1.0
                0x7b,
                0,
                0xFD,
                12L,
                new byte[16],
                END, // v128.const
                0x7f,
                0,
                0x23,
                0L,
                END); // global.get 0
        byte[] data = bytes(
                3L, 0L, I32_CONST, 0L, END, 2L, (int) 'h', (int) 'i', // active, memory 0
                1L, 1L, (int) 'p', // passive
                2L, 0L, I32_CONST, 8L, END, 0L); // active, explicit memory
        acceptedByBoth(WasmBytes.module()
                .section(5, 1L, 0x00, 1L)
                .section(6, globals)
                .section(12, 3L)
                .section(11, data)
                .build());
    }

    @Test
    void gcConstantInstructions() {
        byte[] types = bytes(2L, 0x5F, 1L, 0x7f, 0, 0x5E, 0x7f, 0); // struct (i32), array i32
        byte[] globals = bytes(
                2L,
                REF_NULL_TYPE,
                0L,
                0,
                0xFB,
                1L,
                0L,
                END, // struct.new_default 0
                REF_NULL_TYPE,
                1L,
                0,
                I32_CONST,
                7L,
                0xFB,
                8L,
                1L,
                1L,
                END); // array.new_fixed 1 1
        acceptedByBoth(WasmBytes.module().section(1, types).section(6, globals).build());
    }
}
