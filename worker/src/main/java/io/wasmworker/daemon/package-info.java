/**
 * The running worker: its stores, the task runner and the adapters its configuration names, metrics
 * and health over HTTP, and a graceful stop.
 */
package io.wasmworker.daemon;
