package io.wasmworker.adapter.camunda;

import static org.assertj.core.api.Assertions.assertThat;

import io.wasmworker.checkpoint.CheckpointPolicy;
import io.wasmworker.sandbox.GuestLimits;
import io.wasmworker.task.GuestSlots;
import io.wasmworker.task.TaskBinding;
import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.camunda.bpm.client.task.ExternalTask;
import org.camunda.bpm.client.task.ExternalTaskService;
import org.camunda.bpm.engine.variable.Variables;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The fetch thread's handler against scripted tasks: nothing thrown there stops the topic. */
class TopicWorkerTest {
    @TempDir
    Path home;

    private final List<String> calls = new CopyOnWriteArrayList<>();

    private static ExternalTask task(String id, boolean broken) {
        return (ExternalTask) Proxy.newProxyInstance(
                ExternalTask.class.getClassLoader(), new Class<?>[] {ExternalTask.class}, (proxy, method, args) -> {
                    if (broken) {
                        throw new OutOfMemoryError("test: the fetched task cannot be read");
                    }
                    return switch (method.getName()) {
                        case "getId" -> id;
                        case "getTopicName" -> "greet";
                        case "getAllVariablesTyped" ->
                            Variables.createVariables().putValueTyped("name", Variables.stringValue("Ada"));
                        default -> null;
                    };
                });
    }

    private ExternalTaskService service() {
        return (ExternalTaskService) Proxy.newProxyInstance(
                ExternalTaskService.class.getClassLoader(),
                new Class<?>[] {ExternalTaskService.class},
                (proxy, method, args) -> {
                    calls.add(method.getName() + ":" + ((ExternalTask) args[0]).getId());
                    return null;
                });
    }

    @Test
    void anErrorOnTheFetchThreadLeaksNoSlotAndTheNextTaskRuns() throws Exception {
        try (Worker worker = new Worker(home);
                LockKeeper keeper = new LockKeeper();
                GuestSlots slots = new GuestSlots("test", Duration.ofSeconds(5))) {
            TaskBinding binding = new TaskBinding(
                    worker.guest("greet"), GuestLimits.DEFAULTS, new CheckpointPolicy(1, Duration.ZERO, true));
            TopicSettings topic = TopicSettings.of("greet", binding).withMaxConcurrent(1);
            TopicWorker topicWorker = new TopicWorker(
                    new CamundaSettings("http://127.0.0.1:1/engine-rest", "w1", null, null, null, List.of(topic)),
                    topic,
                    worker.runner,
                    keeper,
                    ReportRetry.DEFAULT,
                    slots,
                    null);

            topicWorker.handle(task("broken", true), service()); // must not throw
            topicWorker.handle(task("good", false), service()); // the one slot is still free

            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (!calls.contains("complete:good") && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertThat(calls).contains("complete:good");
        }
    }
}
