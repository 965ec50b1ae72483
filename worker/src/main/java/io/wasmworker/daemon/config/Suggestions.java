package io.wasmworker.daemon.config;

import java.util.Collection;
import java.util.Optional;

/** "Did you mean ...?": the known word closest to a misspelt one. */
public final class Suggestions {
    private Suggestions() {}

    /**
     * The candidate nearest to {@code word} by edit distance (insertions, deletions, substitutions
     * and swaps of neighbours, case ignored), if it is near enough to be a likely misspelling: at most
     * a third of the word's length, and at least 1.
     */
    public static Optional<String> closest(String word, Collection<String> candidates) {
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        int allowed = Math.max(1, word.length() / 3);
        for (String candidate : candidates) {
            int d = distance(word.toLowerCase(java.util.Locale.ROOT), candidate.toLowerCase(java.util.Locale.ROOT));
            if (d <= allowed && d < bestDistance) {
                best = candidate;
                bestDistance = d;
            }
        }
        return Optional.ofNullable(best);
    }

    /** {@code " (did you mean 'x'?)"}, or empty. */
    public static String didYouMean(String word, Collection<String> candidates) {
        return closest(word, candidates)
                .map(c -> " (did you mean '" + c + "'?)")
                .orElse("");
    }

    /** Optimal string alignment distance: Levenshtein plus the swap of two neighbours as one edit. */
    static int distance(String a, String b) {
        int[][] d = new int[a.length() + 1][b.length() + 1];
        for (int i = 0; i <= a.length(); i++) {
            d[i][0] = i;
        }
        for (int j = 0; j <= b.length(); j++) {
            d[0][j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                d[i][j] = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
                if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
                    d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
                }
            }
        }
        return d[a.length()][b.length()];
    }
}
