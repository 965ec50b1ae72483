package io.wasmworker.adapter.camunda;

import static org.assertj.core.api.Assertions.assertThat;

import io.wasmworker.checkpoint.CheckpointPolicy;
import io.wasmworker.sandbox.GuestLimits;
import io.wasmworker.task.TaskBinding;
import io.wasmworker.task.TaskObserver;
import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.camunda.bpm.client.exception.BadRequestException;
import org.camunda.bpm.client.exception.RestException;
import org.camunda.bpm.client.task.ExternalTask;
import org.camunda.bpm.client.task.ExternalTaskService;
import org.camunda.bpm.engine.variable.Variables;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One task's attempt against a scripted engine client and a real runner (the greet guest). */
class TaskExecutionTest {
    @TempDir
    Path home;

    /** The engine calls made, by name. */
    private final List<String> calls = new CopyOnWriteArrayList<>();

    private static ExternalTask task(String id) {
        return (ExternalTask) Proxy.newProxyInstance(
                ExternalTask.class.getClassLoader(),
                new Class<?>[] {ExternalTask.class},
                (proxy, method, args) -> switch (method.getName()) {
                    case "getId" -> id;
                    case "getTopicName" -> "greet";
                    case "getAllVariablesTyped" ->
                        Variables.createVariables().putValueTyped("name", Variables.stringValue("Ada"));
                    default -> null;
                });
    }

    /** A client that records every call; {@code onCall} may throw to play the engine's refusal. */
    private ExternalTaskService service(Consumer<String> onCall) {
        return (ExternalTaskService) Proxy.newProxyInstance(
                ExternalTaskService.class.getClassLoader(),
                new Class<?>[] {ExternalTaskService.class},
                (proxy, method, args) -> {
                    calls.add(method.getName());
                    onCall.accept(method.getName());
                    return null;
                });
    }

    private static TaskExecution execution(Worker worker, ExternalTask task, ExternalTaskService service) {
        return execution(worker, task, service, Duration.ofSeconds(60));
    }

    private static TaskExecution execution(
            Worker worker, ExternalTask task, ExternalTaskService service, Duration lock) {
        TaskBinding binding = new TaskBinding(
                worker.guest("greet"), GuestLimits.DEFAULTS, new CheckpointPolicy(1, Duration.ZERO, true));
        return new TaskExecution(
                task,
                service,
                TopicSettings.of("greet", binding).withLockDuration(lock),
                worker.runner,
                "w1",
                ReportRetry.DEFAULT,
                () -> false);
    }

    @Test
    void extensionPropertiesReachTheGuestAsOneJsonObjectInNameOrder() {
        java.util.Map<String, String> properties = new java.util.HashMap<>();
        properties.put("wasm-worker.artifact", "greet");
        properties.put("b \"quoted\"", "line\nbreak");
        properties.put("a", "");
        assertThat(TaskExecution.extensionProperties(properties))
                .isEqualTo("{\"a\":\"\",\"b \\\"quoted\\\"\":\"line\\nbreak\",\"wasm-worker.artifact\":\"greet\"}");
        assertThat(TaskExecution.extensionProperties(null)).isEqualTo("{}");
        assertThat(TaskExecution.extensionProperties(java.util.Map.of())).isEqualTo("{}");
    }

    @Test
    void aTaskWhoseLockExpiredBeforeItsRunStartsIsNotRun() throws InterruptedException {
        try (Worker worker = new Worker(home);
                LockKeeper keeper = new LockKeeper()) {
            ExternalTaskService service = service(call -> {
                if (call.equals("extendLock")) {
                    throw new BadRequestException(
                            "lock expired", new RestException("lock expired", "BadUserRequestException", 0));
                }
            });
            TaskExecution execution = execution(worker, task("expired"), service, Duration.ofSeconds(1));
            execution.keepLock(keeper);
            Thread.sleep(600); // waited more than half its lock (its worker stalled): it is asked about
            execution.process();

            assertThat(calls)
                    .as("asked once whether the task is still ours, then nothing")
                    .containsExactly("extendLock");
            assertThat(worker.snapshots.beginAttempt("camunda:expired"))
                    .as("no attempt was counted")
                    .isEqualTo(1);
        }
    }

    @Test
    void aTaskTakenMomentsAgoRunsWithoutAskingTheEngineFirst() {
        try (Worker worker = new Worker(home);
                LockKeeper keeper = new LockKeeper()) {
            TaskExecution execution = execution(worker, task("fresh"), service(call -> {}));
            execution.keepLock(keeper);
            execution.process();

            assertThat(calls)
                    .as("its lock is young: no extension before the run")
                    .containsExactly("complete");
        }
    }

    @Test
    void aRunSupersededByANewerCopyOfItsTaskReportsNothing() {
        AtomicReference<TaskExecution> current = new AtomicReference<>();
        // the worker fetched the task again just as this copy's guest finished
        TaskObserver newerCopyArrives = (task, result) -> current.get().superseded();
        try (Worker worker = new Worker(home, newerCopyArrives);
                LockKeeper keeper = new LockKeeper()) {
            TaskExecution execution = execution(worker, task("twice"), service(call -> {}));
            current.set(execution);
            execution.keepLock(keeper);
            execution.process();

            assertThat(calls).as("the guest ran but nothing was reported").isEmpty();
        }
    }

    @Test
    void aCopySupersededBeforeItsRunStartsIsNotRun() {
        try (Worker worker = new Worker(home);
                LockKeeper keeper = new LockKeeper()) {
            TaskExecution execution = execution(worker, task("waiting"), service(call -> {}));
            execution.keepLock(keeper);
            execution.superseded();
            execution.process();

            assertThat(calls).isEmpty();
            assertThat(worker.snapshots.beginAttempt("camunda:waiting"))
                    .as("no attempt was counted")
                    .isEqualTo(1);
        }
    }

    @Test
    void aCompletionRefusedTransientlyIsSentAgainAndOneRefusedForGoodIsNot() {
        try (Worker worker = new Worker(home);
                LockKeeper keeper = new LockKeeper()) {
            int[] completes = {0};
            TaskExecution execution = execution(worker, task("transient"), service(call -> {
                if (call.equals("complete") && ++completes[0] < 3) {
                    RestException answer = new RestException(
                            "ENGINE-03005 Entity was updated by another transaction " + "concurrently.",
                            "OptimisticLockingException",
                            1);
                    answer.setHttpStatusCode(500);
                    throw new org.camunda.bpm.client.exception.EngineException("complete failed", answer);
                }
            }));
            execution.keepLock(keeper);
            execution.process();
            assertThat(calls).containsExactly("complete", "complete", "complete");

            calls.clear();
            TaskExecution refused = execution(worker, task("gone"), service(call -> {
                if (call.equals("complete")) {
                    throw new org.camunda.bpm.client.exception.NotFoundException(
                            "gone", new RestException("task gone", "RestException", 0));
                }
            }));
            refused.keepLock(keeper);
            refused.process();
            assertThat(calls).as("a 404 is not sent again").containsExactly("complete");
        }
    }

    @Test
    void anErrorWhileReportingLeavesTheThreadAliveAndSendsNothingMore() {
        try (Worker worker = new Worker(home);
                LockKeeper keeper = new LockKeeper()) {
            TaskExecution execution = execution(worker, task("oom"), service(call -> {
                if (call.equals("complete")) {
                    throw new OutOfMemoryError("test: the heap ran out while completing");
                }
            }));
            execution.keepLock(keeper);
            execution.process(); // returns: nothing escapes the task boundary

            // whether the engine took the completion is unknown: no second report that could contradict
            // it; if it was lost, the lock expires and the task resumes from its checkpoint
            assertThat(calls).containsExactly("complete");
        }
    }
}
