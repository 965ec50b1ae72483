package io.wasmworker.testbed.temporal;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowClientOptions;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.WorkflowStub;
import io.temporal.serviceclient.WorkflowServiceStubs;
import io.temporal.serviceclient.WorkflowServiceStubsOptions;
import java.time.Duration;
import java.util.Map;

/**
 * {@code testbed start-workflow TARGET TASK_QUEUE WORKFLOW_TYPE JSON_INPUT}: starts one workflow by type
 * name with a JSON object as its single argument, waits for it and prints its result as JSON, like
 * {@code temporal workflow execute} does, for people without the Temporal CLI. Exit code 0 when the
 * workflow completed, 1 when it failed, 2 on a usage error.
 */
public final class StartWorkflowMain {
    private static final ObjectMapper JSON = new ObjectMapper();

    private StartWorkflowMain() {}

    public static void main(String[] args) throws Exception {
        if (args.length != 4) {
            System.err.println("usage: testbed start-workflow TARGET TASK_QUEUE WORKFLOW_TYPE JSON_INPUT"
                    + " (e.g. 127.0.0.1:7233 orders OrderWorkflow '{\"orderId\":\"B-2\"}')");
            System.exit(2);
        }
        Map<?, ?> input;
        try {
            input = JSON.readValue(args[3], Map.class);
        } catch (Exception e) {
            System.err.println("start-workflow: the input is not a JSON object: " + e.getMessage());
            System.exit(2);
            return;
        }
        WorkflowServiceStubs stubs = WorkflowServiceStubs.newConnectedServiceStubs(
                WorkflowServiceStubsOptions.newBuilder().setTarget(args[0]).build(), Duration.ofSeconds(10));
        int exit = 0;
        try {
            WorkflowClient client = WorkflowClient.newInstance(
                    stubs,
                    WorkflowClientOptions.newBuilder()
                            .setNamespace(TemporalService.NAMESPACE)
                            .build());
            String id = args[2] + "-" + System.currentTimeMillis();
            WorkflowStub workflow = client.newUntypedWorkflowStub(
                    args[2],
                    WorkflowOptions.newBuilder()
                            .setTaskQueue(args[1])
                            .setWorkflowId(id)
                            .setWorkflowExecutionTimeout(Duration.ofMinutes(5))
                            .build());
            workflow.start(input);
            System.out.println("started workflow " + id + " (type " + args[2] + ", task queue " + args[1] + ")");
            try {
                Object result = workflow.getResult(Object.class);
                System.out.println("result: " + JSON.writeValueAsString(result));
            } catch (RuntimeException e) {
                System.out.println("failed: " + e.getMessage());
                exit = 1;
            }
        } finally {
            stubs.shutdownNow();
        }
        System.exit(exit); // the client's threads would keep the JVM alive
    }
}
