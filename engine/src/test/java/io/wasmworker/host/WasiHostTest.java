package io.wasmworker.host;

import static org.assertj.core.api.Assertions.assertThat;

import com.dylibso.chicory.wasi.WasiPreview1;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WasiHostTest {

    /** Every invocation builds one: it must not throw (and fill the stack trace of) an exception each time. */
    @Test
    void buildingAWasiThrowsNothingBehindTheScenes(@TempDir Path dir) throws Exception {
        WasiHost.newWasi(Map.of()).close(); // classes loaded before recording
        Path file = dir.resolve("exceptions.jfr");
        try (Recording recording = new Recording()) {
            recording.enable("jdk.JavaExceptionThrow").withStackTrace();
            recording.start();
            for (int i = 0; i < 20; i++) {
                try (WasiPreview1 wasi = WasiHost.newWasi(Map.of("K", "v" + i))) {
                    assertThat(wasi.toHostFunctions()).isNotEmpty();
                }
            }
            recording.stop();
            recording.dump(file);
        }
        assertThat(Files.size(file)).isPositive();
        List<String> thrown = RecordingFile.readAllEvents(file).stream()
                .filter(e -> e.getEventType().getName().equals("jdk.JavaExceptionThrow"))
                .filter(e -> e.getThread() != null
                        && e.getThread().getJavaThreadId()
                                == Thread.currentThread().getId())
                .map(WasiHostTest::thrownClass)
                .toList();
        assertThat(thrown).isEmpty();
    }

    private static String thrownClass(RecordedEvent e) {
        return e.getClass("thrownClass").getName();
    }
}
