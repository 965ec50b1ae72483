/**
 * Real orchestrators for tests, benchmarks and dev, each run as its own JVM from the test bed's
 * runnable jar (never in the worker's jar).
 */
package io.wasmworker.testbed;
