package io.wasmworker.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.wasmworker.artifact.Digest;
import io.wasmworker.testbed.s3.Rgw;
import io.wasmworker.testing.Guests;
import io.wasmworker.testing.HttpGuest;
import io.wasmworker.testing.LoopbackService;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * {@code --snapshots s3://BUCKET/PREFIX} on a real Ceph RGW, the way an operator uses it: the CLI
 * in its own JVM, S3 reached through the AWS SDK's standard environment variables only.
 */
class S3SnapshotsCliTest {
    private static Rgw rgw;
    private static String bucket;

    @TempDir
    Path home;

    record Run(int exit, String out, String err) {}

    @BeforeAll
    static void server() {
        rgw = Rgw.shared();
        bucket = rgw.newBucket("s3-snapshots-cli");
    }

    /** {@code wasm-worker ARGS --home HOME} in a child JVM whose environment names the S3 server. */
    private Run cli(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:TieredStopAtLevel=1",
                "-Xmx256m",
                "-cp",
                System.getProperty("java.class.path"),
                Main.class.getName()));
        command.addAll(List.of(args));
        command.add("--home");
        command.add(home.toString());
        ProcessBuilder pb = new ProcessBuilder(command)
                .redirectOutput(home.resolve("out.txt").toFile())
                .redirectError(home.resolve("err.txt").toFile());
        pb.environment().put("AWS_ENDPOINT_URL", rgw.endpoint().toString());
        pb.environment().put("AWS_REGION", "us-east-1");
        pb.environment().put("AWS_ACCESS_KEY_ID", Rgw.ACCESS_KEY);
        pb.environment().put("AWS_SECRET_ACCESS_KEY", Rgw.SECRET_KEY);
        Process p = pb.start();
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).as("the CLI finished").isTrue();
        return new Run(
                p.exitValue(), Files.readString(home.resolve("out.txt")), Files.readString(home.resolve("err.txt")));
    }

    /** A step guest that checkpoints after every step and traps in step 3. */
    private Path trapsAfterCheckpoints() throws Exception {
        return Files.write(home.resolve("traps.wasm"), Guests.wat("""
                (module
                  (import "wasm_worker" "checkpoint" (func $checkpoint (param i32 i32) (result i32)))
                  (memory (export "memory") 1)
                  (global $n (mut i32) (i32.const 0))
                  (func (export "ww_step") (result i32)
                    (global.set $n (i32.add (global.get $n) (i32.const 1)))
                    (drop (call $checkpoint (i32.const 0) (i32.const 0)))
                    (if (i32.eq (global.get $n) (i32.const 3)) (then unreachable))
                    (i32.const 0)))
                """));
    }

    @Test
    void invokeCheckpointsToS3AndTheSnapshotsCommandsWorkThere() throws Exception {
        String location = "s3://" + bucket + "/cli/snapshots";
        Run failed = cli("invoke", trapsAfterCheckpoints().toString(), "--task-key", "k2", "--snapshots", location);
        assertThat(failed.exit()).as(failed.err()).isEqualTo(ExitCodes.GUEST_FAILURE);
        assertThat(failed.err()).contains("outcome=trap");
        List<S3Object> objects = new ArrayList<>();
        rgw.client().listObjectsV2Paginator(b -> b.bucket(bucket)).contents().forEach(objects::add);
        assertThat(objects)
                .as("checkpoints in S3, under the prefix")
                .isNotEmpty()
                .allSatisfy(o -> assertThat(o.key()).startsWith("cli/snapshots/tasks/"));
        assertThat(home.resolve("snapshots")).doesNotExist();

        Run ls = cli("snapshots", "ls", "--snapshots", location);
        assertThat(ls.exit()).as(ls.err()).isZero();
        assertThat(ls.out()).contains("k2  generation=2 sequence=2");

        Run inspect = cli("snapshots", "inspect", "k2", "--snapshots", location);
        assertThat(inspect.exit()).as(inspect.err()).isZero();
        assertThat(inspect.out())
                .contains("input " + Digest.of("{}".getBytes(StandardCharsets.UTF_8)))
                .contains("0000000002-");

        // a stray object where task directories live is reported, and the listing goes on
        rgw.client()
                .putObject(
                        b -> b.bucket(bucket).key("cli/snapshots/tasks/stray.txt"), RequestBody.fromString("hunter2"));
        Run gc = cli("snapshots", "gc", "--older-than", "1d", "--snapshots", location);
        assertThat(gc.exit()).as(gc.err()).isZero();
        assertThat(gc.out())
                .contains("DAMAGED s3://" + bucket + "/cli/snapshots/tasks/stray.txt")
                .contains("removed 0 task(s)")
                .doesNotContain("hunter2");

        Run rm = cli("snapshots", "rm", "k2", "--snapshots", location);
        assertThat(rm.exit()).as(rm.err()).isZero();
        assertThat(cli("snapshots", "ls", "--snapshots", location).out()).doesNotContain("k2");
    }

    @Test
    void snapshotsInspectShowsTheJournalKeptInS3() throws Exception {
        String location = "s3://" + bucket + "/cli-journal/snapshots";
        Path guest = Files.write(
                home.resolve("reserves.wasm"), Guests.wat(HttpGuest.RESERVES_AFTER_A_CHECKPOINT_THEN_TRAPS));
        try (LoopbackService inventory = new LoopbackService()) {
            Run failed = cli(
                    "invoke",
                    guest.toString(),
                    "--task-key",
                    "k3",
                    "--snapshots",
                    location,
                    "--endpoint",
                    "inventory=" + inventory.uri());
            assertThat(failed.exit()).as(failed.err()).isEqualTo(ExitCodes.GUEST_FAILURE);
        }
        Run inspect = cli("snapshots", "inspect", "k3", "--snapshots", location);
        assertThat(inspect.exit()).as(inspect.err()).isZero();
        assertThat(inspect.out())
                .contains("journal: 1 host call(s) a retry replays (calls 1 to 1 are covered by the checkpoint)")
                .containsPattern("call 2  POST /reserve on endpoint 'inventory'  status=201 headers=\\d+B body=17B"
                        + " request=sha256:[0-9a-f]{64}");
    }

    @Test
    void aBadLocationOrAnUnreachableStoreIsAnErrorNamingIt() throws Exception {
        Run bad = cli("snapshots", "ls", "--snapshots", "s3://Not_A_Bucket/x");
        assertThat(bad.exit()).isNotZero();
        assertThat(bad.err()).contains("invalid S3 bucket name 'Not_A_Bucket'");

        Run missing = cli("snapshots", "ls", "--snapshots", "s3://no-such-bucket-here/x");
        assertThat(missing.exit()).isNotZero();
        assertThat(missing.err()).contains("snapshot store s3://no-such-bucket-here/x");
    }
}
