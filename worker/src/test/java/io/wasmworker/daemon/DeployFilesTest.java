package io.wasmworker.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.wasmworker.artifact.LocalArtifactStore;
import io.wasmworker.daemon.config.ConfigException;
import io.wasmworker.daemon.config.ConfigLoader;
import io.wasmworker.daemon.config.WorkerConfig;
import io.wasmworker.module.ModuleCache;
import io.wasmworker.module.ModuleLoader;
import io.wasmworker.testing.Guests;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The deployment files users take (deploy/kubernetes, deploy/systemd) keep the worker's promises: they
 * render and pass the Kubernetes API's schemas and {@code systemd-analyze verify}, probe the worker's
 * real health endpoints, give it longer to stop than its configuration's grace, run it as no root, and
 * give the JVM a heap the worker's own admission check accepts for the configuration they ship.
 */
class DeployFilesTest {
    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    private static final Path KUBERNETES = ROOT.resolve("deploy/kubernetes");
    private static final Path UNIT = ROOT.resolve("deploy/systemd/wasm-worker.service");
    private static final Pattern XMX = Pattern.compile("-Xmx(\\d+)([kmgKMG])");
    /** What the Deployment's comment promises outside the heap: metaspace, code cache, threads, gRPC buffers. */
    private static final long NON_HEAP = 384L << 20;
    /** Besides shutdownGrace and longPoll, time for the last reports and the JVM's exit. */
    private static final Duration STOP_MARGIN = Duration.ofSeconds(10);

    @TempDir
    Path tmp;

    private ModuleCache modules;

    @Test
    void theKubernetesManifestsRenderAndPassTheKubernetesSchemas() throws Exception {
        Path rendered = render();
        Run check = run(
                "node",
                KUBERNETES.resolve("check/validate.mjs").toString(),
                rendered.toString(),
                KUBERNETES.resolve("s3-secret.example.yaml").toString());
        assertThat(check.exit())
                .as("schema check (needs `npm ci` in deploy/kubernetes/check):\n%s", check.output())
                .isZero();
        assertThat(check.output()).contains("4 valid, 0 invalid");
    }

    @Test
    void theSchemaCheckRefusesAWrongType() throws Exception {
        Path rendered = render();
        Path broken = Files.writeString(
                tmp.resolve("broken.yaml"),
                Files.readString(rendered).replace("containerPort: 9464", "containerPort: metrics"));
        Run check = run("node", KUBERNETES.resolve("check/validate.mjs").toString(), broken.toString());
        assertThat(check.exit()).isEqualTo(1);
        assertThat(check.output()).contains("Deployment wasm-worker: data/spec/template/spec/containers/0/ports/0");
    }

    @Test
    void theDeploymentProbesStopsAndMountsTheWayTheWorkerExpects() throws Exception {
        Map<String, JsonNode> objects = objects(render());
        JsonNode deployment = objects.get("Deployment/wasm-worker");
        JsonNode pod = deployment.path("spec").path("template").path("spec");
        JsonNode container = only(pod.path("containers"));
        WorkerConfig config = kubernetesConfig(container);

        // the configuration comes from the ConfigMap, mounted where the arguments say
        JsonNode configMap = objects.values().stream()
                .filter(o -> o.path("kind").asText().equals("ConfigMap"))
                .findFirst()
                .orElseThrow();
        assertThat(configMap.path("data").path("worker.yaml").asText())
                .isEqualTo(Files.readString(KUBERNETES.resolve("worker.yaml")));
        assertThat(texts(container.path("args"))).containsExactly("run", "--config", "/etc/wasm-worker/worker.yaml");
        JsonNode configVolume = only(pod.path("volumes"), v -> v.has("configMap"));
        assertThat(configVolume.path("configMap").path("name").asText())
                .isEqualTo(configMap.path("metadata").path("name").asText());
        JsonNode configMount = only(
                container.path("volumeMounts"),
                m -> m.path("name").asText().equals(configVolume.path("name").asText()));
        assertThat(configMount.path("mountPath").asText()).isEqualTo("/etc/wasm-worker");

        // probes on the worker's exact health paths, on the port its configuration serves, reachable
        // from the kubelet (not only on loopback)
        assertThat(config.http().host()).isEqualTo("0.0.0.0");
        JsonNode port = only(container.path("ports"));
        assertThat(port.path("containerPort").asInt()).isEqualTo(config.http().port());
        String portName = port.path("name").asText();
        assertThat(probe(container, "livenessProbe", portName)).isEqualTo("/health/live");
        assertThat(probe(container, "readinessProbe", portName)).isEqualTo("/health/ready");
        assertThat(probe(container, "startupProbe", portName)).isEqualTo("/health/live");
        JsonNode service = objects.get("Service/wasm-worker-metrics");
        assertThat(only(service.path("spec").path("ports")).path("targetPort").asText())
                .isEqualTo(portName);

        // the kubelet's SIGKILL comes only after the worker's graceful stop
        Duration grace =
                Duration.ofSeconds(pod.path("terminationGracePeriodSeconds").asLong());
        assertThat(grace)
                .isGreaterThanOrEqualTo(
                        config.shutdownGrace().plus(config.camunda().longPoll()).plus(STOP_MARGIN));

        // S3 settings from the Secret, under the AWS SDK's standard names
        JsonNode secret = yaml(Files.readString(KUBERNETES.resolve("s3-secret.example.yaml")))
                .get(0);
        assertThat(only(container.path("envFrom"))
                        .path("secretRef")
                        .path("name")
                        .asText())
                .isEqualTo(secret.path("metadata").path("name").asText());
        assertThat(secret.path("stringData").fieldNames())
                .toIterable()
                .containsExactlyInAnyOrder(
                        "AWS_ENDPOINT_URL", "AWS_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY");
        assertThat(config.stores().artifacts()).startsWith("s3://");
        assertThat(config.stores().snapshots()).startsWith("s3://");
    }

    @Test
    void theDeploymentRunsAsNoRoot() throws Exception {
        JsonNode pod = objects(render())
                .get("Deployment/wasm-worker")
                .path("spec")
                .path("template")
                .path("spec");
        JsonNode security = pod.path("securityContext");
        assertThat(security.path("runAsNonRoot").asBoolean()).isTrue();
        assertThat(security.path("runAsUser").asInt()).isEqualTo(10001); // the image's user (ImageIT)
        assertThat(security.path("seccompProfile").path("type").asText()).isEqualTo("RuntimeDefault");
        JsonNode container = only(pod.path("containers")).path("securityContext");
        assertThat(container.path("allowPrivilegeEscalation").asBoolean(true)).isFalse();
        assertThat(container.path("readOnlyRootFilesystem").asBoolean()).isTrue();
        assertThat(texts(container.path("capabilities").path("drop"))).containsExactly("ALL");
        assertThat(pod.path("automountServiceAccountToken").asBoolean(true)).isFalse();
    }

    @Test
    void theDeploymentsHeapAndMemoryFitItsConfiguration() throws Exception {
        JsonNode container = only(objects(render())
                .get("Deployment/wasm-worker")
                .path("spec")
                .path("template")
                .path("spec")
                .path("containers"));
        String javaOptions = env(container).get("JAVA_TOOL_OPTIONS");
        long heap = xmx(javaOptions);
        WorkerConfig config = kubernetesConfig(container);

        // the worker's own admission check accepts this heap for the guests worker.yaml lets run at once,
        // and the formula in deployment.yaml's comment is the one it applies (608Mi needed, 640Mi given)
        plan(config, heap);
        assertThatThrownBy(() -> plan(config, 607L << 20))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("may need 512MiB of heap");
        plan(config, 608L << 20);

        JsonNode resources = container.path("resources");
        long limit = quantity(resources.path("limits").path("memory").asText());
        assertThat(quantity(resources.path("requests").path("memory").asText()))
                .as("memory request = limit")
                .isEqualTo(limit);
        assertThat(limit).as("memory limit >= heap + non-heap").isGreaterThanOrEqualTo(heap + NON_HEAP);
        assertThat(resources.path("limits").has("cpu"))
                .as("no CPU limit: throttling makes guests hit their timeouts")
                .isFalse();
    }

    @Test
    void theSystemdUnitVerifiesAndIsHardened() throws Exception {
        Run verify = run("systemd-analyze", "verify", UNIT.toString());
        assertThat(verify.exit()).as(verify.output()).isZero();
        assertThat(verify.output()).as("warnings, e.g. unknown keys").isEmpty();
        // exposure 0.0 (locked down) to 10.0 (exposed): 2.0 and below is systemd's "OK"
        Run security = run("systemd-analyze", "security", "--offline=true", "--threshold=20", UNIT.toString());
        assertThat(security.exit()).as(security.output()).isZero();
        assertThat(security.output()).contains("Overall exposure level for wasm-worker.service");
    }

    @Test
    void theSystemdUnitStopsGracefullyWithAHeapThatFits() throws Exception {
        Map<String, List<String>> unit = unit(UNIT);
        assertThat(unit.get("KillSignal")).containsExactly("SIGTERM");
        assertThat(unit.get("DynamicUser")).containsExactly("yes");
        assertThat(unit.get("SuccessExitStatus")).containsExactly("143");
        assertThat(unit.get("RestartPreventExitStatus")).containsExactly("2");

        // the example configuration users start from: same grace and concurrency as the manifests'
        Path example = ROOT.resolve("config/examples/worker.yaml");
        WorkerConfig config = new ConfigLoader(name -> null).load(example);
        Duration timeoutStop = Duration.ofSeconds(
                Long.parseLong(unit.get("TimeoutStopSec").get(0).replace("s", "")));
        assertThat(timeoutStop)
                .isGreaterThanOrEqualTo(
                        config.shutdownGrace().plus(config.camunda().longPoll()).plus(STOP_MARGIN));

        String execStart = unit.get("ExecStart").get(0);
        assertThat(execStart).endsWith("run --config %E/wasm-worker/worker.yaml");
        plan(config, xmx(execStart));
    }

    // --- helpers

    record Run(int exit, String output) {}

    private Run run(String... command) throws Exception {
        Path out = tmp.resolve("out-" + System.nanoTime() + ".txt");
        Process p;
        try {
            p = new ProcessBuilder(command)
                    .redirectErrorStream(true)
                    .redirectOutput(out.toFile())
                    .start();
        } catch (IOException e) {
            throw new AssertionError(command[0] + " is needed (see .ci/run for its package): " + e.getMessage(), e);
        }
        assertThat(p.waitFor(60, TimeUnit.SECONDS))
                .as(String.join(" ", command))
                .isTrue();
        return new Run(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8));
    }

    private Path render() throws Exception {
        Run render = run("kubectl", "kustomize", KUBERNETES.toString());
        assertThat(render.exit()).as(render.output()).isZero();
        return Files.writeString(tmp.resolve("rendered.yaml"), render.output());
    }

    private static List<JsonNode> yaml(String text) throws IOException {
        List<JsonNode> docs = new ArrayList<>();
        try (var it = new YAMLMapper().readerFor(JsonNode.class).<JsonNode>readValues(text)) {
            while (it.hasNext()) {
                docs.add(it.next());
            }
        }
        return docs;
    }

    /** By "Kind/name"; a generated ConfigMap's name carries a hash, so it is found by kind. */
    private static Map<String, JsonNode> objects(Path rendered) throws IOException {
        Map<String, JsonNode> byName = new LinkedHashMap<>();
        for (JsonNode o : yaml(Files.readString(rendered))) {
            byName.put(
                    o.path("kind").asText() + "/"
                            + o.path("metadata").path("name").asText(),
                    o);
        }
        return byName;
    }

    private static JsonNode only(JsonNode array) {
        return only(array, n -> true);
    }

    private static JsonNode only(JsonNode array, java.util.function.Predicate<JsonNode> which) {
        List<JsonNode> found = new ArrayList<>();
        array.forEach(n -> {
            if (which.test(n)) {
                found.add(n);
            }
        });
        assertThat(found).as("exactly one in %s", array).hasSize(1);
        return found.get(0);
    }

    private static List<String> texts(JsonNode array) {
        List<String> texts = new ArrayList<>();
        array.forEach(n -> texts.add(n.asText()));
        return texts;
    }

    private static String probe(JsonNode container, String probe, String portName) {
        JsonNode get = container.path(probe).path("httpGet");
        assertThat(get.path("port").asText()).as(probe + " port").isEqualTo(portName);
        return get.path("path").asText();
    }

    private static Map<String, String> env(JsonNode container) {
        Map<String, String> env = new HashMap<>();
        container
                .path("env")
                .forEach(e -> env.put(e.path("name").asText(), e.path("value").asText()));
        return env;
    }

    /** worker.yaml as the pod reads it: its variables from the container's env (none left unset). */
    private static WorkerConfig kubernetesConfig(JsonNode container) {
        return new ConfigLoader(env(container)::get).load(KUBERNETES.resolve("worker.yaml"));
    }

    /** The daemon's plan for {@code config} on a heap of {@code heap} bytes, its artifacts the example guests. */
    private DaemonPlan plan(WorkerConfig config, long heap) throws IOException {
        if (modules == null) { // one cache: each module is compiled once per test
            LocalArtifactStore artifacts = new LocalArtifactStore(tmp.resolve("artifacts"));
            for (String name : config.artifacts().keySet()) {
                artifacts.bindName(name, artifacts.put(Guests.bytes(name)));
            }
            modules = new ModuleCache(artifacts, new ModuleLoader(), 8);
        }
        Path source = Files.writeString(tmp.resolve("worker.yaml"), "");
        WorkerConfig local = config.withArtifactStore(tmp.resolve("artifacts").toString());
        return DaemonPlan.of(source.toString(), local, tmp, store -> modules, heap, 2);
    }

    private static long xmx(String javaOptions) {
        Matcher m = XMX.matcher(javaOptions);
        assertThat(m.find()).as("-Xmx in " + javaOptions).isTrue();
        long n = Long.parseLong(m.group(1));
        return switch (Character.toLowerCase(m.group(2).charAt(0))) {
            case 'k' -> n << 10;
            case 'm' -> n << 20;
            default -> n << 30;
        };
    }

    /** A Kubernetes memory quantity in binary units (Ki, Mi, Gi). */
    private static long quantity(String q) {
        Matcher m = Pattern.compile("(\\d+)(Ki|Mi|Gi)").matcher(q);
        assertThat(m.matches()).as("memory quantity " + q).isTrue();
        long n = Long.parseLong(m.group(1));
        return switch (m.group(2)) {
            case "Ki" -> n << 10;
            case "Mi" -> n << 20;
            default -> n << 30;
        };
    }

    /** A unit file's settings, by key, in order (comments and section headers dropped). */
    private static Map<String, List<String>> unit(Path file) throws IOException {
        Map<String, List<String>> settings = new HashMap<>();
        for (String line : Files.readAllLines(file)) {
            int eq = line.indexOf('=');
            if (line.isBlank() || line.startsWith("#") || line.startsWith("[") || eq < 0) {
                continue;
            }
            settings.computeIfAbsent(line.substring(0, eq), k -> new ArrayList<>())
                    .add(line.substring(eq + 1));
        }
        return settings;
    }
}
