package io.wasmworker.sandbox;

import com.dylibso.chicory.wasm.WasmModule;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Idle parts of a module's finished runs, for its next runs: at most {@code maxIdle} per module, held
 * only while the module itself is in use (its parsed module is the weak key: a module the module
 * cache dropped takes its parts with it). Thread-safe; one part goes to one run at a time.
 */
final class ModulePool<T> {
    private final int maxIdle;
    private final Cache<WasmModule, Idle<T>> idle =
            Caffeine.newBuilder().weakKeys().build();

    private static final class Idle<T> {
        final ConcurrentLinkedQueue<T> parts = new ConcurrentLinkedQueue<>();
        final AtomicInteger count = new AtomicInteger();
    }

    ModulePool(int maxIdle) {
        this.maxIdle = maxIdle;
    }

    /** An idle part of the module's, or null. */
    T take(WasmModule module) {
        Idle<T> pool = idle.getIfPresent(module);
        if (pool == null) {
            return null;
        }
        T part = pool.parts.poll();
        if (part != null) {
            pool.count.decrementAndGet();
        }
        return part;
    }

    /** Keeps a part for the module's next run, unless enough are idle already. */
    void give(WasmModule module, T part) {
        Idle<T> pool = idle.get(module, m -> new Idle<>());
        if (pool.count.incrementAndGet() > maxIdle) {
            pool.count.decrementAndGet();
            return;
        }
        pool.parts.offer(part);
    }

    /** Idle parts of the module (for tests). */
    int idle(WasmModule module) {
        Idle<T> pool = idle.getIfPresent(module);
        return pool == null ? 0 : pool.count.get();
    }
}
