/** The entry point of the test bed's runnable jar: which orchestrator, or the dev session, this JVM runs. */
package io.wasmworker.testbed.main;
