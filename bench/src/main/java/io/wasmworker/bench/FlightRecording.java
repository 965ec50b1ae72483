package io.wasmworker.bench;

import java.io.IOException;
import java.nio.file.Path;
import java.text.ParseException;
import java.util.Map;
import jdk.jfr.Configuration;
import jdk.jfr.Recording;

/**
 * A JFR recording of the measured part of an end-to-end program ({@code -Dbench.jfr=FILE}: from the
 * first counted round to the end), with the JDK's "profile" settings and Java code sampled every
 * {@code -Dbench.jfr.period} (default 5 ms) so that a few rounds give enough samples for a flame
 * graph ({@code bench/flame.py}).
 */
public final class FlightRecording implements AutoCloseable {
    private final Recording recording;
    private final Path file;

    private FlightRecording(Recording recording, Path file) {
        this.recording = recording;
        this.file = file;
    }

    /** Starts a recording if {@code -Dbench.jfr} names a file; null otherwise. */
    public static FlightRecording startIfAsked() throws IOException, ParseException {
        String name = System.getProperty("bench.jfr");
        if (name == null || name.isBlank()) {
            return null;
        }
        Recording recording = new Recording(Configuration.getConfiguration("profile"));
        String period = System.getProperty("bench.jfr.period", "5 ms");
        recording.setSettings(merged(
                recording.getSettings(),
                Map.of("jdk.ExecutionSample#period", period, "jdk.NativeMethodSample#period", period)));
        recording.start();
        return new FlightRecording(recording, Path.of(name));
    }

    private static Map<String, String> merged(Map<String, String> base, Map<String, String> extra) {
        Map<String, String> all = new java.util.HashMap<>(base);
        all.putAll(extra);
        return all;
    }

    /** Stops the recording and writes it to its file. */
    @Override
    public void close() throws IOException {
        recording.stop();
        recording.dump(file);
        recording.close();
        System.out.println("JFR recording: " + file);
    }
}
