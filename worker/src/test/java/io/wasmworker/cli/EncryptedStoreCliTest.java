package io.wasmworker.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.wasmworker.testing.Guests;
import io.wasmworker.testing.HttpGuest;
import io.wasmworker.testing.LoopbackService;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The CLI on an encrypted snapshot store: with its key file, without, with the wrong one. */
class EncryptedStoreCliTest {
    private static final String K1 = key(1);
    private static final String K2 = key(2);

    @TempDir
    Path home;

    private Path k1;
    private Path rotated;
    private Path wrong;

    record Run(int exit, String out, String err) {}

    private static String key(int seed) {
        byte[] key = new byte[32];
        java.util.Arrays.fill(key, (byte) seed);
        return Base64.getEncoder().encodeToString(key);
    }

    private Run cli(String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.add("--home");
        all.add(home.toString());
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exit = Main.execute(all.toArray(String[]::new), new PrintWriter(out, true), new PrintWriter(err, true));
        return new Run(exit, out.toString(), err.toString());
    }

    @BeforeEach
    void keyFilesAndACheckpointSealedWithK1() throws Exception {
        k1 = Files.writeString(home.resolve("k1.keys"), "k1=" + K1 + "\n");
        rotated = Files.writeString(home.resolve("rotated.keys"), "k2=" + K2 + "\nk1=" + K1 + "\n");
        wrong = Files.writeString(home.resolve("wrong.keys"), "k1=" + K2 + "\n");
        // a step guest that checkpoints after every step and traps in step 3: its checkpoints stay
        Path traps = Files.write(home.resolve("traps.wasm"), Guests.wat("""
                (module
                  (import "wasm_worker" "checkpoint" (func $checkpoint (param i32 i32) (result i32)))
                  (memory (export "memory") 1)
                  (data (i32.const 4096) "the guest's secret: hunter2")
                  (global $n (mut i32) (i32.const 0))
                  (func (export "ww_step") (result i32)
                    (global.set $n (i32.add (global.get $n) (i32.const 1)))
                    (drop (call $checkpoint (i32.const 0) (i32.const 0)))
                    (if (i32.eq (global.get $n) (i32.const 3)) (then unreachable))
                    (i32.const 0)))
                """));
        Run first = cli(
                "invoke",
                traps.toString(),
                "--input",
                "{}",
                "--task-key",
                "order-42",
                "--snapshot-keys",
                k1.toString());
        assertThat(first.exit()).as(first.err()).isEqualTo(ExitCodes.GUEST_FAILURE);
        try (Stream<Path> files = Files.walk(home.resolve("snapshots"))) {
            for (Path file : files.filter(Files::isRegularFile).toList()) {
                assertThat(new String(Files.readAllBytes(file), StandardCharsets.ISO_8859_1))
                        .as(file.toString())
                        .doesNotContain("hunter2");
            }
        }
    }

    @Test
    void withItsKeysTheStoreIsListedAndInspectedVerified() {
        Run ls = cli("snapshots", "ls", "--snapshot-keys", k1.toString());
        assertThat(ls.exit()).as(ls.err()).isZero();
        assertThat(ls.out()).contains("order-42  generation=2 sequence=2").doesNotContain("ENCRYPTED");

        Run inspect = cli("snapshots", "inspect", "order-42", "--snapshot-keys", rotated.toString());
        assertThat(inspect.exit()).as(inspect.err()).isZero();
        assertThat(inspect.out())
                .contains("encrypted: manifest sealed with key k1")
                .contains("input sha256:")
                .containsPattern("full +seq=1");
    }

    @Test
    void aSealedJournalIsInspectedWithItsKeysOnly() throws Exception {
        Path guest = Files.write(
                home.resolve("reserves.wasm"), Guests.wat(HttpGuest.RESERVES_AFTER_A_CHECKPOINT_THEN_TRAPS));
        try (LoopbackService inventory = new LoopbackService()) {
            Run failed = cli(
                    "invoke",
                    guest.toString(),
                    "--task-key",
                    "order-7",
                    "--endpoint",
                    "inventory=" + inventory.uri(),
                    "--snapshot-keys",
                    k1.toString());
            assertThat(failed.exit()).as(failed.err()).isEqualTo(ExitCodes.GUEST_FAILURE);
        }
        try (Stream<Path> files = Files.walk(home.resolve("snapshots"))) {
            for (Path file : files.filter(Files::isRegularFile).toList()) {
                assertThat(new String(Files.readAllBytes(file), StandardCharsets.ISO_8859_1))
                        .as("the journal is sealed too: " + file)
                        .doesNotContain("/reserve")
                        .doesNotContain("reservation");
            }
        }
        Run inspect = cli("snapshots", "inspect", "order-7", "--snapshot-keys", rotated.toString());
        assertThat(inspect.exit()).as(inspect.err()).isZero();
        assertThat(inspect.out())
                .contains("encrypted: manifest sealed with key k1")
                .contains("journal: 1 host call(s) a retry replays")
                .contains("call 2  POST /reserve on endpoint 'inventory'  status=201");

        Run without = cli("snapshots", "inspect", "order-7");
        assertThat(without.exit()).isNotZero();
        assertThat(without.err()).contains("is encrypted").doesNotContain("/reserve");
    }

    @Test
    void withoutKeysItSaysSoClearly() {
        Run ls = cli("snapshots", "ls");
        assertThat(ls.exit()).as(ls.err()).isZero();
        assertThat(ls.out()).contains("order-42  generation=2").contains("ENCRYPTED(key=k1, not verified)");
        assertThat(ls.err()).contains("1 checkpoint(s) are encrypted").contains("--snapshot-keys FILE");

        Run inspect = cli("snapshots", "inspect", "order-42");
        assertThat(inspect.exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(inspect.err())
                .contains("the checkpoint of task 'order-42'")
                .contains("is encrypted (sealed with snapshot key 'k1')")
                .contains("--snapshot-keys FILE or $WASM_WORKER_SNAPSHOT_KEYS");

        // a retry without keys fails as checkpoint: it neither resumes nor starts afresh
        Run retry = cli("invoke", home.resolve("traps.wasm").toString(), "--input", "{}", "--task-key", "order-42");
        assertThat(retry.exit()).isEqualTo(ExitCodes.GUEST_FAILURE);
        assertThat(retry.err()).contains("checkpoint").contains("this worker has no snapshot keys");

        Run rm = cli("snapshots", "rm", "order-42"); // removing needs no keys
        assertThat(rm.exit()).as(rm.err()).isZero();
        assertThat(cli("snapshots", "ls").out()).doesNotContain("order-42");
    }

    @Test
    void withTheWrongKeyOrWithoutTheOldOneItFailsNamingTheKey() {
        Run ls = cli("snapshots", "ls", "--snapshot-keys", wrong.toString());
        assertThat(ls.exit()).as(ls.err()).isZero();
        assertThat(ls.out()).contains("DAMAGED").contains("fails authentication with snapshot key 'k1'");

        Path k2Only = home.resolve("k2.keys");
        Run inspect = cli("snapshots", "inspect", "order-42", "--snapshot-keys", writeK2(k2Only));
        assertThat(inspect.exit()).isNotZero();
        assertThat(inspect.err())
                .contains("task 'order-42'")
                .contains("sealed with snapshot key 'k1', which the key ring does not hold (it holds: k2)");
    }

    private static String writeK2(Path file) {
        try {
            return Files.writeString(file, "k2=" + K2 + "\n").toString();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void aBadKeyFileIsAUsageErrorThatNeverShowsAKey() throws Exception {
        Path bad = Files.writeString(home.resolve("bad.keys"), "k1=" + K1.substring(0, 20) + "!!\n");
        Run ls = cli("snapshots", "ls", "--snapshot-keys", bad.toString());
        assertThat(ls.exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(ls.err())
                .contains(bad + ":1: snapshot key 'k1' is not valid base64")
                .doesNotContain(K1.substring(0, 20));
        Run missing = cli(
                "snapshots", "ls", "--snapshot-keys", home.resolve("nope.keys").toString());
        assertThat(missing.exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(missing.err()).contains("nope.keys does not exist");
        Run noTask =
                cli("invoke", home.resolve("traps.wasm").toString(), "--input", "{}", "--snapshot-keys", k1.toString());
        assertThat(noTask.exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(noTask.err()).contains("--snapshot-keys needs --task-key");
    }

    @Test
    void theEnvironmentNamesTheKeyFileWhenNoOptionDoes() {
        SnapshotKeyOptions options = new SnapshotKeyOptions();
        options.environment = name -> SnapshotKeyOptions.ENV.equals(name) ? rotated.toString() : null;
        assertThat(options.keys()).hasValueSatisfying(k -> {
            assertThat(k.current()).contains("k2");
            assertThat(k.ids()).containsExactly("k2", "k1");
        });
        options.keysFile = k1; // the option wins
        assertThat(options.keys()).hasValueSatisfying(k -> assertThat(k.ids()).containsExactly("k1"));

        SnapshotKeyOptions none = new SnapshotKeyOptions();
        none.environment = name -> null;
        assertThat(none.keys()).isEmpty();
        none.environment = name -> home.resolve("gone.keys").toString();
        org.assertj.core.api.Assertions.assertThatThrownBy(none::keys)
                .hasMessageContaining("gone.keys does not exist ($WASM_WORKER_SNAPSHOT_KEYS names it)");
    }
}
