package io.wasmworker.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code wasm-worker dev} from the packaged jar: it starts everything and completes its demo instances. */
class DevCommandIT {
    @TempDir
    Path home;

    @Test
    void devStartsTheOrchestratorsAndCompletesTheDemo() throws Exception {
        Path log = home.resolve("dev.log");
        Process dev = new ProcessBuilder(
                        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                        "-Dwasmworker.testbed.jar=" + System.getProperty("wasmworker.testbed.jar"),
                        "-Dwasmworker.guests.dir=" + System.getProperty("wasmworker.guests.dir"),
                        "-Dwasmworker.examples.dir=../config/examples",
                        "-jar",
                        Path.of("target", "wasm-worker-all.jar").toString(),
                        "dev",
                        "--exit-after-demo",
                        "--home",
                        home.toString())
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
        assertThat(output)
                .contains("order A-1 priced: total 24.1 EUR")
                .contains("BPMN error UNKNOWN_COUPON, ended at 'Coupon rejected'")
                .containsPattern("workflow demo-order-SAVE10-\\d+: total 24.1 EUR")
                .contains("coupon rejected: unknown coupon code \"FREE\"")
                .contains("long work done: result ")
                .contains("demo complete.")
                .contains("Daemon - stopped");
        assertThat(home.resolve("dev/worker-dev.yaml")).exists();
    }
}
