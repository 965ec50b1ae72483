package io.wasmworker.checkpoint;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.wasmworker.checkpoint.store.CorruptSnapshotException;
import io.wasmworker.checkpoint.store.LocalSnapshotStore;
import io.wasmworker.host.HttpCalls;
import io.wasmworker.host.RecordedCall;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Journal entries keep what was called (format 2), still read format 1, and are listed for inspection. */
class StoreCallJournalFormatTest {
    private static final byte[] DIGEST = filled(32, 7);
    private static final byte[] INPUT = filled(32, 9);

    @TempDir
    Path dir;

    private static byte[] filled(int n, int value) {
        byte[] b = new byte[n];
        Arrays.fill(b, (byte) value);
        return b;
    }

    private static RecordedCall call(long sequence) {
        return new RecordedCall(
                sequence,
                DIGEST,
                new RecordedCall.Target("inventory", "POST", "/reserve"),
                HttpCalls.OK,
                201,
                "content-type: application/json\n".getBytes(StandardCharsets.UTF_8),
                "{\"reservation\":1}".getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void anEntryKeepsItsEndpointMethodAndPath() {
        StoreCallJournal.Entry entry = StoreCallJournal.decode(StoreCallJournal.encode(call(3), INPUT), "test");
        assertThat(entry.call().target()).isEqualTo(new RecordedCall.Target("inventory", "POST", "/reserve"));
        assertThat(entry.call().target()).hasToString("POST /reserve on endpoint 'inventory'");
        assertThat(entry.call().sequence()).isEqualTo(3);
        assertThat(entry.call().status()).isEqualTo(201);
        assertThat(entry.call().body()).asString(StandardCharsets.UTF_8).isEqualTo("{\"reservation\":1}");
        assertThat(entry.input()).isEqualTo(INPUT);
    }

    @Test
    void anEntryOfFormat1IsReadWithoutItsTarget() {
        byte[] body = "{}".getBytes(StandardCharsets.UTF_8);
        ByteBuffer out = ByteBuffer.allocate(6 + 2 + 8 + 32 + 32 + 4 + 4 + 4 + 4 + body.length + 4);
        out.put("WWCALL".getBytes(StandardCharsets.US_ASCII)).put((byte) 1).put((byte) 0);
        out.putLong(2).put(DIGEST).put(INPUT).putInt(HttpCalls.OK).putInt(200);
        out.putInt(0).putInt(body.length).put(body);
        CRC32C crc = new CRC32C();
        crc.update(out.array(), 0, out.position());
        out.putInt((int) crc.getValue());

        StoreCallJournal.Entry entry = StoreCallJournal.decode(out.array(), "test");
        assertThat(entry.call().target()).isNull();
        assertThat(entry.call().sequence()).isEqualTo(2);
        assertThat(entry.call().status()).isEqualTo(200);
    }

    @Test
    void aDamagedTargetFailsItsChecksumOrItsLengths() {
        byte[] bytes = StoreCallJournal.encode(call(1), INPUT);
        bytes[6 + 2 + 8 + 32 + 32 + 1] = (byte) 0xff; // the endpoint's length
        assertThatThrownBy(() -> StoreCallJournal.decode(bytes, "entry 1"))
                .isInstanceOf(CorruptSnapshotException.class)
                .hasMessageContaining("entry 1");
    }

    @Test
    void readListsTheEntriesFromANumberOnToTheFirstGap() {
        try (LocalSnapshotStore store = new LocalSnapshotStore(dir, false)) {
            for (long seq : new long[] {2, 3, 5}) {
                store.recordCall("t", seq, StoreCallJournal.encode(call(seq), INPUT));
            }
            assertThat(StoreCallJournal.read(store, "t", 2))
                    .extracting(e -> e.call().sequence())
                    .containsExactly(2L, 3L);
            assertThat(StoreCallJournal.read(store, "t", 1))
                    .as("call 1 was dropped")
                    .isEmpty();
            assertThat(StoreCallJournal.read(store, "other", 1)).isEmpty();
        }
    }
}
