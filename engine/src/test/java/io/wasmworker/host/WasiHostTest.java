package io.wasmworker.host;

import static org.assertj.core.api.Assertions.assertThat;

import com.dylibso.chicory.runtime.ByteArrayMemory;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.wasi.WasiPreview1;
import com.dylibso.chicory.wasm.types.MemoryLimits;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
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

    /** fd_fdstat_get answered without Chicory's WASI is Chicory's answer on a new one, byte for byte. */
    @Test
    void theDescriptorStatusOfANewRunIsChicorysOwn() {
        for (int fd = -1; fd < 5; fd++) {
            Memory ours = new ByteArrayMemory(new MemoryLimits(1, 1));
            Memory chicorys = new ByteArrayMemory(new MemoryLimits(1, 1));
            ours.fill((byte) 0x5a, 0, 64);
            chicorys.fill((byte) 0x5a, 0, 64);
            var context = new WasiContext(
                    new GuestIo(new byte[0], 10, 10), GuestClock.system(), GuestRandom.secure(), Map.of());
            int ourErrno = WasiHost.fdFdstatGet(ours, context, fd, 8);
            assertThat(context.chicoryCreated()).isFalse();
            int chicoryErrno;
            try (WasiPreview1 wasi = WasiHost.newWasi(Map.of())) {
                chicoryErrno = wasi.fdFdstatGet(chicorys, fd, 8);
            }
            assertThat(ourErrno).as("errno for fd " + fd).isEqualTo(chicoryErrno);
            assertThat(Arrays.equals(ours.readBytes(0, 64), chicorys.readBytes(0, 64)))
                    .as("fdstat of fd " + fd)
                    .isTrue();
        }
    }

    private static String thrownClass(RecordedEvent e) {
        return e.getClass("thrownClass").getName();
    }
}
