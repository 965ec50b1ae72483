/** A Camunda 7 engine with REST on an in-memory database, and the REST calls tests make to it. */
package io.wasmworker.testbed.camunda;
