package io.wasmworker.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.wasmworker.artifact.Digest;
import io.wasmworker.daemon.DaemonPlan;
import io.wasmworker.daemon.config.ConfigException;
import io.wasmworker.testbed.s3.Rgw;
import io.wasmworker.testing.Guests;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The worker's stores on S3 (a real Ceph RGW), end to end: {@code --artifacts s3://...} on the CLI
 * with the server from the AWS SDK's standard settings, and {@code stores.artifacts} with
 * {@code stores.s3} in the configuration.
 */
class S3StoresTest {
    /** The SDK's system-property forms of AWS_ENDPOINT_URL, AWS_REGION and the credentials. */
    private static final Map<String, String> SDK_SETTINGS = Map.of(
            "aws.endpointUrl",
            Rgw.shared().endpoint().toString(),
            "aws.region",
            "us-east-1",
            "aws.accessKeyId",
            Rgw.ACCESS_KEY,
            "aws.secretAccessKey",
            Rgw.SECRET_KEY);

    private static String bucket;

    @TempDir
    Path home;

    @BeforeAll
    static void server() {
        bucket = Rgw.shared().newBucket("s3-stores-cli");
        SDK_SETTINGS.forEach(System::setProperty);
    }

    @AfterAll
    static void clear() {
        SDK_SETTINGS.keySet().forEach(System::clearProperty);
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

    @Test
    void theArtifactCommandsAndInvokeWorkOnAnS3Location() throws Exception {
        String store = "s3://" + bucket + "/cli";
        Digest echo = Digest.of(Guests.bytes("echo"));
        Run put = cli("artifacts", "put", Guests.path("echo").toString(), "--name", "echo", "--artifacts", store);
        assertThat(put.exit()).as(put.err()).isZero();
        assertThat(put.out()).contains(echo + "  ").contains("(name: echo)");
        assertThat(Rgw.shared()
                        .client()
                        .headObject(b -> b.bucket(bucket).key("cli/blobs/sha256/" + echo.hex()))
                        .contentLength())
                .isEqualTo(Guests.bytes("echo").length);
        assertThat(home.resolve("artifacts")).doesNotExist(); // nothing went to the local store

        Run ls = cli("artifacts", "ls", "--artifacts", store);
        assertThat(ls.out()).isEqualTo(echo + "  echo\n");

        Path copy = home.resolve("copy.wasm");
        Run get = cli("artifacts", "get", "echo", "-o", copy.toString(), "--artifacts", store);
        assertThat(get.exit()).as(get.err()).isZero();
        assertThat(Files.readAllBytes(copy)).isEqualTo(Guests.bytes("echo"));

        Run invoke = cli("invoke", "echo", "--input", "{\"a\":1}", "--artifacts", store);
        assertThat(invoke.exit()).as(invoke.err()).isZero();
        assertThat(invoke.err()).contains("artifact name 'echo' resolved to " + echo);
        assertThat(invoke.out()).contains("\"a\":1");

        Run missing = cli("invoke", "ech0", "--artifacts", store);
        assertThat(missing.exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(missing.err()).contains("no artifact is named 'ech0' in the artifact store " + store);
    }

    @Test
    void invokeStreamsReferencedPayloadsWithPayloads() {
        Rgw.shared()
                .client()
                .putObject(
                        b -> b.bucket(bucket).key("cli-payloads/doc"),
                        software.amazon.awssdk.core.sync.RequestBody.fromString("{\"lines\":[1,2]}"));
        String input = "{\"doc\":{\"$ref\":\"s3://" + bucket + "/cli-payloads/doc\"}}";
        Run run = cli(
                "invoke",
                Guests.path("echo").toString(),
                "--input",
                input,
                "--payloads",
                "s3://" + bucket + "/cli-payloads");
        assertThat(run.exit()).as(run.err()).isZero();
        assertThat(run.out()).isEqualTo("{\"doc\":{\"lines\":[1,2]}}\n");

        Run outside = cli(
                "invoke",
                Guests.path("echo").toString(),
                "--input",
                input,
                "--payloads",
                "s3://" + bucket + "/elsewhere");
        assertThat(outside.exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(outside.err()).contains("outside the payload location s3://" + bucket + "/elsewhere");

        Run without = cli("invoke", Guests.path("echo").toString(), "--input", input);
        assertThat(without.out()).contains("$ref"); // no payload location: ordinary input
    }

    @Test
    void aMalformedS3LocationIsAUsageErrorNamingIt() {
        Run run = cli("artifacts", "ls", "--artifacts", "s3://No_Such/x");
        assertThat(run.exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(run.err()).contains("invalid S3 location 's3://No_Such/x'");
    }

    @Test
    void theDaemonTakesItsArtifactStoreAndServerFromTheConfigurationOrTheCommandLine() throws Exception {
        String store = "s3://" + bucket + "/daemon";
        cli("artifacts", "put", Guests.path("order-pricing").toString(), "--name", "pricing", "--artifacts", store);
        String camunda = """
                camunda:
                  url: http://camunda/engine-rest
                  topics: [ { topic: price, artifact: pricing } ]
                """;
        Path config = Files.writeString(
                home.resolve("worker.yaml"),
                """
                stores:
                  artifacts: %s
                  s3:
                    endpoint: %s
                    region: us-east-1
                    accessKeyId: %s
                    secretAccessKey: %s
                """.formatted(store, Rgw.shared().endpoint(), Rgw.ACCESS_KEY, Rgw.SECRET_KEY) + camunda);
        DaemonPlan plan = RunCommand.plan(config, home, null);
        assertThat(plan.artifacts()).isEqualTo(store);
        assertThat(plan.payloads()).isNull();
        assertThat(plan.camunda().topics().get(0).binding().artifact().toString())
                .isEqualTo("pricing");
        plan.modules().store().close();

        // the configuration's credentials are the ones used (the system properties hold the right ones)
        Path wrong = Files.writeString(
                home.resolve("wrong.yaml"), Files.readString(config).replace(Rgw.SECRET_KEY, "not-the-secret"));
        assertThatThrownBy(() -> RunCommand.plan(wrong, home, null))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("camunda.topics[0].artifact")
                .hasMessageContaining("s3://" + bucket + "/daemon/names/pricing");

        // --artifacts replaces stores.artifacts; without stores.s3 the SDK's settings reach the server
        Path plain = Files.writeString(home.resolve("plain.yaml"), camunda);
        assertThatThrownBy(() -> RunCommand.plan(plain, home, null))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("no artifact is named 'pricing'");
        DaemonPlan overridden = RunCommand.plan(plain, home, store);
        assertThat(overridden.artifacts()).isEqualTo(store);
        overridden.modules().store().close();
    }

    @Test
    void payloadsByReferenceAreConfiguredUnderStores() throws Exception {
        String store = "s3://" + bucket + "/with-payloads";
        cli("artifacts", "put", Guests.path("echo").toString(), "--name", "echo", "--artifacts", store);
        Path config = Files.writeString(home.resolve("payloads.yaml"), """
                stores:
                  artifacts: %s
                  payloads:
                    location: s3://%s/payloads
                    maxStreamedInput: 256MiB
                    offloadAbove: 64KiB
                camunda:
                  url: http://camunda/engine-rest
                  topics: [ { topic: t, artifact: echo } ]
                """.formatted(store, bucket));
        DaemonPlan plan = RunCommand.plan(config, home, null);
        assertThat(plan.payloads().settings().location().toString()).isEqualTo("s3://" + bucket + "/payloads");
        assertThat(plan.payloads().settings().maxStreamedBytes()).isEqualTo(256L << 20);
        assertThat(plan.payloads().settings().offloadAbove()).isEqualTo(64L << 10);
        // the payloads reach the server through the SDK's settings: a reference streams
        Rgw.shared()
                .client()
                .putObject(
                        b -> b.bucket(bucket).key("payloads/p"),
                        software.amazon.awssdk.core.sync.RequestBody.fromString("{\"x\":1}"));
        assertThat(plan.payloads()
                        .stdinFor(("{\"$ref\":\"s3://" + bucket + "/payloads/p\"}").getBytes())
                        .orElseThrow()
                        .length())
                .isEqualTo(7);
        plan.payloads().close();
        plan.modules().store().close();
    }
}
