package io.wasmworker.daemon.config;

import com.fasterxml.jackson.core.JsonLocation;
import java.util.Map;

/**
 * Where each field of a configuration file was written, by path ({@code camunda.topics[0].maxConcurrent}):
 * the line of its key (or of the element, in a list), so that errors found after parsing still name
 * the line.
 */
record Positions(String source, Map<String, JsonLocation> byPath) {

    Positions {
        byPath = Map.copyOf(byPath);
    }

    /** {@code file:line:col: path: }, at the path or its nearest enclosing field that has a position. */
    String where(String path) {
        JsonLocation at = find(path);
        return source + (at == null ? "" : ":" + at.getLineNr() + ":" + at.getColumnNr()) + ": "
                + (path.isEmpty() ? "" : path + ": ");
    }

    /** The position of the path or of its nearest enclosing field, or null. */
    JsonLocation find(String path) {
        for (String p = path; !p.isEmpty(); p = parent(p)) {
            JsonLocation at = byPath.get(p);
            if (at != null) {
                return at;
            }
        }
        return null;
    }

    private static String parent(String path) {
        int cut = Math.max(path.lastIndexOf('.'), path.lastIndexOf('['));
        return cut < 0 ? "" : path.substring(0, cut);
    }
}
