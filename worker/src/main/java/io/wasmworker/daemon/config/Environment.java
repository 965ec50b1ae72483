package io.wasmworker.daemon.config;

import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code ${NAME}} and {@code ${NAME:-default}} in a configuration value, replaced by environment
 * variables. Applied to parsed scalar values, never to the YAML text: whatever a variable holds
 * (quotes, {@code #}, backslashes, a leading {@code *} or {@code &}, newlines) becomes part of that one
 * value and nothing else.
 */
final class Environment {
    private static final Pattern VARIABLE = Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?}");

    private final Function<String, String> variables;

    Environment(Function<String, String> variables) {
        this.variables = variables;
    }

    /** The value with its variables replaced; {@link UnsetVariableException} names one that is unset. */
    String substitute(String value) {
        if (value.indexOf("${") < 0) {
            return value;
        }
        Matcher m = VARIABLE.matcher(value);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String replacement = variables.apply(m.group(1));
            if (replacement == null) {
                replacement = m.group(2);
            }
            if (replacement == null) {
                throw new UnsetVariableException(m.group(1));
            }
            m.appendReplacement(out, Matcher.quoteReplacement(replacement));
        }
        m.appendTail(out);
        return out.toString();
    }

    static final class UnsetVariableException extends IllegalArgumentException {
        UnsetVariableException(String name) {
            super("environment variable " + name + " is not set (write ${" + name + ":-default} for a default)");
        }
    }
}
