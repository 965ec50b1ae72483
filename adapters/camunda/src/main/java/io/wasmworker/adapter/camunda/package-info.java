/**
 * The Camunda 7 adapter: fetches and locks external tasks by topic, runs each as a guest, and reports
 * completion, BPMN errors and failures.
 */
package io.wasmworker.adapter.camunda;
