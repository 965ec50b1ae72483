package io.wasmworker.cli;

import io.wasmworker.artifact.ArtifactStore;
import io.wasmworker.artifact.LocalArtifactStore;
import io.wasmworker.daemon.Daemon;
import io.wasmworker.daemon.config.ConfigLoader;
import java.io.PrintWriter;
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
 * Operaton with {@code --engine operaton}), a Temporal service with the sample process and workflow,
 * and the inventory service the stock-reservation guest calls (with {@code --s3} also an S3 server),
 * stores the example guests, starts the worker on a generated configuration ({@link DevConfig}), and
 * has the test bed drive a few demo instances to completion (with {@code --s3} also {@link
 * ResumeDemo}); then prints what to try ({@link DevInstructions}) and keeps serving until stopped.
 * This jar holds none of the test bed.
 */
@Command(
        name = "dev",
        mixinStandardHelpOptions = true,
        description =
                "Start a Camunda 7 engine (Camunda or Operaton), Temporal and a small inventory service on localhost,"
                        + " deploy the samples, run the worker on them and drive demo instances; then keep running"
                        + " (Ctrl-C stops everything).")
final class DevCommand implements Callable<Integer> {
    private static final List<String> GUESTS = List.of("order-pricing", "ckpt-step-rust", "stock-reservation");
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

    @Option(
            names = "--s3",
            description = "Keep artifacts and snapshots in S3: the test bed also starts a single-node Ceph RGW on"
                    + " loopback (needs apt-get install ceph-mon ceph-osd radosgw), and the demo runs a long"
                    + " task on a second and third worker process (this jar's run, each with its own home), kills"
                    + " the first with SIGKILL after a checkpoint and shows the other resume it from S3.")
    boolean s3;

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
        String artifactsAt = artifactStore.forConfig();
        if (s3 && artifactsAt != null) {
            throw new IllegalArgumentException(
                    "--s3 keeps the artifacts in the bucket of its own S3 server: leave out --artifacts");
        }
        Files.createDirectories(home);
        say("starting " + engineName + (s3 ? ", Temporal and S3 (Ceph RGW)" : " and Temporal")
                + " on localhost (each in its own JVM; 10-30 s)...");
        TestbedSession orchestrators = TestbedSession.start(testbed, examples, home.resolve("testbed.log"), engine, s3);
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
                + ", Temporal at " + orchestrators.temporalTarget() + ", inventory service at "
                + orchestrators.stockUrl());
        DevS3 bucket = orchestrators.s3().orElse(null);
        if (bucket != null) {
            say("S3 (Ceph RGW) at " + bucket.endpoint() + ": artifacts in " + bucket.artifacts() + ", snapshots in "
                    + bucket.snapshots());
        }

        try (ArtifactStore artifacts = bucket != null
                ? ArtifactStore.at(bucket.artifacts(), bucket::settings)
                : artifactsAt == null
                        ? new LocalArtifactStore(home.resolve("artifacts"))
                        : ArtifactStore.at(artifactsAt, io.wasmworker.s3.S3Settings::defaults)) {
            for (String guest : GUESTS) {
                var digest = artifacts.put(Files.readAllBytes(guests.resolve(guest + ".wasm")));
                artifacts.bindName(guest, digest);
                say("guest " + guest + " stored as " + digest + " in " + artifacts.location());
            }
        }
        Path config = DevConfig.write(home, orchestrators, artifactsAt, bucket);
        say("worker configuration: " + config);
        say("Camunda Modeler element templates of the guests: " + TemplatesCommand.forDev(home, artifactsAt, config));

        // the configuration names the test bed's Temporal: a TEMPORAL_ADDRESS exported for the user's own
        // Temporal must not take dev's worker there
        Daemon daemon = new Daemon(RunCommand.plan(
                new ConfigLoader(ConfigLoader.withoutTemporalVariables(System::getenv)), config, home, null));
        running.add(daemon);
        daemon.start();
        boolean ok = orchestrators.demo(this::say, bucket == null);
        if (bucket != null) {
            ResumeDemo resume = new ResumeDemo(
                    home, bucket, orchestrators.camundaRestUrl(), guests.resolve("ckpt-step-rust.wasm"), this::say);
            running.add(resume); // its worker processes stop with dev
            ok &= resume.run(orchestrators);
        }
        say(ok ? "demo complete." : "demo finished with problems (see above, the log and " + orchestrators + ").");
        new DevInstructions(orchestrators, engine, testbed, daemon.httpPort(), this::say).print();
        say("Ctrl-C stops the worker, " + engineName + ", Temporal" + (bucket != null ? ", S3" : "")
                + " and the inventory service.");
        if (exitAfterDemo) {
            return ok ? ExitCodes.SUCCESS : ExitCodes.GUEST_FAILURE;
        }
        stopped.await();
        return ExitCodes.SUCCESS;
    }

    private void say(String line) {
        out.println(line);
        out.flush();
    }
}
