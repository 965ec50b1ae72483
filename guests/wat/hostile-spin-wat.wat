;; hostile-spin-wat: the smallest possible endless loop, with no imports at all.
;;
;; Complements the C hostile-spin: here the loop body is nothing but a `br_if` back
;; edge on a constant, with no memory access and no call, so a host that only checks
;; for interruption on calls or memory operations will never stop it. `_start` calls a
;; separate function so the loop also runs one frame deep, as real guest code would.
(module
  (memory (export "memory") 1)

  (func $spin
    (loop $forever
      (br_if $forever (i32.const 1))))

  (func (export "_start")
    (call $spin)))
