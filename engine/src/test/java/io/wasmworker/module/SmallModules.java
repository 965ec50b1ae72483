package io.wasmworker.module;

import java.util.List;

/** Small WAT modules that together use every section kind and the encodings a pre-scan must walk. */
final class SmallModules {
    private SmallModules() {}

    static final String COMMAND = """
            (module
              (import "wasi_snapshot_preview1" "fd_write" (func $w (param i32 i32 i32 i32) (result i32)))
              (type $pair (func (param i32 i64) (result i64 i32)))
              (memory (export "memory") 1 2)
              (global $sp (mut i32) (i32.const 1024))
              (global $k i64 (i64.const -7))
              (global f32 (f32.const 1.5))
              (global f64 (f64.const 2.5))
              (table 4 funcref)
              (elem (i32.const 0) $a $b)
              (data (i32.const 16) "hello")
              (data "passive")
              (func $a (type $pair) (local i32 i32 i64 f32 f64)
                (local.get 1) (local.get 0))
              (func $b (param i32) (result i32)
                (block $out
                  (loop $l
                    (br_table $out $l $out (local.get 0))))
                (local.get 0))
              (func (export "_start")
                (drop (call $b (i32.const 3)))
                (drop (call_indirect (type $pair) (i32.const 1) (i64.const 2) (i32.const 0)))
                (drop)
                (memory.init 1 (i32.const 0) (i32.const 0) (i32.const 1))
                (data.drop 1)))
            """;

    static final String TABLES = """
            (module
              (memory (export "memory") 1)
              (table $t0 2 funcref)
              (table $t1 1 10 externref)
              (elem declare func $f)
              (elem (table $t0) (i32.const 1) funcref (ref.func $f))
              (elem funcref (ref.null func) (ref.func $f))
              (func $f (result i32) (i32.const 1))
              (func (export "_start")
                (drop (table.grow $t1 (ref.null extern) (i32.const 1)))
                (table.init $t0 2 (i32.const 0) (i32.const 0) (i32.const 1))
                (elem.drop 2)))
            """;

    static final String STEP = """
            (module
              (memory (export "memory") 1)
              (global (export "g") (mut i32) (i32.const 0))
              (func (export "ww_step") (result i32)
                (local $i i32) (local $x i64) (local $y f64) (local v128)
                (loop $l
                  (local.set $i (i32.add (local.get $i) (i32.const 1)))
                  (br_if $l (i32.lt_u (local.get $i) (i32.const 10))))
                (if (result i32) (local.get $i)
                  (then (i32.const 1))
                  (else (i32.const 0)))))
            """;

    static final String START = """
            (module
              (memory (export "memory") 1)
              (func $init)
              (start $init)
              (func (export "_start") (unreachable)))
            """;

    static final List<String> ALL = List.of(COMMAND, TABLES, STEP, START);
}
