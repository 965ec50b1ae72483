package io.wasmworker.checkpoint;

import io.wasmworker.artifact.Digest;
import io.wasmworker.checkpoint.store.CorruptSnapshotException;
import io.wasmworker.host.CallJournal;
import io.wasmworker.host.HttpEndpoint;
import io.wasmworker.host.RecordedCall;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Optional;
import java.util.zip.CRC32C;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A task's journal of host calls in its snapshot store ({@code recordCall}, {@code recordedCall}), one
 * entry per call:
 *
 * <pre>
 *   "WWCALL" u8 version(1) u8 flags(0)
 *   i64 sequence, 32 bytes request SHA-256, 32 bytes input SHA-256,
 *   i32 result, i32 status, i32 headersLength, headers, i32 bodyLength, body
 *   u32 crc32c of every byte before it
 * </pre>
 *
 * An entry belongs to the input it was made with: one recorded with another input (a crashed attempt
 * before the task's input changed) is stale, and is handled as a checkpoint of another input is (the
 * journal is cleared and the call made afresh, or the attempt fails, by {@code onInputChange}).
 */
public final class StoreCallJournal implements CallJournal {
    private static final Logger LOG = LoggerFactory.getLogger(StoreCallJournal.class);
    private static final byte[] MAGIC = {'W', 'W', 'C', 'A', 'L', 'L'};
    private static final int VERSION = 1;
    private static final int FIXED = MAGIC.length + 2 + 8 + 32 + 32 + 4 + 4 + 4 + 4 + 4;
    /** The largest entry: a response of the largest size an endpoint may allow, and the rest. */
    static final long MAX_ENTRY_BYTES = HttpEndpoint.MAX_MESSAGE_BYTES + FIXED;

    private final CheckpointContext context;
    private final byte[] runInput;
    private Digest input;
    private byte[] inputBytes;

    /** @param input the run's input (hashed when first needed: a run that makes no call never hashes it) */
    public StoreCallJournal(CheckpointContext context, byte[] input) {
        this.context = context;
        this.runInput = input;
    }

    private byte[] inputDigest() {
        if (inputBytes == null) {
            input = Digest.of(runInput);
            inputBytes = HexFormat.of().parseHex(input.hex());
        }
        return inputBytes;
    }

    @Override
    public Optional<RecordedCall> recorded(long sequence) {
        Optional<byte[]> bytes = context.store().recordedCall(context.taskKey(), sequence, MAX_ENTRY_BYTES);
        if (bytes.isEmpty()) {
            return Optional.empty();
        }
        Entry entry = decode(bytes.get(), where(sequence));
        if (entry.call().sequence() != sequence) {
            throw new CorruptSnapshotException(where(sequence) + " is damaged: it records call "
                    + entry.call().sequence());
        }
        if (!Arrays.equals(entry.input(), inputDigest())) {
            if (context.policy().onInputChange() == CheckpointPolicy.InputChange.FAIL) {
                throw new Checkpointer.CheckpointMismatchException("task '" + context.taskKey()
                        + "' made host call " + sequence + " with another input than this attempt's (" + input
                        + "); refusing to replay another input's calls (checkpoint policy onInputChange: fail)."
                        + " Remove the task's checkpoints and journal with `wasm-worker snapshots rm "
                        + context.taskKey() + "` to start over");
            }
            LOG.warn(
                    "task {}: its journal was recorded with another input than this attempt's ({}); clearing it"
                            + " (checkpoint policy onInputChange: restart)",
                    context.taskKey(),
                    input);
            context.store().dropCalls(context.taskKey(), Long.MAX_VALUE);
            return Optional.empty();
        }
        return Optional.of(entry.call());
    }

    @Override
    public RecordedCall record(RecordedCall call) {
        TestHooks.point("call-made", call.sequence());
        byte[] kept = context.store().recordCall(context.taskKey(), call.sequence(), encode(call, inputDigest()));
        TestHooks.point("call-recorded", call.sequence());
        Entry entry = decode(kept, where(call.sequence()));
        if (!Arrays.equals(entry.input(), inputDigest()) || entry.call().sequence() != call.sequence()) {
            throw new CorruptSnapshotException(
                    where(call.sequence()) + " was recorded first by an attempt with another input or is damaged");
        }
        return entry.call();
    }

    /**
     * Hex SHA-256 of the task key, the input's digest and the sequence number, 32 characters: the
     * same on every attempt of the task with this input, never the key itself, and new when the input
     * changes (another computation, whose calls a deduplicating service must not take for these).
     */
    @Override
    public String idempotencyKey(long sequence) {
        inputDigest();
        return idempotencyKey(context.taskKey(), input, sequence);
    }

    public static String idempotencyKey(String taskKey, Digest input, long sequence) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update("wasm-worker host call\n".getBytes(StandardCharsets.UTF_8));
            sha.update(taskKey.getBytes(StandardCharsets.UTF_8));
            sha.update((byte) 0);
            sha.update(input.toString().getBytes(StandardCharsets.UTF_8));
            sha.update(ByteBuffer.allocate(9).put((byte) 0).putLong(sequence).array());
            return HexFormat.of().formatHex(sha.digest(), 0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public String task() {
        return "'" + context.taskKey() + "'";
    }

    private String where(long sequence) {
        return "journal entry " + sequence + " of task '" + context.taskKey() + "' in "
                + context.store().describe();
    }

    record Entry(RecordedCall call, byte[] input) {}

    static byte[] encode(RecordedCall call, byte[] input) {
        ByteBuffer out = ByteBuffer.allocate(FIXED + call.headers().length + call.body().length);
        out.put(MAGIC).put((byte) VERSION).put((byte) 0);
        out.putLong(call.sequence()).put(call.requestDigest()).put(input);
        out.putInt(call.result()).putInt(call.status());
        out.putInt(call.headers().length).put(call.headers());
        out.putInt(call.body().length).put(call.body());
        out.putInt(crc(out.array(), out.position()));
        return out.array();
    }

    static Entry decode(byte[] bytes, String where) {
        if (bytes.length < FIXED || !Arrays.equals(bytes, 0, MAGIC.length, MAGIC, 0, MAGIC.length)) {
            throw new CorruptSnapshotException(
                    where + " is not a journal entry (bad magic or too short: " + bytes.length + " bytes)");
        }
        if (bytes[MAGIC.length] != VERSION || bytes[MAGIC.length + 1] != 0) {
            throw new CorruptSnapshotException(where + " has entry format version " + bytes[MAGIC.length] + " (flags "
                    + bytes[MAGIC.length + 1] + "); this worker reads " + VERSION);
        }
        ByteBuffer in = ByteBuffer.wrap(bytes);
        if (in.getInt(bytes.length - 4) != crc(bytes, bytes.length - 4)) {
            throw new CorruptSnapshotException(where + " fails its checksum (torn or damaged)");
        }
        try {
            in.position(MAGIC.length + 2).limit(bytes.length - 4);
            long sequence = in.getLong();
            byte[] request = new byte[32];
            in.get(request);
            byte[] inputDigest = new byte[32];
            in.get(inputDigest);
            int result = in.getInt();
            int status = in.getInt();
            byte[] headers = new byte[length(in)];
            in.get(headers);
            byte[] body = new byte[length(in)];
            in.get(body);
            if (in.hasRemaining() || sequence < 1) {
                throw new CorruptSnapshotException(where + " is inconsistent");
            }
            return new Entry(new RecordedCall(sequence, request, result, status, headers, body), inputDigest);
        } catch (BufferUnderflowException e) {
            throw new CorruptSnapshotException(where + " ends early: its contents are inconsistent", e);
        }
    }

    private static int length(ByteBuffer in) {
        int n = in.getInt();
        if (n < 0 || n > in.remaining()) {
            throw new BufferUnderflowException();
        }
        return n;
    }

    private static int crc(byte[] bytes, int length) {
        CRC32C crc = new CRC32C();
        crc.update(bytes, 0, length);
        return (int) crc.getValue();
    }
}
