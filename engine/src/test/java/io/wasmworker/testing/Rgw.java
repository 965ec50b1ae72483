package io.wasmworker.testing;

import io.wasmworker.s3.S3Clients;
import io.wasmworker.s3.S3Settings;
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
import software.amazon.awssdk.services.s3.S3Client;

/**
 * A real S3 server for tests: a throwaway single-node Ceph cluster whose radosgw listens on a free
 * loopback port, started once per test JVM ({@link #shared()}) and stopped when the JVM exits. Ceph
 * RGW is used because its conditional writes are atomic (the lighter S3 stand-ins are not for
 * {@code If-Match}), so the stores' fencing is tested against the real thing.
 *
 * <p>Without Ceph installed this fails with how to install it: tests never skip.
 */
public final class Rgw {
    public static final String ACCESS_KEY = "testkey";
    public static final String SECRET_KEY = "testsecret";
    private static final String INSTALL_HINT =
            "Ceph RGW is needed by the S3 tests: apt-get install ceph-mon ceph-osd radosgw (.ci/run does)";
    private static final AtomicInteger BUCKETS = new AtomicInteger();
    private static Rgw shared;

    private final Path dir;
    private final int port;
    private final S3Client client;

    private Rgw(Path dir, int port) {
        this.dir = dir;
        this.port = port;
        this.client = S3Clients.create(settings());
    }

    /** The cluster of this JVM, started on first use (about 13 s). */
    public static synchronized Rgw shared() {
        if (shared == null) {
            shared = start();
            Runtime.getRuntime().addShutdownHook(new Thread(shared::stop, "rgw-stop"));
        }
        return shared;
    }

    private static Rgw start() {
        for (String tool : List.of("ceph-mon", "ceph-osd", "radosgw", "radosgw-admin", "curl")) {
            if (!onPath(tool)) {
                throw new IllegalStateException(tool + " not found. " + INSTALL_HINT);
            }
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

    /** Settings that reach this server, with short timeouts so an outage test ends quickly. */
    public S3Settings settings() {
        return S3Settings.builder()
                .endpoint(endpoint())
                .region("us-east-1")
                .credentials(ACCESS_KEY, SECRET_KEY)
                .build();
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
