package io.wasmworker.testbed.main;

import io.wasmworker.testbed.camunda.CamundaEngineApp;
import io.wasmworker.testbed.dev.DevSession;
import io.wasmworker.testbed.operaton.OperatonEngineApp;
import io.wasmworker.testbed.temporal.StartWorkflowMain;
import io.wasmworker.testbed.temporal.TemporalServerMain;
import java.util.Arrays;

/**
 * Entry point of the test bed's runnable jar: {@code camunda [spring args]} runs a Camunda 7.24
 * engine with REST (pass {@code --server.port=N}), {@code operaton [spring args]} an Operaton engine
 * the same way; {@code temporal PORT} runs the Temporal test
 * server on that port; {@code dev EXAMPLES_DIR} is the test bed's side of {@code wasm-worker dev}
 * (see {@link DevSession}); {@code start-workflow TARGET QUEUE TYPE JSON} starts a workflow and prints
 * its result (see {@link StartWorkflowMain}). Each runs in a process of its own, so neither Spring, the engines nor the
 * sample workflows ever share a classpath with the worker.
 */
public final class TestbedMain {
    private TestbedMain() {}

    public static void main(String[] args) throws Exception {
        if (args.length == 0) {
            System.err.println("usage: testbed camunda|operaton --server.port=N | testbed temporal PORT"
                    + " | testbed dev EXAMPLES_DIR [camunda|operaton] [--s3]"
                    + " | testbed start-workflow TARGET TASK_QUEUE WORKFLOW_TYPE JSON_INPUT");
            System.exit(2);
        }
        String[] rest = Arrays.copyOfRange(args, 1, args.length);
        switch (args[0]) {
            case "camunda" -> CamundaEngineApp.main(rest);
            case "operaton" -> OperatonEngineApp.main(rest);
            case "temporal" -> TemporalServerMain.main(rest);
            case "dev" -> DevSession.main(rest);
            case "start-workflow" -> StartWorkflowMain.main(rest);
            default -> {
                System.err.println("unknown orchestrator '" + args[0]
                        + "': use camunda, operaton, temporal, dev or start-workflow");
                System.exit(2);
            }
        }
    }
}
