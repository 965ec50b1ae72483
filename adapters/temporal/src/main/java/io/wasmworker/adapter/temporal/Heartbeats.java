package io.wasmworker.adapter.temporal;

import io.temporal.activity.ActivityExecutionContext;
import io.temporal.client.ActivityCompletionException;
import io.temporal.client.ActivityPausedException;
import io.temporal.client.ActivityResetException;
import io.wasmworker.sandbox.RunControl;
import io.wasmworker.task.CheckpointRef;
import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The heartbeats of one attempt: periodic ones while the guest runs, and one at each checkpoint,
 * always carrying the latest checkpoint reference, so the next attempt finds it in its heartbeat
 * details. Temporal tells a worker that an attempt is over (timed out, cancelled, superseded) only
 * by failing a heartbeat; when one fails, the guest is cancelled at once, so a zombie attempt
 * stops working (and the snapshot store's fencing keeps it from publishing anything later).
 *
 * <p>An operator's pause or reset of the activity also arrives as a failed heartbeat
 * ({@link ActivityPausedException}, {@link ActivityResetException}), but the attempt is not over:
 * the guest is asked to stop at its next checkpoint instead ({@link RunControl#suspend()}), and the
 * heartbeats go on carrying the checkpoint reference, so that the next attempt (once unpaused, or
 * the reset's) resumes there and no work is lost.
 */
final class Heartbeats implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Heartbeats.class);
    /** Without a heartbeat timeout, still heartbeat now and then to hear of cancellation. */
    static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(10);

    static final Duration MIN_INTERVAL = Duration.ofMillis(50);

    private final ActivityExecutionContext context;
    private final RunControl control;
    private final ScheduledFuture<?> ticker;
    private volatile CheckpointRef reference;
    private volatile ActivityCompletionException failure;
    private volatile ActivityCompletionException stopRequest;

    /**
     * @param previous the checkpoint reference the attempt resumes from (null: none); heartbeats
     *                 carry it until a new checkpoint replaces it, so the details never regress
     */
    Heartbeats(
            ActivityExecutionContext context,
            RunControl control,
            CheckpointRef previous,
            ScheduledExecutorService scheduler) {
        this.context = context;
        this.control = control;
        this.reference = previous;
        long period = interval(context.getInfo().getHeartbeatTimeout()).toNanos();
        // the first tick comes one interval in: a short guest never heartbeats at all
        this.ticker = scheduler.scheduleAtFixedRate(this::tick, period, period, TimeUnit.NANOSECONDS);
    }

    /**
     * A quarter of the heartbeat timeout. The SDK throttles what it sends to 0.8 of the timeout
     * anyway; ticking more often only makes a failed heartbeat (and so a zombie) noticed sooner.
     */
    static Duration interval(Duration heartbeatTimeout) {
        if (heartbeatTimeout == null || heartbeatTimeout.isZero() || heartbeatTimeout.isNegative()) {
            return DEFAULT_INTERVAL;
        }
        Duration quarter = heartbeatTimeout.dividedBy(4);
        return quarter.compareTo(MIN_INTERVAL) < 0
                ? MIN_INTERVAL
                : quarter.compareTo(DEFAULT_INTERVAL) > 0 ? DEFAULT_INTERVAL : quarter;
    }

    /**
     * A scheduled beat. A periodic task that throws is never run again, so a failure here (even an
     * OutOfMemoryError caused elsewhere) is logged and the next tick tries again.
     */
    private void tick() {
        try {
            beat();
        } catch (Throwable t) {
            LOG.warn("heartbeat failed ({}); trying again at the next tick", t.toString());
        }
    }

    /** A checkpoint was published: heartbeat its reference now. */
    void checkpointed(CheckpointRef newReference) {
        reference = newReference;
        beat();
    }

    /** The reference the heartbeats carry now (null before any checkpoint). */
    CheckpointRef reference() {
        return reference;
    }

    void beat() {
        if (failure != null) {
            return;
        }
        try {
            CheckpointRef current = reference;
            context.heartbeat(current == null ? null : current.toString()); // the details carry its text form
        } catch (ActivityPausedException | ActivityResetException e) {
            // the SDK throws it at every heartbeat from now on, having kept the details it was given
            if (stopRequest == null) {
                stopRequest = e;
                control.suspend();
                LOG.info(
                        "activity {} attempt {} was {} by an operator: its guest stops at its next checkpoint",
                        context.getInfo().getActivityType(),
                        context.getInfo().getAttempt(),
                        operatorAction(e));
            }
        } catch (ActivityCompletionException e) {
            failure = e;
            control.cancel("Temporal refused the heartbeat (" + e.getClass().getSimpleName()
                    + "): this attempt is over, so its guest stops");
        }
    }

    /**
     * The operator's pause or reset that asked the guest to stop at its next checkpoint, or null if
     * there was none.
     */
    ActivityCompletionException stopRequest() {
        return stopRequest;
    }

    /** "paused" or "reset", for messages. */
    static String operatorAction(ActivityCompletionException stop) {
        return stop instanceof ActivityResetException ? "reset" : "paused";
    }

    /** Why this attempt was called off, or null if Temporal never refused a heartbeat. */
    ActivityCompletionException failure() {
        return failure;
    }

    @Override
    public void close() {
        ticker.cancel(false);
    }
}
