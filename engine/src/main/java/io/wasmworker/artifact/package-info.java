/**
 * Guest modules stored by content digest, with names bound to digests: the engine's only way to find a
 * module's bytes.
 */
package io.wasmworker.artifact;
