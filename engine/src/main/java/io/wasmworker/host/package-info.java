/**
 * The host a guest sees: sandboxed WASI, its standard streams, clock and randomness, and memory and
 * tables bounded by the guest's limits.
 */
package io.wasmworker.host;
