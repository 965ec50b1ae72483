package io.wasmworker.sandbox;

import com.dylibso.chicory.wasm.WasmModule;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.ToLongFunction;

/**
 * Idle parts of a module's finished runs, for its next runs: at most {@code maxIdle} per module and at
 * most {@code maxBytes} in all (each part weighing what {@code bytes} says), held only while the module
 * itself is in use (its parsed module is the weak key: a module the module cache dropped takes its parts
 * with it). Thread-safe; one part goes to one run at a time.
 */
final class ModulePool<T> {
    private final int maxIdle;
    private final long maxBytes;
    private final ToLongFunction<T> bytes;
    private final AtomicLong idleBytes = new AtomicLong();
    private final Cache<WasmModule, Idle<T>> idle;

    private static final class Idle<T> {
        final ConcurrentLinkedQueue<T> parts = new ConcurrentLinkedQueue<>();
        final AtomicInteger count = new AtomicInteger();
    }

    ModulePool(int maxIdle) {
        this(maxIdle, Long.MAX_VALUE, part -> 0);
    }

    ModulePool(int maxIdle, long maxBytes, ToLongFunction<T> bytes) {
        this.maxIdle = maxIdle;
        this.maxBytes = maxBytes;
        this.bytes = bytes;
        this.idle = Caffeine.newBuilder()
                .weakKeys()
                .<WasmModule, Idle<T>>removalListener((module, pool, cause) -> {
                    if (pool != null) {
                        pool.parts.forEach(part -> idleBytes.addAndGet(-this.bytes.applyAsLong(part)));
                    }
                })
                .build();
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
            idleBytes.addAndGet(-bytes.applyAsLong(part));
        }
        return part;
    }

    /** Keeps a part for the module's next run, unless enough are idle already. */
    void give(WasmModule module, T part) {
        long weight = bytes.applyAsLong(part);
        if (idleBytes.addAndGet(weight) > maxBytes) {
            idleBytes.addAndGet(-weight);
            return;
        }
        Idle<T> pool = idle.get(module, m -> new Idle<>());
        if (pool.count.incrementAndGet() > maxIdle) {
            pool.count.decrementAndGet();
            idleBytes.addAndGet(-weight);
            return;
        }
        pool.parts.offer(part);
    }

    /** Idle parts of the module (for tests). */
    int idle(WasmModule module) {
        Idle<T> pool = idle.getIfPresent(module);
        return pool == null ? 0 : pool.count.get();
    }

    /** What the idle parts weigh in all (for tests). */
    long idleBytes() {
        return idleBytes.get();
    }
}
