package io.wasmworker.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.wasmworker.testing.Guests;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The packaged, self-contained jar (what ./wasm-worker runs) as a real process. */
class LauncherJarIT {
    @TempDir
    Path home;

    record Proc(int exit, String out, String err) {}

    private Proc java(String... args) throws Exception {
        Path jar = Path.of("target", "wasm-worker-all.jar");
        assertThat(jar).exists();
        List<String> cmd = new ArrayList<>(
                List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar", jar.toString()));
        cmd.addAll(List.of(args));
        Path out = home.resolve("out.txt");
        Path err = home.resolve("err.txt");
        Process p = new ProcessBuilder(cmd)
                .redirectOutput(out.toFile())
                .redirectError(err.toFile())
                .start();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return new Proc(
                p.exitValue(),
                Files.readString(out, StandardCharsets.UTF_8),
                Files.readString(err, StandardCharsets.UTF_8));
    }

    @Test
    void theJarRunsGuestsAndTellsOutcomesApartByExitCode() throws Exception {
        Proc ok = java(
                "invoke", Guests.path("greet").toString(), "--input", "{\"name\":\"Bo\"}", "--home", home.toString());
        assertThat(ok.exit()).as(ok.err()).isZero();
        assertThat(ok.out()).contains("\"greeting\":\"Hello, Bo!\"");
        assertThat(ok.err()).contains("outcome=success");

        assertThat(java("invoke", Guests.path("greet").toString(), "--home", home.toString())
                        .exit())
                .isEqualTo(3);
        assertThat(java("invoke", Guests.path("hostile-trap").toString(), "--home", home.toString())
                        .exit())
                .isEqualTo(1);
        assertThat(java("invoke", "--bogus").exit()).isEqualTo(2);
        assertThat(java("--version").out()).contains("guest ABI v1");
    }

    @Test
    void theLauncherRunsTheNewestJdk21PlusUnlessJavaHomeSaysOtherwise() throws Exception {
        // fake JDKs: a release file and a bin/java that says who it is
        Path jdks = home.resolve("jdks");
        for (String version : List.of("17.0.9", "21.0.4", "23.0.1")) {
            Path bin = Files.createDirectories(jdks.resolve("jdk-" + version).resolve("bin"));
            Files.writeString(bin.getParent().resolve("release"), "JAVA_VERSION=\"" + version + "\"\n");
            Path java = Files.writeString(bin.resolve("java"), "#!/bin/sh\necho \"java " + version + "\"\n");
            java.toFile().setExecutable(true);
        }
        Proc newest = launcher(jdks.resolve("*").toString(), null);
        assertThat(newest.out()).as(newest.err()).isEqualTo("java 23.0.1\n");
        assertThat(newest.err()).contains("Java 23.0.1 from " + jdks.resolve("jdk-23.0.1"));

        Proc chosen = launcher(jdks.resolve("*").toString(), jdks.resolve("jdk-17.0.9"));
        assertThat(chosen.out()).isEqualTo("java 17.0.9\n");
        assertThat(chosen.err()).contains("(JAVA_HOME)");

        Proc onlyOld = launcher(jdks.resolve("jdk-17.0.9").toString(), null);
        assertThat(onlyOld.out()).as("no JDK 21+: the java on PATH").doesNotContain("17.0.9");
        assertThat(onlyOld.exit()).as(onlyOld.err()).isZero();
    }

    /** Runs ./wasm-worker --version with JDKs searched in {@code jdkDirs} and JAVA_HOME as given. */
    private Proc launcher(String jdkDirs, Path javaHome) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(
                        "bash", Path.of("..", "wasm-worker").toString(), "--version")
                .redirectOutput(home.resolve("out.txt").toFile())
                .redirectError(home.resolve("err.txt").toFile());
        pb.environment().remove("JAVA_HOME");
        if (javaHome != null) {
            pb.environment().put("JAVA_HOME", javaHome.toString());
        }
        pb.environment().put("WASM_WORKER_JDK_DIRS", jdkDirs);
        Process p = pb.start();
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        return new Proc(
                p.exitValue(), Files.readString(home.resolve("out.txt")), Files.readString(home.resolve("err.txt")));
    }

    @Test
    void theJarHoldsNoTestBed() throws Exception {
        // `dev` runs the test bed from its own jar; none of it, nor what only it needs, is deployed
        // (org/camunda/bpm/engine/variable is the external task client's typed values, not the engine;
        // internal/testservice/InProcessGRPCServer is the SDK's own, the test server's classes are Test*)
        List<String> testBedOnly = List.of(
                "io/wasmworker/testbed/",
                "org/springframework/",
                "io/temporal/testserver/",
                "io/temporal/internal/testservice/Test",
                "org/camunda/bpm/engine/impl/",
                "org/camunda/bpm/spring/",
                "org/h2/",
                "BOOT-INF/",
                "application.properties");
        try (ZipFile jar = new ZipFile(Path.of("target", "wasm-worker-all.jar").toFile())) {
            Set<String> entries = jar.stream().map(ZipEntry::getName).collect(Collectors.toSet());
            assertThat(entries)
                    .as("the jar's own classes are there")
                    .contains(
                            "io/wasmworker/cli/Main.class",
                            "io/wasmworker/daemon/Daemon.class",
                            "io/temporal/client/WorkflowClient.class");
            List<String> found = entries.stream()
                    .filter(e -> testBedOnly.stream().anyMatch(e::startsWith))
                    .sorted()
                    .limit(20)
                    .toList();
            assertThat(found).as("test-bed entries in wasm-worker-all.jar").isEmpty();
        }
    }
}
