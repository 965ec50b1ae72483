package io.wasmworker.adapter.camunda;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.wasmworker.sandbox.FailureKind;
import io.wasmworker.sandbox.InvocationResult;
import io.wasmworker.sandbox.Outcome;
import io.wasmworker.sandbox.RunControl;
import io.wasmworker.task.TaskAttempt;
import io.wasmworker.task.TaskKey;
import io.wasmworker.task.TaskRunner;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.BooleanSupplier;
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
    private static final ObjectMapper EXTENSION_JSON = new ObjectMapper();
    private static final Logger LOG = LoggerFactory.getLogger(TaskExecution.class);

    private final ExternalTask task;
    private final ExternalTaskService service;
    private final TopicSettings topic;
    private final TaskRunner runner;
    /** The checkpoint key: the external task id, the same for every attempt on every worker. */
    private final TaskKey key;

    private final String workerId;
    private final ReportRetry reportRetry;
    /** Whether the worker's shutdown has begun: a guest stopped then was stopped for it. */
    private final BooleanSupplier shuttingDown;

    private final RunControl control = new RunControl();
    /** Another attempt owns the task (lock refused, or this worker fetched it again): report nothing. */
    private volatile boolean lockLost;

    private LockKeeper.Lease lease;
    private TaskAttempt attempt;
    private AttemptBudget budget;
    /** What the model's extension properties set for this task (read at the start of the run). */
    private ModelSettings model = ModelSettings.NONE;
    /** A report was sent (or tried): a later error must not report the task a second time. */
    private boolean reported;

    TaskExecution(
            ExternalTask task,
            ExternalTaskService service,
            TopicSettings topic,
            TaskRunner runner,
            String workerId,
            ReportRetry reportRetry,
            BooleanSupplier shuttingDown) {
        this.task = task;
        this.service = service;
        this.topic = topic;
        this.runner = runner;
        this.key = TaskKey.of("camunda:" + task.getId());
        this.workerId = workerId;
        this.reportRetry = reportRetry;
        this.shuttingDown = shuttingDown;
    }

    String taskId() {
        return task.getId();
    }

    /** The guest's control: the slot it runs in suspends or cancels it on shutdown. */
    RunControl control() {
        return control;
    }

    void keepLock(LockKeeper keeper) {
        lease = keeper.keep(task, service, topic.lockDuration(), reason -> {
            lockLost = true;
            control.cancel(reason);
        });
    }

    /** This worker fetched the task again: this run is stale, must stop and report nothing. */
    void superseded() {
        lockLost = true;
        control.cancel("external task " + task.getId() + " was handed out again, so this attempt is stale");
        if (lease != null) {
            lease.release(); // the new attempt keeps the lock; two keepers would conflict with its report
        }
    }

    /** Gives the task back untouched (shutdown before it started). */
    void giveBack() {
        report("unlock", () -> service.unlock(task));
    }

    /** On a sandbox thread; never throws, whatever happens (an Error included): the task is reported. */
    void process() {
        MDC.put("task", key.value());
        try {
            if (lockLost) {
                LOG.warn(
                        "external task {}: handed out again before its run started; this copy is not run",
                        task.getId());
                return;
            }
            if (lease != null && !lease.stillOursBeforeRun()) {
                // the lock expired while this worker stalled (its JVM paused, say): another worker may run it
                LOG.warn(
                        "external task {}: its lock expired before the run started; not run, left to its new owner",
                        task.getId());
                return;
            }
            attemptAndReport();
        } catch (Throwable e) {
            internalFailure(e);
        } finally {
            if (lease != null) {
                lease.release();
            }
            MDC.remove("task");
        }
    }

    /** Something in the worker (not the guest) failed: the task still gets a report naming it. */
    private void internalFailure(Throwable e) {
        try {
            LOG.error("external task {}: the worker failed while running or reporting it", task.getId(), e);
            if (reported || lockLost) {
                return;
            }
            // before the attempt was counted (the store failed, say): the engine's retries as they are
            AttemptBudget b =
                    budget != null ? budget : AttemptBudget.of(1, task.getRetries(), 0, 0, model.maxAttempts(topic));
            failWithRetry(
                    FailureReport.of(
                            FailureKind.INTERNAL.label(),
                            "the worker failed while running or reporting " + "the task: " + e,
                            budget != null ? budget.attempt() : 0,
                            model.maxAttempts(topic),
                            workerId),
                    b);
        } catch (Throwable again) {
            // out of memory, say: the lock expires and the task runs again
            LOG.error("external task {}: cannot report the worker's failure either", task.getId(), again);
        }
    }

    private void attemptAndReport() {
        String invalidModel = null;
        try {
            model = ModelSettings.of(task.getExtensionProperties());
        } catch (ModelSettings.InvalidModelSettingException e) {
            invalidModel = "activity '" + task.getActivityId() + "': " + e.getMessage();
        }
        attempt = runner.openCounted(key, model.binding(topic.binding()));
        if (invalidModel != null) {
            // the model is wrong; a retry cannot fix it: an incident at once
            fail(
                    FailureReport.of(
                            "invalid_model", invalidModel, attempt.number(), model.maxAttempts(topic), workerId),
                    0,
                    0);
            return;
        }
        budget = budget();
        if (budget.exhausted()) {
            fail(
                    FailureReport.of(
                            "attempts_exhausted",
                            budget.exhaustedReason(),
                            attempt.number(),
                            model.maxAttempts(topic),
                            workerId),
                    0,
                    0);
            return;
        }
        byte[] input;
        try {
            input = VariableMapper.input(task.getAllVariablesTyped(false));
        } catch (VariableMapper.UnmappableVariableException e) {
            // the model is wrong; a retry cannot fix it: an incident at once
            fail(
                    FailureReport.of(
                            "invalid_input", e.getMessage(), attempt.number(), model.maxAttempts(topic), workerId),
                    0,
                    0);
            return;
        }
        InvocationResult result = attempt.invoke(input, metadata(), control, null);
        report(result);
    }

    /** See {@link AttemptBudget}: the engine's retries, less the attempts that lost their lock unseen. */
    private AttemptBudget budget() {
        Integer retries = task.getRetries();
        int reportedAttempt = 0;
        if (retries != null) {
            reportedAttempt = FailureReport.reportedAttempt(task.getErrorDetails());
            if (reportedAttempt == 0) {
                // the failure was reported by another client (or before attempt numbers were recorded):
                // trust the engine's retries as they are
                reportedAttempt = attempt.number() - 1;
            }
        }
        int progressAttempt;
        try {
            progressAttempt = attempt.checkpointAttempt();
        } catch (RuntimeException e) {
            progressAttempt = 0; // unreadable: the run itself reports the damaged checkpoint
        }
        return AttemptBudget.of(attempt.number(), retries, reportedAttempt, progressAttempt, model.maxAttempts(topic));
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
        if (topic.includeExtensionProperties()) {
            m.put("EXTENSION_PROPERTIES", extensionProperties(task.getExtensionProperties()));
        }
        return m;
    }

    /**
     * The task's extension properties as one JSON object of strings, names in order ({@code {}} when
     * the model has none): property names are free text, so they cannot each be a variable name.
     */
    static String extensionProperties(Map<String, String> properties) {
        try {
            return EXTENSION_JSON.writeValueAsString(properties == null ? Map.of() : new TreeMap<>(properties));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a map of strings is always JSON", e);
        }
    }

    private static void put(Map<String, String> m, String key, String value) {
        if (value != null) {
            m.put(key, value);
        }
    }

    private void report(InvocationResult result) {
        Outcome outcome = result.outcome();
        long resumed = result.metrics().resumedFromSequence();
        LOG.info(
                "external task {} (topic {}, attempt {}{}): {} in {} ms",
                task.getId(),
                task.getTopicName(),
                attempt.number(),
                resumed > 0 ? ", resumed from checkpoint " + resumed : "",
                outcome.label(),
                result.metrics().wallNanos() / 1_000_000);
        if (outcome instanceof Outcome.Success s) {
            Map<String, Object> variables = outputVariables(s.output());
            boolean done = topic.localOutput()
                    ? report("complete", () -> service.complete(task, null, variables))
                    : report("complete", () -> service.complete(task, variables));
            if (done) {
                attempt.finished();
            }
        } else if (outcome instanceof Outcome.BusinessError e) {
            Map<String, Object> variables = new LinkedHashMap<>();
            if (e.details() != null && e.details().isObject()) {
                variables.putAll(VariableMapper.variables(e.details()));
            } else if (e.details() != null && !e.details().isNull()) {
                variables.put("errorDetails", VariableMapper.toVariable(e.details()));
            }
            if (report("handleBpmnError", () -> service.handleBpmnError(task, e.code(), e.message(), variables))) {
                attempt.finished();
            }
        } else {
            failed((Outcome.Failure) outcome, result);
        }
    }

    /** Non-object output (a bare number, say) becomes one variable named {@code result}. */
    private static Map<String, Object> outputVariables(JsonNode output) {
        if (output.isObject()) {
            return VariableMapper.variables(output);
        }
        return Map.of("result", VariableMapper.toVariable(output));
    }

    private void failed(Outcome.Failure f, InvocationResult result) {
        if (lockLost) {
            LOG.warn("external task {}: stopped, {}", task.getId(), f.reason());
            return; // another attempt owns the task; anything we report would be refused or wrong
        }
        boolean stoppedForShutdown =
                f.kind() == FailureKind.SUSPENDED || (f.kind() == FailureKind.CANCELLED && shuttingDown.getAsBoolean());
        if (stoppedForShutdown) {
            // not the guest's fault: give the task back at once, it resumes from its checkpoint elsewhere.
            // The engine does not fence an unlock by worker: make sure the lock is still ours first
            if (lease == null || lease.extendNow()) {
                report("unlock", () -> service.unlock(task));
            }
            return;
        }
        failWithRetry(FailureReport.of(f, result, attempt, model.maxAttempts(topic), workerId), budget);
    }

    /** A failure that spends one attempt of the budget: retried after the backoff, or an incident at the last. */
    private void failWithRetry(FailureReport report, AttemptBudget b) {
        int retries = b.retriesAfterFailure();
        long retryTimeout = retries > 0
                ? model.delayAfter(b.failureNumber(model.maxAttempts(topic)), topic)
                        .toMillis()
                : 0;
        fail(report, retries, retryTimeout);
    }

    private void fail(FailureReport report, int retries, long retryTimeoutMillis) {
        if (retries == 0) {
            LOG.warn(
                    "external task {} failed for good, the engine raises an incident: {}",
                    task.getId(),
                    report.message());
        }
        report(
                "handleFailure",
                () -> service.handleFailure(task, report.message(), report.details(), retries, retryTimeoutMillis));
    }

    /**
     * Reports to the engine, after stopping the lock extension (a report racing an extension of the
     * same task is refused with an optimistic-locking error). A transient failure is sent again a
     * few times with backoff ({@link ReportRetry}); a refusal because the lock is gone (400, 404) is
     * logged once and dropped: another attempt owns the task, and retrying would only loop. A run
     * that lost its lock or was superseded reports nothing.
     */
    private boolean report(String what, Runnable call) {
        if (lease != null) {
            lease.release();
        }
        if (lockLost) {
            LOG.warn("external task {}: {} not sent, another attempt owns the task", task.getId(), what);
            return false;
        }
        reported = true;
        long start = System.nanoTime();
        for (int tries = 1; ; tries++) {
            try {
                call.run();
                return true;
            } catch (NotFoundException | BadRequestException e) {
                LOG.warn(
                        "{} of external task {} refused, the task is no longer ours (lock lost, or the task is gone); "
                                + "dropped: {}",
                        what,
                        task.getId(),
                        e.getMessage());
                return false;
            } catch (RuntimeException e) {
                long delay = reportRetry.delayBefore(tries).toMillis();
                boolean again = ReportRetry.isTransient(e)
                        && tries < reportRetry.maxTries()
                        && !lockLost
                        && System.nanoTime() - start + delay * 1_000_000
                                <= reportRetry.maxTotal().toNanos();
                if (!again) {
                    LOG.error(
                            "{} of external task {} failed after {} tries; the task is retried when its lock expires: {}",
                            what,
                            task.getId(),
                            tries,
                            e.toString());
                    return false;
                }
                LOG.warn(
                        "{} of external task {} failed (try {} of {}), sending it again in {} ms: {}",
                        what,
                        task.getId(),
                        tries,
                        reportRetry.maxTries(),
                        delay,
                        e.toString());
                try {
                    Thread.sleep(delay);
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    LOG.error("{} of external task {} not sent again: interrupted", what, task.getId());
                    return false;
                }
            }
        }
    }
}
