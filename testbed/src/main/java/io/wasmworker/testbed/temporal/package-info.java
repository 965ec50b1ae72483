/** The Temporal test server in its own JVM, and the sample workflows that call guests as activities. */
package io.wasmworker.testbed.temporal;
