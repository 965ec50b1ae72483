package io.wasmworker.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.wasmworker.testing.Guests;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.RandomAccessFile;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code invoke --input}: files are read as the input itself, and every source stops at the input limit. */
class InvokeInputTest {
    @TempDir
    Path home;

    private final InputStream stdin = System.in;

    @AfterEach
    void restoreStdin() {
        System.setIn(stdin);
    }

    record Run(int exit, String out, String err) {}

    private Run cli(String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.add("--home");
        all.add(home.toString());
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exit = Main.execute(all.toArray(String[]::new), new PrintWriter(out, true), new PrintWriter(err, true));
        return new Run(exit, out.toString(), err.toString());
    }

    private static String guest(String name) {
        return Guests.path(name).toString();
    }

    @Test
    void aJsonFileWithSpacesAndQuotesIsTheInput() throws Exception {
        Path file = Files.writeString(
                home.resolve("in.json"),
                "{ \"name\": \"Ada King, Countess of Lovelace\",\n  \"note\": \"it's \\\"quoted\\\"\" }\n");
        Run r = cli("invoke", guest("greet"), "--input", "@" + file);
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(new ObjectMapper().readTree(r.out()).get("greeting").asText())
                .isEqualTo("Hello, Ada King, Countess of Lovelace!");
    }

    @Test
    void optionLikeTextInAnInputFileIsInputNotOptions() throws Exception {
        String json = "{\"args\": \"--max-memory 1GiB --timeout 1ms\"}";
        Path file = Files.writeString(home.resolve("args.json"), json);
        Run echo = cli("invoke", guest("echo"), "--input", "@" + file);
        assertThat(echo.exit()).as(echo.err()).isZero();
        assertThat(new ObjectMapper().readTree(echo.out())).isEqualTo(new ObjectMapper().readTree(json));

        // one option per line, as an @-file would hold them: all 21 bytes are the input (not JSON, so refused)
        Path lines = Files.writeString(home.resolve("lines.txt"), "{}\n--max-memory\n1GiB\n");
        Run r = cli("invoke", guest("echo"), "--input", "@" + lines, "--report", "json");
        assertThat(r.exit()).isEqualTo(ExitCodes.USAGE);
        var metrics = new ObjectMapper().readTree(r.err().strip());
        assertThat(metrics.get("outcome").asText()).isEqualTo("invalid_input");
        assertThat(metrics.get("inputBytes").asLong())
                .isEqualTo(Files.size(lines))
                .isEqualTo(21);
        assertThat(cli("invoke", guest("echo"), "--input", "@" + lines).err()).contains("the input is not valid JSON");
    }

    @Test
    void anEndlessStdinIsRefusedAtTheInputLimit() {
        EndlessZeros zeros = new EndlessZeros(4096);
        System.setIn(zeros);
        Run r = cli("invoke", guest("echo"), "--input", "-", "--max-input", "1KiB");
        assertThat(r.exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(r.err())
                .contains("stdin (--input -) holds more than the input limit of 1024 bytes;"
                        + " raise it with --max-input");
        assertThat(zeros.served).isLessThanOrEqualTo(1025);
    }

    @Test
    void stdinWithinTheLimitIsTheInput() {
        System.setIn(new java.io.ByteArrayInputStream("[1, 2]".getBytes()));
        Run r = cli("invoke", guest("echo"), "--input", "-", "--max-input", "6B");
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out().strip()).isEqualTo("[1, 2]");
    }

    @Test
    void anInputFileOverTheLimitIsRefusedNamingTheFileAndTheLimit() throws Exception {
        Path big = Files.write(home.resolve("big.json"), ("[" + "0,".repeat(1000) + "0]").getBytes());
        Run r = cli("invoke", guest("echo"), "--input", "@" + big, "--max-input", "1KiB");
        assertThat(r.exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(r.err()).contains("the input file " + big + " holds more than the input limit of 1024 bytes");

        Run missing = cli("invoke", guest("echo"), "--input", "@" + home.resolve("nope.json"));
        assertThat(missing.exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(missing.err()).contains("no such file: " + home.resolve("nope.json"));
    }

    @Test
    void devZeroAsAnInputFileIsRefusedAtTheLimit() {
        assumeTrue(Files.exists(Path.of("/dev/zero")));
        Run r = cli("invoke", guest("echo"), "--input", "@/dev/zero");
        assertThat(r.exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(r.err()).contains("the input file /dev/zero holds more than the input limit of 8388608 bytes");
    }

    @Test
    void aModuleFileOverTheModuleSizeLimitIsNotReadWhole() throws Exception {
        Path huge = home.resolve("huge.wasm");
        try (RandomAccessFile f = new RandomAccessFile(huge.toFile(), "rw")) {
            f.setLength((32L << 20) + 1); // sparse
        }
        Run r = cli("invoke", huge.toString());
        assertThat(r.exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(r.err())
                .contains("the module file " + huge + " holds more than the module size limit of 33554432" + " bytes");
    }

    /** Zeros without end, like /dev/zero; reading far past what a bounded reader needs is a test failure. */
    private static final class EndlessZeros extends InputStream {
        private final long failAfter;
        long served;

        EndlessZeros(long failAfter) {
            this.failAfter = failAfter;
        }

        @Override
        public int read() {
            byte[] one = new byte[1];
            read(one, 0, 1);
            return 0;
        }

        @Override
        public int read(byte[] b, int off, int len) {
            if (served + len > failAfter) {
                throw new AssertionError("read " + (served + len) + " bytes of an endless stdin");
            }
            Arrays.fill(b, off, off + len, (byte) 0);
            served += len;
            return len;
        }
    }
}
