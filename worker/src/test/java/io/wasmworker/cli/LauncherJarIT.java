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
    void theFirstBuildSaysWhatItBuildsHowLongItTakesAndHowFarItIs() throws Exception {
        // a copy of the launcher beside a stand-in for ./mvnw that prints what Maven prints and makes
        // the jar, and a stand-in JDK: the build's messages without a real build
        Path root = Files.createDirectories(home.resolve("checkout"));
        Files.copy(Path.of("..", "wasm-worker"), root.resolve("wasm-worker"));
        Files.writeString(root.resolve("pom.xml"), "<project/>\n");
        for (String dir : List.of("engine", "adapters", "worker/src/main/java")) {
            Files.createDirectories(root.resolve(dir));
        }
        Path mvnw = Files.writeString(root.resolve("mvnw"), """
                #!/bin/sh
                echo "[INFO] Scanning for projects..."
                echo "[INFO] Building wasm-worker engine 0.1.0-SNAPSHOT                         [2/7]"
                echo "[INFO] Building jar: /somewhere/engine.jar"
                echo "[INFO] Building wasm-worker 0.1.0-SNAPSHOT                                [7/7]"
                if [ -n "$FAIL_BUILD" ]; then echo "[ERROR] COMPILATION ERROR: Main.java:[3,1] ';' expected"; exit 1; fi
                mkdir -p "$(dirname "$0")/worker/target"
                echo jar > "$(dirname "$0")/worker/target/wasm-worker-all.jar"
                """);
        mvnw.toFile().setExecutable(true);
        Path jdk = Files.createDirectories(home.resolve("jdk-21").resolve("bin"));
        Files.writeString(jdk.getParent().resolve("release"), "JAVA_VERSION=\"21.0.4\"\n");
        Files.writeString(jdk.resolve("java"), "#!/bin/sh\necho \"java ran\"\n")
                .toFile()
                .setExecutable(true);

        Proc failed = launcher(root.resolve("wasm-worker"), jdk.getParent().toString(), "1");
        assertThat(failed.exit()).isEqualTo(1);
        assertThat(failed.out()).as("the jar does not run after a failed build").isEmpty();
        assertThat(failed.err())
                .contains("the build failed; the end of its log")
                .contains("[ERROR] COMPILATION ERROR: Main.java:[3,1] ';' expected");

        Proc first = launcher(root.resolve("wasm-worker"), jdk.getParent().toString(), null);
        assertThat(first.out()).as(first.err()).isEqualTo("java ran\n");
        assertThat(first.err())
                .contains("wasm-worker: first use: building the worker's jar (worker/target/wasm-worker-all.jar)"
                        + " with Maven (./mvnw), once; this takes a few minutes")
                .contains("wasm-worker:   building wasm-worker engine 0.1.0-SNAPSHOT [2/7]\n")
                .contains("wasm-worker:   building wasm-worker 0.1.0-SNAPSHOT [7/7]\n")
                .doesNotContain("Building jar", "Scanning")
                .containsPattern("wasm-worker: built in \\d+ s\n");

        Proc built = launcher(root.resolve("wasm-worker"), jdk.getParent().toString(), null);
        assertThat(built.err()).doesNotContain("building");

        Path source = Files.writeString(root.resolve("worker/src/main/java/Main.java"), "class Main {}\n");
        source.toFile().setLastModified(System.currentTimeMillis() + 5_000);
        Proc changed = launcher(root.resolve("wasm-worker"), jdk.getParent().toString(), null);
        assertThat(changed.err())
                .contains("wasm-worker: sources changed: rebuilding the worker's jar")
                .contains("about a minute");
    }

    private Proc launcher(Path script, String jdkDirs, String failBuild) throws Exception {
        ProcessBuilder pb = new ProcessBuilder("bash", script.toString(), "--version")
                .redirectOutput(home.resolve("out.txt").toFile())
                .redirectError(home.resolve("err.txt").toFile());
        pb.environment().remove("JAVA_HOME");
        pb.environment().put("WASM_WORKER_JDK_DIRS", jdkDirs);
        if (failBuild != null) {
            pb.environment().put("FAIL_BUILD", failBuild);
        }
        Process p = pb.start();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
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
