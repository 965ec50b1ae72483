package io.wasmworker.adapter.temporal;

import io.temporal.activity.ActivityInfo;
import io.wasmworker.task.TaskKey;
import java.util.LinkedHashMap;
import java.util.Map;

/** What an activity attempt is called in the worker: its task key and the guest's metadata. */
final class TemporalTask {
    private TemporalTask() {}

    /**
     * The checkpoint key: the same for every attempt of one activity execution, on any worker,
     * and different for every other one (a new workflow run, a reset, another activity).
     * {@code temporal:<namespace>/<workflowId>/<runId>/<activityId>}; an activity started on its
     * own, outside a workflow, is {@code temporal-activity:<namespace>/<activityId>/<activityRunId>}.
     * IDs may hold any character, so each is {@linkplain #component encoded}: two different
     * executions never share a key.
     */
    static TaskKey key(ActivityInfo info) {
        return key(
                info.getNamespace(),
                info.getWorkflowId(),
                info.getRunId(),
                info.getActivityId(),
                info.getActivityRunId());
    }

    /** @param workflowId null for an activity started outside a workflow */
    static TaskKey key(String namespace, String workflowId, String runId, String activityId, String activityRunId) {
        if (workflowId == null) {
            // a scheme of its own: as "temporal:<ns>/activity/..." it was also the key of workflow "activity"
            return TaskKey.of("temporal-activity:" + component(namespace) + "/" + component(activityId) + "/"
                    + component(activityRunId));
        }
        return TaskKey.of("temporal:" + component(namespace) + "/" + component(workflowId) + "/" + component(runId)
                + "/" + component(activityId));
    }

    /**
     * One part of a key with {@code %} and {@code /} percent-encoded, so the separators stay
     * unambiguous. IDs without either character are written as they are, so the keys of tasks
     * checkpointed before this encoding existed stay the same.
     */
    static String component(String id) {
        if (id == null) {
            return "";
        }
        if (id.indexOf('%') < 0 && id.indexOf('/') < 0) {
            return id;
        }
        return id.replace("%", "%25").replace("/", "%2F");
    }

    /**
     * {@code WASM_WORKER_TASK_<KEY>} values. ID is the activity id, as ABI.md promises for Temporal;
     * ATTEMPT is Temporal's attempt number (the task attempt's own number differs after a reset).
     */
    static Map<String, String> metadata(ActivityInfo info) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("SOURCE", "temporal");
        m.put("ID", info.getActivityId());
        m.put("ATTEMPT", Integer.toString(info.getAttempt()));
        put(m, "NAMESPACE", info.getNamespace());
        put(m, "TASK_QUEUE", info.getActivityTaskQueue());
        put(m, "WORKFLOW_ID", info.getWorkflowId());
        put(m, "RUN_ID", info.getRunId());
        put(m, "WORKFLOW_TYPE", info.getWorkflowType());
        put(m, "ACTIVITY_ID", info.getActivityId());
        put(m, "ACTIVITY_TYPE", info.getActivityType());
        return m;
    }

    private static void put(Map<String, String> m, String key, String value) {
        if (value != null && !value.isEmpty()) {
            m.put(key, value);
        }
    }
}
