package io.wasmworker.adapter.camunda;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Which of a topic's tasks this worker fetches: the conditions of Camunda's fetch-and-lock topic
 * request (and of the official client's subscription builder). Every condition given must hold (the
 * variables among themselves: any one); an empty list or a null means any.
 *
 * @param processDefinitionKeys       only tasks of these process definition keys
 * @param processDefinitionIds        only tasks of these process definition ids
 * @param processDefinitionVersionTag only tasks of process definitions with this version tag (the
 *                                    engine compares with SQL LIKE: {@code %} and {@code _} match any)
 * @param processVariables            only tasks whose process instance has at least one of these
 *                                    variables equal to its value (String, Integer, Long, Double or
 *                                    Boolean): Camunda 7.24 and Operaton 1.0.3 OR them in the query
 * @param tenantIds                   only tasks of these tenants
 * @param withoutTenantId             only tasks that belong to no tenant (not with {@code tenantIds})
 * @param businessKey                 only tasks of process instances with this business key
 */
public record TaskFilter(
        List<String> processDefinitionKeys,
        List<String> processDefinitionIds,
        String processDefinitionVersionTag,
        Map<String, Object> processVariables,
        List<String> tenantIds,
        boolean withoutTenantId,
        String businessKey) {
    /** Every task of the topic. */
    public static final TaskFilter ANY = new TaskFilter(List.of(), List.of(), null, Map.of(), List.of(), false, null);

    public TaskFilter {
        processDefinitionKeys = List.copyOf(processDefinitionKeys);
        processDefinitionIds = List.copyOf(processDefinitionIds);
        tenantIds = List.copyOf(tenantIds);
        // insertion order kept: the request lists the variables as written
        processVariables = Collections.unmodifiableMap(new LinkedHashMap<>(processVariables));
        processVariables.forEach((name, value) -> {
            if (!(value instanceof String
                    || value instanceof Integer
                    || value instanceof Long
                    || value instanceof Double
                    || value instanceof Boolean)) {
                throw new IllegalArgumentException("process variable filter '" + name + "': "
                        + (value == null ? "null" : value.getClass().getSimpleName())
                        + " is not a value to compare with: use a string, an integer, a number or a boolean");
            }
        });
        if (withoutTenantId && !tenantIds.isEmpty()) {
            throw new IllegalArgumentException("tasks without a tenant and tasks of tenants " + tenantIds
                    + " exclude each other: choose withoutTenantId or tenantIds");
        }
    }
}
