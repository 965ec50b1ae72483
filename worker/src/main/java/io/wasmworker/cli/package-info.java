/** The wasm-worker command line: run, dev, invoke, artifacts and snapshots. */
package io.wasmworker.cli;
