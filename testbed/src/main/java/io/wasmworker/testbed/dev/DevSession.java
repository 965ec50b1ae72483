package io.wasmworker.testbed.dev;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import io.temporal.client.WorkflowClient;
import io.temporal.worker.WorkerFactory;
import io.wasmworker.testbed.camunda.CamundaEngine;
import io.wasmworker.testbed.camunda.EngineProduct;
import io.wasmworker.testbed.s3.Rgw;
import io.wasmworker.testbed.temporal.CallActivityWorkflowImpl;
import io.wasmworker.testbed.temporal.OrderWorkflow;
import io.wasmworker.testbed.temporal.OrderWorkflowImpl;
import io.wasmworker.testbed.temporal.TemporalService;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.slf4j.LoggerFactory;

/**
 * The test bed's side of {@code wasm-worker dev}, run as {@code testbed dev EXAMPLES_DIR [ENGINE] [--s3]}
 * in a JVM of its own, so that the deployed worker's jar holds none of the test bed: it starts a Camunda
 * 7 engine (ENGINE {@code camunda}, the default, or {@code operaton}), Temporal and the inventory service
 * the {@code stock-reservation} guest calls ({@link StockService}), with {@code --s3} also an S3 server
 * (a single-node Ceph RGW, {@link Rgw}) with an empty bucket; deploys the sample BPMN files, runs the
 * sample workflows, and drives the demo instances when asked.
 *
 * <p>The protocol, one line each way (the worker's side is {@code io.wasmworker.cli.TestbedSession}):
 * on stdout {@code ready camunda=URL cockpit=URL temporal=TARGET queue=NAME version=V stock=URL} once
 * everything runs (camunda is the engine's REST URL whichever engine it is; V the version it reports;
 * with {@code --s3} also {@code s3=ENDPOINT bucket=NAME s3key=KEY s3secret=SECRET}), {@code say TEXT}
 * for a line to show the user, {@code demo ok} or {@code demo failed} at the end of a demo, {@code error
 * TEXT} before exiting on a failure. On stdin: {@code demo} starts the demo ({@code demo
 * without-long-work}: without the Camunda long-work instance); {@code start-long-work STEPS WORK} starts
 * a long-work instance and answers {@code started ID}; {@code await-long-work ID} waits for it and
 * answers {@code long-work RESULT WORKER_IDS} (the result variable, and the ids of the workers that
 * locked its task, comma-separated, in order); the end of stdin stops everything (so a worker that
 * dies, even killed, takes its orchestrators along).
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
        boolean s3 = Arrays.asList(args).contains("--s3");
        args = Arrays.stream(args).filter(a -> !a.equals("--s3")).toArray(String[]::new);
        if (args.length < 1 || args.length > 2) {
            protocol.println("error usage: testbed dev EXAMPLES_DIR [camunda|operaton] [--s3]");
            System.exit(2);
        }
        DevSession session = new DevSession(protocol);
        Runtime.getRuntime().addShutdownHook(new Thread(session::stop, "testbed-dev-stop"));
        int exit = 0;
        try {
            EngineProduct product = args.length == 2 ? EngineProduct.of(args[1]) : EngineProduct.CAMUNDA;
            session.serve(Path.of(args[0]), product, s3);
        } catch (Exception e) {
            e.printStackTrace();
            Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
            // our own refusals (a missing tool, RGW that did not start) are sentences already; anything else
            // with its type
            protocol.println(
                    "error " + oneLine(cause instanceof IllegalStateException ? cause.getMessage() : cause.toString()));
            exit = 1;
        }
        session.stop();
        System.exit(exit); // the Temporal client's threads would keep the JVM alive
    }

    private void serve(Path examples, EngineProduct product, boolean s3) throws Exception {
        List<String> missing = s3 ? Rgw.missingTools() : List.of();
        if (!missing.isEmpty()) { // before anything starts: the user installs and comes back
            throw new IllegalStateException(String.join(", ", missing) + " not found. " + Rgw.INSTALL_HINT);
        }
        CompletableFuture<TemporalService> temporalStart = CompletableFuture.supplyAsync(TemporalService::start);
        // RGW beside the engines (about 13 s); stopped by its own shutdown hook when this JVM exits
        CompletableFuture<Rgw> rgwStart = s3 ? CompletableFuture.supplyAsync(Rgw::shared) : null;
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
        workflows
                .newWorker(OrderWorkflow.TASK_QUEUE)
                .registerWorkflowImplementationTypes(OrderWorkflowImpl.class, CallActivityWorkflowImpl.class);
        workflows.start();
        running.add(workflows::shutdownNow);
        StockService stock = StockService.start();
        running.add(stock);
        String ready = "ready camunda=" + camunda.restUrl() + " cockpit=" + camunda.cockpitUrl() + " temporal="
                + temporal.target() + " queue=" + OrderWorkflow.TASK_QUEUE + " version="
                + camunda.get("/version").path("version").asText("?") + " stock=" + stock.uri();
        if (rgwStart != null) {
            Rgw rgw = rgwStart.join();
            ready += " s3=" + rgw.endpoint() + " bucket=" + rgw.newBucket("wasm-worker-dev") + " s3key="
                    + Rgw.ACCESS_KEY + " s3secret=" + Rgw.SECRET_KEY;
        }
        protocol.println(ready);

        DevDemo demo = new DevDemo(camunda, client, stock, line -> protocol.println("say " + oneLine(line)));
        BufferedReader commands = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        for (String command; (command = commands.readLine()) != null; ) {
            try {
                protocol.println(answer(demo, command.split(" ")));
            } catch (RuntimeException e) { // an instance that did not end in time, a workflow that failed...
                e.printStackTrace();
                protocol.println("say   " + command + " stopped: " + oneLine(e.toString()));
                protocol.println(command.startsWith("demo") ? "demo failed" : "error " + oneLine(e.toString()));
            }
        }
    }

    /** The protocol line that answers {@code command}, after the {@code say} lines it tells on the way. */
    private static String answer(DevDemo demo, String[] command) {
        switch (command[0]) {
            case "demo":
                return demo.run(!(command.length > 1 && command[1].equals("without-long-work")))
                        ? "demo ok"
                        : "demo failed";
            case "start-long-work":
                return "started " + demo.startLongWork(Integer.parseInt(command[1]), Integer.parseInt(command[2]));
            case "await-long-work":
                return "long-work " + demo.awaitLongWork(command[1]);
            default:
                return "error unknown command '" + oneLine(String.join(" ", command))
                        + "': the test bed knows demo, start-long-work and await-long-work";
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
