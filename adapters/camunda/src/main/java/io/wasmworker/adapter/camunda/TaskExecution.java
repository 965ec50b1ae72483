package io.wasmworker.adapter.camunda;

import com.fasterxml.jackson.databind.JsonNode;
import io.wasmworker.sandbox.FailureKind;
import io.wasmworker.sandbox.InvocationResult;
import io.wasmworker.sandbox.Outcome;
import io.wasmworker.sandbox.RunControl;
import io.wasmworker.task.TaskRequest;
import io.wasmworker.task.TaskRunner;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ScheduledFuture;
import org.camunda.bpm.client.exception.BadRequestException;
import org.camunda.bpm.client.exception.NotFoundException;
import org.camunda.bpm.client.task.ExternalTask;
import org.camunda.bpm.client.task.ExternalTaskService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * One fetched external task, from its lock to its report: counts the attempt, runs the guest
 * (resuming from the task's checkpoint), and tells the engine how it ended.
 */
final class TaskExecution {
    private static final Logger LOG = LoggerFactory.getLogger(TaskExecution.class);

    private final ExternalTask task;
    private final ExternalTaskService service;
    private final TopicSettings topic;
    private final TaskRunner runner;
    private final String workerId;
    private final RunControl control = new RunControl();
    private volatile boolean lockLost;
    private volatile boolean shuttingDown;
    private ScheduledFuture<?> lockExtension;

    TaskExecution(ExternalTask task, ExternalTaskService service, TopicSettings topic, TaskRunner runner, String workerId) {
        this.task = task;
        this.service = service;
        this.topic = topic;
        this.runner = runner;
        this.workerId = workerId;
    }

    /** The checkpoint key: the external task id, the same for every attempt on every worker. */
    String taskKey() {
        return "camunda:" + task.getId();
    }

    void keepLock(LockKeeper keeper) {
        lockExtension = keeper.keep(task, service, topic.lockDuration(), reason -> {
            lockLost = true;
            control.cancel(reason);
        });
    }

    /** This worker fetched the task again: this run must stop and report nothing. */
    void superseded() {
        lockLost = true;
        control.cancel("external task " + task.getId() + " was handed out again, so this attempt is stale");
    }

    /** Shutdown: the guest stops at its next checkpoint. */
    void suspend() {
        shuttingDown = true;
        control.suspend();
    }

    /** Shutdown grace is over: the guest stops now. */
    void cancel() {
        shuttingDown = true;
        control.cancel("the worker is shutting down");
    }

    /** Gives the task back untouched (shutdown before it started). */
    void giveBack() {
        stopLockExtension();
        call("unlock", () -> service.unlock(task));
    }

    void run() {
        MDC.put("task", taskKey());
        try {
            runAttempt();
        } catch (RuntimeException e) {
            LOG.error("external task {} could not be run or reported", task.getId(), e);
        } finally {
            stopLockExtension();
            MDC.remove("task");
        }
    }

    private void runAttempt() {
        int attempt = runner.beginAttempt(taskKey());
        if (attempt > topic.maxAttempts()) {
            int failures = topic.maxAttempts() - (task.getRetries() == null ? topic.maxAttempts() : task.getRetries());
            String reason = "gave up before attempt " + attempt + ": only " + topic.maxAttempts() + " attempts are allowed, and "
                    + (attempt - 1 - failures) + " earlier attempts lost their lock (their worker died or stalled)";
            fail(FailureReport.of("attempts_exhausted", reason, attempt, topic.maxAttempts(), workerId), 0, 0);
            return;
        }
        byte[] input;
        try {
            input = VariableMapper.input(task.getAllVariablesTyped(false));
        } catch (VariableMapper.UnmappableVariableException e) {
            // the model is wrong; a retry cannot fix it: an incident at once
            fail(FailureReport.of("invalid_input", e.getMessage(), attempt, topic.maxAttempts(), workerId), 0, 0);
            return;
        }
        InvocationResult result = runner.run(new TaskRequest(topic.binding(), taskKey(), attempt, input, metadata(),
                null, control));
        report(result, attempt);
    }

    private Map<String, String> metadata() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("SOURCE", "camunda");
        m.put("ID", task.getId());
        m.put("TOPIC", task.getTopicName());
        put(m, "BUSINESS_KEY", task.getBusinessKey());
        put(m, "PROCESS_INSTANCE_ID", task.getProcessInstanceId());
        put(m, "PROCESS_DEFINITION_KEY", task.getProcessDefinitionKey());
        put(m, "ACTIVITY_ID", task.getActivityId());
        put(m, "TENANT_ID", task.getTenantId());
        m.put("WORKER_ID", workerId);
        return m;
    }

    private static void put(Map<String, String> m, String key, String value) {
        if (value != null) {
            m.put(key, value);
        }
    }

    private void report(InvocationResult result, int attempt) {
        Outcome outcome = result.outcome();
        long resumed = result.metrics().resumedFromSequence();
        LOG.info("external task {} (topic {}, attempt {}{}): {} in {} ms", task.getId(), task.getTopicName(), attempt,
                resumed > 0 ? ", resumed from checkpoint " + resumed : "", outcome.label(),
                result.metrics().wallNanos() / 1_000_000);
        if (outcome instanceof Outcome.Success s) {
            Map<String, Object> variables = outputVariables(s.output());
            boolean done = topic.localOutput()
                    ? call("complete", () -> service.complete(task, null, variables))
                    : call("complete", () -> service.complete(task, variables));
            if (done) {
                runner.finished(taskKey());
            }
        } else if (outcome instanceof Outcome.BusinessError e) {
            Map<String, Object> variables = new LinkedHashMap<>();
            if (e.details() != null && e.details().isObject()) {
                variables.putAll(VariableMapper.variables(e.details()));
            } else if (e.details() != null && !e.details().isNull()) {
                variables.put("errorDetails", VariableMapper.toVariable(e.details()));
            }
            if (call("handleBpmnError", () -> service.handleBpmnError(task, e.code(), e.message(), variables))) {
                runner.finished(taskKey());
            }
        } else {
            failed((Outcome.Failure) outcome, result, attempt);
        }
    }

    /** Non-object output (a bare number, say) becomes one variable named {@code result}. */
    private static Map<String, Object> outputVariables(JsonNode output) {
        if (output.isObject()) {
            return VariableMapper.variables(output);
        }
        return Map.of("result", VariableMapper.toVariable(output));
    }

    private void failed(Outcome.Failure f, InvocationResult result, int attempt) {
        if (lockLost) {
            LOG.warn("external task {}: stopped, {}", task.getId(), f.reason());
            return; // another attempt owns the task; anything we report would be refused
        }
        boolean stoppedForShutdown = f.kind() == FailureKind.SUSPENDED
                || (f.kind() == FailureKind.CANCELLED && shuttingDown);
        if (stoppedForShutdown) {
            // not the guest's fault: give the task back at once, it resumes from its checkpoint elsewhere
            call("unlock", () -> service.unlock(task));
            return;
        }
        int retries = Math.max(0, topic.maxAttempts() - attempt);
        long retryTimeout = retries > 0 ? topic.backoff().after(attempt).toMillis() : 0;
        fail(FailureReport.of(f, result, attempt, topic.maxAttempts(), workerId), retries, retryTimeout);
    }

    private void fail(FailureReport report, int retries, long retryTimeoutMillis) {
        if (retries == 0) {
            LOG.warn("external task {} failed for good, the engine raises an incident: {}", task.getId(), report.message());
        }
        call("handleFailure", () -> service.handleFailure(task, report.message(), report.details(), retries,
                retryTimeoutMillis));
    }

    /**
     * Reports to the engine once. A refusal because the lock is gone (400, 404) is logged and
     * dropped: another attempt owns the task, and retrying the call would only loop.
     */
    private boolean call(String what, Runnable call) {
        try {
            call.run();
            return true;
        } catch (NotFoundException | BadRequestException e) {
            LOG.warn("{} of external task {} refused, the task is no longer ours (lock lost, or the task is gone); dropped: {}",
                    what, task.getId(), e.getMessage());
        } catch (RuntimeException e) {
            LOG.error("{} of external task {} failed; the task is retried when its lock expires: {}", what, task.getId(),
                    e.toString());
        }
        return false;
    }

    private void stopLockExtension() {
        if (lockExtension != null) {
            lockExtension.cancel(false);
        }
    }
}
