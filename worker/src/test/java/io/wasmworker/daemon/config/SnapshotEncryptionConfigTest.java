package io.wasmworker.daemon.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code stores.encryption}: keys from the environment or a key file, checked before anything starts. */
class SnapshotEncryptionConfigTest {
    private static final String K1 = Base64.getEncoder().encodeToString(new byte[32]);
    private static final String K2 = Base64.getEncoder().encodeToString(new byte[16]);
    private static final ConfigLoader LOADER =
            ConfigLoader.withEnvironment(Map.of("SNAPSHOT_KEY_1", K1, "SNAPSHOT_KEY_2", K2, "SHORT", "AAAA"));
    private static final String CAMUNDA = """
            camunda:
              url: http://camunda/engine-rest
              topics: [ { topic: t, artifact: a } ]
            """;

    @TempDir
    Path dir;

    private Path file() {
        return dir.resolve("worker.yaml");
    }

    private WorkerConfig load(String yaml) throws Exception {
        Files.writeString(file(), yaml + CAMUNDA);
        return LOADER.load(file());
    }

    private SnapshotEncryption encryption(String yaml) throws Exception {
        return SnapshotEncryption.of(file().toString(), load(yaml));
    }

    private void fails(String yaml, String... parts) {
        assertThatThrownBy(() -> load(yaml))
                .isInstanceOf(ConfigException.class)
                .message()
                .contains(file().toString())
                .contains(parts)
                .doesNotContain(K1);
    }

    @Test
    void withoutEncryptionSnapshotsStayInTheClear() throws Exception {
        assertThat(encryption("stores: { fsync: false }\n")).isNull();
    }

    @Test
    void keysComeFromTheEnvironmentAndTheFirstIsCurrentUnlessSaid() throws Exception {
        SnapshotEncryption e = encryption("""
                stores:
                  encryption:
                    keys:
                      k2: "${SNAPSHOT_KEY_2}"
                      k1: "${SNAPSHOT_KEY_1}"
                """);
        assertThat(e.keys().current()).contains("k2");
        assertThat(e.keys().ids()).containsExactly("k2", "k1");
        assertThat(e.allowPlaintext()).isFalse();

        SnapshotEncryption explicit = encryption("""
                stores:
                  encryption:
                    current: k1
                    allowPlaintext: true
                    keys: { k2: "${SNAPSHOT_KEY_2}", k1: "${SNAPSHOT_KEY_1}" }
                """);
        assertThat(explicit.keys().current()).contains("k1");
        assertThat(explicit.allowPlaintext()).isTrue();
    }

    @Test
    void keysComeFromAKeyFileRelativeToTheConfiguration() throws Exception {
        Files.writeString(dir.resolve("snapshot.keys"), "# rotated on 2026-11-01\nk2=" + K2 + "\n\nk1=" + K1 + "\n");
        SnapshotEncryption e = encryption("""
                stores:
                  encryption: { keysFile: snapshot.keys }
                """);
        assertThat(e.keys().current()).contains("k2");
        assertThat(e.keys().ids()).containsExactly("k2", "k1");
    }

    @Test
    void badKeysAreNamedWithTheirLineAndFieldButNeverShown() throws Exception {
        fails("""
                stores:
                  encryption:
                    keys:
                      k1: "not base64!"
                """, ":4:7: stores.encryption.keys.k1: snapshot key 'k1' is not valid base64");
        fails("""
                stores:
                  encryption:
                    keys: { k1: "${SHORT}" }
                """, "stores.encryption.keys.k1: snapshot key 'k1' is 24 bits long; AES keys are 128, 192 or 256 bits");
        fails(
                """
                stores:
                  encryption:
                    current: k3
                    keys: { k1: "${SNAPSHOT_KEY_1}" }
                """,
                ":3:5: stores.encryption.current: the current snapshot key 'k3' is not in the key ring (its keys: k1)");
        fails("""
                stores:
                  encryption:
                    keys: { "k 1": "${SNAPSHOT_KEY_1}" }
                """, "invalid snapshot key id 'k 1'");
        fails("""
                stores:
                  encryption: { allowPlaintext: true }
                """, "stores.encryption: no keys");
        fails("""
                stores:
                  encryption: { keysFile: k.keys, keys: { k1: "${SNAPSHOT_KEY_1}" } }
                """, "not both");
        fails("""
                stores:
                  encryption: { curent: k1, keys: { k1: "${SNAPSHOT_KEY_1}" } }
                """, "unknown field 'curent' (did you mean 'current'?)");
        fails("""
                stores:
                  encryption: { keys: { k1: "${UNSET_KEY}" } }
                """, "UNSET_KEY");
    }

    @Test
    void aBadKeyFileIsNamedWithItsLine() throws Exception {
        fails(
                """
                stores:
                  encryption: { keysFile: missing.keys }
                """,
                "stores.encryption.keysFile: the snapshot key file " + dir.resolve("missing.keys") + " does not exist");
        Files.writeString(dir.resolve("bad.keys"), "k1=" + K1 + "\nk2 " + K2 + "\n");
        fails("""
                stores:
                  encryption: { keysFile: bad.keys }
                """, dir.resolve("bad.keys") + ":2: expected <key id>=<base64 key>");
        Files.writeString(dir.resolve("twice.keys"), "k1=" + K1 + "\nk1=" + K2 + "\n");
        fails("""
                stores:
                  encryption: { keysFile: twice.keys }
                """, dir.resolve("twice.keys") + ":2: snapshot key 'k1' is given twice");
        Files.writeString(dir.resolve("empty.keys"), "# nothing yet\n");
        fails("""
                stores:
                  encryption: { keysFile: empty.keys }
                """, "holds no snapshot key");
    }
}
