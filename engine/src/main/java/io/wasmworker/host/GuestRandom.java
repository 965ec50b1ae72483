package io.wasmworker.host;

import java.security.SecureRandom;

/** The bytes a guest gets from WASI {@code random_get}. */
public interface GuestRandom {
    void fill(byte[] bytes);

    /** What a checkpoint saves of this generator (nothing, for an unpredictable one). */
    default long state() {
        return 0;
    }

    /** Continues from a saved {@link #state()}. */
    default void restore(long state) {}

    /** Unpredictable bytes from the JDK's {@link SecureRandom}. */
    static GuestRandom secure() {
        SecureRandom random = new SecureRandom();
        return random::nextBytes;
    }

    /** A reproducible stream for tests and deterministic runs. */
    static SeededRandom seeded(long seed) {
        return new SeededRandom(seed);
    }

    /**
     * A counter-based generator (SplitMix64 over seed + position): its whole state is the seed and
     * how many bytes it has produced, which makes it trivial to save and restore.
     */
    final class SeededRandom implements GuestRandom {
        private final long seed;
        private long position;

        SeededRandom(long seed) {
            this.seed = seed;
        }

        @Override
        public void fill(byte[] bytes) {
            for (int i = 0; i < bytes.length; i++) {
                long word = mix(seed + (position >>> 3) * 0x9E3779B97F4A7C15L);
                bytes[i] = (byte) (word >>> ((position & 7) * 8));
                position++;
            }
        }

        public long position() {
            return position;
        }

        @Override
        public long state() {
            return position;
        }

        @Override
        public void restore(long state) {
            position = state;
        }

        private static long mix(long z) {
            z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
            z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
            return z ^ (z >>> 31);
        }
    }
}
