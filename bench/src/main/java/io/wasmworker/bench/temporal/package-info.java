/** Throughput of the Temporal adapter against the Temporal test server from the test bed. */
package io.wasmworker.bench.temporal;
