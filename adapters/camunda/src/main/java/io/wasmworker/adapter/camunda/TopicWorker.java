package io.wasmworker.adapter.camunda;

import io.wasmworker.task.GuestSlots;
import io.wasmworker.task.TaskRunner;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.camunda.bpm.client.ExternalTaskClient;
import org.camunda.bpm.client.ExternalTaskClientBuilder;
import org.camunda.bpm.client.backoff.ErrorAwareBackoffStrategy;
import org.camunda.bpm.client.exception.ExternalTaskClientException;
import org.camunda.bpm.client.interceptor.auth.BasicAuthProvider;
import org.camunda.bpm.client.task.ExternalTask;
import org.camunda.bpm.client.task.ExternalTaskService;
import org.camunda.bpm.client.topic.TopicSubscriptionBuilder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves one topic with its own client: fetches (long polling) at most as many tasks as there are
 * free slots for (its pool of the adapter's {@link GuestSlots}), and runs each on a sandbox thread.
 *
 * <p>The client calls handlers one by one on its fetch thread. The handler waits for a free slot
 * and hands the task to the executor; the client's backoff step, which runs before every fetch,
 * waits until a slot is free. So fetching stops while the topic is full, and a fetched task waits
 * for a slot at most as long as one batch takes to start (its lock is kept meanwhile).
 */
final class TopicWorker {
    private static final Logger LOG = LoggerFactory.getLogger(TopicWorker.class);

    private final CamundaSettings connection;
    private final TopicSettings topic;
    private final TaskRunner runner;
    private final LockKeeper locks;
    private final ReportRetry reportRetry;
    private final GuestSlots slots;
    private final GuestSlots.Pool pool;
    private final OAuth2TokenSource tokens;
    /** The latest copy of each task this worker fetched and has not finished, by external task id. */
    private final Map<String, TaskExecution> fetched = new ConcurrentHashMap<>();

    private volatile boolean closing;
    /** Counted down when the fetch thread, closing, has handled its last poll and waits in the gate. */
    private final CountDownLatch lastPollHandled = new CountDownLatch(1);

    private final CountDownLatch clientStopping = new CountDownLatch(1);
    private Thread stopper;
    private ExternalTaskClient client;

    TopicWorker(
            CamundaSettings connection,
            TopicSettings topic,
            TaskRunner runner,
            LockKeeper locks,
            ReportRetry reportRetry,
            GuestSlots slots,
            OAuth2TokenSource tokens) {
        this.connection = connection;
        this.topic = topic;
        this.runner = runner;
        this.locks = locks;
        this.reportRetry = reportRetry;
        this.slots = slots;
        this.pool = slots.pool("topic " + topic.topic(), topic.maxConcurrent());
        this.tokens = tokens;
    }

    void start() {
        ExternalTaskClientBuilder builder = ExternalTaskClient.create()
                .baseUrl(connection.baseUrl())
                .workerId(connection.workerId())
                .maxTasks(topic.maxConcurrent())
                .lockDuration(topic.lockDuration().toMillis())
                .asyncResponseTimeout(connection.longPoll().toMillis())
                .usePriority(topic.usePriority())
                .backoffStrategy(new SlotGate());
        if (topic.createTimeOrder() != null) {
            builder.orderByCreateTime();
            if (topic.createTimeOrder() == TopicSettings.CreateTimeOrder.ASC) {
                builder.asc();
            } else {
                builder.desc();
            }
        }
        if (connection.username() != null) {
            builder.addInterceptor(new BasicAuthProvider(connection.username(), connection.password()));
        }
        if (tokens != null) {
            builder.addInterceptor(tokens);
        }
        client = builder.build();
        TopicSubscriptionBuilder subscription = client.subscribe(topic.topic())
                .lockDuration(topic.lockDuration().toMillis())
                .localVariables(topic.localVariables())
                .includeExtensionProperties(true) // the model may carry task settings (ModelSettings)
                .handler(this::handle);
        if (!topic.variables().isEmpty()) {
            subscription.variables(topic.variables().toArray(String[]::new));
        }
        filter(subscription, topic.filter());
        subscription.open();
    }

    /** The topic's conditions, each on the fetch request only when given (the engine's "any" otherwise). */
    private static void filter(TopicSubscriptionBuilder subscription, TaskFilter filter) {
        if (!filter.processDefinitionKeys().isEmpty()) {
            subscription.processDefinitionKeyIn(filter.processDefinitionKeys().toArray(String[]::new));
        }
        if (!filter.processDefinitionIds().isEmpty()) {
            subscription.processDefinitionIdIn(filter.processDefinitionIds().toArray(String[]::new));
        }
        if (filter.processDefinitionVersionTag() != null) {
            subscription.processDefinitionVersionTag(filter.processDefinitionVersionTag());
        }
        if (!filter.processVariables().isEmpty()) {
            subscription.processVariablesEqualsIn(filter.processVariables());
        }
        if (!filter.tenantIds().isEmpty()) {
            subscription.tenantIdIn(filter.tenantIds().toArray(String[]::new));
        }
        if (filter.withoutTenantId()) {
            subscription.withoutTenantId();
        }
        if (filter.businessKey() != null) {
            subscription.businessKey(filter.businessKey());
        }
    }

    /**
     * On the client's fetch thread. Whatever happens here (an Error included) is caught: the client
     * would log it and go on, but a slot taken or a lock kept for the task would leak.
     */
    void handle(ExternalTask task, ExternalTaskService service) {
        try {
            dispatch(new TaskExecution(
                    task, service, topic, runner, connection.workerId(), reportRetry, slots::stopping));
        } catch (Throwable e) {
            // (not task.getId(): what failed may be the task itself)
            LOG.error(
                    "topic {}: a fetched external task cannot be taken on; it runs again when its lock expires",
                    topic.topic(),
                    e);
        }
    }

    /** Hands the task to a sandbox thread once a slot is free, or gives it back when shutting down. */
    private void dispatch(TaskExecution execution) {
        if (closing) {
            execution.giveBack(); // fetched by a poll that was under way when shutdown began
            return;
        }
        String id = execution.taskId();
        TaskExecution previous = fetched.put(id, execution);
        if (previous != null) {
            // the engine handed the task out again (its lock expired while this worker stalled, or an
            // operator unlocked it): the older copy, running or waiting, is stale and reports nothing
            previous.superseded();
        }
        execution.keepLock(locks);
        GuestSlots.Slot slot = null;
        try {
            while (!closing && slot == null) {
                slot = pool.tryTake(execution.control(), 100, TimeUnit.MILLISECONDS);
            }
            if (!closing) {
                slot.handOver(() -> {
                    try {
                        execution.process();
                    } finally {
                        forget(execution);
                    }
                });
                return;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Throwable e) {
            LOG.error(
                    "topic {}: external task {} could not be handed to a sandbox thread; given back",
                    topic.topic(),
                    id,
                    e);
        }
        // not handed over (shutdown began, interrupted, or the pool refused): give the task back
        forget(execution);
        if (slot != null) {
            slot.close(); // (a refused hand-over has freed it already: closing twice frees it once)
        }
        execution.giveBack();
    }

    private void forget(TaskExecution execution) {
        fetched.remove(execution.taskId(), execution);
    }

    /**
     * Stops fetching. A long poll already under way is let finish, and the tasks it brings are given
     * back (the client would otherwise hold them locked until their locks expire); then the client
     * stops. This runs in the background, in parallel with the running guests' grace period.
     */
    void stopFetching() {
        closing = true;
        stopper = new Thread(
                () -> {
                    try {
                        // the poll returns within the long-poll time; a little more for the handler to give back
                        lastPollHandled.await(connection.longPoll().toMillis() + 5_000, TimeUnit.MILLISECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    clientStopping.countDown();
                    if (client != null) {
                        client.stop();
                    }
                },
                "camunda-client-stop-" + topic.topic());
        stopper.setDaemon(true);
        stopper.start();
    }

    /** Waits for the client to have stopped (at most until the deadline). */
    void awaitFetchingStopped(long deadlineNanos) throws InterruptedException {
        if (stopper != null) {
            stopper.join(Math.max(1, (deadlineNanos - System.nanoTime()) / 1_000_000));
        }
    }

    /**
     * The client's backoff step, run before each fetch: waits for a free slot (so nothing is
     * fetched that cannot run), and backs off exponentially while the engine cannot be reached.
     */
    private final class SlotGate implements ErrorAwareBackoffStrategy {
        private static final long MIN_ERROR_BACKOFF = 500;
        private static final long MAX_ERROR_BACKOFF = 30_000;
        private long errorBackoff;

        @Override
        public void reconfigure(List<ExternalTask> tasks, ExternalTaskClientException error) {
            try {
                backOffOn(error);
            } catch (Throwable e) {
                LOG.error("topic {}: fetch backoff failed; fetching goes on", topic.topic(), e);
            }
        }

        private void backOffOn(ExternalTaskClientException error) {
            if (error != null) {
                errorBackoff = errorBackoff == 0 ? MIN_ERROR_BACKOFF : Math.min(MAX_ERROR_BACKOFF, errorBackoff * 2);
                LOG.warn(
                        "topic {}: cannot fetch from {} ({}); next try in {} ms",
                        topic.topic(),
                        connection.baseUrl(),
                        error.getMessage(),
                        errorBackoff);
            } else {
                errorBackoff = 0;
            }
        }

        /** Never throws: the fetch thread runs it and must survive anything. */
        @Override
        public long calculateBackoffTime() {
            try {
                return awaitSlot();
            } catch (Throwable e) {
                LOG.error("topic {}: waiting for a free slot failed; fetching goes on in a second", topic.topic(), e);
                return 1_000;
            }
        }

        private long awaitSlot() {
            if (!closing && errorBackoff > 0) {
                return errorBackoff;
            }
            try {
                while (!closing && !pool.awaitFree(100, TimeUnit.MILLISECONDS)) {
                    // full: no fetch until a guest finishes
                }
                if (!closing) {
                    return 0; // only looked; the handler takes the slot for the task
                }
                // closing, and the last poll is handled (its tasks given back): no further fetch
                lastPollHandled.countDown();
                clientStopping.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return 0;
        }
    }
}
