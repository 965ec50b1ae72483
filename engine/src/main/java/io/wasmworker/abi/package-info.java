/**
 * The guest ABI v1 (guests/ABI.md): a WASI command with JSON on stdin and stdout, its exit codes, and
 * the environment variables through which the host describes itself.
 */
package io.wasmworker.abi;
