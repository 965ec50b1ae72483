package io.wasmworker.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code wasm-worker dev} from the packaged jar: it starts everything, completes its demo instances
 * (a guest calling the inventory service among them), and what it prints works.
 */
class DevCommandIT {
    @TempDir
    Path home;

    private Process start(Map<String, String> env, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dwasmworker.testbed.jar=" + System.getProperty("wasmworker.testbed.jar"),
                "-Dwasmworker.guests.dir=" + System.getProperty("wasmworker.guests.dir"),
                "-Dwasmworker.examples.dir=../config/examples",
                "-jar",
                Path.of("target", "wasm-worker-all.jar").toString(),
                "dev",
                "--home",
                home.toString()));
        command.addAll(List.of(args));
        ProcessBuilder pb =
                new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log().toFile());
        pb.environment().putAll(env);
        return pb.start();
    }

    private Path log() {
        return home.resolve("dev.log");
    }

    /** Runs {@code dev --exit-after-demo} with these arguments added; its exit code must be {@code exit}. */
    private String dev(Map<String, String> env, int exit, String... args) throws Exception {
        List<String> all = new ArrayList<>(List.of("--exit-after-demo"));
        all.addAll(List.of(args));
        Process dev = start(env, all.toArray(String[]::new));
        try {
            assertThat(dev.waitFor(8, TimeUnit.MINUTES))
                    .as("dev finished its demo")
                    .isTrue();
        } finally {
            dev.destroyForcibly();
        }
        String output = Files.readString(log());
        System.out.println(output); // in the failsafe report, to read what a user would have seen
        assertThat(dev.exitValue()).as(output).isEqualTo(exit);
        return output;
    }

    /** Runs {@code dev} until it says what to try, then hands its output to {@code check}, then stops it. */
    private void whileServing(ThrowingConsumer<String> check) throws Exception {
        Process dev = start(Map.of());
        try {
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(6);
            String output = "";
            while (!output.contains("Ctrl-C stops") && dev.isAlive() && System.nanoTime() < deadline) {
                Thread.sleep(500);
                output = Files.readString(log());
            }
            System.out.println(output);
            assertThat(output).as("dev serving").contains("Ctrl-C stops");
            check.accept(output);
        } finally {
            dev.destroy(); // SIGTERM: stops the worker and the test bed
            if (!dev.waitFor(2, TimeUnit.MINUTES)) {
                dev.destroyForcibly();
            }
        }
    }

    interface ThrowingConsumer<T> {
        void accept(T t) throws Exception;
    }

    @Test
    void devStartsTheOrchestratorsCompletesTheDemoAndWhatItPrintsWorks() throws Exception {
        whileServing(output -> {
            assertThat(output)
                    .contains("starting Camunda 7 and Temporal on localhost")
                    .contains("Camunda 7 7.24.0 REST at http://127.0.0.1:")
                    .contains("order A-1 priced: total 24.1 EUR")
                    .contains("BPMN error UNKNOWN_COUPON, ended at 'Coupon rejected'")
                    .containsPattern("workflow demo-order-SAVE10-\\d+: total 24.1 EUR")
                    .contains("coupon rejected: unknown coupon code \"FREE\"")
                    .contains("long work done: result ")
                    .contains("demo complete.");
            // the guest that calls a service: the test bed's inventory service answered it
            assertThat(output)
                    .contains("guest stock-reservation stored as sha256:")
                    .containsPattern(
                            "reserved 2 of X-1: \\{sku=X-1, quantity=2, available=10, reservation=\\{reservation=1,"
                                    + " sku=X-1, quantity=2, left=8}}")
                    .contains("the inventory service received 2 requests (GET /stock/X-1, POST /reserve);"
                            + " reservations made so far: 1");
            assertThat(Files.readString(home.resolve("dev/worker-dev.yaml")))
                    .contains("reserve-stock: stock-reservation")
                    .contains("inventory:");

            // the history link lists the finished demo instances
            String history = get(lineAfter(output, "what the demo instances did"));
            assertThat(history).contains("\"businessKey\":\"demo-A-1\"").contains("\"state\":\"COMPLETED\"");
            assertThat(get(urlIn(lineContaining(output, "the deployed processes in Cockpit"))))
                    .contains("<html");

            // the ready-made commands: a workflow without the Temporal CLI, and a stock reservation
            String order = shell(lineAfter(output, "or without it:"));
            assertThat(order).contains("started workflow OrderWorkflow-").contains("\"total\":");
            String reserve = lineAfter(output, "a stock reservation");
            assertThat(shell(reserve)).contains("\"reservation\":{\"reservation\":2,\"sku\":\"X-2\"");
            assertThat(shell(lineAfter(output, reserve)))
                    .contains("\"requests\":5") // the demo's 2, the reservation's 2 and this one
                    .contains("\"X-2\":9");
            assertThat(lineAfter(output, "with the Temporal CLI:"))
                    .contains("temporal workflow execute --address 127.0.0.1:")
                    .contains("--task-queue orders --type OrderWorkflow");
        });
    }

    @Test
    void devWithS3ResumesATaskOnASecondWorkerProcessThatSharesNothingButS3() throws Exception {
        String output = dev(Map.of(), 0, "--s3");
        assertThat(output)
                .contains("starting Camunda 7, Temporal and S3 (Ceph RGW) on localhost")
                .containsPattern("guest ckpt-step-rust stored as sha256:[0-9a-f]{64} in s3://")
                .contains("demo: resume across two worker processes that share nothing but S3")
                .containsPattern("worker A \\(pid \\d+, home \\S+worker-a\\) serves topic long-work")
                .containsPattern("worker A published checkpoint \\d+ of 12 steps \\(task \\S+\\) to S3, and was killed"
                        + " with SIGKILL")
                .containsPattern("the task was completed by worker-b, which resumed from checkpoint \\d+: result"
                        + " [0-9a-f]{16}")
                .contains(": the same result")
                .contains("reserved 2 of X-1")
                .contains("demo complete.")
                .contains("Daemon - stopped");
        Matcher result = Pattern.compile("result ([0-9a-f]{16})\\n.*gives ([0-9a-f]{16}): the same result")
                .matcher(output);
        assertThat(result.find()).as(output).isTrue();
        assertThat(result.group(1)).isEqualTo(result.group(2));
        // the two workers had homes of their own, and neither holds a store there
        assertThat(home.resolve("dev/worker-a/worker.yaml")).content().contains("workerId: worker-a");
        assertThat(home.resolve("dev/worker-b/worker.yaml")).content().contains("workerId: worker-b");
        assertThat(home.resolve("dev/worker-a/snapshots")).doesNotExist();
        assertThat(home.resolve("dev/worker-b/snapshots")).doesNotExist();
    }

    @Test
    void devWithS3WithoutCephSaysHowToInstallIt() throws Exception {
        String output = dev(Map.of("PATH", home.toString()), 2, "--s3");
        assertThat(output)
                .contains("error: the test bed could not start Camunda and Temporal and S3: ceph-mon, ceph-osd,"
                        + " radosgw, radosgw-admin, curl not found.")
                .doesNotContain("Exception")
                .contains("apt-get install ceph-mon ceph-osd radosgw")
                .doesNotContain("\tat ")
                .doesNotContain("Exception in thread");
    }

    @Test
    void devWithOperatonStartsOperatonAndCompletesItsDemo() throws Exception {
        String output = dev(Map.of(), 0, "--engine", "operaton");
        assertThat(output)
                .contains("starting Operaton and Temporal on localhost")
                .contains("Operaton 1.0.3 REST at http://127.0.0.1:")
                .contains("/operaton/app/cockpit/default/")
                .contains("demo: Operaton 1.0.3 process 'order-process'")
                .contains("order A-3 without a customer: BPMN error INVALID_ORDER (field ")
                .contains("ended at 'Order invalid'")
                .containsPattern("workflow demo-order-SAVE10-\\d+: total 24.1 EUR")
                .contains("demo: Operaton 1.0.3 process 'long-work-process'")
                .contains("long work done: result ")
                .contains("demo complete.")
                .contains("Daemon - stopped")
                .doesNotContain("order A-1 priced");
    }

    /** The line after the first one containing {@code marker}, trimmed. */
    private static String lineAfter(String output, String marker) {
        List<String> lines = output.lines().toList();
        for (int i = 0; i < lines.size() - 1; i++) {
            if (lines.get(i).contains(marker)) {
                return lines.get(i + 1).trim();
            }
        }
        throw new AssertionError("no line after '" + marker + "' in:\n" + output);
    }

    private static String lineContaining(String output, String marker) {
        return output.lines()
                .filter(l -> l.contains(marker))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no '" + marker + "' in:\n" + output));
    }

    private static String urlIn(String line) {
        Matcher m = Pattern.compile("http://\\S+").matcher(line);
        assertThat(m.find()).as(line).isTrue();
        return m.group();
    }

    private static String get(String url) throws Exception {
        HttpResponse<String> response = HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(URI.create(url))
                                .timeout(Duration.ofSeconds(30))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(url + ": " + response.body()).isEqualTo(200);
        return response.body();
    }

    /** Runs a printed command line as a user pasting it into bash would; its output (exit code 0). */
    private static String shell(String line) throws Exception {
        Process p =
                new ProcessBuilder("bash", "-c", line).redirectErrorStream(true).start();
        String out;
        assertThat(p.waitFor(2, TimeUnit.MINUTES)).as(line).isTrue();
        out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.exitValue()).as(line + "\n" + out).isZero();
        return out;
    }
}
