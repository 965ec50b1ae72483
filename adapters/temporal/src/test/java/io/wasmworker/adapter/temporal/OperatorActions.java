package io.wasmworker.adapter.temporal;

import io.temporal.activity.ActivityExecutionContext;
import io.temporal.activity.ActivityInfo;
import io.temporal.client.ActivityCompletionException;
import io.temporal.client.ActivityPausedException;
import io.temporal.client.ActivityResetException;
import io.temporal.common.interceptors.ActivityExecutionContextBase;
import io.temporal.common.interceptors.ActivityInboundCallsInterceptor;
import io.temporal.common.interceptors.ActivityInboundCallsInterceptorBase;
import io.temporal.common.interceptors.WorkerInterceptorBase;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * Plays an operator's pause and reset of an activity, which the test server cannot: Temporal
 * 1.38.0's test server has no PauseActivity or ResetActivity (they answer UNIMPLEMENTED) and never
 * sets {@code activity_paused} or {@code activity_reset} in a heartbeat response. The SDK turns those
 * flags into an {@link ActivityPausedException} or {@link ActivityResetException} thrown by
 * {@code heartbeat(details)} after it has taken the details (HeartbeatContextImpl); this wraps the
 * activity's context to do the same. A reset also numbers the attempts from 1 again, which
 * {@link #renumber} plays.
 */
final class OperatorActions extends WorkerInterceptorBase {
    /** By workflow id: what the heartbeat of an attempt throws from now on (null: nothing). */
    private final Map<String, Function<ActivityInfo, ActivityCompletionException>> actions = new ConcurrentHashMap<>();

    private final Map<String, Function<Integer, Integer>> numbering = new ConcurrentHashMap<>();

    /** From now on, heartbeats of the workflow's activity attempt {@code attempt} report a pause. */
    void pause(String workflowId, int attempt) {
        actions.put(workflowId, info -> info.getAttempt() == attempt ? new ActivityPausedException(info) : null);
    }

    /** From now on, heartbeats of the workflow's activity attempt {@code attempt} report a reset. */
    void reset(String workflowId, int attempt) {
        actions.put(workflowId, info -> info.getAttempt() == attempt ? new ActivityResetException(info) : null);
    }

    /** The attempt numbers the workflow's activity sees, as Temporal numbers them after a reset. */
    void renumber(String workflowId, Function<Integer, Integer> attempt) {
        numbering.put(workflowId, attempt);
    }

    @Override
    public ActivityInboundCallsInterceptor interceptActivity(ActivityInboundCallsInterceptor next) {
        return new ActivityInboundCallsInterceptorBase(next) {
            @Override
            public void init(ActivityExecutionContext context) {
                super.init(new Operated(context));
            }
        };
    }

    private final class Operated extends ActivityExecutionContextBase {
        private final ActivityInfo info;

        Operated(ActivityExecutionContext next) {
            super(next);
            ActivityInfo real = next.getInfo();
            Function<Integer, Integer> renumbered = numbering.get(real.getWorkflowId());
            this.info = renumbered == null ? real : withAttempt(real, renumbered.apply(real.getAttempt()));
        }

        @Override
        public ActivityInfo getInfo() {
            return info;
        }

        @Override
        public <V> void heartbeat(V details) throws ActivityCompletionException {
            super.heartbeat(details); // the details are sent and kept, as the SDK does
            Function<ActivityInfo, ActivityCompletionException> action = actions.get(info.getWorkflowId());
            ActivityCompletionException thrown = action == null ? null : action.apply(super.getInfo());
            if (thrown != null) {
                throw thrown;
            }
        }
    }

    private static ActivityInfo withAttempt(ActivityInfo real, int attempt) {
        return (ActivityInfo) Proxy.newProxyInstance(
                ActivityInfo.class.getClassLoader(), new Class<?>[] {ActivityInfo.class}, (proxy, method, args) -> {
                    if (method.getName().equals("getAttempt")) {
                        return attempt;
                    }
                    try {
                        return method.invoke(real, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }
}
