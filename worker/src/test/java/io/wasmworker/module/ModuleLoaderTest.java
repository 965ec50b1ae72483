package io.wasmworker.module;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.wasmworker.artifact.Digest;
import io.wasmworker.testing.Guests;
import java.util.Arrays;
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
        assertThatThrownBy(() -> load(Guests.wat("(module (import \"env\" \"now\" (func)) (memory (export \"memory\") 1)"
                        + " (func (export \"_start\")))")))
                .hasMessageContaining("imports env.now from module 'env'");
        assertThatThrownBy(() -> load(Guests.wat("(module (import \"env\" \"mem\" (memory 1))"
                        + " (func (export \"_start\")))")))
                .hasMessageContaining("imports memory env.mem");
        assertThatThrownBy(() -> load(Guests.wat("(module (import \"wasi_snapshot_preview1\" \"fd_write\" (func (param i32)))"
                        + " (memory (export \"memory\") 1) (func (export \"_start\")))")))
                .hasMessageContaining("wasi_snapshot_preview1.fd_write with type");
    }

    @Test
    void aModuleWithoutStartIsNotACommand() {
        assertThatThrownBy(() -> load(Guests.wat("(module (memory (export \"memory\") 1) (func (export \"run\")))")))
                .hasMessageContaining("is not a WASI command: it exports no function '_start'");
    }
}
