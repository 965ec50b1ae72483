package io.wasmworker.cli;

import io.wasmworker.artifact.ArtifactStore;
import io.wasmworker.artifact.LocalArtifactStore;
import io.wasmworker.daemon.Daemon;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code wasm-worker dev}: everything on localhost with no set-up. Has the test bed (its own jar, in
 * a process of its own: see {@link TestbedSession}) start a Camunda 7 engine (Camunda 7.24, or
 * Operaton with {@code --engine operaton}) and a Temporal service
 * with the sample process and workflow, stores the example guests, starts the worker on a generated
 * configuration, and has the test bed drive a few demo instances to completion; then keeps serving
 * until stopped. This jar holds none of the test bed.
 */
@Command(
        name = "dev",
        mixinStandardHelpOptions = true,
        description =
                "Start a Camunda 7 engine (Camunda or Operaton) and Temporal on localhost, deploy the samples, run the worker on them and"
                        + " drive demo instances; then keep running (Ctrl-C stops everything).")
final class DevCommand implements Callable<Integer> {
    private static final List<String> GUESTS = List.of("order-pricing", "ckpt-step-rust");
    /** The engines the test bed runs, by {@code --engine} value: what the user is told they are. */
    private static final Map<String, String> ENGINES = Map.of("camunda", "Camunda 7", "operaton", "Operaton");

    @Spec
    CommandSpec spec;

    @Mixin
    StoreOptions store;

    @Mixin
    ArtifactStoreOption artifactStore;

    @Option(
            names = "--engine",
            paramLabel = "camunda|operaton",
            description = "The Camunda 7 engine to start: camunda (Camunda 7.24, the default) or operaton"
                    + " (Operaton, its open-source successor).")
    String engine = "camunda";

    @Option(names = "--exit-after-demo", description = "Stop once the demo instances are done (for scripts and tests).")
    boolean exitAfterDemo;

    @Option(
            names = "--guests",
            paramLabel = "DIR",
            description = "The example guests (default: guests/dist of the checkout).")
    Path guests = Path.of(System.getProperty("wasmworker.guests.dir", "guests/dist"));

    @Option(names = "--examples", paramLabel = "DIR", description = "The sample BPMN files (default: config/examples).")
    Path examples = Path.of(System.getProperty("wasmworker.examples.dir", "config/examples"));

    @Option(
            names = "--testbed",
            paramLabel = "JAR",
            description = "The runnable test-bed jar (default: what ./wasm-worker"
                    + " built, testbed/target/wasm-worker-testbed-*-exec.jar).")
    Path testbed = System.getProperty(TestbedSession.JAR_PROPERTY) == null
            ? null
            : Path.of(System.getProperty(TestbedSession.JAR_PROPERTY));

    private PrintWriter out;

    @Override
    public Integer call() throws Exception {
        out = spec.commandLine().getOut();
        Path home = store.home().resolve("dev");
        String engineName = ENGINES.get(engine);
        if (engineName == null) {
            throw new IllegalArgumentException(
                    "unknown engine '" + engine + "': use --engine camunda or --engine operaton");
        }
        if (testbed == null) {
            throw new IllegalArgumentException("dev needs the runnable test-bed jar: run it through ./wasm-worker"
                    + " (it builds the test bed), or pass --testbed testbed/target/wasm-worker-testbed-*-exec.jar"
                    + " (built by `./mvnw -pl testbed -am package -DskipTests`)");
        }
        Files.createDirectories(home);
        say("starting " + engineName + " and Temporal on localhost (each in its own JVM; 10-30 s)...");
        TestbedSession orchestrators = TestbedSession.start(testbed, examples, home.resolve("testbed.log"), engine);
        List<AutoCloseable> running = new ArrayList<>(List.of(orchestrators)); // stopped in reverse
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime()
                .addShutdownHook(new Thread(
                        () -> {
                            // the worker first (its tasks checkpoint and are given back), then the orchestrators
                            for (int i = running.size() - 1; i >= 0; i--) {
                                try {
                                    running.get(i).close();
                                } catch (Exception e) {
                                    System.err.println("dev: stopping " + running.get(i) + " failed: " + e);
                                }
                            }
                            stopped.countDown();
                        },
                        "dev-stop"));
        say(engineName + " " + orchestrators.engineVersion() + " REST at " + orchestrators.camundaRestUrl()
                + ", Temporal at " + orchestrators.temporalTarget());
        say("Cockpit at " + orchestrators.cockpitUrl() + " (user demo, password demo)");

        String artifactsAt = artifactStore.forConfig();
        try (ArtifactStore artifacts = artifactsAt == null
                ? new LocalArtifactStore(home.resolve("artifacts"))
                : ArtifactStore.at(artifactsAt, io.wasmworker.s3.S3Settings::defaults)) {
            for (String guest : GUESTS) {
                var digest = artifacts.put(Files.readAllBytes(guests.resolve(guest + ".wasm")));
                artifacts.bindName(guest, digest);
                say("guest " + guest + " stored as " + digest + " in " + artifacts.location());
            }
        }
        Path config = writeConfig(home, orchestrators, artifactsAt);
        say("worker configuration: " + config);
        say("Camunda Modeler element templates of the guests: " + TemplatesCommand.forDev(home, artifactsAt, config));

        Daemon daemon = new Daemon(RunCommand.plan(config, home, null));
        running.add(daemon);
        daemon.start();
        boolean ok = orchestrators.demo(this::say);
        say(ok ? "demo complete." : "demo finished with problems (see above, the log and " + orchestrators + ").");
        say("");
        say("the worker keeps serving. Try:");
        say("  curl -s -X POST " + orchestrators.camundaRestUrl() + "/process-definition/key/order-process/start \\");
        if (engine.equals("camunda")) {
            say(
                    "    -H 'Content-Type: application/json' -d '{\"variables\":{\"orderId\":{\"value\":\"B-1\"},"
                            + "\"customer\":{\"value\":\"{\\\"tier\\\":\\\"silver\\\",\\\"country\\\":\\\"FR\\\"}\",\"type\":\"Json\"},"
                            + "\"lines\":{\"value\":\"[{\\\"sku\\\":\\\"Y\\\",\\\"quantity\\\":1,\\\"unitPrice\\\":40}]\",\"type\":\"Json\"}}}'");
            say("  curl -s " + orchestrators.camundaRestUrl() + "/history/variable-instance?variableName=total");
        } else { // the test bed's Operaton has no Json variables (its Spin JSON data format is not installed)
            say("    -H 'Content-Type: application/json' -d '{\"variables\":{\"orderId\":{\"value\":\"B-1\"}}}'");
            say("  curl -s " + orchestrators.camundaRestUrl() + "/history/variable-instance?variableName=errorCode");
        }
        say("  curl -s http://127.0.0.1:" + daemon.httpPort() + "/metrics | grep wasm_worker_tasks");
        say("  Temporal: start workflow type OrderWorkflow on task queue '" + orchestrators.taskQueue() + "' at "
                + orchestrators.temporalTarget());
        say("  look at the instances in Cockpit: " + orchestrators.cockpitUrl() + " (demo/demo)");
        say("Ctrl-C stops the worker, " + engineName + " and Temporal.");
        if (exitAfterDemo) {
            return ok ? ExitCodes.SUCCESS : ExitCodes.GUEST_FAILURE;
        }
        stopped.await();
        return ExitCodes.SUCCESS;
    }

    /** @param artifacts the artifact store's location, or null for {@code <home>/artifacts} */
    private Path writeConfig(Path home, TestbedSession orchestrators, String artifacts) throws IOException {
        Path file = home.resolve("worker-dev.yaml");
        Files.writeString(file, """
                # generated by `wasm-worker dev`; a starting point for your own (see config/README.md)
                home: %s
                %s
                shutdownGrace: 10s
                http: { port: %d }
                artifacts:
                  ckpt-step-rust:
                    limits: { timeout: 5m, maxMemory: 16MiB }   # small: the heap check counts 4x for checkpointing guests
                    checkpoint: { everySteps: 1 }
                camunda:
                  url: %s
                  longPoll: 5s
                  topics:
                    - { topic: price-order, artifact: order-pricing }
                    - { topic: long-work, artifact: ckpt-step-rust }
                temporal:
                  target: %s
                  taskQueues:
                    - name: %s
                      activities:
                        price-order: order-pricing
                        long-work: ckpt-step-rust
                """.formatted(
                        home,
                        artifacts == null ? "" : "stores: { artifacts: \"" + artifacts + "\" }",
                        freePort(),
                        orchestrators.camundaRestUrl(),
                        orchestrators.temporalTarget(),
                        orchestrators.taskQueue()));
        return file;
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("no free port for the worker's /metrics: " + e, e);
        }
    }

    private void say(String line) {
        out.println(line);
        out.flush();
    }
}
