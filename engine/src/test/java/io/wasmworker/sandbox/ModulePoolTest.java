package io.wasmworker.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import com.dylibso.chicory.wasm.WasmModule;
import io.wasmworker.testing.Guests;
import org.junit.jupiter.api.Test;

class ModulePoolTest {
    private static WasmModule module(int n) {
        return Guests.emitting("", "(func (export \"_start\") (call $emit (i32.const " + n + ")))")
                .wasm();
    }

    @Test
    void keepsAtMostMaxIdlePerModuleAndGivesEachPartToOneTaker() {
        ModulePool<String> pool = new ModulePool<>(2);
        WasmModule a = module(1);
        WasmModule b = module(2);
        pool.give(a, "a1");
        pool.give(a, "a2");
        pool.give(a, "a3"); // over the limit: dropped
        pool.give(b, "b1");
        assertThat(pool.idle(a)).isEqualTo(2);
        assertThat(pool.take(a)).isEqualTo("a1");
        assertThat(pool.take(a)).isEqualTo("a2");
        assertThat(pool.take(a)).isNull();
        assertThat(pool.take(b)).isEqualTo("b1");
    }

    @Test
    void keepsAtMostMaxBytesInAll() {
        ModulePool<byte[]> pool = new ModulePool<>(10, 100, part -> part.length);
        WasmModule a = module(3);
        WasmModule b = module(4);
        pool.give(a, new byte[60]);
        pool.give(b, new byte[60]); // 120 > 100: dropped
        pool.give(b, new byte[40]);
        assertThat(pool.idleBytes()).isEqualTo(100);
        assertThat(pool.idle(b)).isEqualTo(1);
        pool.take(a);
        assertThat(pool.idleBytes()).isEqualTo(40);
    }
}
