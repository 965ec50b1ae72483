/**
 * One task of an orchestrator run as a guest invocation: the request, the binding to an artifact,
 * resume from its checkpoint, and what observers are told.
 */
package io.wasmworker.task;
