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
 * system with the JRE), so only with {@code -Pimage} (which .ci/run passes); needs root and the Debian
 * packages mmdebstrap, umoci and skopeo.
 */
@EnabledIfSystemProperty(
        named = "wasmworker.image",
        matches = "true",
        disabledReason = "builds the OCI image: ./mvnw verify -Pimage (root, mmdebstrap, umoci, skopeo)")
class ImageIT {
    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    private static final Path OUT = Path.of("target", "image").toAbsolutePath();
    private static final Path LAYOUT = OUT.resolve("oci");
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
        Path bundle = OUT.resolve("bundle");
        Run unpack = run(5, "umoci", "unpack", "--image", LAYOUT + ":latest", bundle.toString());
        assertThat(unpack.exit()).as(unpack.output()).isZero();
        Path rootfs = bundle.resolve("rootfs");
        assertThat(Files.readString(rootfs.resolve("etc/passwd")))
                .contains("wasm-worker:x:10001:10001:wasm-worker:/var/lib/wasm-worker:");
        // the JRE's trust store, which TLS to engines and S3 needs, was made by its package's scripts
        assertThat(rootfs.resolve("etc/ssl/certs/java/cacerts")).isNotEmptyFile();
        Files.copy(Guests.path("greet"), rootfs.resolve("tmp/greet.wasm"));

        // the runtime spec umoci derived from the image config: who runs what
        JsonNode process = JSON.readTree(bundle.resolve("config.json").toFile()).path("process");
        assertThat(process.path("user").path("uid").asInt()).isEqualTo(10001);
        // no container engine: a chroot with its own /proc (the JRE's launcher finds its libraries through
        // /proc/self/exe) in a private mount and PID namespace, as the image's user
        List<String> command = new ArrayList<>(List.of(
                "unshare",
                "--mount",
                "--pid",
                "--fork",
                "--mount-proc=" + rootfs.resolve("proc"),
                "chroot",
                "--userspec=" + process.path("user").path("uid").asInt() + ":"
                        + process.path("user").path("gid").asInt(),
                rootfs.toString()));
        List<String> args = texts(process.path("args"));
        command.addAll(args.subList(0, args.indexOf("run"))); // the entrypoint, without the default command
        command.addAll(List.of("invoke", "/tmp/greet.wasm", "--input", "{\"name\":\"Bo\"}", "--home", "/tmp/home"));
        Run invoke = run(3, command.toArray(String[]::new));
        assertThat(invoke.exit()).as(invoke.output()).isZero();
        assertThat(invoke.output()).contains("\"greeting\":\"Hello, Bo!\"").contains("outcome=success");
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
