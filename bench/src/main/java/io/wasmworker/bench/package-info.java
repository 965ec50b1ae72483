/**
 * JMH benchmarks of the engine: invocation overhead, CPU-heavy guests against plain Java, checkpoint
 * cost, memory overhead.
 */
package io.wasmworker.bench;
