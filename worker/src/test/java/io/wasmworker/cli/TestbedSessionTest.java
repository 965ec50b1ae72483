package io.wasmworker.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code dev}'s side of the test bed protocol, against a fake test bed (a jar running {@link FakeTestbed}). */
class TestbedSessionTest {
    @TempDir
    Path dir;

    private Path jar;

    @BeforeEach
    void fakeTestbedJar() throws IOException {
        // a jar that only names FakeTestbed as its main class and the test classes as its class path
        Manifest manifest = new Manifest();
        manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        manifest.getMainAttributes().put(Attributes.Name.MAIN_CLASS, FakeTestbed.class.getName());
        Path classes = Path.of(FakeTestbed.class
                .getProtectionDomain()
                .getCodeSource()
                .getLocation()
                .getPath());
        manifest.getMainAttributes()
                .put(Attributes.Name.CLASS_PATH, classes.toUri().toString());
        jar = dir.resolve("fake-testbed.jar");
        try (OutputStream out = new JarOutputStream(Files.newOutputStream(jar), manifest)) {
            out.flush();
        }
    }

    private TestbedSession start(String scenario) throws IOException {
        return TestbedSession.start(jar, dir.resolve(scenario), dir.resolve("testbed.log"));
    }

    @Test
    void readyGivesTheOrchestratorsAndTheDemoPassesOnWhatTheTestBedSays() throws Exception {
        List<String> said = new ArrayList<>();
        try (TestbedSession session = start("serves")) {
            assertThat(session.camundaRestUrl()).isEqualTo("http://127.0.0.1:1/engine-rest");
            assertThat(session.cockpitUrl()).isEqualTo("http://127.0.0.1:1/camunda");
            assertThat(session.temporalTarget()).isEqualTo("127.0.0.1:2");
            assertThat(session.taskQueue()).isEqualTo("orders");
            assertThat(session.engineVersion()).isEqualTo("camunda-9.9");
            assertThat(session.demo(said::add)).isTrue();
        }
        assertThat(said).containsExactly("  instance 1 done", "");
        assertThat(Files.readString(dir.resolve("testbed.log")))
                .as("Camunda unless told otherwise")
                .contains("fake test bed: dev " + dir.resolve("serves") + " camunda");
    }

    @Test
    void theEngineAskedForIsPassedToTheTestBed() throws Exception {
        try (TestbedSession session =
                TestbedSession.start(jar, dir.resolve("serves"), dir.resolve("testbed.log"), "operaton", false)) {
            assertThat(session.engineVersion()).isEqualTo("operaton-9.9");
        }
        assertThat(Files.readString(dir.resolve("testbed.log")))
                .contains("fake test bed: dev " + dir.resolve("serves") + " operaton");
    }

    @Test
    void withS3TheTestBedIsAskedForItAndItsServerAndBucketAreTheStores() throws Exception {
        try (TestbedSession session =
                TestbedSession.start(jar, dir.resolve("serves-s3"), dir.resolve("testbed.log"), "camunda", true)) {
            assertThat(session.stockUrl()).isEqualTo("http://127.0.0.1:4");
            DevS3 s3 = session.s3().orElseThrow();
            assertThat(s3.endpoint()).hasToString("http://127.0.0.1:3");
            assertThat(s3.artifacts()).isEqualTo("s3://dev-1/artifacts");
            assertThat(s3.snapshots()).isEqualTo("s3://dev-1/snapshots");
            assertThat(s3.storesYaml())
                    .contains("s3: { endpoint: \"http://127.0.0.1:3\", region: us-east-1, accessKeyId: \"k\","
                            + " secretAccessKey: \"s\" }");
            assertThat(session.demo(line -> {}, false))
                    .as("demo without-long-work")
                    .isTrue();
            String instance = session.startLongWork(12, 345);
            assertThat(instance).isEqualTo("pi-12-345");
            assertThat(session.awaitLongWork(instance)).containsExactly("00ffpi-12-345", "worker-b");
        }
        assertThat(Files.readString(dir.resolve("testbed.log")))
                .contains("fake test bed: dev " + dir.resolve("serves-s3") + " camunda --s3");
    }

    @Test
    void withoutS3ThereIsNoS3() throws Exception {
        try (TestbedSession session =
                TestbedSession.start(jar, dir.resolve("serves-s3"), dir.resolve("testbed.log"), "camunda", false)) {
            assertThat(session.s3()).isEmpty();
        }
    }

    @Test
    void anS3ReadyLineWithoutItsBucketIsRefused() {
        assertThatThrownBy(() -> TestbedSession.start(
                        jar, dir.resolve("s3-without-bucket"), dir.resolve("testbed.log"), "camunda", true))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("said ready without bucket");
    }

    @Test
    void devRefusesS3WithAnArtifactStoreOfItsOwn() {
        java.io.StringWriter err = new java.io.StringWriter();
        int exit = Main.execute(
                new String[] {
                    "dev", "--s3", "--artifacts", "s3://b/p", "--home", dir.toString(), "--testbed", jar.toString()
                },
                new java.io.PrintWriter(new java.io.StringWriter()),
                new java.io.PrintWriter(err, true));
        assertThat(exit).isEqualTo(ExitCodes.USAGE);
        assertThat(err.toString()).contains("--s3 keeps the artifacts in the bucket of its own S3 server");
    }

    @Test
    void devRefusesAnEngineItDoesNotKnow() {
        java.io.StringWriter err = new java.io.StringWriter();
        int exit = Main.execute(
                new String[] {"dev", "--engine", "zeebe", "--home", dir.toString(), "--testbed", jar.toString()},
                new java.io.PrintWriter(new java.io.StringWriter()),
                new java.io.PrintWriter(err, true));
        assertThat(exit).isEqualTo(ExitCodes.USAGE);
        assertThat(err.toString()).contains("unknown engine 'zeebe': use --engine camunda or --engine operaton");
    }

    @Test
    void aTestBedThatExitsBeforeItIsReadyIsAnErrorNamingItsLog() {
        assertThatThrownBy(() -> start("exits"))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("the test bed exited before it could start Camunda and Temporal; its log: "
                        + dir.resolve("testbed.log"));
    }

    @Test
    void theTestBedsOwnErrorIsPassedOn() {
        assertThatThrownBy(() -> start("errs"))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("could not start Camunda and Temporal: Camunda was not ready within PT3M")
                .hasMessageContaining("its log: " + dir.resolve("testbed.log"));
    }

    @Test
    void aReadyLineWithoutAnOrchestratorIsRefused() {
        assertThatThrownBy(() -> start("half-ready"))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("said ready without cockpit");
    }

    @Test
    void aMissingJarSaysHowToBuildIt() {
        assertThatThrownBy(() -> TestbedSession.start(dir.resolve("absent.jar"), dir, dir.resolve("testbed.log")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("the test-bed jar " + dir.resolve("absent.jar") + " does not exist")
                .hasMessageContaining("./mvnw -pl testbed -am package -DskipTests");
    }

    @Test
    void devWithoutATestBedJarSaysWhereToGetOne() {
        java.io.StringWriter err = new java.io.StringWriter();
        int exit = Main.execute(
                new String[] {"dev", "--home", dir.toString()},
                new java.io.PrintWriter(new java.io.StringWriter()),
                new java.io.PrintWriter(err, true));
        assertThat(exit).isEqualTo(ExitCodes.USAGE);
        assertThat(err.toString()).contains("dev needs the runnable test-bed jar: run it through ./wasm-worker");
    }
}
