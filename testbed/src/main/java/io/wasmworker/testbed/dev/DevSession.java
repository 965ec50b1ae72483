package io.wasmworker.testbed.dev;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import io.temporal.client.WorkflowClient;
import io.temporal.worker.WorkerFactory;
import io.wasmworker.testbed.camunda.CamundaEngine;
import io.wasmworker.testbed.camunda.EngineProduct;
import io.wasmworker.testbed.temporal.OrderWorkflow;
import io.wasmworker.testbed.temporal.OrderWorkflowImpl;
import io.wasmworker.testbed.temporal.TemporalService;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.slf4j.LoggerFactory;

/**
 * The test bed's side of {@code wasm-worker dev}, run as {@code testbed dev EXAMPLES_DIR [ENGINE]} in a
 * JVM of its own, so that the deployed worker's jar holds none of the test bed: it starts a Camunda 7
 * engine (ENGINE {@code camunda}, the default, or {@code operaton}) and Temporal, deploys the sample BPMN files, runs the sample workflows, and drives the demo instances
 * when asked.
 *
 * <p>The protocol, one line each way (the worker's side is {@code io.wasmworker.cli.TestbedSession}):
 * on stdout {@code ready camunda=URL cockpit=URL temporal=TARGET queue=NAME version=V} once everything
 * runs (camunda is the engine's REST URL whichever engine it is; V the version it reports),
 * {@code say TEXT} for a line to show the user, {@code demo ok} or {@code demo failed} at the end of
 * a demo, {@code error TEXT} before exiting on a failure; on stdin {@code demo} starts the demo, and
 * the end of stdin stops everything (so a worker that dies, even killed, takes its orchestrators along).
 */
public final class DevSession {
    private final PrintStream protocol;
    private final List<AutoCloseable> running = new ArrayList<>(); // stopped in reverse

    private DevSession(PrintStream protocol) {
        this.protocol = protocol;
    }

    public static void main(String[] args) {
        // stdout is the protocol's alone: everything else that prints (logging included) goes to stderr
        PrintStream protocol = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        System.setOut(System.err);
        ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).setLevel(Level.WARN);
        if (args.length < 1 || args.length > 2) {
            protocol.println("error usage: testbed dev EXAMPLES_DIR [camunda|operaton]");
            System.exit(2);
        }
        DevSession session = new DevSession(protocol);
        Runtime.getRuntime().addShutdownHook(new Thread(session::stop, "testbed-dev-stop"));
        int exit = 0;
        try {
            EngineProduct product = args.length == 2 ? EngineProduct.of(args[1]) : EngineProduct.CAMUNDA;
            session.serve(Path.of(args[0]), product);
        } catch (Exception e) {
            e.printStackTrace();
            protocol.println("error " + oneLine(e.toString()));
            exit = 1;
        }
        session.stop();
        System.exit(exit); // the Temporal client's threads would keep the JVM alive
    }

    private void serve(Path examples, EngineProduct product) throws Exception {
        CompletableFuture<TemporalService> temporalStart = CompletableFuture.supplyAsync(TemporalService::start);
        CamundaEngine camunda;
        try {
            camunda = CamundaEngine.start(product);
        } catch (RuntimeException e) {
            temporalStart.thenAccept(TemporalService::close);
            throw e;
        }
        running.add(camunda);
        TemporalService temporal = temporalStart.join();
        running.add(temporal);
        camunda.deploy(examples.resolve("order-process.bpmn"), examples.resolve("long-work.bpmn"));
        WorkflowClient client = temporal.newClient();
        running.add(() -> client.getWorkflowServiceStubs().shutdownNow());
        WorkerFactory workflows = WorkerFactory.newInstance(client);
        workflows.newWorker(OrderWorkflow.TASK_QUEUE).registerWorkflowImplementationTypes(OrderWorkflowImpl.class);
        workflows.start();
        running.add(workflows::shutdownNow);
        protocol.println("ready camunda=" + camunda.restUrl() + " cockpit=" + camunda.cockpitUrl() + " temporal="
                + temporal.target() + " queue=" + OrderWorkflow.TASK_QUEUE + " version="
                + camunda.get("/version").path("version").asText("?"));

        BufferedReader commands = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        for (String command; (command = commands.readLine()) != null; ) {
            if (command.equals("demo")) {
                boolean ok;
                try {
                    ok = new DevDemo(camunda, client, line -> protocol.println("say " + oneLine(line))).run();
                } catch (RuntimeException e) { // an instance that did not end in time, a workflow that failed...
                    e.printStackTrace();
                    protocol.println("say   the demo stopped: " + oneLine(e.toString()));
                    ok = false;
                }
                protocol.println(ok ? "demo ok" : "demo failed");
            } else {
                protocol.println("error unknown command '" + oneLine(command) + "': the test bed knows only 'demo'");
            }
        }
    }

    /** Stops the workflow worker, then the orchestrators; safe to call twice (the shutdown hook). */
    private synchronized void stop() {
        for (int i = running.size() - 1; i >= 0; i--) {
            try {
                running.get(i).close();
            } catch (Exception e) {
                System.err.println("testbed dev: stopping " + running.get(i) + " failed: " + e);
            }
        }
        running.clear();
    }

    private static String oneLine(String text) {
        return text.replace('\n', ' ').replace('\r', ' ');
    }
}
