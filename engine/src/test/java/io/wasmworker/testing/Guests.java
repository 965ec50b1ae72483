package io.wasmworker.testing;

import com.dylibso.chicory.wabt.Wat2Wasm;
import io.wasmworker.artifact.Digest;
import io.wasmworker.module.GuestModule;
import io.wasmworker.module.ModuleLoader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** The example guests built by guests/build.sh, and inline WAT modules for focused tests. */
public final class Guests {
    private static final ModuleLoader LOADER = new ModuleLoader();
    private static final Map<String, GuestModule> LOADED = new ConcurrentHashMap<>();

    private Guests() {}

    public static Path dir() {
        return Path.of(System.getProperty("wasmworker.guests.dir", "../guests/dist"));
    }

    public static Path path(String name) {
        return dir().resolve(name + ".wasm");
    }

    public static byte[] bytes(String name) {
        try {
            return Files.readAllBytes(path(name));
        } catch (IOException e) {
            throw new UncheckedIOException("example guest " + name + " is missing; run guests/build.sh", e);
        }
    }

    /** A compiled example guest (compiled once per test JVM). */
    public static GuestModule module(String name) {
        return LOADED.computeIfAbsent(name, n -> {
            byte[] b = bytes(n);
            return LOADER.load(Digest.of(b), b);
        });
    }

    public static byte[] wat(String text) {
        return Wat2Wasm.parse(text);
    }

    public static GuestModule watModule(String text) {
        byte[] b = wat(text);
        return LOADER.load(Digest.of(b), b);
    }

    /**
     * A small WASI test module: memory, fd_write, {@code $emit} (writes {@code {"v":<u32>}} to
     * stdout) plus the given extra imports and functions (which should export {@code _start}).
     */
    public static GuestModule emitting(String imports, String functions) {
        return watModule(EMITTING_PRELUDE.replace("$IMPORTS", imports) + functions + "\n)");
    }

    private static final String EMITTING_PRELUDE = """
            (module
              (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
              $IMPORTS
              (memory (export "memory") 1)
              (data (i32.const 1024) "{\\"v\\":")
              ;; writes {"v":n} using bytes 1024.. as the buffer and 0..16 for the iovec
              (func $emit (param $n i32)
                (local $len i32) (local $tmp i32) (local $digits i32)
                ;; count digits
                (local.set $tmp (local.get $n)) (local.set $digits (i32.const 1))
                (block $done (loop $count
                  (br_if $done (i32.lt_u (local.get $tmp) (i32.const 10)))
                  (local.set $tmp (i32.div_u (local.get $tmp) (i32.const 10)))
                  (local.set $digits (i32.add (local.get $digits) (i32.const 1)))
                  (br $count)))
                ;; write digits backwards after the 5-byte prefix
                (local.set $len (i32.add (i32.const 5) (local.get $digits)))
                (local.set $tmp (local.get $n))
                (loop $write
                  (local.set $len (i32.sub (local.get $len) (i32.const 1)))
                  (i32.store8 (i32.add (i32.const 1024) (local.get $len))
                    (i32.add (i32.const 48) (i32.rem_u (local.get $tmp) (i32.const 10))))
                  (local.set $tmp (i32.div_u (local.get $tmp) (i32.const 10)))
                  (br_if $write (i32.gt_u (local.get $len) (i32.const 5))))
                (local.set $len (i32.add (i32.const 5) (local.get $digits)))
                (i32.store8 (i32.add (i32.const 1024) (local.get $len)) (i32.const 125))
                (i32.store (i32.const 0) (i32.const 1024))
                (i32.store (i32.const 4) (i32.add (local.get $len) (i32.const 1)))
                (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))
            """;

    /** The same prelude with 64 pages of memory; callers replace {@code $IMPORTS} and close the module. */
    public static final String EMITTING_MODULE_64_PAGES =
            EMITTING_PRELUDE.replace("(memory (export \"memory\") 1)", "(memory (export \"memory\") 64)");
}
