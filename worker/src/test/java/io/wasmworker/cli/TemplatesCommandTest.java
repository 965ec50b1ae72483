package io.wasmworker.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.wasmworker.artifact.Digest;
import io.wasmworker.artifact.LocalArtifactStore;
import io.wasmworker.module.GuestDescription;
import io.wasmworker.testing.Guests;
import java.io.ByteArrayOutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code templates}: which guests get a template, their topics, and what a bad module does to the rest. */
class TemplatesCommandTest {
    @TempDir
    Path home;

    record Run(int exit, String out, String err) {}

    Run cli(String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.add("--home");
        all.add(home.toString());
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exit = Main.execute(all.toArray(String[]::new), new PrintWriter(out, true), new PrintWriter(err, true));
        return new Run(exit, out.toString(), err.toString());
    }

    void put(String guest) {
        Run put = cli("artifacts", "put", Guests.path(guest).toString(), "--name", guest);
        assertThat(put.exit()).as(put.err()).isZero();
    }

    private static JsonNode read(Path file) throws Exception {
        return new ObjectMapper().readTree(file.toFile());
    }

    private static String topicOf(JsonNode template) {
        for (JsonNode p : template.get("properties")) {
            if (p.at("/binding/name").asText().equals("camunda:topic")) {
                return p.get("value").asText();
            }
        }
        throw new AssertionError("no topic in " + template);
    }

    @Test
    void writesATemplateForEachDescribedGuestWithTheTopicsOfTheConfiguration() throws Exception {
        put("order-pricing");
        put("ckpt-step-rust");
        put("echo"); // not described: no template
        Path config = Files.writeString(home.resolve("worker.yaml"), """
                camunda:
                  url: http://localhost:8080/engine-rest
                  topics:
                    - { topic: price-order, artifact: order-pricing }
                    - { topic: long-work, artifact: ckpt-step-rust }
                    - { topic: long-work-2, artifact: ckpt-step-rust }
                """);
        Path dir = home.resolve("templates");

        Run run = cli("templates", "-o", dir.toString(), "--config", config.toString());

        assertThat(run.exit()).as(run.err()).isZero();
        try (var files = Files.list(dir)) {
            assertThat(files.map(f -> f.getFileName().toString()).sorted())
                    .containsExactly("ckpt-step-rust.json", "order-pricing.json");
        }
        JsonNode pricing = read(dir.resolve("order-pricing.json"));
        assertThat(pricing.get("id").asText()).isEqualTo("io.wasmworker.order-pricing");
        assertThat(topicOf(pricing)).isEqualTo("price-order");
        assertThat(pricing.get("description").asText())
                .contains(Digest.of(Guests.bytes("order-pricing")).toString());
        JsonNode longWork = read(dir.resolve("ckpt-step-rust.json"));
        assertThat(topicOf(longWork)).isEqualTo("long-work");
        assertThat(longWork.toString()).contains("\"Dropdown\"").contains("long-work-2");
        assertThat(run.out())
                .contains("order-pricing.json  (order-pricing, ")
                .contains("topic price-order)")
                .contains("topic long-work|long-work-2)");
    }

    @Test
    void oneArtifactWithATopicOfItsOwn() throws Exception {
        put("order-pricing");
        put("ckpt-step-rust");
        Path dir = home.resolve("t");
        Run run = cli("templates", "-o", dir.toString(), "--artifact", "order-pricing", "--topic", "pricing-v2");
        assertThat(run.exit()).as(run.err()).isZero();
        assertThat(topicOf(read(dir.resolve("order-pricing.json")))).isEqualTo("pricing-v2");
        assertThat(dir.resolve("ckpt-step-rust.json")).doesNotExist();

        Run plain = cli("templates", "-o", dir.toString(), "--artifact", "ckpt-step-rust");
        assertThat(plain.out()).contains("topic ckpt-step-rust: set it in the Modeler");
        assertThat(topicOf(read(dir.resolve("ckpt-step-rust.json")))).isEqualTo("ckpt-step-rust");
    }

    @Test
    void clearErrorsForWhatCannotBeDone() {
        put("echo");
        Path dir = home.resolve("t");
        Run undescribed = cli("templates", "-o", dir.toString(), "--artifact", "echo");
        assertThat(undescribed.exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(undescribed.err()).contains("artifact echo (sha256:").contains("does not describe itself");

        Run unknown = cli("templates", "-o", dir.toString(), "--artifact", "nope");
        assertThat(unknown.exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(unknown.err()).contains("no artifact is named 'nope'");

        Run topicAlone = cli("templates", "-o", dir.toString(), "--topic", "t");
        assertThat(topicAlone.exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(topicAlone.err()).contains("give --artifact NAME too");

        Run nothing = cli("templates", "-o", dir.toString());
        assertThat(nothing.exit()).as(nothing.err()).isZero();
        assertThat(nothing.out()).contains("no described guests in the artifact store");
    }

    @Test
    void aStoredModuleWithAMalformedDescriptionIsNamedAndTheOthersAreStillWritten() throws Exception {
        put("order-pricing");
        // `artifacts put` refuses such a module, so it can only have been stored some other way
        byte[] bad = withDescription(Guests.bytes("echo"), "{\"version\":1,\"inputs\":[{\"name\":\"a b\"}]}");
        LocalArtifactStore store = new LocalArtifactStore(home.resolve("artifacts"));
        Digest digest = store.put(bad);
        store.bindName("broken", digest);
        Path dir = home.resolve("t");

        Run run = cli("templates", "-o", dir.toString());

        assertThat(run.exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(run.err())
                .contains("error: broken: artifact " + digest + " has a malformed description")
                .contains("inputs[0].name: 'a b' is not a variable name");
        assertThat(dir.resolve("order-pricing.json")).exists();
        assertThat(dir.resolve("broken.json")).doesNotExist();

        Run refused = cli(
                "artifacts", "put", Files.write(home.resolve("bad.wasm"), bad).toString());
        assertThat(refused.exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(refused.err()).contains("has a malformed description");
    }

    @Test
    void devWritesTheTemplatesOfItsGuestsWithItsTopics() throws Exception {
        Path dev = home.resolve("dev");
        LocalArtifactStore store = new LocalArtifactStore(dev.resolve("artifacts"));
        store.bindName("order-pricing", store.put(Guests.bytes("order-pricing")));
        store.bindName("echo", store.put(Guests.bytes("echo")));
        Path config = Files.writeString(dev.resolve("worker-dev.yaml"), """
                camunda:
                  url: http://localhost:8080/engine-rest
                  topics: [ { topic: price-order, artifact: order-pricing } ]
                """);

        String shown = TemplatesCommand.forDev(dev, null, config);

        assertThat(shown)
                .isEqualTo(dev.resolve("templates") + " (order-pricing.json; copy them to the Modeler's"
                        + " resources/element-templates)");
        assertThat(topicOf(read(dev.resolve("templates/order-pricing.json")))).isEqualTo("price-order");

        Digest bad = store.put(withDescription(Guests.bytes("echo"), "{}"));
        store.bindName("broken", bad);
        assertThat(TemplatesCommand.forDev(dev, null, config))
                .contains("order-pricing.json")
                .contains("error: broken: artifact " + bad + " has a malformed description");
    }

    /** {@code module} with a {@value GuestDescription#SECTION} custom section appended. */
    static byte[] withDescription(byte[] module, String json) {
        ByteArrayOutputStream content = new ByteArrayOutputStream();
        byte[] name = GuestDescription.SECTION.getBytes(StandardCharsets.UTF_8);
        leb(content, name.length);
        content.writeBytes(name);
        content.writeBytes(json.getBytes(StandardCharsets.UTF_8));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(module);
        out.write(0);
        leb(out, content.size());
        out.writeBytes(content.toByteArray());
        return out.toByteArray();
    }

    private static void leb(ByteArrayOutputStream out, int value) {
        do {
            int b = value & 0x7f;
            value >>>= 7;
            out.write(value == 0 ? b : b | 0x80);
        } while (value != 0);
    }
}
