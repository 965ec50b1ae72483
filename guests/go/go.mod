module wasmworker.io/guests

go 1.21
