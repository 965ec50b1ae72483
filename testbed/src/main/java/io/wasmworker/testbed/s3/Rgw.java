package io.wasmworker.testbed.s3;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.http.apache5.Apache5HttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * A real S3 server for tests, benchmarks and {@code dev --s3}: a throwaway single-node Ceph cluster
 * whose radosgw listens on a free loopback port, started once per JVM ({@link #shared()}) and stopped
 * when the JVM exits. It lives in the test bed (not in a test jar) so that {@code dev}'s test-bed
 * process can start it; it needs nothing of the worker (the engine's tests build their store settings
 * from {@link #endpoint()}, {@link #REGION} and the keys). Ceph
 * RGW is used because its conditional writes are atomic (the lighter S3 stand-ins are not for
 * {@code If-Match}), so the stores' fencing is tested against the real thing.
 *
 * <p>Without Ceph installed this fails with how to install it: tests never skip.
 */
public final class Rgw {
    public static final String ACCESS_KEY = "testkey";
    public static final String SECRET_KEY = "testsecret";
    /** RGW ignores the region; a signed request needs one. */
    public static final String REGION = "us-east-1";
    /** What to do when a tool is missing, for the messages of this class and its callers. */
    public static final String INSTALL_HINT =
            "Ceph RGW is needed for a local S3 server: apt-get install ceph-mon ceph-osd radosgw (.ci/run does)";

    private static final AtomicInteger BUCKETS = new AtomicInteger();
    private static Rgw shared;

    private final Path dir;
    private final int port;
    private final S3Client client;

    private Rgw(Path dir, int port) {
        this.dir = dir;
        this.port = port;
        // like the worker's own S3 clients: path-style on an endpoint override, and no aws-chunked
        // trailing checksums (Ceph RGW 16 refuses them with 400 since SDK 2.30 sends them by default)
        this.client = S3Client.builder()
                .httpClientBuilder(Apache5HttpClient.builder().maxConnections(64))
                .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
                .forcePathStyle(true)
                .endpointOverride(endpoint())
                .region(Region.of(REGION))
                .credentialsProvider(
                        StaticCredentialsProvider.create(AwsBasicCredentials.create(ACCESS_KEY, SECRET_KEY)))
                .build();
    }

    /** The cluster of this JVM, started on first use (about 13 s). */
    public static synchronized Rgw shared() {
        if (shared == null) {
            shared = start();
            Runtime.getRuntime().addShutdownHook(new Thread(shared::stop, "rgw-stop"));
        }
        return shared;
    }

    /** The tools it needs that are not on the PATH (empty: it can start). */
    public static List<String> missingTools() {
        List<String> missing = new ArrayList<>();
        for (String tool : List.of("ceph-mon", "ceph-osd", "radosgw", "radosgw-admin", "curl")) {
            if (!onPath(tool)) {
                missing.add(tool);
            }
        }
        return missing;
    }

    private static Rgw start() {
        List<String> missing = missingTools();
        if (!missing.isEmpty()) {
            throw new IllegalStateException(String.join(", ", missing) + " not found. " + INSTALL_HINT);
        }
        try {
            Path dir = Files.createTempDirectory("wasm-worker-rgw-");
            Path script = dir.resolve("rgw-start.sh");
            try (InputStream in = Rgw.class.getResourceAsStream("rgw-start.sh")) {
                Files.copy(in, script);
            }
            int rgwPort = freePort();
            ProcessBuilder pb = new ProcessBuilder("bash", script.toString())
                    .redirectErrorStream(true)
                    .redirectOutput(dir.resolve("start.log").toFile());
            pb.environment().put("D", dir.resolve("cluster").toString());
            pb.environment().put("MON_PORT", Integer.toString(freePort()));
            pb.environment().put("RGW_PORT", Integer.toString(rgwPort));
            Process p = pb.start();
            Rgw rgw = new Rgw(dir, rgwPort);
            if (!p.waitFor(180, TimeUnit.SECONDS) || p.exitValue() != 0) {
                p.destroyForcibly();
                rgw.stop();
                throw new IllegalStateException("Ceph RGW did not start; see " + dir.resolve("start.log") + ":\n"
                        + Files.readString(dir.resolve("start.log")));
            }
            return rgw;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    public URI endpoint() {
        return URI.create("http://127.0.0.1:" + port);
    }

    /** A shared client for test set-up and inspection. */
    public S3Client client() {
        return client;
    }

    /** Creates a new, empty bucket named after {@code hint} (e.g. the test class). */
    public String newBucket(String hint) {
        String clean = hint.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9-]", "-");
        String bucket = (clean.length() > 40 ? clean.substring(0, 40) : clean) + "-"
                + ProcessHandle.current().pid() + "-" + BUCKETS.incrementAndGet();
        bucket = bucket.replaceAll("^-+", "b");
        String name = bucket;
        client.createBucket(b -> b.bucket(name));
        return name;
    }

    /** Stops the S3 gateway only (the cluster keeps its data), for outage tests. */
    public void stopGateway() {
        kill("client.rgw.a.pid");
    }

    /** Starts the S3 gateway again after {@link #stopGateway()} and waits until it answers. */
    public void startGateway() {
        try {
            Path cluster = dir.resolve("cluster");
            Process p = new ProcessBuilder(
                            "radosgw", "-c", cluster.resolve("ceph.conf").toString(), "-n", "client.rgw.a")
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .start();
            p.waitFor(30, TimeUnit.SECONDS);
            for (int i = 0; i < 120; i++) {
                try {
                    client.listBuckets();
                    return;
                } catch (RuntimeException notYet) {
                    Thread.sleep(500);
                }
            }
            throw new IllegalStateException("radosgw did not come back on " + endpoint());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private void stop() {
        client.close();
        List<String> pids = new ArrayList<>();
        Path run = dir.resolve("cluster").resolve("run");
        if (Files.isDirectory(run)) {
            try (Stream<Path> files = Files.list(run)) {
                files.filter(f -> f.toString().endsWith(".pid"))
                        .forEach(f -> pids.add(f.getFileName().toString()));
            } catch (IOException ignored) {
                // nothing started
            }
        }
        pids.forEach(this::kill);
        deleteTree(dir);
    }

    private void kill(String pidFile) {
        Path file = dir.resolve("cluster").resolve("run").resolve(pidFile);
        try {
            long pid = Long.parseLong(Files.readString(file).trim());
            ProcessHandle.of(pid).ifPresent(h -> {
                h.destroy();
                try {
                    h.onExit().get(10, TimeUnit.SECONDS);
                } catch (Exception stillAlive) {
                    h.destroyForcibly();
                }
            });
            Files.deleteIfExists(file);
        } catch (IOException | NumberFormatException gone) {
            // not running
        }
    }

    private static boolean onPath(String tool) {
        for (String d : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
            if (Files.isExecutable(Path.of(d, tool))) {
                return true;
            }
        }
        return false;
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static void deleteTree(Path root) {
        try (Stream<Path> paths = Files.walk(root)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // best effort: it is a temp directory
        }
    }
}
