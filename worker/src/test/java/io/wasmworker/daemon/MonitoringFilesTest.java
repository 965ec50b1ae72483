package io.wasmworker.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Prometheus alert rules and the Grafana dashboard users deploy (config/monitoring): valid for
 * Prometheus's own checker, alerts that fire when they should (alerts-test.yml), dashboard queries
 * that parse, and only metric names the worker documents.
 */
class MonitoringFilesTest {
    private static final Path MONITORING =
            Path.of("..", "config", "monitoring").toAbsolutePath().normalize();
    private static final Pattern METRIC = Pattern.compile("\\b((?:wasm_worker|jvm|process|system|temporal)_[a-z_]+)");
    // Prometheus series of one histogram/summary/timer: documented by their base name
    private static final Pattern SERIES_SUFFIX = Pattern.compile("_(sum|count|max|bucket)$");

    @TempDir
    Path tmp;

    @Test
    void alertRulesAreValidAndFireWhenTheyShould() throws Exception {
        assertThat(promtool("check", "rules", MONITORING.resolve("alerts.yml").toString()))
                .contains("SUCCESS");
        // runs in config/monitoring, where the test file finds alerts.yml as it names it
        assertThat(promtool(
                        "test", "rules", MONITORING.resolve("alerts-test.yml").toString()))
                .contains("SUCCESS");
    }

    @Test
    void everyDashboardQueryIsValidPromQl() throws Exception {
        JsonNode dashboard = new ObjectMapper()
                .readTree(MONITORING.resolve("grafana-dashboard.json").toFile());
        assertThat(dashboard.path("uid").asText()).isEqualTo("wasm-worker");
        List<String> queries = queries(dashboard);
        assertThat(queries).hasSizeGreaterThan(8);
        Set<Integer> ids = new HashSet<>();
        for (JsonNode panel : dashboard.path("panels")) {
            assertThat(ids.add(panel.path("id").asInt())).as("unique panel id").isTrue();
            assertThat(panel.path("gridPos").path("w").asInt()).isBetween(1, 24);
        }
        // promtool checks PromQL inside rule files: make each query a recording rule, with Grafana's
        // variables replaced by what they stand for
        StringBuilder rules = new StringBuilder("groups:\n  - name: dashboard\n    rules:\n");
        for (int i = 0; i < queries.size(); i++) {
            String promql = queries.get(i)
                    .replace("$__rate_interval", "5m")
                    .replace("$source", ".*")
                    .replace("$queue", ".*");
            rules.append("      - record: dashboard:query_")
                    .append(i)
                    .append("\n        expr: '")
                    .append(promql.replace("'", "''"))
                    .append("'\n");
        }
        Path file = Files.writeString(tmp.resolve("dashboard-queries.yml"), rules);
        assertThat(promtool("check", "rules", file.toString())).contains(queries.size() + " rules found");
    }

    @Test
    void theDashboardAndAlertsUseOnlyDocumentedMetrics() throws Exception {
        Set<String> used = new TreeSet<>();
        used.addAll(metricNames(String.join(
                "\n",
                queries(new ObjectMapper()
                        .readTree(MONITORING.resolve("grafana-dashboard.json").toFile())))));
        used.addAll(metricNames(Files.readString(MONITORING.resolve("alerts.yml"))));
        String documented = Files.readString(Path.of("..", "config", "README.md"));
        assertThat(used).isNotEmpty();
        for (String name : used) {
            assertThat(documented).as("config/README.md documents " + name).contains("`" + name);
        }
    }

    static Set<String> metricNames(String text) {
        Set<String> names = new TreeSet<>();
        Matcher m = METRIC.matcher(text);
        while (m.find()) {
            names.add(SERIES_SUFFIX.matcher(m.group(1)).replaceAll(""));
        }
        return names;
    }

    static List<String> queries(JsonNode dashboard) {
        List<String> queries = new ArrayList<>();
        for (JsonNode panel : dashboard.path("panels")) {
            for (JsonNode target : panel.path("targets")) {
                String expr = target.path("expr").asText();
                assertThat(expr)
                        .as("panel '" + panel.path("title").asText() + "'")
                        .isNotBlank();
                queries.add(expr);
            }
        }
        return queries;
    }

    private static String promtool(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("promtool"));
        cmd.addAll(List.of(args));
        Process p;
        try {
            p = new ProcessBuilder(cmd)
                    .directory(MONITORING.toFile())
                    .redirectErrorStream(true)
                    .start();
        } catch (IOException notInstalled) {
            throw new IllegalStateException(
                    "promtool is needed to check config/monitoring: apt-get install prometheus (.ci/run does)",
                    notInstalled);
        }
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(String.join(" ", cmd) + ":\n" + out).isZero();
        return out;
    }
}
