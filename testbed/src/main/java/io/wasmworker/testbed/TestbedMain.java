package io.wasmworker.testbed;

import io.wasmworker.testbed.camunda.CamundaEngineApp;
import java.util.Arrays;

/**
 * Entry point of the test bed's runnable jar: {@code camunda [spring args]} runs a Camunda 7
 * engine with REST (pass {@code --server.port=N}); {@code temporal PORT} runs the Temporal test
 * server on that port. Each orchestrator runs in a process of its own, so neither Spring nor the
 * engines ever share a classpath with the worker.
 */
public final class TestbedMain {
    private TestbedMain() {}

    public static void main(String[] args) throws Exception {
        if (args.length == 0) {
            System.err.println("usage: testbed camunda --server.port=N | testbed temporal PORT");
            System.exit(2);
        }
        String[] rest = Arrays.copyOfRange(args, 1, args.length);
        switch (args[0]) {
            case "camunda" -> CamundaEngineApp.main(rest);
            case "temporal" -> TemporalServerMain.main(rest);
            default -> {
                System.err.println("unknown orchestrator '" + args[0] + "': use camunda or temporal");
                System.exit(2);
            }
        }
    }
}
