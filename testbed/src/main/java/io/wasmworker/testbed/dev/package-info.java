/**
 * The test bed's side of wasm-worker dev: starts the orchestrators with the samples and drives the
 * demo instances, over a one-line protocol.
 */
package io.wasmworker.testbed.dev;
