;; hostile-table-grow: grows its funcref table and reports the new size.
;;
;; The table starts with 1 element; `_start` runs `table.grow` by 5 and writes
;; {"size":N} to stdout, N being `table.size` afterwards. A host that gives every
;; invocation a fresh instance (or properly resets the table) always sees
;; {"size":6}; a host that leaks table state between invocations sees 11, 16, ...
;;
;; Output is written with WASI fd_write; the number is formatted by hand, so the
;; module needs no libc. Memory layout:
;;   0..8    iovec {buf_ptr, buf_len} for fd_write
;;   8..12   fd_write's "bytes written" result
;;   16..    the text: `{"size":` then digits then `}`
(module
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit"
    (func $proc_exit (param i32)))

  (memory (export "memory") 1)
  (table $t 1 funcref)
  (data (i32.const 16) "{\"size\":")

  ;; Writes the decimal digits of $n at $pos; returns the position after them.
  (func $write_u32 (param $n i32) (param $pos i32) (result i32)
    (local $digits i32)
    (local $tmp i32)
    (local $end i32)
    ;; count the digits (at least one, for 0)
    (local.set $digits (i32.const 1))
    (local.set $tmp (local.get $n))
    (block $done
      (loop $count
        (br_if $done (i32.lt_u (local.get $tmp) (i32.const 10)))
        (local.set $tmp (i32.div_u (local.get $tmp) (i32.const 10)))
        (local.set $digits (i32.add (local.get $digits) (i32.const 1)))
        (br $count)))
    ;; fill them in from the right
    (local.set $end (i32.add (local.get $pos) (local.get $digits)))
    (local.set $tmp (local.get $end))
    (loop $fill
      (local.set $tmp (i32.sub (local.get $tmp) (i32.const 1)))
      (i32.store8 (local.get $tmp)
        (i32.add (i32.const 48) (i32.rem_u (local.get $n) (i32.const 10))))
      (local.set $n (i32.div_u (local.get $n) (i32.const 10)))
      (br_if $fill (i32.gt_u (local.get $tmp) (local.get $pos))))
    (local.get $end))

  (func (export "_start")
    (local $end i32)
    ;; table.grow returns the old size, or -1 if the host refused to grow the table
    (if (i32.eq (table.grow $t (ref.null func) (i32.const 5)) (i32.const -1))
      (then (call $proc_exit (i32.const 1))))
    ;; 16 + 8 = 24 is just past `{"size":`
    (local.set $end (call $write_u32 (table.size $t) (i32.const 24)))
    (i32.store8 (local.get $end) (i32.const 125)) ;; '}'
    (local.set $end (i32.add (local.get $end) (i32.const 1)))
    ;; iovec: {ptr = 16, len = end - 16}
    (i32.store (i32.const 0) (i32.const 16))
    (i32.store (i32.const 4) (i32.sub (local.get $end) (i32.const 16)))
    ;; a single write of a few bytes to a pipe is not split in practice; a failed
    ;; write is a failure of the guest
    (if (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))
      (then (call $proc_exit (i32.const 1))))))
