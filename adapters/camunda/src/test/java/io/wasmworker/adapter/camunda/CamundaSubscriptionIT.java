package io.wasmworker.adapter.camunda;

import static org.assertj.core.api.Assertions.assertThat;

import com.dylibso.chicory.wabt.Wat2Wasm;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.wasmworker.artifact.ArtifactRef;
import io.wasmworker.checkpoint.CheckpointPolicy;
import io.wasmworker.sandbox.GuestLimits;
import io.wasmworker.task.TaskBinding;
import io.wasmworker.testbed.camunda.CamundaEngine;
import io.wasmworker.testbed.camunda.EngineProduct;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The subscription options against real engines, Camunda 7.24 and Operaton: each filter leaves the
 * tasks it should in the engine, and the fetch order is the engine's answer to the order asked for.
 * The processes are in {@code bpmn/subscription-process.bpmn} (and {@code bpmn-tenant/}, deployed here
 * for tenant {@code acme}).
 */
class CamundaSubscriptionIT {
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final Duration GRACE = Duration.ofSeconds(5);
    private static final Set<EngineProduct> TENANT_DEPLOYED = ConcurrentHashMap.newKeySet();

    /** Writes the value of WASM_WORKER_TASK_EXTENSION_PROPERTIES to stdout, or {} when there is none. */
    private static final String EXTENSION_PROPERTIES_WAT = """
            (module
              (import "wasi_snapshot_preview1" "environ_sizes_get" (func $sizes (param i32 i32) (result i32)))
              (import "wasi_snapshot_preview1" "environ_get" (func $get (param i32 i32) (result i32)))
              (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
              (memory (export "memory") 2)
              (data (i32.const 16) "WASM_WORKER_TASK_EXTENSION_PROPERTIES=")
              (data (i32.const 64) "{}")
              (func $isProperties (param $p i32) (result i32)
                (local $i i32)
                (loop $each
                  (if (i32.ge_u (local.get $i) (i32.const 38)) (then (return (i32.const 1))))
                  (if (i32.ne (i32.load8_u (i32.add (local.get $p) (local.get $i)))
                              (i32.load8_u (i32.add (i32.const 16) (local.get $i))))
                    (then (return (i32.const 0))))
                  (local.set $i (i32.add (local.get $i) (i32.const 1)))
                  (br $each))
                (i32.const 0))
              (func $length (param $p i32) (result i32)
                (local $n i32)
                (block $end (loop $each
                  (br_if $end (i32.eqz (i32.load8_u (i32.add (local.get $p) (local.get $n)))))
                  (local.set $n (i32.add (local.get $n) (i32.const 1)))
                  (br $each)))
                (local.get $n))
              (func (export "_start")
                (local $i i32) (local $n i32) (local $p i32)
                (drop (call $sizes (i32.const 100) (i32.const 104)))
                (drop (call $get (i32.const 1024) (i32.const 4096)))
                (local.set $n (i32.load (i32.const 100)))
                (i32.store (i32.const 0) (i32.const 64))
                (i32.store (i32.const 4) (i32.const 2))
                (block $done (loop $each
                  (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
                  (local.set $p (i32.load (i32.add (i32.const 1024) (i32.shl (local.get $i) (i32.const 2)))))
                  (if (call $isProperties (local.get $p))
                    (then
                      (i32.store (i32.const 0) (i32.add (local.get $p) (i32.const 38)))
                      (i32.store (i32.const 4) (call $length (i32.add (local.get $p) (i32.const 38))))))
                  (local.set $i (i32.add (local.get $i) (i32.const 1)))
                  (br $each)))
                (drop (call $write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))
            """;

    private CamundaEngine engine;

    @TempDir
    Path home;

    private static TaskBinding binding(ArtifactRef ref) {
        return new TaskBinding(ref, GuestLimits.DEFAULTS, new CheckpointPolicy(1, Duration.ZERO, true));
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(EngineProduct.class)
    void processDefinitionKeysVersionTagAndProcessVariablesFilter(EngineProduct product) {
        engine = SharedEngine.get(product);
        // the tasks to leave alone exist before the ones to take: any fetch that took those would have taken
        // these too (8 at once), had they matched
        List<String> leftAlone = List.of(
                engine.startProcess("sub-a", "no-variable-equal", Map.of("region", "us", "level", 4)),
                engine.startProcess("sub-b", "version-tag-v1", Map.of("region", "eu", "level", 3)),
                engine.startProcess("sub-c", "other-key", Map.of("region", "eu", "level", 3)));
        // the engine (Camunda 7.24 and Operaton 1.0.3 alike) takes a task when ANY of the variables is equal
        List<String> taken = List.of(
                engine.startProcess("sub-a", "region-equal", Map.of("region", "eu", "level", 4)),
                engine.startProcess("sub-a", "level-equal", Map.of("region", "us", "level", 3)));
        try (Worker worker = new Worker(home)) {
            worker.start(
                    engine.restUrl(),
                    GRACE,
                    TopicSettings.builder("sub-filter", binding(worker.guest("echo")))
                            .processDefinitionKeys(List.of("sub-a", "sub-b"))
                            .processDefinitionVersionTag("v2")
                            .processVariables(Map.of("region", "eu", "level", 3))
                            .maxConcurrent(8)
                            .build());
            for (String pid : taken) {
                assertThat(engine.awaitEnded(pid, WAIT).path("state").asText()).isEqualTo("COMPLETED");
            }
            for (String pid : leftAlone) {
                assertThat(engine.externalTasks(pid))
                        .as(
                                "the task of %s is not fetched",
                                engine.historicInstance(pid).path("businessKey"))
                        .hasSize(1)
                        .allSatisfy(t -> assertThat(t.path("workerId").isNull()).isTrue());
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(EngineProduct.class)
    void withoutTenantIdAndTenantIdsFilter(EngineProduct product) {
        engine = SharedEngine.get(product);
        if (TENANT_DEPLOYED.add(product)) {
            engine.deploy("acme", resource("/bpmn-tenant/subscription-tenant-process.bpmn"));
        }
        String acme = engine.post(
                        "/process-definition/key/sub-tenant-acme/tenant-id/acme/start",
                        JsonNodeFactory.instance.objectNode().put("businessKey", "acme"))
                .path("id")
                .asText();
        String none = engine.startProcess("sub-no-tenant", "no-tenant", Map.of());
        try (Worker worker = new Worker(home.resolve("without"))) {
            worker.start(
                    engine.restUrl(),
                    GRACE,
                    TopicSettings.builder("sub-tenant", binding(worker.guest("echo")))
                            .withoutTenantId(true)
                            .maxConcurrent(4)
                            .build());
            engine.awaitEnded(none, WAIT);
            assertThat(engine.externalTasks(acme))
                    .as("a tenant's task is not fetched")
                    .hasSize(1);
        }
        try (Worker worker = new Worker(home.resolve("acme"))) {
            worker.start(
                    engine.restUrl(),
                    GRACE,
                    TopicSettings.builder("sub-tenant", binding(worker.guest("echo")))
                            .tenantIds(List.of("acme"))
                            .build());
            assertThat(engine.awaitEnded(acme, WAIT).path("state").asText()).isEqualTo("COMPLETED");
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(EngineProduct.class)
    void tasksAreFetchedByPriorityOrByCreationTimeAsAsked(EngineProduct product) throws Exception {
        engine = SharedEngine.get(product);
        // one at a time, so the order of completion is the order of fetching
        List<String> byPriority = startWithPriorities("sub-priority", 1, 5, 3);
        try (Worker worker = new Worker(home.resolve("priority"))) {
            worker.start(
                    engine.restUrl(),
                    GRACE,
                    TopicSettings.builder("sub-priority", binding(worker.guest("echo")))
                            .maxConcurrent(1)
                            .build());
            assertThat(completionOrder("sub-priority", byPriority))
                    .as("the highest priority first (usePriority is the default)")
                    .containsExactly(byPriority.get(1), byPriority.get(2), byPriority.get(0));
        }
        List<String> byCreation = startWithPriorities("sub-created", 5, 1, 3);
        try (Worker worker = new Worker(home.resolve("created"))) {
            worker.start(
                    engine.restUrl(),
                    GRACE,
                    TopicSettings.builder("sub-created", binding(worker.guest("echo")))
                            .usePriority(false)
                            .createTimeOrder(TopicSettings.CreateTimeOrder.DESC)
                            .maxConcurrent(1)
                            .build());
            assertThat(completionOrder("sub-created", byCreation))
                    .as("the newest first, whatever the priority")
                    .containsExactly(byCreation.get(2), byCreation.get(1), byCreation.get(0));
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(EngineProduct.class)
    void localVariablesAreTheTasksOwnOnly(EngineProduct product) {
        engine = SharedEngine.get(product);
        String mapped = engine.startProcess("sub-local", "mapped", Map.of("name", "Ada"));
        String processOnly = engine.startProcess("sub-process-var", "process-only", Map.of("name", "Ada"));
        try (Worker worker = new Worker(home)) {
            worker.start(
                    engine.restUrl(),
                    GRACE,
                    TopicSettings.builder("sub-local", binding(worker.guest("greet")))
                            .localVariables(true)
                            .build());
            engine.awaitEnded(mapped, WAIT);
            engine.awaitEnded(processOnly, WAIT);
            assertThat(engine.variables(mapped).get("greeting").path("value").asText())
                    .as("the input mapping's local variable")
                    .isEqualTo("Hello, Local!");
            assertThat(engine.activityIds(processOnly))
                    .as("the process variable 'name' is not fetched: greet answers NAME_MISSING")
                    .contains("sub-process-var-NoNameEnd")
                    .doesNotContain("sub-process-var-Done");
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(EngineProduct.class)
    void theGuestSeesTheTasksExtensionPropertiesWhenAsked(EngineProduct product) {
        engine = SharedEngine.get(product);
        String without = engine.startProcess("sub-ext", "not-asked", Map.of());
        try (Worker worker = new Worker(home.resolve("not-asked"))) {
            worker.start(engine.restUrl(), GRACE, TopicSettings.of("sub-ext", binding(propertiesGuest(worker))));
            engine.awaitEnded(without, WAIT);
            assertThat(engine.variables(without)).doesNotContainKeys("color", "size");
        }
        String with = engine.startProcess("sub-ext", "asked", Map.of());
        try (Worker worker = new Worker(home.resolve("asked"))) {
            worker.start(
                    engine.restUrl(),
                    GRACE,
                    TopicSettings.builder("sub-ext", binding(propertiesGuest(worker)))
                            .includeExtensionProperties(true)
                            .build());
            engine.awaitEnded(with, WAIT);
            Map<String, JsonNode> vars = engine.variables(with);
            assertThat(vars.get("color").path("value").asText()).isEqualTo("blue");
            assertThat(vars.get("size").path("value").asText()).isEqualTo("L");
        }
    }

    private static ArtifactRef propertiesGuest(Worker worker) {
        worker.artifacts.bindName(
                "extension-properties", worker.artifacts.put(Wat2Wasm.parse(EXTENSION_PROPERTIES_WAT)));
        return ArtifactRef.parse("extension-properties");
    }

    /** Starts one instance per priority, in this order, each created after the one before. */
    private List<String> startWithPriorities(String key, int... priorities) throws InterruptedException {
        List<String> pids = new ArrayList<>();
        for (int priority : priorities) {
            pids.add(engine.startProcess(key, key + "-" + priority, Map.of("priority", priority)));
            Thread.sleep(50); // creation times apart (the engine keeps milliseconds)
        }
        return pids;
    }

    /** The instances in the order their tasks completed (the engine's log), once all have ended. */
    private List<String> completionOrder(String topic, List<String> pids) {
        pids.forEach(pid -> engine.awaitEnded(pid, WAIT));
        List<String> order = new ArrayList<>();
        for (JsonNode log : engine.get(
                "/history/external-task-log?successLog=true&sortBy=timestamp&sortOrder=asc" + "&topicName=" + topic)) {
            String pid = log.path("processInstanceId").asText();
            if (pids.contains(pid)) {
                order.add(pid);
            }
        }
        return order;
    }

    private static Path resource(String name) {
        try {
            return Path.of(CamundaSubscriptionIT.class.getResource(name).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }
}
