package io.wasmworker.checkpoint;

import io.wasmworker.artifact.Digest;
import io.wasmworker.checkpoint.store.CorruptSnapshotException;
import io.wasmworker.checkpoint.store.SnapshotStore;
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
 *   "WWCALL" u8 version(2) u8 flags(0)
 *   i64 sequence, 32 bytes request SHA-256, 32 bytes input SHA-256,
 *   u16 length + UTF-8 endpoint, u16 length + method, u16 length + path   (version 2 only)
 *   i32 result, i32 status, i32 headersLength, headers, i32 bodyLength, body
 *   u32 crc32c of every byte before it
 * </pre>
 *
 * Version 2 adds the endpoint, method and path (for {@code snapshots inspect}: the digest alone says
 * nothing to a person); version 1 entries are still read, without them.
 *
 * An entry belongs to the input it was made with: one recorded with another input (a crashed attempt
 * before the task's input changed) is stale, and is handled as a checkpoint of another input is (the
 * journal is cleared and the call made afresh, or the attempt fails, by {@code onInputChange}).
 */
public final class StoreCallJournal implements CallJournal {
    private static final Logger LOG = LoggerFactory.getLogger(StoreCallJournal.class);
    private static final byte[] MAGIC = {'W', 'W', 'C', 'A', 'L', 'L'};
    private static final int VERSION = 2;
    private static final int FIXED = MAGIC.length + 2 + 8 + 32 + 32 + 4 + 4 + 4 + 4 + 4;
    /** The request line's three lengths, and their largest contents (endpoint, method and path limits). */
    private static final int TARGET_LENGTHS = 3 * 2;

    private static final int MAX_TARGET_BYTES = 64 + 32 + 8192;
    /** The largest entry: a response of the largest size an endpoint may allow, and the rest. */
    static final long MAX_ENTRY_BYTES = HttpEndpoint.MAX_MESSAGE_BYTES + FIXED + TARGET_LENGTHS + MAX_TARGET_BYTES;

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

    /**
     * One journal entry as recorded.
     *
     * @param call  the call and what the guest got from it
     * @param input SHA-256 of the input of the attempt that made it
     */
    public record Entry(RecordedCall call, byte[] input) {
        public Digest inputDigest() {
            return Digest.parse("sha256:" + HexFormat.of().formatHex(input));
        }
    }

    /**
     * The task's journal entries, in sequence order, from {@code from} on to the first number without
     * one (entries are numbered without gaps; those a checkpoint covers are dropped). For
     * {@code snapshots inspect}; throws {@link CorruptSnapshotException} for an entry that cannot be read.
     */
    public static java.util.List<Entry> read(SnapshotStore store, String taskKey, long from) {
        java.util.List<Entry> entries = new java.util.ArrayList<>();
        for (long seq = Math.max(1, from); ; seq++) {
            Optional<byte[]> bytes = store.recordedCall(taskKey, seq, MAX_ENTRY_BYTES);
            if (bytes.isEmpty()) {
                return entries;
            }
            Entry entry =
                    decode(bytes.get(), "journal entry " + seq + " of task '" + taskKey + "' in " + store.describe());
            if (entry.call().sequence() != seq) {
                throw new CorruptSnapshotException(
                        "journal entry " + seq + " of task '" + taskKey + "' in " + store.describe()
                                + " is damaged: it records call " + entry.call().sequence());
            }
            entries.add(entry);
        }
    }

    static byte[] encode(RecordedCall call, byte[] input) {
        RecordedCall.Target target = call.target();
        byte[][] names = target == null
                ? new byte[][] {new byte[0], new byte[0], new byte[0]}
                : new byte[][] {utf8(target.endpoint()), utf8(target.method()), utf8(target.path())};
        int namesLength = TARGET_LENGTHS + names[0].length + names[1].length + names[2].length;
        ByteBuffer out = ByteBuffer.allocate(FIXED + namesLength + call.headers().length + call.body().length);
        out.put(MAGIC).put((byte) VERSION).put((byte) 0);
        out.putLong(call.sequence()).put(call.requestDigest()).put(input);
        for (byte[] name : names) {
            if (name.length > 0xffff) {
                throw new IllegalArgumentException("a host call's endpoint, method or path is over 65535 bytes");
            }
            out.putShort((short) name.length).put(name);
        }
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
        int version = bytes[MAGIC.length];
        if ((version != 1 && version != VERSION) || bytes[MAGIC.length + 1] != 0) {
            throw new CorruptSnapshotException(where + " has entry format version " + bytes[MAGIC.length] + " (flags "
                    + bytes[MAGIC.length + 1] + "); this worker reads 1 and " + VERSION);
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
            RecordedCall.Target target = null;
            if (version >= 2) {
                String endpoint = name(in, where);
                String method = name(in, where);
                String path = name(in, where);
                // an entry written without them (none of this worker's) keeps none
                target = endpoint.isEmpty() ? null : new RecordedCall.Target(endpoint, method, path);
            }
            int result = in.getInt();
            int status = in.getInt();
            byte[] headers = new byte[length(in)];
            in.get(headers);
            byte[] body = new byte[length(in)];
            in.get(body);
            if (in.hasRemaining() || sequence < 1) {
                throw new CorruptSnapshotException(where + " is inconsistent");
            }
            return new Entry(new RecordedCall(sequence, request, target, result, status, headers, body), inputDigest);
        } catch (BufferUnderflowException e) {
            throw new CorruptSnapshotException(where + " ends early: its contents are inconsistent", e);
        }
    }

    private static String name(ByteBuffer in, String where) {
        int n = Short.toUnsignedInt(in.getShort());
        if (n > in.remaining()) {
            throw new BufferUnderflowException();
        }
        byte[] bytes = new byte[n];
        in.get(bytes);
        try {
            return StandardCharsets.UTF_8
                    .newDecoder()
                    .decode(ByteBuffer.wrap(bytes))
                    .toString();
        } catch (java.nio.charset.CharacterCodingException e) {
            throw new CorruptSnapshotException(where + " names its request in malformed UTF-8");
        }
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
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
