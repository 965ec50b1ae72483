/** Throughput of the Camunda adapter against a real engine from the test bed. */
package io.wasmworker.bench.camunda;
