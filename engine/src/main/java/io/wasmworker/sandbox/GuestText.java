package io.wasmworker.sandbox;

/**
 * Guest-written text made safe to show: control characters are escaped so that a guest can neither
 * spoof log lines (a {@code \r} rewinding the line, a newline starting a fake record) nor drive a
 * terminal (ANSI escape sequences, C1 controls), nor reorder what is shown (Unicode bidi controls).
 * Escapes read as in Java: {@code \r}, {@code \n}, and a backslash-u with four hex digits for the
 * rest. Tabs are kept; backslashes are not doubled, so an escape is readable but not reversible.
 */
public final class GuestText {
    private GuestText() {}

    /** One line: every control character escaped, newlines included. */
    public static String escapeLine(String text) {
        return escape(text, false);
    }

    /** Text of several lines: as {@link #escapeLine}, but {@code \n} stays a line break. */
    public static String escapeLines(String text) {
        return escape(text, true);
    }

    private static String escape(String text, boolean keepNewlines) {
        StringBuilder b = null;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            boolean escape = needsEscape(c) && !(keepNewlines && c == '\n');
            if (escape && b == null) {
                b = new StringBuilder(text.length() + 16).append(text, 0, i);
            }
            if (b != null) {
                if (!escape) {
                    b.append(c);
                } else if (c == '\r') {
                    b.append("\\r");
                } else if (c == '\n') {
                    b.append("\\n");
                } else {
                    b.append(String.format("\\u%04x", (int) c));
                }
            }
        }
        return b == null ? text : b.toString();
    }

    private static boolean needsEscape(char c) {
        return (c < 0x20 && c != '\t') // C0: \r, \n, ESC, BEL, backspace, ...
                || (c >= 0x7f && c <= 0x9f) // DEL and C1 (0x9b is a one-byte CSI on some terminals)
                || c == '\u2028'
                || c == '\u2029' // line and paragraph separators
                || c == '\u061c'
                || c == '\u200e'
                || c == '\u200f' // bidi marks
                || (c >= '\u202a' && c <= '\u202e')
                || (c >= '\u2066' && c <= '\u2069'); // bidi overrides
    }
}
