package io.wasmworker.testbed.temporal;

import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowClientOptions;
import io.temporal.serviceclient.WorkflowServiceStubs;
import io.temporal.serviceclient.WorkflowServiceStubsOptions;
import io.wasmworker.testbed.OrchestratorProcess;
import java.time.Duration;
import java.util.List;

/**
 * The Temporal test server (the SDK's in-memory implementation of the frontend gRPC API, real
 * time, namespace {@code default}) in a JVM of its own on a free port, for tests, benchmarks and
 * {@code dev}. Ready once a client can connect; closing it kills the process.
 */
public final class TemporalService implements AutoCloseable {
    public static final String NAMESPACE = "default";

    private final OrchestratorProcess process;

    private TemporalService(OrchestratorProcess process) {
        this.process = process;
    }

    /** Starts a server and waits until it answers (about a second here). */
    public static TemporalService start() {
        return new TemporalService(OrchestratorProcess.start(
                "temporal", List.of("temporal", "{port}"), Duration.ofMinutes(1), TemporalService::answers));
    }

    private static boolean answers(int port) {
        try {
            WorkflowServiceStubs stubs =
                    WorkflowServiceStubs.newConnectedServiceStubs(options("127.0.0.1:" + port), Duration.ofSeconds(2));
            stubs.shutdownNow();
            return true;
        } catch (RuntimeException e) {
            return false; // not listening yet
        }
    }

    private static WorkflowServiceStubsOptions options(String target) {
        return WorkflowServiceStubsOptions.newBuilder().setTarget(target).build();
    }

    /** {@code 127.0.0.1:<port>}, for {@code WorkflowServiceStubsOptions.setTarget}. */
    public String target() {
        return "127.0.0.1:" + process.port();
    }

    public int port() {
        return process.port();
    }

    /** A client of the {@code default} namespace; close it with {@code client.getWorkflowServiceStubs().shutdownNow()}. */
    public WorkflowClient newClient() {
        WorkflowServiceStubs stubs =
                WorkflowServiceStubs.newConnectedServiceStubs(options(target()), Duration.ofSeconds(10));
        return WorkflowClient.newInstance(
                stubs,
                WorkflowClientOptions.newBuilder().setNamespace(NAMESPACE).build());
    }

    public OrchestratorProcess process() {
        return process;
    }

    @Override
    public void close() {
        process.close();
    }
}
