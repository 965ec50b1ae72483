/**
 * Exact checkpoints of a running guest (memory, globals, host state) taken by policy, and their
 * restore on the next attempt.
 */
package io.wasmworker.checkpoint;
