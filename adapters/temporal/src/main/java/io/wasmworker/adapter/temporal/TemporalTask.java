package io.wasmworker.adapter.temporal;

import io.temporal.activity.ActivityInfo;
import java.util.LinkedHashMap;
import java.util.Map;

/** What an activity attempt is called in the worker: its task key and the guest's metadata. */
final class TemporalTask {
    private TemporalTask() {}

    /**
     * The checkpoint key: the same for every attempt of one activity execution, on any worker,
     * and different for every other one (a new workflow run, a reset, another activity).
     * {@code temporal:<namespace>/<workflowId>/<runId>/<activityId>}; an activity started on its
     * own, outside a workflow, is {@code temporal:<namespace>/activity/<activityId>/<activityRunId>}.
     */
    static String key(ActivityInfo info) {
        if (info.getWorkflowId() == null) {
            return "temporal:" + info.getNamespace() + "/activity/" + info.getActivityId() + "/"
                    + info.getActivityRunId();
        }
        return "temporal:" + info.getNamespace() + "/" + info.getWorkflowId() + "/" + info.getRunId() + "/"
                + info.getActivityId();
    }

    /**
     * {@code WASM_WORKER_TASK_<KEY>} values (ATTEMPT is added by the task runner). ID is the
     * activity id, as ABI.md promises for Temporal.
     */
    static Map<String, String> metadata(ActivityInfo info) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("SOURCE", "temporal");
        m.put("ID", info.getActivityId());
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
