/**
 * The Temporal adapter: a dynamic activity on each task queue that runs the guest its activity type
 * maps to, with heartbeats and checkpoints.
 */
package io.wasmworker.adapter.temporal;
