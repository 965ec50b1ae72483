package io.wasmworker.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.wasmworker.testing.Guests;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The CLI in-process: outputs, reports and exit codes. */
class CliTest {
    @TempDir
    Path home;

    record Run(int exit, String out, String err) {}

    private Run cli(String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        if (!all.isEmpty() && !all.contains("--version")) {
            all.add("--home");
            all.add(home.toString());
        }
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exit = Main.execute(all.toArray(String[]::new), new PrintWriter(out, true), new PrintWriter(err, true));
        return new Run(exit, out.toString(), err.toString());
    }

    private static String guest(String name) {
        return Guests.path(name).toString();
    }

    @Test
    void invokeByFilePrintsTheOutputAndAOneLineReport() throws Exception {
        Run r = cli("invoke", guest("greet"), "--input", "{\"name\":\"Ada\"}");
        assertThat(r.exit()).isZero();
        assertThat(new ObjectMapper().readTree(r.out()).get("greeting").asText())
                .isEqualTo("Hello, Ada!");
        assertThat(r.err()).containsPattern("outcome=success wall=[0-9.]+ms peak_memory=\\d+KiB output=\\d+B");
    }

    @Test
    void putThenInvokeByDigestAndByName() {
        Run put = cli("artifacts", "put", guest("echo"), "--name", "echo");
        assertThat(put.exit()).as(put.err()).isZero();
        String digest = put.out().split("\\s+")[0];
        assertThat(digest).startsWith("sha256:").hasSize(71);

        assertThat(cli("invoke", digest, "--input", "[7]").out().strip()).isEqualTo("[7]");
        Run byName = cli("invoke", "echo", "--input", "[8]");
        assertThat(byName.out().strip()).isEqualTo("[8]");
        assertThat(byName.err()).contains("artifact name 'echo' resolved to " + digest);
        assertThat(cli("artifacts", "ls").out()).contains(digest + "  echo");
    }

    @Test
    void getWritesTheVerifiedBytesAndATamperedStoreIsRefused() throws Exception {
        String digest = cli("artifacts", "put", guest("echo")).out().split("\\s+")[0];
        Path copy = home.resolve("copy.wasm");
        assertThat(cli("artifacts", "get", digest, "-o", copy.toString()).exit())
                .isZero();
        assertThat(Files.readAllBytes(copy)).isEqualTo(Guests.bytes("echo"));

        Path blob = home.resolve("artifacts/blobs/sha256/" + digest.substring(7) + ".wasm");
        Files.write(blob, Guests.bytes("greet"));
        Run tampered = cli("invoke", digest);
        assertThat(tampered.exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(tampered.err()).contains("digest mismatch for " + digest);
    }

    @Test
    void businessErrorsExitWithThreeAndPrintTheErrorObject() throws Exception {
        Run r = cli("invoke", guest("greet"), "--input", "{}");
        assertThat(r.exit()).isEqualTo(3);
        assertThat(new ObjectMapper().readTree(r.out()).get("code").asText()).isEqualTo("NAME_MISSING");
        assertThat(r.err()).contains("outcome=business_error code=NAME_MISSING");
    }

    @Test
    void guestFailuresExitWithOne() {
        Run r = cli("invoke", guest("hostile-spin"), "--timeout", "300ms");
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.out()).isEmpty();
        assertThat(r.err()).contains("outcome=timeout").contains("time limit of 300 ms");

        Run bomb = cli("invoke", guest("hostile-memory-bomb"), "--max-memory", "8MiB");
        assertThat(bomb.exit()).isEqualTo(1);
        assertThat(bomb.err()).contains("outcome=memory_limit").contains("out of memory after");
    }

    @Test
    void usageErrorsExitWithTwoAndSayWhatIsWrong() throws Exception {
        assertThat(cli("invoke", guest("echo"), "--max-memory", "64MB").err()).contains("invalid size '64MB'");
        Run missing = cli("invoke", "sha256:" + "0".repeat(64));
        assertThat(missing.exit()).isEqualTo(2);
        assertThat(missing.err()).contains("is not in the artifact store");
        Run unnamed = cli("invoke", "pricing");
        assertThat(unnamed.err()).contains("no artifact is named 'pricing'");
        Run badInput = cli("invoke", guest("echo"), "--input", "{oops");
        assertThat(badInput.exit()).isEqualTo(2);
        assertThat(badInput.err()).contains("the input is not valid JSON");
        Path text = Files.writeString(home.resolve("notes.txt"), "hello");
        Run notWasm = cli("invoke", text.toString());
        assertThat(notWasm.exit()).isEqualTo(2);
        assertThat(notWasm.err()).contains("is not a WebAssembly module");
        assertThat(cli("invoke", "missing.wasm").err()).contains("no such file: missing.wasm");
        assertThat(cli("artifacts", "put", text.toString()).err()).contains("is not a WebAssembly module");
    }

    @Test
    void jsonReportIsTheMetricsRecord() throws Exception {
        Run r = cli("invoke", guest("echo"), "--input", "{\"a\":1}", "--report", "json");
        JsonNode metrics =
                new ObjectMapper().readTree(r.err().lines().reduce((a, b) -> b).orElseThrow());
        assertThat(metrics.get("outcome").asText()).isEqualTo("success");
        assertThat(metrics.get("inputBytes").asLong()).isEqualTo(7);
        assertThat(metrics.get("outputBytes").asLong()).isGreaterThanOrEqualTo(7);
        assertThat(metrics.get("hostCalls").asLong()).isPositive();
        assertThat(metrics.get("peakMemoryBytes").asLong()).isPositive();
    }
}
