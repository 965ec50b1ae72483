/** An Operaton engine (the Camunda 7 fork) with REST on an in-memory database; driven by the camunda package's launcher. */
package io.wasmworker.testbed.operaton;
