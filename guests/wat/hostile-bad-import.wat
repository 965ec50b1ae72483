;; hostile-bad-import: imports a function the host does not offer.
;;
;; `wasm_worker` is the host's own import module (ABI v1), but `does_not_exist` is
;; not one of its functions. The host must reject the module at link/instantiation
;; time with a clear error, never run it (and never crash the worker).
(module
  (import "wasm_worker" "does_not_exist" (func $does_not_exist))
  (memory (export "memory") 1)

  (func (export "_start")
    (call $does_not_exist)))
