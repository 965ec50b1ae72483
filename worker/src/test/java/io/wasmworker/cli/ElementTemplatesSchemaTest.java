package io.wasmworker.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.wasmworker.testing.Guests;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The templates of the example guests are valid against the official element-templates JSON schema,
 * as Camunda's own validator ({@code @bpmn-io/element-templates-validator}, pinned in
 * guests/package.json and installed by {@code (cd guests && npm ci)}) checks it, run with node.
 * Missing node or the package is a failure that says how to install them, never a skip.
 */
class ElementTemplatesSchemaTest {
    private static final List<String> DESCRIBED = List.of("order-pricing", "ckpt-step-rust", "stock-reservation");
    /** Validates each file given; prints what is wrong and exits 1 if any is invalid. */
    private static final String VALIDATE = """
            const fs = require('fs');
            const { validate, getSchemaVersion } = require(process.argv[1]);
            let bad = 0;
            for (const file of process.argv.slice(2)) {
              const { valid, errors, warnings } = validate(fs.readFileSync(file, 'utf8'));
              if (!valid) { bad++; console.log('INVALID ' + file + ': ' + JSON.stringify(errors.map(e => e.message + ' at ' + e.dataPath))); }
              else console.log('valid ' + file + (warnings && warnings.length ? ' warnings: ' + JSON.stringify(warnings) : ''));
            }
            console.log('schema ' + getSchemaVersion());
            process.exit(bad ? 1 : 0);
            """;

    @TempDir
    Path home;

    @Test
    void theExampleGuestsTemplatesAreValidElementTemplates() throws Exception {
        for (String guest : DESCRIBED) {
            cli("artifacts", "put", Guests.path(guest).toString(), "--name", guest);
        }
        Path dir = home.resolve("templates");
        cli("templates", "-o", dir.toString(), "--topic", "price-order", "--artifact", "order-pricing");
        cli("templates", "-o", dir.toString(), "--topic", "long-work", "--artifact", "ckpt-step-rust");
        cli("templates", "-o", dir.toString(), "--artifact", "stock-reservation");
        List<Path> files = new ArrayList<>();
        for (String guest : DESCRIBED) {
            files.add(dir.resolve(guest + ".json"));
        }

        Result result = validate(files);
        System.out.println(result.output());

        assertThat(result.exit()).as(result.output()).isZero();
        assertThat(result.output()).contains("valid " + files.get(0)).doesNotContain("INVALID");
    }

    @Test
    void theValidatorRefusesABrokenTemplateSoThisTestCanFail() throws Exception {
        Path broken = Files.writeString(home.resolve("broken.json"), """
                {"$schema": "%s", "name": "x", "id": "x", "appliesTo": ["bpmn:ServiceTask"],
                 "properties": [{"type": "String", "value": "t", "binding": {"type": "camunda:topic"}}]}
                """.formatted(ElementTemplates.SCHEMA));
        Result result = validate(List.of(broken));
        assertThat(result.exit()).as(result.output()).isEqualTo(1);
        assertThat(result.output()).contains("INVALID " + broken).contains("invalid property.binding type");
    }

    private void cli(String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.add("--home");
        all.add(home.toString());
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exit = Main.execute(all.toArray(String[]::new), new PrintWriter(out, true), new PrintWriter(err, true));
        assertThat(exit).as(String.join(" ", args) + ": " + err).isZero();
    }

    record Result(int exit, String output) {}

    private static Result validate(List<Path> files) throws IOException, InterruptedException {
        Path guests = Guests.dir().toAbsolutePath().getParent();
        Path validator = guests.resolve("node_modules/@bpmn-io/element-templates-validator");
        if (!Files.isDirectory(validator)) {
            throw new AssertionError(validator + " is missing: install the npm packages pinned in guests/package.json"
                    + " with `(cd guests && npm ci)` (needs node and npm: apt-get install nodejs npm)");
        }
        List<String> command = new ArrayList<>(List.of("node", "-e", VALIDATE, validator.toString()));
        files.forEach(f -> command.add(f.toString()));
        Process node;
        try {
            node = new ProcessBuilder(command).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new AssertionError(
                    "cannot run node (" + e.getMessage() + "): the element-templates validator"
                            + " needs Node.js 18 or later on PATH (apt-get install nodejs npm; then (cd guests && npm ci))",
                    e);
        }
        node.getOutputStream().close();
        String output = new String(node.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!node.waitFor(60, TimeUnit.SECONDS)) {
            node.destroyForcibly();
            throw new AssertionError("node did not finish within 60 s: " + output);
        }
        return new Result(node.exitValue(), output);
    }
}
