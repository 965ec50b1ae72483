package io.wasmworker.bench.camunda;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.wasmworker.adapter.camunda.CamundaAdapter;
import io.wasmworker.adapter.camunda.CamundaSettings;
import io.wasmworker.adapter.camunda.TopicSettings;
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
import io.wasmworker.testbed.camunda.CamundaEngine;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.camunda.bpm.client.ExternalTaskClient;

/**
 * Tasks per second through a real Camunda engine: the wasm-worker adapter running the trivial
 * {@code echo} guest, against a plain Java {@code ExternalTaskHandler} doing the same (variables
 * to JSON and back), alternating rounds in the same run on the same engine. Each round starts N
 * instances first, then starts the worker and times until all N have ended (the drain rate).
 *
 * <p>Run: {@code java -cp bench/target/benchmarks.jar -Dwasmworker.testbed.jar=... io.wasmworker.bench.camunda.CamundaThroughput [N] [ROUNDS]}
 * (see bench/README.md).
 */
public final class CamundaThroughput {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int CONCURRENCY = 2;

    private CamundaThroughput() {}

    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 300;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        Path guests = Path.of(System.getProperty("wasmworker.guests.dir", "guests/dist"));
        Path home = Files.createTempDirectory("camunda-bench");
        try (CamundaEngine engine = CamundaEngine.start()) {
            Path bpmn = home.resolve("bench-process.bpmn");
            try (var in = CamundaThroughput.class.getResourceAsStream("/bench-process.bpmn")) {
                Files.copy(in, bpmn);
            }
            engine.deploy(bpmn);
            LocalArtifactStore artifacts = new LocalArtifactStore(home.resolve("artifacts"));
            artifacts.bindName("echo", artifacts.put(Files.readAllBytes(guests.resolve("echo.wasm"))));
            // the engine's side lives as long as a daemon's: the module is compiled once, not per round;
            // each round starts the adapter (its client and threads), as it starts the plain client
            try (Sandbox sandbox = new Sandbox()) {
                TaskRunner runner = new TaskRunner(
                        artifacts,
                        new ModuleCache(artifacts, new ModuleLoader(), 4),
                        new LocalSnapshotStore(
                                home.resolve("snapshots"),
                                Boolean.parseBoolean(System.getProperty("bench.fsync", "true"))),
                        sandbox);
                // warm-up: both paths, so class loading and JIT do not count against the first round
                int warmUp = Integer.getInteger("bench.warmup", 50);
                drain(engine, warmUp, () -> wasm(engine, runner));
                drain(engine, warmUp, () -> plain(engine));
                boolean threads = Boolean.getBoolean("bench.threads"); // CPU per thread group, GC, JIT
                double wasmTotal = 0;
                double plainTotal = 0;
                List<Double> wasmCpu = new ArrayList<>();
                List<Double> plainCpu = new ArrayList<>();
                FlightRecording recording = FlightRecording.startIfAsked(); // -Dbench.jfr=FILE
                for (int round = 1; round <= rounds; round++) {
                    Round wasm = drain(engine, n, () -> wasm(engine, runner));
                    Round plain = drain(engine, n, () -> plain(engine));
                    double w = wasm.rate();
                    double p = plain.rate();
                    wasmTotal += w;
                    plainTotal += p;
                    wasmCpu.add(wasm.cpuMicrosPerTask());
                    plainCpu.add(plain.cpuMicrosPerTask());
                    System.out.printf(
                            Locale.ROOT,
                            "round %d: wasm-worker %.1f tasks/s, plain Java %.1f tasks/s, ratio %.2f;"
                                    + " this JVM's CPU per task %.0f / %.0f µs%n",
                            round,
                            w,
                            p,
                            w / p,
                            wasmCpu.get(round - 1),
                            plainCpu.get(round - 1));
                    if (threads) {
                        System.out.print("    wasm-worker:\n" + wasm.end().report(wasm.start(), n, 0.01));
                        System.out.print("    plain Java:\n" + plain.end().report(plain.start(), n, 0.01));
                    }
                }
                if (recording != null) {
                    recording.close();
                }
                System.out.printf(
                        Locale.ROOT,
                        "this JVM's CPU per task (median): wasm-worker %.0f µs, plain Java %.0f µs%n",
                        median(wasmCpu),
                        median(plainCpu));
                System.out.printf(
                        "mean: wasm-worker %.1f tasks/s, plain Java %.1f tasks/s, ratio %.2f (JDK %s, %d cores)%n",
                        wasmTotal / rounds,
                        plainTotal / rounds,
                        wasmTotal / plainTotal,
                        Runtime.version(),
                        Runtime.getRuntime().availableProcessors());
            }
        }
    }

    private static double median(List<Double> values) {
        List<Double> sorted = values.stream().sorted().toList();
        int size = sorted.size();
        return size % 2 == 1 ? sorted.get(size / 2) : (sorted.get(size / 2 - 1) + sorted.get(size / 2)) / 2;
    }

    interface Worker {
        AutoCloseable start() throws Exception;
    }

    /**
     * One drain: tasks per second, and this JVM's CPU from the worker's start to the last task's end
     * (taken before the worker stops, while its threads are still alive to be counted).
     */
    record Round(int tasks, double rate, JvmCpu start, JvmCpu end) {
        double cpuMicrosPerTask() {
            return end.processNanosSince(start) / 1e3 / tasks;
        }
    }

    /** Starts n instances, then the worker; tasks per second until all have ended. */
    private static Round drain(CamundaEngine engine, int n, Worker worker) throws Exception {
        String batch = "b" + System.nanoTime();
        for (int i = 0; i < n; i++) {
            engine.startProcess("bench-process", batch, Map.of("orderId", "A-" + i, "amount", i, "vip", i % 2 == 0));
        }
        JvmCpu cpu = JvmCpu.now();
        long start = System.nanoTime();
        long elapsed;
        JvmCpu cpuEnd;
        try (AutoCloseable running = worker.start()) {
            while (count(engine, batch) < n) {
                Thread.sleep(20);
            }
            elapsed = System.nanoTime() - start;
            cpuEnd = JvmCpu.now();
        }
        return new Round(n, n / (elapsed / 1e9), cpu, cpuEnd);
    }

    private static int count(CamundaEngine engine, String businessKey) {
        return engine.get("/history/process-instance/count?finished=true&processInstanceBusinessKey=" + businessKey)
                .path("count")
                .asInt();
    }

    private static AutoCloseable wasm(CamundaEngine engine, TaskRunner runner) {
        TopicSettings topic = TopicSettings.of("bench", TaskBinding.of(ArtifactRef.parse("echo")))
                .withMaxConcurrent(CONCURRENCY);
        CamundaAdapter adapter = CamundaAdapter.builder(
                        new CamundaSettings(
                                engine.restUrl(), "bench-wasm", null, null, Duration.ofSeconds(2), List.of(topic)),
                        runner)
                .shutdownGrace(Duration.ofSeconds(5))
                .build()
                .start();
        return adapter::close;
    }

    /** What a user would write by hand: one handler on the client's thread, same client settings. */
    private static AutoCloseable plain(CamundaEngine engine) {
        ExternalTaskClient client = ExternalTaskClient.create()
                .baseUrl(engine.restUrl())
                .workerId("bench-plain")
                .maxTasks(CONCURRENCY)
                .lockDuration(60_000)
                .asyncResponseTimeout(2_000)
                .build();
        client.subscribe("bench")
                .lockDuration(60_000)
                .handler((task, service) -> {
                    try {
                        ObjectNode input = JSON.valueToTree(task.getAllVariables());
                        JsonNode output = JSON.readTree(JSON.writeValueAsBytes(input)); // the echo guest's work
                        Map<String, Object> variables = new HashMap<>();
                        output.fields()
                                .forEachRemaining(
                                        e -> variables.put(e.getKey(), JSON.convertValue(e.getValue(), Object.class)));
                        service.complete(task, variables);
                    } catch (java.io.IOException e) {
                        service.handleFailure(task, e.toString(), null, 0, 0);
                    }
                })
                .open();
        return client::stop;
    }
}
