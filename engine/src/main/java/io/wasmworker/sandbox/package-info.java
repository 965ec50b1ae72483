/**
 * Runs one invocation of a guest under its limits and returns an Outcome, never an exception, for
 * anything the guest does.
 */
package io.wasmworker.sandbox;
