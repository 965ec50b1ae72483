package io.wasmworker.bench.temporal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.temporal.activity.DynamicActivity;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.WorkflowStub;
import io.temporal.common.converter.EncodedValues;
import io.temporal.worker.WorkerFactory;
import io.temporal.worker.WorkerOptions;
import io.wasmworker.adapter.temporal.TemporalAdapter;
import io.wasmworker.adapter.temporal.TemporalAdapter.GuestThreadMode;
import io.wasmworker.adapter.temporal.TemporalSettings;
import io.wasmworker.artifact.ArtifactRef;
import io.wasmworker.artifact.LocalArtifactStore;
import io.wasmworker.bench.FlightRecording;
import io.wasmworker.bench.JvmCpu;
import io.wasmworker.checkpoint.store.LocalSnapshotStore;
import io.wasmworker.module.ModuleCache;
import io.wasmworker.module.ModuleLoader;
import io.wasmworker.sandbox.Sandbox;
import io.wasmworker.task.TaskBinding;
import io.wasmworker.task.TaskRunner;
import io.wasmworker.testbed.OrchestratorProcess;
import io.wasmworker.testbed.temporal.ActivityCall;
import io.wasmworker.testbed.temporal.CallActivityWorkflow;
import io.wasmworker.testbed.temporal.CallActivityWorkflowImpl;
import io.wasmworker.testbed.temporal.TemporalService;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * End-to-end activity throughput through a real Temporal service (the test server in its own
 * JVM): rounds of N workflows, each calling one activity, alternating between the {@code echo}
 * guest behind the adapter with guests handed to sandbox threads (its default), the same on the
 * SDK's activity threads (no hand-off), and a plain Java activity that parses and re-serializes the same JSON. Same server, same workflow
 * worker, same activity concurrency; only the activity implementation differs.
 *
 * <pre>
 * java -Dwasmworker.testbed.jar=testbed/target/wasm-worker-testbed-0.1.0-SNAPSHOT-exec.jar \
 *      -cp bench/target/benchmarks.jar io.wasmworker.bench.temporal.TemporalThroughput [rounds] [workflows] [concurrency]
 * </pre>
 */
public final class TemporalThroughput {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String WORKFLOWS = "bench-workflows";
    private static final Map<String, Object> INPUT = Map.of(
            "orderId",
            "A-1",
            "customer",
            Map.of("tier", "gold", "country", "DE"),
            "lines",
            List.of(Map.of("sku", "X", "quantity", 2, "unitPrice", 12.5)),
            "couponCode",
            "SAVE10");

    private TemporalThroughput() {}

    /** The plain Java activity: the same JSON in and out, parsed and written once, as a guest's is. */
    static final class JavaEcho implements DynamicActivity {
        @Override
        public Object execute(EncodedValues args) {
            try {
                JsonNode input = args.get(0, JsonNode.class);
                return JSON.readTree(JSON.writeValueAsBytes(input));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        int workflows = args.length > 1 ? Integer.parseInt(args[1]) : 200;
        int concurrency = args.length > 2 ? Integer.parseInt(args[2]) : 8;
        if (System.getProperty(OrchestratorProcess.JAR_PROPERTY) == null) {
            System.setProperty(
                    OrchestratorProcess.JAR_PROPERTY, "testbed/target/wasm-worker-testbed-0.1.0-SNAPSHOT-exec.jar");
        }
        Path guests = Path.of(System.getProperty("wasmworker.guests.dir", "guests/dist"));
        Path home = Files.createTempDirectory("temporal-bench");

        LocalArtifactStore artifacts = new LocalArtifactStore(home.resolve("artifacts"));
        artifacts.bindName("echo", artifacts.put(Files.readAllBytes(guests.resolve("echo.wasm"))));
        LocalSnapshotStore snapshots = new LocalSnapshotStore(home.resolve("snapshots"), false);
        try (TemporalService service = TemporalService.start();
                Sandbox sandbox = new Sandbox()) {
            TaskRunner runner =
                    new TaskRunner(artifacts, new ModuleCache(artifacts, new ModuleLoader(), 4), snapshots, sandbox);
            TemporalSettings settings = TemporalSettings.of(service.target(), TemporalService.NAMESPACE);
            Map<String, TaskBinding> echo = Map.of("echo", TaskBinding.of(ArtifactRef.parse("echo")));
            WorkflowClient client = service.newClient();
            WorkerFactory others = WorkerFactory.newInstance(client);
            others.newWorker(WORKFLOWS).registerWorkflowImplementationTypes(CallActivityWorkflowImpl.class);
            WorkerOptions.Builder javaOptions = WorkerOptions.newBuilder()
                    .setMaxConcurrentActivityExecutionSize(concurrency)
                    .setMaxConcurrentActivityTaskPollers(Math.min(5, concurrency));
            if (Runtime.version().feature() >= 21) {
                javaOptions.setUsingVirtualThreadsOnActivityWorker(true); // as the adapter does
            }
            others.newWorker("bench-java", javaOptions.build()).registerActivitiesImplementations(new JavaEcho());
            others.start();
            try (TemporalAdapter handOff = TemporalAdapter.builder(settings, runner)
                            .queue("bench-wasm", echo, concurrency)
                            .guestThreads(GuestThreadMode.SANDBOX_THREADS)
                            .build()
                            .start();
                    TemporalAdapter inline = TemporalAdapter.builder(settings, runner)
                            .queue("bench-wasm-inline", echo, concurrency)
                            .guestThreads(GuestThreadMode.ACTIVITY_THREADS)
                            .build()
                            .start()) {
                Map<String, String> kinds = new LinkedHashMap<>();
                kinds.put("wasm (sandbox threads)", "bench-wasm");
                kinds.put("wasm (activity threads)", "bench-wasm-inline");
                kinds.put("plain Java", "bench-java");
                // -Dbench.kinds=sandbox,java: only those kinds (a profile of one kind alone)
                String only = System.getProperty("bench.kinds", "");
                if (!only.isBlank()) {
                    List<String> wanted = List.of(only.toLowerCase(Locale.ROOT).split(","));
                    kinds.keySet()
                            .removeIf(k -> wanted.stream()
                                    .noneMatch(w -> k.toLowerCase(Locale.ROOT).contains(w.strip())));
                }
                // -Dbench.warmup=N: workflows of each kind in round 0 (default: as many as a round has)
                int warmUp = Integer.getInteger("bench.warmup", workflows);
                boolean threads = Boolean.getBoolean("bench.threads"); // CPU per thread group, GC and JIT per round
                Map<String, List<Double>> rates = new LinkedHashMap<>();
                Map<String, List<Double>> cpu = new LinkedHashMap<>();
                kinds.keySet().forEach(k -> rates.put(k, new ArrayList<>()));
                kinds.keySet().forEach(k -> cpu.put(k, new ArrayList<>()));
                List<String> order = new ArrayList<>(kinds.keySet());
                System.out.printf(
                        Locale.ROOT,
                        "JDK %s, %d cores; %d rounds of %d workflows, %d activities at once%n",
                        Runtime.version(),
                        Runtime.getRuntime().availableProcessors(),
                        rounds,
                        workflows,
                        concurrency);
                FlightRecording recording = null;
                for (int round = 0; round <= rounds; round++) { // round 0 warms up and is not counted
                    if (round == 1) {
                        recording = FlightRecording.startIfAsked(); // -Dbench.jfr=FILE
                    }
                    java.util.Collections.rotate(order, 1); // no kind always runs first or after the same one
                    for (String kind : order) {
                        JvmCpu cpu0 = JvmCpu.now();
                        int n = round == 0 ? warmUp : workflows;
                        double rate = round(client, kinds.get(kind), n);
                        JvmCpu cpu1 = JvmCpu.now();
                        double cpuMicros = cpu1.processNanosSince(cpu0) / 1e3 / n;
                        System.out.printf(
                                Locale.ROOT,
                                "round %d %-24s %7.1f activities/s  %6.0f µs CPU/activity%n",
                                round,
                                kind,
                                rate,
                                cpuMicros);
                        if (threads) {
                            System.out.print(cpu1.report(cpu0, n, 0.01));
                        }
                        if (round > 0) {
                            rates.get(kind).add(rate);
                            cpu.get(kind).add(cpuMicros);
                        }
                    }
                }
                if (recording != null) {
                    recording.close();
                }
                double java = rates.containsKey("plain Java") ? median(rates.get("plain Java")) : Double.NaN;
                System.out.println();
                for (Map.Entry<String, List<Double>> r : rates.entrySet()) {
                    double m = median(r.getValue());
                    System.out.printf(
                            Locale.ROOT,
                            "%-24s median %7.1f activities/s  ratio to plain Java %.3f"
                                    + "  this JVM's CPU per activity (median) %4.0f µs  rounds %s%n",
                            r.getKey(),
                            m,
                            m / java,
                            median(cpu.get(r.getKey())),
                            r.getValue().stream()
                                    .map(v -> String.format(Locale.ROOT, "%.0f", v))
                                    .toList());
                }
                int probe = Integer.getInteger("bench.probe", 0);
                if (probe > 0) {
                    probe(runner, echo.get("echo"), probe);
                }
            } finally {
                others.shutdownNow();
                client.getWorkflowServiceStubs().shutdownNow();
            }
        }
    }

    /**
     * The engine's part of one activity with nothing else around it ({@code -Dbench.probe=N}): N runs of
     * the echo guest back to back through the same task runner, on a sandbox thread, with the input and
     * metadata an activity has; prints the thread's CPU per run. Beside the rounds' CPU of the guest
     * threads it shows what running amid the SDK's work costs the same code.
     */
    private static void probe(TaskRunner runner, TaskBinding binding, int n) throws Exception {
        byte[] input = JSON.writeValueAsBytes(INPUT);
        Map<String, String> metadata = Map.of("SOURCE", "temporal", "NAMESPACE", "default", "ACTIVITY_TYPE", "echo");
        java.lang.management.ThreadMXBean threads = java.lang.management.ManagementFactory.getThreadMXBean();
        java.util.concurrent.ExecutorService guest =
                java.util.concurrent.Executors.newSingleThreadExecutor(Sandbox.threadFactory());
        try {
            for (int pass = 0; pass < 3; pass++) {
                int p = pass;
                long nanos = guest.submit(() -> {
                            long t0 = threads.getCurrentThreadCpuTime();
                            for (int i = 0; i < n; i++) {
                                var attempt =
                                        runner.open(io.wasmworker.task.TaskKey.of("probe:" + p + "/" + i), binding, 1);
                                attempt.latestCheckpoint();
                                var result = attempt.invoke(input, metadata, null, null);
                                if (!(result.outcome() instanceof io.wasmworker.sandbox.Outcome.Success)) {
                                    throw new IllegalStateException("probe run failed: " + result.report());
                                }
                            }
                            return threads.getCurrentThreadCpuTime() - t0;
                        })
                        .get();
                System.out.printf(
                        Locale.ROOT,
                        "probe pass %d: %d echo runs back to back, %.1f µs CPU per run%n",
                        pass,
                        n,
                        nanos / 1e3 / n);
            }
        } finally {
            guest.shutdownNow();
        }
    }

    /** Starts N workflows, waits for all, and returns activities per second. */
    private static double round(WorkflowClient client, String taskQueue, int workflows) throws Exception {
        List<WorkflowStub> started = new ArrayList<>(workflows);
        String prefix = taskQueue + "-" + System.nanoTime() + "-";
        long t0 = System.nanoTime();
        for (int i = 0; i < workflows; i++) {
            CallActivityWorkflow wf = client.newWorkflowStub(
                    CallActivityWorkflow.class,
                    WorkflowOptions.newBuilder()
                            .setTaskQueue(WORKFLOWS)
                            .setWorkflowId(prefix + i)
                            .build());
            WorkflowClient.start(wf::call, ActivityCall.once("echo", taskQueue, INPUT));
            started.add(WorkflowStub.fromTyped(wf));
        }
        for (WorkflowStub stub : started) {
            Object result = stub.getResult(120, TimeUnit.SECONDS, Object.class);
            if (!INPUT.equals(result)) {
                throw new IllegalStateException("unexpected result " + result);
            }
        }
        return workflows / ((System.nanoTime() - t0) / 1e9);
    }

    private static double median(List<Double> values) {
        List<Double> sorted = values.stream().sorted().toList();
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }
}
