package io.wasmworker.cli;

import io.wasmworker.artifact.ArtifactRef;
import io.wasmworker.artifact.ArtifactStore;
import io.wasmworker.artifact.Digest;
import io.wasmworker.daemon.config.ConfigLoader;
import io.wasmworker.daemon.config.WorkerConfig;
import io.wasmworker.module.GuestDescription;
import io.wasmworker.module.InvalidModuleException;
import io.wasmworker.module.ModuleLoader;
import io.wasmworker.s3.S3Settings;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code wasm-worker templates -o DIR}: a Camunda Modeler element template ({@link ElementTemplates})
 * for each named artifact whose guest describes itself (guests/ABI.md, "Describing a guest").
 */
@Command(
        name = "templates",
        mixinStandardHelpOptions = true,
        description = "Writes Camunda Modeler element templates (Camunda 7 / Operaton) for the described guests"
                + " of the artifact store: DIR/<name>.json each, an external task on the guest's topic with its"
                + " inputs, result variables and business errors.")
final class TemplatesCommand implements Callable<Integer> {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Mixin
    StoreOptions store;

    @Mixin
    ArtifactStoreOption artifactStore;

    @Option(
            names = {"-o", "--output"},
            paramLabel = "DIR",
            required = true,
            description = "The directory to write the templates to (created if missing).")
    Path output;

    @Option(
            names = "--artifact",
            paramLabel = "NAME",
            description = "Only this artifact name (default: every name bound to a described guest).")
    String artifact;

    @Option(
            names = "--config",
            paramLabel = "FILE",
            description = "A worker configuration: each template's topic is the topic (or a choice of the topics)"
                    + " that runs its artifact under camunda.topics.")
    Path config;

    @Option(
            names = "--topic",
            paramLabel = "TOPIC",
            description = "The topic for the template (with --artifact; replaces what --config says).")
    String topic;

    @Override
    public Integer call() throws IOException {
        if (artifact != null) {
            ArtifactRef.checkName(artifact);
        }
        if (topic != null && artifact == null) {
            throw new IllegalArgumentException("--topic names the topic of one guest: give --artifact NAME too");
        }
        Map<String, List<String>> topics = config == null ? Map.of() : topicsByArtifact(config);
        PrintWriter out = spec.commandLine().getOut();
        Written written;
        try (ArtifactStore artifacts = artifactStore.open(store)) {
            written = write(
                    artifacts,
                    output,
                    artifact,
                    topic,
                    topics,
                    out,
                    spec.commandLine().getErr());
        }
        if (written.files().isEmpty() && written.malformed() == 0) {
            out.println("no described guests in the artifact store (guests/ABI.md, \"Describing a guest\")");
        }
        return written.malformed() == 0 ? ExitCodes.SUCCESS : ExitCodes.USAGE;
    }

    /**
     * For {@code dev}: writes the templates of the described guests in its artifact store, with the
     * topics of its configuration, to {@code <devHome>/templates}.
     *
     * @param artifacts the store's location, or null for {@code <devHome>/artifacts}
     * @return the directory and the files, to show
     */
    static String forDev(Path devHome, String artifacts, Path config) throws IOException {
        Path dir = devHome.resolve("templates");
        StringWriter problems = new StringWriter();
        PrintWriter quiet = new PrintWriter(Writer.nullWriter());
        String location =
                artifacts != null ? artifacts : devHome.resolve("artifacts").toString();
        try (ArtifactStore store = ArtifactStore.at(location, S3Settings::defaults)) {
            Written written =
                    write(store, dir, null, null, topicsByArtifact(config), quiet, new PrintWriter(problems, true));
            List<String> names = written.files().stream()
                    .map(f -> f.getFileName().toString())
                    .toList();
            return dir + " (" + String.join(", ", names) + "; copy them to the Modeler's resources/element-templates)"
                    + (written.malformed() == 0
                            ? ""
                            : System.lineSeparator() + problems.toString().strip());
        }
    }

    /** What {@link #write} did: the files written and how many modules could not be described. */
    record Written(List<Path> files, int malformed) {}

    /**
     * Writes a template for each name bound to a described guest (or only {@code only}); a module whose
     * description is malformed is reported on {@code err} and the others are still written.
     *
     * @param topic  the topic for {@code only}'s template, or null to take it from {@code topics}
     * @param topics the topics that run each artifact, by the name or digest they name it by
     */
    static Written write(
            ArtifactStore artifacts,
            Path dir,
            String only,
            String topic,
            Map<String, List<String>> topics,
            PrintWriter out,
            PrintWriter err)
            throws IOException {
        ModuleLoader loader = new ModuleLoader();
        List<Path> files = new ArrayList<>();
        int malformed = 0;
        Map<String, Digest> names = new TreeMap<>(artifacts.names());
        if (only != null) {
            names = Map.of(only, artifacts.resolve(ArtifactRef.parse(only)));
        }
        Files.createDirectories(dir);
        for (Map.Entry<String, Digest> entry : names.entrySet()) {
            String name = entry.getKey();
            Digest digest = entry.getValue();
            Optional<GuestDescription> description;
            try {
                description = loader.describe(digest, artifacts.get(digest));
            } catch (InvalidModuleException e) {
                // one bad module is reported and the others are still written
                err.println("error: " + name + ": " + e.getMessage());
                malformed++;
                continue;
            }
            if (description.isEmpty()) {
                if (only != null) {
                    throw new IllegalArgumentException("artifact " + name + " (" + digest + ") does not describe"
                            + " itself, so there is nothing to make a template of: give it a description"
                            + " (guests/ABI.md, \"Describing a guest\")");
                }
                continue;
            }
            List<String> its = new ArrayList<>();
            if (topic != null) {
                its.add(topic);
            } else { // topics bound to the name, then those bound to its digest
                its.addAll(topics.getOrDefault(name, List.of()));
                its.addAll(topics.getOrDefault(digest.toString(), List.of()));
            }
            Path file = dir.resolve(name + ".json");
            Files.writeString(
                    file, ElementTemplates.text(ElementTemplates.template(name, digest, description.get(), its)));
            out.println(file + "  (" + name + ", " + digest.shortForm()
                    + (its.isEmpty()
                            ? ", topic " + name + ": set it in the Modeler"
                            : ", topic " + String.join("|", its))
                    + ")");
            files.add(file);
        }
        return new Written(files, malformed);
    }

    /** The topics of {@code camunda.topics} by the artifact they run, as written (a name or a digest). */
    private static Map<String, List<String>> topicsByArtifact(Path file) {
        WorkerConfig config = ConfigLoader.withSystemEnvironment().load(file);
        Map<String, List<String>> topics = new TreeMap<>();
        if (config.camunda() != null) {
            for (WorkerConfig.Topic t : config.camunda().topics()) {
                topics.computeIfAbsent(t.artifact().value(), k -> new ArrayList<>())
                        .add(t.topic());
            }
        }
        return topics;
    }
}
