package io.wasmworker.daemon.config;

/** A size written as {@code 64MiB}, {@code 512KiB} or a number of bytes. */
public record ByteSize(long bytes) {

    /**
     * {@code 64MiB}, {@code 1536KiB}, {@code 100B}: the largest unit that is exact, with the size in
     * MiB beside it when that unit is smaller: {@code 2097088KiB (2047.9MiB)}.
     */
    public static String describe(long bytes) {
        String[] units = {"GiB", "MiB", "KiB"};
        int[] shifts = {30, 20, 10};
        for (int i = 0; i < units.length; i++) {
            if (bytes != 0 && bytes % (1L << shifts[i]) == 0) {
                String exact = (bytes >> shifts[i]) + units[i];
                return shifts[i] < 20 && bytes > (1L << 20) ? exact + " (" + approximateMiB(bytes) + ")" : exact;
            }
        }
        return bytes > (1L << 20) ? bytes + "B (" + approximateMiB(bytes) + ")" : bytes + "B";
    }

    private static String approximateMiB(long bytes) {
        return String.format(java.util.Locale.ROOT, "%.1fMiB", bytes / (double) (1L << 20));
    }
}
