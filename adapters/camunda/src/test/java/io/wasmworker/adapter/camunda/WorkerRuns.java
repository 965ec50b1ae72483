package io.wasmworker.adapter.camunda;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The runs a {@link CamundaWorkerMain} JVM logged: its {@code RUN} lines, one per run of a task. */
final class WorkerRuns {
    record Run(String key, int attempt, long start, long end, String outcome, String reason) {}

    private static final Pattern RUN =
            Pattern.compile("^RUN (\\S+) (\\d+) (\\d+) (\\d+) (\\S+)(?: (.*))?$", Pattern.MULTILINE);

    private WorkerRuns() {}

    static List<Run> of(Path log) throws IOException {
        List<Run> runs = new ArrayList<>();
        Matcher m = RUN.matcher(Files.readString(log));
        while (m.find()) {
            runs.add(new Run(
                    m.group(1),
                    Integer.parseInt(m.group(2)),
                    Long.parseLong(m.group(3)),
                    Long.parseLong(m.group(4)),
                    m.group(5),
                    m.group(6) == null ? "" : m.group(6)));
        }
        return runs;
    }

    /**
     * The tasks that succeeded in one of these workers' JVMs. A worker SIGKILLed after the engine
     * accepted its report and before it wrote the tombstone leaves the task's last checkpoint behind,
     * a leftover the snapshot collection removes: only tasks in this set may leave one.
     */
    static Set<String> succeededIn(Collection<Path> logs) throws IOException {
        Set<String> keys = new HashSet<>();
        for (Path log : logs) {
            of(log).stream().filter(r -> r.outcome().equals("success")).forEach(r -> keys.add(r.key()));
        }
        return keys;
    }
}
