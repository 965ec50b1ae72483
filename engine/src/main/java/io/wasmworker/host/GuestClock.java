package io.wasmworker.host;

/** The time a guest sees through WASI {@code clock_time_get}. */
public interface GuestClock {
    /** Nanoseconds since the Unix epoch. */
    long realtimeNanos();

    /** Nanoseconds from an arbitrary origin, never decreasing. */
    long monotonicNanos();

    /** What a checkpoint saves of this clock. */
    long state();

    /** Continues from a saved {@link #state()}, so guest time never runs backwards across a resume. */
    void restore(long state);

    /** The host's clocks. */
    static GuestClock system() {
        return new SystemClock();
    }

    /** Real time; the monotonic clock counts from the first run and continues across resumes. */
    final class SystemClock implements GuestClock {
        private long origin = System.nanoTime();

        @Override
        public long realtimeNanos() {
            java.time.Instant now = java.time.Instant.now();
            return now.getEpochSecond() * 1_000_000_000L + now.getNano();
        }

        @Override
        public long monotonicNanos() {
            return System.nanoTime() - origin;
        }

        @Override
        public long state() {
            return monotonicNanos();
        }

        @Override
        public void restore(long state) {
            origin = System.nanoTime() - state;
        }
    }

    /**
     * A virtual clock for reproducible runs: it starts at {@code epochNanos} and every reading
     * advances it by {@code stepNanos}, so the same guest sees the same times on every run.
     */
    static VirtualClock virtual(long epochNanos, long stepNanos) {
        return new VirtualClock(epochNanos, stepNanos);
    }

    /** See {@link #virtual}; its only state is the number of readings so far. */
    final class VirtualClock implements GuestClock {
        private final long epochNanos;
        private final long stepNanos;
        private long readings;

        VirtualClock(long epochNanos, long stepNanos) {
            this.epochNanos = epochNanos;
            this.stepNanos = stepNanos;
        }

        @Override
        public long realtimeNanos() {
            return epochNanos + monotonicNanos();
        }

        @Override
        public long monotonicNanos() {
            return ++readings * stepNanos;
        }

        public long readings() {
            return readings;
        }

        @Override
        public long state() {
            return readings;
        }

        @Override
        public void restore(long state) {
            readings = state;
        }
    }
}
