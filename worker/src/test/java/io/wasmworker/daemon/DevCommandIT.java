package io.wasmworker.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code wasm-worker dev} from the packaged jar: it starts everything and completes its demo instances. */
class DevCommandIT {
    @TempDir
    Path home;

    /** Runs {@code dev --exit-after-demo} with these arguments added; its exit code must be 0. */
    private String dev(String... args) throws Exception {
        Path log = home.resolve("dev.log");
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dwasmworker.testbed.jar=" + System.getProperty("wasmworker.testbed.jar"),
                "-Dwasmworker.guests.dir=" + System.getProperty("wasmworker.guests.dir"),
                "-Dwasmworker.examples.dir=../config/examples",
                "-jar",
                Path.of("target", "wasm-worker-all.jar").toString(),
                "dev",
                "--exit-after-demo",
                "--home",
                home.toString()));
        command.addAll(List.of(args));
        Process dev = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        try {
            assertThat(dev.waitFor(5, TimeUnit.MINUTES))
                    .as("dev finished its demo")
                    .isTrue();
        } finally {
            dev.destroyForcibly();
        }
        String output = Files.readString(log);
        assertThat(dev.exitValue()).as(output).isZero();
        return output;
    }

    @Test
    void devStartsTheOrchestratorsAndCompletesTheDemo() throws Exception {
        String output = dev();
        assertThat(output)
                .contains("starting Camunda 7 and Temporal on localhost")
                .contains("Camunda 7 7.24.0 REST at http://127.0.0.1:")
                .contains("/camunda/app/cockpit/default/")
                .contains("order A-1 priced: total 24.1 EUR")
                .contains("BPMN error UNKNOWN_COUPON, ended at 'Coupon rejected'")
                .containsPattern("workflow demo-order-SAVE10-\\d+: total 24.1 EUR")
                .contains("coupon rejected: unknown coupon code \"FREE\"")
                .contains("long work done: result ")
                .contains("demo complete.")
                .contains("Daemon - stopped");
        assertThat(home.resolve("dev/worker-dev.yaml")).exists();
    }

    @Test
    void devWithOperatonStartsOperatonAndCompletesItsDemo() throws Exception {
        String output = dev("--engine", "operaton");
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
}
