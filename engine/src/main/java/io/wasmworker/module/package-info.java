/**
 * Loading a stored module: pre-scan and limits, compilation to JVM bytecode, the style of guest it is,
 * and a cache of compiled modules.
 */
package io.wasmworker.module;
