package io.wasmworker.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.wasmworker.testing.Guests;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * The OCI image deploy/image/build.sh makes from the packaged jar, with no container engine: a valid OCI
 * image layout (every blob matching its digest, readable by skopeo), whose config runs the worker as
 * a non-root user on the mounted configuration, exposes the metrics port and names the health
 * endpoints, and whose file system really runs the worker as that user. Slow (a Debian root file
 * system with the JRE) and it needs root: on by the {@code image} profile, which a build run as root
 * (CI's .ci/run) turns on by itself and anyone else with {@code -Pimage}; needs the Debian packages
 * mmdebstrap, umoci and skopeo.
 */
@EnabledIfSystemProperty(
        named = "wasmworker.image",
        matches = "true",
        disabledReason = "builds the OCI image: needs root (runs in a verify as root, or sudo ./mvnw verify -Pimage),"
                + " mmdebstrap, umoci and skopeo")
class ImageIT {
    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    private static final Path OUT = Path.of("target", "image").toAbsolutePath();
    private static final Path LAYOUT = OUT.resolve("oci");
    /** The image unpacked by umoci: its file system and the runtime spec derived from its config. */
    private static final Path BUNDLE = OUT.resolve("bundle");

    private static final Path ROOTFS = BUNDLE.resolve("rootfs");
    private static final ObjectMapper JSON = new ObjectMapper();

    record Run(int exit, String output) {}

    @BeforeAll
    static void build() throws Exception {
        Path jar = Path.of("target", "wasm-worker-all.jar").toAbsolutePath();
        assertThat(jar).exists();
        long start = System.nanoTime();
        Run build = run(15, ROOT.resolve("deploy/image/build.sh").toString(), jar.toString(), OUT.toString());
        assertThat(build.exit()).as(build.output()).isZero();
        System.out.printf("ImageIT: image built in %d s%n", TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start));
        Run unpack = run(5, "umoci", "unpack", "--image", LAYOUT + ":latest", BUNDLE.toString());
        assertThat(unpack.exit()).as(unpack.output()).isZero();
        Files.copy(Guests.path("greet"), ROOTFS.resolve("tmp/greet.wasm"));
    }

    @Test
    void theLayoutIsAValidOciImageWhoseBlobsMatchTheirDigests() throws Exception {
        JsonNode layout = JSON.readTree(LAYOUT.resolve("oci-layout").toFile());
        assertThat(layout.path("imageLayoutVersion").asText()).isEqualTo("1.0.0");
        JsonNode index = JSON.readTree(LAYOUT.resolve("index.json").toFile());
        assertThat(index.path("schemaVersion").asInt()).isEqualTo(2);
        List<String> tags = new ArrayList<>();
        for (JsonNode descriptor : index.path("manifests")) {
            tags.add(descriptor
                    .path("annotations")
                    .path("org.opencontainers.image.ref.name")
                    .asText());
            assertThat(descriptor.path("mediaType").asText()).isEqualTo("application/vnd.oci.image.manifest.v1+json");
            JsonNode manifest = JSON.readTree(blob(descriptor));
            assertThat(manifest.path("config").path("mediaType").asText())
                    .isEqualTo("application/vnd.oci.image.config.v1+json");
            blob(manifest.path("config"));
            assertThat(manifest.path("layers")).hasSize(2); // the Debian base with the JRE, then the worker
            for (JsonNode layer : manifest.path("layers")) {
                assertThat(layer.path("mediaType").asText()).isEqualTo("application/vnd.oci.image.layer.v1.tar+gzip");
                blob(layer);
            }
        }
        assertThat(tags).contains("latest", "wasm-worker-0.1.0-SNAPSHOT");

        // a well-kept reader of OCI layouts agrees
        Run inspect = run(1, "skopeo", "inspect", "--config", "oci:" + LAYOUT + ":latest");
        assertThat(inspect.exit()).as(inspect.output()).isZero();
        assertThat(JSON.readTree(inspect.output()).path("config")).isEqualTo(config());
    }

    @Test
    void theConfigRunsTheWorkerAsNoRootOnTheMountedConfigurationAndNamesItsEndpoints() throws Exception {
        JsonNode config = config();
        assertThat(config.path("User").asText()).isEqualTo("10001:10001");
        assertThat(texts(config.path("Entrypoint")))
                .startsWith("/usr/bin/java")
                .endsWith("-jar", "/opt/wasm-worker/wasm-worker-all.jar");
        assertThat(texts(config.path("Cmd"))).containsExactly("run", "--config", "/etc/wasm-worker/worker.yaml");
        assertThat(config.path("Volumes").has("/etc/wasm-worker")).isTrue();
        assertThat(config.path("ExposedPorts").has("9464/tcp")).isTrue();
        assertThat(config.path("StopSignal").asText()).isEqualTo("SIGTERM");
        JsonNode labels = config.path("Labels");
        assertThat(labels.path("io.wasmworker.metrics").asText()).isEqualTo(":9464/metrics");
        assertThat(labels.path("io.wasmworker.health.liveness").asText()).isEqualTo(":9464/health/live");
        assertThat(labels.path("io.wasmworker.health.readiness").asText()).isEqualTo(":9464/health/ready");

        // the Kubernetes manifests run this image the same way
        JsonNode deployment = new YAMLMapper()
                .readTree(ROOT.resolve("deploy/kubernetes/deployment.yaml").toFile());
        JsonNode pod = deployment.path("spec").path("template").path("spec");
        JsonNode container = pod.path("containers").get(0);
        assertThat(pod.path("securityContext").path("runAsUser").asText() + ":"
                        + pod.path("securityContext").path("runAsGroup").asText())
                .isEqualTo(config.path("User").asText());
        assertThat(texts(container.path("args"))).isEqualTo(texts(config.path("Cmd")));
        assertThat(container.path("ports").get(0).path("containerPort").asText() + "/tcp")
                .isIn(iterable(config.path("ExposedPorts").fieldNames()));
    }

    @Test
    void theImagesFileSystemRunsAGuestAsTheImagesUser() throws Exception {
        assertThat(Files.readString(ROOTFS.resolve("etc/passwd")))
                .contains("wasm-worker:x:10001:10001:wasm-worker:/var/lib/wasm-worker:");
        // the JRE's trust store, which TLS to engines and S3 needs, was made by its package's scripts
        assertThat(ROOTFS.resolve("etc/ssl/certs/java/cacerts")).isNotEmptyFile();
        JsonNode process = JSON.readTree(BUNDLE.resolve("config.json").toFile()).path("process");
        assertThat(process.path("user").path("uid").asInt()).isEqualTo(10001);

        List<String> args = texts(process.path("args"));
        List<String> command = asTheImage(process);
        command.addAll(args.subList(0, args.indexOf("run"))); // the entrypoint, without the default command
        command.addAll(List.of("invoke", "/tmp/greet.wasm", "--input", "{\"name\":\"Bo\"}", "--home", "/tmp/home"));
        Run invoke = run(3, command.toArray(String[]::new));
        assertThat(invoke.exit()).as(invoke.output()).isZero();
        assertThat(invoke.output()).contains("\"greeting\":\"Hello, Bo!\"").contains("outcome=success");
    }

    @Test
    void theImagesDefaultCommandServesHealthAndMetricsOnTheMountedConfigurationAndStopsOnSigterm() throws Exception {
        JsonNode process = JSON.readTree(BUNDLE.resolve("config.json").toFile()).path("process");
        List<String> args = texts(process.path("args"));
        List<String> entrypoint = args.subList(0, args.indexOf("run"));

        // what a deployment provides: a module in the store and the configuration where it is mounted
        // (the engine is unreachable: the worker still starts and serves, and keeps polling it)
        List<String> put = asTheImage(process);
        put.addAll(entrypoint);
        put.addAll(List.of("artifacts", "put", "/tmp/greet.wasm", "--name", "greet"));
        Run stored = run(3, put.toArray(String[]::new));
        assertThat(stored.exit()).as(stored.output()).isZero();
        int port;
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        Files.writeString(ROOTFS.resolve("etc/wasm-worker/worker.yaml"), """
                http: { host: 127.0.0.1, port: %d }
                shutdownGrace: 2s
                camunda:
                  url: http://127.0.0.1:9/engine-rest
                  topics: [ { topic: greet, artifact: greet, maxConcurrent: 1 } ]
                """.formatted(port));

        List<String> command = asTheImage(process);
        command.addAll(args); // the image's entrypoint and default command, as a container engine runs them
        Path log = Files.createTempFile("image-run", ".txt");
        Process daemon = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        try {
            java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
            // readiness means the adapters serve (503 only while starting or stopping), not that the
            // engine answers: a worker receives no traffic, it fetches
            int live = 0;
            int ready = 0;
            for (long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
                    (live != 200 || ready != 200) && System.nanoTime() < deadline && daemon.isAlive(); ) {
                live = status(http, port, "/health/live");
                ready = live == 200 ? status(http, port, "/health/ready") : 0;
                if (ready != 200) {
                    Thread.sleep(250);
                }
            }
            assertThat(live).as(Files.readString(log)).isEqualTo(200);
            assertThat(ready)
                    .as("ready once the adapters serve, engine or not: %s", Files.readString(log))
                    .isEqualTo(200);
            assertThat(status(http, port, "/metrics")).isEqualTo(200);
            assertThat(Files.readString(log)).contains("wasm-worker is ready");

            // SIGTERM to the worker, the namespace's first process, as a container stop sends it
            List<ProcessHandle> worker = daemon.descendants().toList();
            assertThat(worker).isNotEmpty();
            worker.forEach(ProcessHandle::destroy);
            assertThat(daemon.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(Files.readString(log)).contains("shutting down", "Daemon - stopped");
        } finally {
            daemon.descendants().forEach(ProcessHandle::destroyForcibly);
            daemon.destroyForcibly();
            Files.deleteIfExists(log);
        }
    }

    private static int status(java.net.http.HttpClient http, int port, String path) {
        try {
            return http.send(
                            java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + port + path))
                                    .timeout(java.time.Duration.ofSeconds(5))
                                    .build(),
                            java.net.http.HttpResponse.BodyHandlers.discarding())
                    .statusCode();
        } catch (IOException e) {
            return 0; // not listening yet
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 0;
        }
    }

    /**
     * The start of a command that runs as a container engine would run the image (no engine here): in
     * a chroot of the image's file system with its own /proc (the JRE's launcher finds its libraries
     * through /proc/self/exe), in a private mount and PID namespace, as the image's user, with only
     * the image's environment (an unshare that ends takes the worker with it).
     */
    private static List<String> asTheImage(JsonNode process) {
        List<String> command = new ArrayList<>(List.of(
                "unshare",
                "--mount",
                "--pid",
                "--fork",
                "--kill-child=SIGTERM",
                "--mount-proc=" + ROOTFS.resolve("proc"),
                "chroot",
                "--userspec=" + process.path("user").path("uid").asInt() + ":"
                        + process.path("user").path("gid").asInt(),
                ROOTFS.toString(),
                "/usr/bin/env",
                "-i"));
        command.addAll(texts(process.path("env")));
        return command;
    }

    // --- helpers

    /** A blob named by a descriptor, checked against its digest and size. */
    private static byte[] blob(JsonNode descriptor) throws Exception {
        String digest = descriptor.path("digest").asText();
        assertThat(digest).startsWith("sha256:");
        Path file = LAYOUT.resolve("blobs/sha256").resolve(digest.substring("sha256:".length()));
        assertThat(Files.size(file))
                .as(digest + " size")
                .isEqualTo(descriptor.path("size").asLong());
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buffer = new byte[1 << 16];
            for (int n; (n = in.read(buffer)) > 0; ) {
                sha.update(buffer, 0, n);
            }
        }
        assertThat("sha256:" + HexFormat.of().formatHex(sha.digest())).isEqualTo(digest);
        return Files.size(file) < (1 << 20) ? Files.readAllBytes(file) : new byte[0];
    }

    private static JsonNode config() throws Exception {
        JsonNode index = JSON.readTree(LAYOUT.resolve("index.json").toFile());
        JsonNode manifest = JSON.readTree(blob(index.path("manifests").get(0)));
        return JSON.readTree(blob(manifest.path("config"))).path("config");
    }

    private static List<String> texts(JsonNode array) {
        List<String> texts = new ArrayList<>();
        array.forEach(n -> texts.add(n.asText()));
        return texts;
    }

    private static <T> List<T> iterable(java.util.Iterator<T> it) {
        List<T> list = new ArrayList<>();
        it.forEachRemaining(list::add);
        return list;
    }

    private static Run run(int minutes, String... command) throws Exception {
        Path out = Files.createTempFile("image-it", ".txt");
        try {
            Process p;
            try {
                p = new ProcessBuilder(command)
                        .redirectErrorStream(true)
                        .redirectOutput(out.toFile())
                        .start();
            } catch (IOException e) {
                throw new AssertionError(command[0] + " is needed (see .ci/run for its package): " + e.getMessage(), e);
            }
            if (!p.waitFor(minutes, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                throw new AssertionError(String.join(" ", command) + " took over " + minutes + " min");
            }
            return new Run(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(out);
        }
    }
}
