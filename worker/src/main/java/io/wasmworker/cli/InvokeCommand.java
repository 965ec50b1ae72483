package io.wasmworker.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.wasmworker.artifact.ArtifactRef;
import io.wasmworker.artifact.ArtifactStore;
import io.wasmworker.artifact.Digest;
import io.wasmworker.checkpoint.CheckpointContext;
import io.wasmworker.checkpoint.CheckpointPolicy;
import io.wasmworker.checkpoint.store.SnapshotStore;
import io.wasmworker.host.HttpEndpoint;
import io.wasmworker.host.HttpEndpoints;
import io.wasmworker.module.GuestModule;
import io.wasmworker.module.ModuleCache;
import io.wasmworker.module.ModuleLoader;
import io.wasmworker.payload.PayloadSettings;
import io.wasmworker.payload.Payloads;
import io.wasmworker.s3.S3Location;
import io.wasmworker.s3.S3Settings;
import io.wasmworker.sandbox.GuestLimits;
import io.wasmworker.sandbox.GuestText;
import io.wasmworker.sandbox.Invocation;
import io.wasmworker.sandbox.InvocationResult;
import io.wasmworker.sandbox.Outcome;
import io.wasmworker.sandbox.Sandbox;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code wasm-worker invoke}: run a guest once and print its output. */
@Command(
        name = "invoke",
        mixinStandardHelpOptions = true,
        description = {
            "Runs a guest once: the input JSON goes to its stdin, its output JSON is printed on stdout,",
            "and a one-line report (outcome, wall time, peak memory, output bytes) on stderr."
        })
final class InvokeCommand implements Callable<Integer> {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Mixin
    StoreOptions store;

    @Mixin
    ArtifactStoreOption artifactStore;

    @Parameters(
            index = "0",
            paramLabel = "MODULE",
            description = "A .wasm file, a digest sha256:<hex>, or an artifact name from the artifact store.")
    String module;

    @Option(
            names = "--input",
            paramLabel = "JSON|@FILE|-",
            defaultValue = "{}",
            description = "The input: inline JSON, @file to read a file, or - for stdin (default: ${DEFAULT-VALUE}).")
    String input;

    @Option(
            names = "--timeout",
            paramLabel = "DURATION",
            converter = UnitConverters.DurationConverter.class,
            description = "Wall-clock limit, e.g. 2s or 500ms (default: 30s).")
    Duration timeout;

    @Option(
            names = "--max-memory",
            paramLabel = "SIZE",
            converter = UnitConverters.SizeConverter.class,
            description = "Linear memory limit, e.g. 64MiB (default: 64MiB).")
    Long maxMemory;

    @Option(
            names = "--max-output",
            paramLabel = "SIZE",
            converter = UnitConverters.SizeConverter.class,
            description = "Stdout limit (default: 8MiB).")
    Long maxOutput;

    @Option(
            names = "--max-input",
            paramLabel = "SIZE",
            converter = UnitConverters.SizeConverter.class,
            description = "Input limit (default: 8MiB).")
    Long maxInput;

    @Option(
            names = "--task",
            paramLabel = "KEY=VALUE",
            description = "Task metadata the guest sees as WASM_WORKER_TASK_<KEY> (repeatable).")
    Map<String, String> task = new LinkedHashMap<>();

    @Option(
            names = "--deterministic",
            paramLabel = "SEED",
            description = "Virtual clock and seeded randomness, for reproducible runs.")
    Long seed;

    @Option(
            names = "--task-key",
            paramLabel = "KEY",
            description = {
                "Checkpoint under this task key, and resume from its last checkpoint if there is one.",
                "Its checkpoints are removed once the guest succeeds or reports a business error."
            })
    String taskKey;

    @Option(
            names = "--snapshots",
            paramLabel = "LOCATION",
            description = {StoreOptions.SNAPSHOTS_HELP, "Used with --task-key."})
    String snapshots;

    /** Used with --task-key: the snapshot store's keys, when it is encrypted. */
    @Mixin
    SnapshotKeyOptions snapshotKeys;

    @Option(
            names = "--payloads",
            paramLabel = "s3://BUCKET/PREFIX",
            description = {
                "Large payloads by reference: input values {\"$ref\":\"s3://BUCKET/PREFIX/...\"} are streamed"
                        + " from S3 into the guest's stdin in their place, and output values over 1MiB are written"
                        + " there and printed as such references (guests/ABI.md). S3 as for --artifacts."
            })
    String payloads;

    @Option(
            names = "--attempt",
            paramLabel = "N",
            defaultValue = "1",
            description = "This attempt's number, seen by the guest and recorded in checkpoints (default: 1).")
    int attempt;

    @Option(
            names = "--checkpoint-every-steps",
            paramLabel = "N",
            defaultValue = "0",
            description = "Step guests: checkpoint after every N steps (default: off).")
    int everySteps;

    @Option(
            names = "--checkpoint-every",
            paramLabel = "DURATION",
            converter = UnitConverters.DurationConverter.class,
            description = "Step guests: checkpoint when this much time has passed since the last one (default: 10s).")
    Duration every;

    @Option(
            names = "--endpoint",
            paramLabel = "NAME=URL",
            description = {
                "An HTTP endpoint the guest may call by NAME (repeatable): any path under URL, methods GET,",
                "HEAD, POST, PUT, PATCH and DELETE, the default timeouts and sizes (the daemon's",
                "configuration sets each; see config/README.md)."
            })
    Map<String, String> endpoints = new LinkedHashMap<>();

    @Option(
            names = "--report",
            paramLabel = "FORMAT",
            defaultValue = "text",
            description = "Report format on stderr: text or json (the metrics record).")
    String report;

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (!report.equals("text") && !report.equals("json")) {
            throw new IllegalArgumentException("--report must be text or json, got '" + report + "'");
        }
        GuestLimits limits = limits();
        byte[] inputBytes = readInput(limits.maxInputBytes());
        Map<String, String> metadata = new LinkedHashMap<>();
        metadata.put("SOURCE", "cli");
        if (attempt < 1) {
            throw new IllegalArgumentException("--attempt must be 1 or more, got " + attempt);
        }
        metadata.put("ATTEMPT", Integer.toString(attempt));
        if (taskKey != null) {
            metadata.put("ID", taskKey);
        }
        metadata.putAll(task);

        ModuleLoader loader = new ModuleLoader();
        GuestModule guest;
        try (ArtifactStore artifacts = artifactStore.open(store)) {
            guest = resolve(
                    artifacts,
                    new ModuleCache(artifacts, loader, 4),
                    loader.limits().maxModuleBytes(),
                    err);
        }
        SnapshotStore checkpoints = null;

        Invocation invocation = Invocation.of(inputBytes)
                .withLimits(limits)
                .withTask(metadata)
                .withEndpoints(endpoints())
                .withStderrListener(
                        line -> { // live, line by line; no ANSI or \r driving the terminal
                            err.println(GuestText.escapeLine(line));
                            err.flush();
                        });
        if (seed != null) {
            invocation = invocation.deterministic(seed);
        }
        if (taskKey != null) {
            CheckpointPolicy policy =
                    new CheckpointPolicy(everySteps, every == null ? CheckpointPolicy.DEFAULT.every() : every, true);
            checkpoints = snapshotKeys.wrap(store.snapshots(snapshots));
            invocation = invocation.withCheckpoints(new CheckpointContext(checkpoints, taskKey, attempt, policy));
        } else if (snapshots != null || snapshotKeys.keysFile != null) {
            throw new IllegalArgumentException((snapshots != null ? "--snapshots" : "--snapshot-keys")
                    + " needs --task-key: checkpoints are kept per task");
        }
        InvocationResult result;
        try (Sandbox sandbox = new Sandbox();
                Payloads references = payloads == null
                        ? null
                        : Payloads.open(PayloadSettings.at(S3Location.parse(payloads)), S3Settings.defaults())) {
            if (references != null && inputBytes.length <= limits.maxInputBytes()) {
                var stdin = references.stdinFor(inputBytes); // a PayloadException is a usage error naming the reference
                if (stdin.isPresent()) {
                    invocation = invocation.withStdin(stdin.get());
                }
            }
            result = sandbox.invoke(guest, invocation);
            if (references != null) {
                result = references.offloaded(result);
            }
        }
        if (result.stdout().length > 0 && !(result.outcome() instanceof Outcome.Failure)) {
            String text = new String(result.stdout(), StandardCharsets.UTF_8);
            out.print(text.endsWith("\n") ? text : text + "\n");
            out.flush();
        }
        if (checkpoints != null && !(result.outcome() instanceof Outcome.Failure)) {
            // the task is done (as the daemon does once the orchestrator accepted): the next run with
            // this key starts afresh instead of resuming a finished computation or replaying its calls
            boolean hadCheckpoint = checkpoints.latest(taskKey).isPresent();
            checkpoints.delete(taskKey);
            if (hadCheckpoint) {
                err.println("wasm-worker: task '" + taskKey + "' finished; its checkpoints were removed");
            }
        }
        err.println(
                report.equals("json")
                        ? new ObjectMapper().writeValueAsString(result.metrics())
                        : "wasm-worker: " + result.report());
        err.flush();
        if (checkpoints != null) {
            checkpoints.close();
        }
        return ExitCodes.of(result.outcome());
    }

    private HttpEndpoints endpoints() {
        List<HttpEndpoint> list = new ArrayList<>();
        endpoints.forEach((name, url) -> {
            try {
                list.add(HttpEndpoint.of(
                        name, URI.create(url), Set.of("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"), List.of("/")));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("--endpoint " + name + "=" + url + ": " + e.getMessage(), e);
            }
        });
        return HttpEndpoints.of(list);
    }

    private GuestModule resolve(ArtifactStore artifacts, ModuleCache modules, int maxModuleBytes, PrintWriter err)
            throws IOException {
        Path file = Path.of(module);
        if (Files.isRegularFile(file)) {
            try (InputStream in = Files.newInputStream(file)) {
                return modules.load(readAtMost(
                        in,
                        maxModuleBytes,
                        "the module file " + file,
                        "module size limit",
                        "this host does not load modules that large"));
            }
        }
        if (module.endsWith(".wasm")) {
            throw new NoSuchFileException(module);
        }
        ArtifactRef ref = ArtifactRef.parse(module);
        Digest digest = artifacts.resolve(ref);
        if (ref.name().isPresent()) {
            err.println("wasm-worker: artifact name '" + module + "' resolved to " + digest);
        }
        return modules.get(digest);
    }

    private GuestLimits limits() {
        GuestLimits l = GuestLimits.DEFAULTS;
        if (timeout != null) {
            l = l.withTimeout(timeout);
        }
        if (maxMemory != null) {
            l = l.withMaxMemoryBytes(maxMemory);
        }
        if (maxOutput != null) {
            l = l.withMaxOutputBytes(toInt(maxOutput, "--max-output"));
        }
        if (maxInput != null) {
            l = l.withMaxInputBytes(toInt(maxInput, "--max-input"));
        }
        return l;
    }

    private static int toInt(long bytes, String option) {
        if (bytes > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException(option + " must be below 2GiB");
        }
        return (int) bytes;
    }

    /**
     * The input: {@code -} reads stdin, {@code @FILE} the file (picocli's @-file expansion is off, see
     * {@link Main}), anything else is the JSON itself. Reading stops one byte past the input limit.
     */
    private byte[] readInput(int maxInputBytes) throws IOException {
        if (input.equals("-")) {
            return readAtMost(
                    System.in, maxInputBytes, "stdin (--input -)", "input limit", "raise it with --max-input");
        }
        if (input.startsWith("@")) {
            Path file = Path.of(input.substring(1));
            try (InputStream in = Files.newInputStream(file)) {
                return readAtMost(
                        in, maxInputBytes, "the input file " + file, "input limit", "raise it with --max-input");
            }
        }
        return input.getBytes(StandardCharsets.UTF_8);
    }

    /** At most {@code limit} bytes; more is refused after reading one byte past it, never the whole stream. */
    private static byte[] readAtMost(InputStream in, int limit, String what, String limitName, String fix)
            throws IOException {
        byte[] bytes = in.readNBytes(limit + 1);
        if (bytes.length > limit) {
            throw new IllegalArgumentException(
                    what + " holds more than the " + limitName + " of " + limit + " bytes; " + fix);
        }
        return bytes;
    }
}
