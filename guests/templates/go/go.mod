// A wasm-worker guest in Go: copy this directory to guests/tasks/<name> (the replace
// below counts on that depth), edit, then
//   ./wasm-worker artifacts build guests/tasks/<name> --name <name>
// Go guests cannot checkpoint (guests/ABI.md, "Go").
module example.com/task

go 1.21

require wasmworker.io/guests v0.0.0

replace wasmworker.io/guests => ../../go
