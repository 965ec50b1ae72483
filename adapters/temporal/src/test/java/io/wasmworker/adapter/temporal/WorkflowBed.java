package io.wasmworker.adapter.temporal;

import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.WorkflowStub;
import io.temporal.worker.WorkerFactory;
import io.wasmworker.testbed.temporal.ActivityCall;
import io.wasmworker.testbed.temporal.CallActivityWorkflow;
import io.wasmworker.testbed.temporal.CallActivityWorkflowImpl;
import io.wasmworker.testbed.temporal.TemporalService;
import java.time.Duration;

/**
 * What the ITs with worker JVMs share: the Temporal test server, a client, and a workflow worker on
 * its own queue running {@link CallActivityWorkflowImpl}, whose workflows each call one activity on
 * the queue the test's worker JVMs poll.
 */
final class WorkflowBed implements AutoCloseable {
    private final TemporalService service;
    private final WorkflowClient client;
    private final WorkerFactory workflows;
    private final String workflowQueue;

    private WorkflowBed(TemporalService service, String workflowQueue) {
        this.service = service;
        this.workflowQueue = workflowQueue;
        this.client = service.newClient();
        this.workflows = WorkerFactory.newInstance(client);
        workflows.newWorker(workflowQueue).registerWorkflowImplementationTypes(CallActivityWorkflowImpl.class);
        workflows.start();
    }

    /** Starts the test server and the workflow worker polling {@code workflowQueue}. */
    static WorkflowBed start(String workflowQueue) {
        TemporalService service = TemporalService.start();
        try {
            return new WorkflowBed(service, workflowQueue);
        } catch (RuntimeException e) {
            service.close();
            throw e;
        }
    }

    /** The server's address, for worker JVMs. */
    String target() {
        return service.target();
    }

    WorkflowClient client() {
        return client;
    }

    /** Starts a workflow that calls the activity {@code call} describes; its stub waits for the result. */
    WorkflowStub startWorkflow(String workflowId, ActivityCall call, Duration executionTimeout) {
        CallActivityWorkflow workflow = client.newWorkflowStub(
                CallActivityWorkflow.class,
                WorkflowOptions.newBuilder()
                        .setTaskQueue(workflowQueue)
                        .setWorkflowId(workflowId)
                        .setWorkflowExecutionTimeout(executionTimeout)
                        .build());
        WorkflowClient.start(workflow::call, call);
        return WorkflowStub.fromTyped(workflow);
    }

    @Override
    public void close() {
        workflows.shutdownNow();
        client.getWorkflowServiceStubs().shutdownNow();
        service.close();
    }
}
