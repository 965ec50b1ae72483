package io.wasmworker.checkpoint;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmModule;
import io.wasmworker.artifact.Digest;
import io.wasmworker.checkpoint.store.CorruptSnapshotException;
import io.wasmworker.host.LimitedMemory;
import io.wasmworker.testing.Guests;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;

/** The snapshot format: exact round trips, page forms, and refusal of any damage. */
class SnapshotCodecTest {
    private static final int PAGE = 65536;
    private static final Digest ARTIFACT = Digest.parse("sha256:" + "12".repeat(32));
    private static final WasmModule MODULE = Parser.parse(Guests.wat("""
            (module
              (memory (export "memory") 2 8)
              (global $g (mut i64) (i64.const 5))
              (global $c i32 (i32.const 7))
              (data (i32.const 100) "data segment on page 0")
              (data (i32.const 65636) "data segment on page 1"))
            """));

    private final SplittableRandom random = new SplittableRandom(7);

    @Test
    void journaledCallsAreKeptBehindAFlagSoOtherSnapshotsStayAsTheyWere() {
        HostState plain = new HostState(0, new byte[0], 5, 0, 0, -1, -1, 2);
        HostState journaled = new HostState(0, new byte[0], 5, 0, 0, -1, -1, 2, 7, true);

        byte[] plainBytes = SnapshotCodec.encode(snapshot(plain));
        byte[] journaledBytes = SnapshotCodec.encode(snapshot(journaled));

        assertThat(plainBytes[7]).isZero(); // readable by workers from before journaled calls
        assertThat(journaledBytes[7]).isEqualTo((byte) 1);
        assertThat(journaledBytes).hasSize(plainBytes.length + 9);
        assertThat(SnapshotCodec.decode(journaledBytes, "test").host())
                .usingRecursiveComparison()
                .isEqualTo(journaled);
        assertThat(SnapshotCodec.decode(plainBytes, "test").host().durableCalls())
                .isZero();
    }

    private static GuestSnapshot snapshot(HostState host) {
        return new GuestSnapshot(
                Digest.parse("sha256:" + "ab".repeat(32)),
                "t",
                1,
                1,
                0,
                1,
                SnapshotPages.withCapacity(0),
                List.of(),
                List.of(),
                host);
    }

    @Test
    void roundTripKeepsEveryPageAndField() {
        SnapshotPages pages = SnapshotPages.withCapacity(2);
        pages.add(0, compressible(), 0, PAGE);
        pages.add(3, null, 0, 0);
        pages.add(9, incompressible(), 0, PAGE);
        HostState host =
                new HostState(17, "partial output".getBytes(StandardCharsets.UTF_8), 42, 1234567, -99, 4096, 8192, 3);
        GuestSnapshot s = GuestSnapshot.builder(Digest.parse("sha256:" + "ab".repeat(32)), "task \u00e9")
                .attempt(2)
                .sequence(12)
                .baseSequence(11)
                .memory(10, pages)
                .globals(List.of(new GuestSnapshot.GlobalValue(0, 5, 0), new GuestSnapshot.GlobalValue(3, -1, 77)))
                .tables(List.of(new GuestSnapshot.TableRefs(0, new int[] {1, -1, 4})))
                .host(host)
                .build();

        GuestSnapshot d = SnapshotCodec.decode(SnapshotCodec.encode(s), "test");

        assertThat(d.artifact()).isEqualTo(s.artifact());
        assertThat(d.taskKey()).isEqualTo(s.taskKey());
        assertThat(d.attempt()).isEqualTo(2);
        assertThat(d.sequence()).isEqualTo(12);
        assertThat(d.baseSequence()).isEqualTo(11);
        assertThat(d.totalPages()).isEqualTo(10);
        assertThat(d.globals()).isEqualTo(s.globals());
        assertThat(d.tables()).hasSize(1);
        assertThat(d.tables().get(0).index()).isZero();
        assertThat(d.tables().get(0).refs()).containsExactly(1, -1, 4);
        assertThat(d.host().stdout()).isEqualTo(host.stdout());
        assertThat(d.host()).usingRecursiveComparison().ignoringFields("stdout").isEqualTo(host);
        assertThat(d.pages().size()).isEqualTo(3);
        assertThat(d.pages().dataPages()).isEqualTo(2);
        for (int i = 0; i < 3; i++) {
            assertThat(d.pages().page(i)).isEqualTo(pages.page(i));
            assertThat(d.pages().values().get(i)).isEqualTo(pages.values().get(i));
        }
        assertThat(d.pages().isZero(1)).isTrue();
        assertThat(d.pages().values().get(1)).isEmpty();
    }

    /** A blob in a buffer outside the heap (a mapped file): decoded in place, restored page by page from it. */
    @Test
    void aSnapshotInADirectBufferDecodesInPlaceAndRestores() {
        SnapshotPages pages = SnapshotPages.withCapacity(3);
        pages.add(0, compressible(), 0, PAGE);
        pages.add(1, null, 0, 0);
        pages.add(2, incompressible(), 0, PAGE);
        byte[] blob = SnapshotCodec.encode(snapshot(pages, 3, 0));
        ByteBuffer direct = ByteBuffer.allocateDirect(blob.length + 3).position(3); // not at index 0
        direct.put(blob).position(3);

        GuestSnapshot d = SnapshotCodec.decode(direct, "test");
        assertThat(d.pages().storedLength(0)).isLessThan(PAGE / 8);
        assertThat(d.pages().storedLength(2)).isEqualTo(PAGE);
        for (int i = 0; i < 3; i++) {
            assertThat(d.pages().values().get(i)).isEqualTo(pages.values().get(i));
        }
        LimitedMemory[] holder = new LimitedMemory[1];
        Instance fresh = instance(holder);
        holder[0].write(PAGE + 5, new byte[] {7}); // must come out zero again
        StateCapture.apply(List.of(d), fresh, holder[0]);
        assertThat(holder[0].readBytes(0, PAGE)).isEqualTo(pages.values().get(0));
        assertThat(holder[0].readBytes(PAGE, PAGE)).isEqualTo(new byte[PAGE]);
        assertThat(holder[0].readBytes(2 * PAGE, PAGE)).isEqualTo(pages.values().get(2));
        // and a re-encoding of it (as tools do) is the same blob
        assertThat(SnapshotCodec.encode(d)).isEqualTo(blob);

        for (int at : new int[] {3 + 20, 3 + blob.length / 2, 3 + blob.length - 1}) {
            ByteBuffer damaged = ByteBuffer.allocateDirect(blob.length + 3).position(3);
            damaged.put(blob).position(3);
            damaged.put(at, (byte) (damaged.get(at) ^ 0x40));
            assertThatThrownBy(() -> SnapshotCodec.decode(damaged, "blob"))
                    .as("byte %d flipped", at)
                    .isInstanceOf(CorruptSnapshotException.class)
                    .hasMessageContaining("fails its checksum");
        }
    }

    /** For a blob its store checked whole: the trailer's CRC is left to that check, the structure is not. */
    @Test
    void decodeCheckedSkipsOnlyTheTrailersCrc() {
        SnapshotPages pages = SnapshotPages.withCapacity(1);
        pages.add(0, incompressible(), 0, PAGE);
        byte[] blob = SnapshotCodec.encode(snapshot(pages, 1, 0));
        byte[] wrongCrc = blob.clone();
        wrongCrc[blob.length - 1] ^= 1;

        assertThatThrownBy(() -> SnapshotCodec.decode(ByteBuffer.wrap(wrongCrc), "blob"))
                .hasMessageContaining("fails its checksum");
        assertThat(SnapshotCodec.decodeChecked(ByteBuffer.wrap(wrongCrc), "blob")
                        .pages()
                        .values()
                        .get(0))
                .isEqualTo(pages.values().get(0));
        byte[] cut = Arrays.copyOf(blob, blob.length - 9);
        assertThatThrownBy(() -> SnapshotCodec.decodeChecked(ByteBuffer.wrap(cut), "blob"))
                .isInstanceOf(CorruptSnapshotException.class)
                .hasMessageContaining("blob ");
        byte[] outOfRange = blob.clone();
        int at = indexOf(blob, new byte[] {0, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0, 0}); // page count 1, page 0, raw
        assertThat(at).isPositive();
        outOfRange[at + 7] = 5; // page 5 of a 1-page memory
        assertThatThrownBy(() -> SnapshotCodec.decodeChecked(ByteBuffer.wrap(outOfRange), "blob"))
                .isInstanceOf(CorruptSnapshotException.class)
                .hasMessageContaining("out of order or outside");
    }

    @Test
    void incompressiblePagesAreStoredRawAndOthersCompressed() {
        SnapshotPages pages = SnapshotPages.withCapacity(2);
        pages.add(0, compressible(), 0, PAGE);
        pages.add(1, incompressible(), 0, PAGE);
        byte[] blob = SnapshotCodec.encode(snapshot(pages, 2, 0));
        SnapshotPages decoded = SnapshotCodec.decode(blob, "test").pages();

        assertThat(decoded.storedLength(0)).isLessThan(PAGE / 8);
        assertThat(decoded.storedLength(1)).isEqualTo(PAGE);
        // decoded pages are read where they lie in the blob, not copied out
        assertThat(decoded.storedArray(0)).isSameAs(blob);
        assertThat(decoded.storedArray(1)).isSameAs(blob);
        assertThat(blob.length).isLessThan(PAGE + PAGE / 8);
    }

    @Test
    void anyDamagedByteIsRefused() {
        SnapshotPages pages = SnapshotPages.withCapacity(3);
        pages.add(0, compressible(), 0, PAGE);
        pages.add(1, null, 0, 0);
        pages.add(2, incompressible(), 0, PAGE);
        byte[] blob = SnapshotCodec.encode(snapshot(pages, 3, 0));
        int rawStart = blob.length - PAGE - 200; // the raw page lies near the end: sample it, test the rest fully
        for (int i = 0; i < blob.length; i += (i > rawStart && i < blob.length - 200) ? 61 : 1) {
            byte[] damaged = blob.clone();
            damaged[i] ^= (byte) (1 << (i % 8));
            assertThatThrownBy(() -> SnapshotCodec.decode(damaged, "blob"))
                    .as("byte %d flipped", i)
                    .isInstanceOf(CorruptSnapshotException.class)
                    .hasMessageStartingWith("blob ");
        }
    }

    @Test
    void anyTornSnapshotIsRefused() {
        SnapshotPages pages = SnapshotPages.withCapacity(3);
        pages.add(0, compressible(), 0, PAGE);
        pages.add(1, null, 0, 0);
        pages.add(2, incompressible(), 0, PAGE);
        byte[] blob = SnapshotCodec.encode(snapshot(pages, 3, 0));
        for (int n = 0; n < blob.length; n += n < 2000 || n > blob.length - 2000 ? 1 : 97) {
            byte[] torn = Arrays.copyOf(blob, n);
            assertThatThrownBy(() -> SnapshotCodec.decode(torn, "blob"))
                    .as("cut at %d", n)
                    .isInstanceOf(CorruptSnapshotException.class);
        }
    }

    @Test
    void otherFormatVersionsAreRefusedByName() {
        byte[] blob = SnapshotCodec.encode(snapshot(SnapshotPages.withCapacity(0), 1, 0));
        blob[6] = 1;
        assertThatThrownBy(() -> SnapshotCodec.decode(blob, "blob"))
                .isInstanceOf(CorruptSnapshotException.class)
                .hasMessageContaining("format version 1; this worker reads " + SnapshotCodec.VERSION);
    }

    /** Even with a valid checksum (a buggy or foreign writer), a page must be a frame of exactly one page. */
    @Test
    void malformedPagesAreRefusedEvenWithAValidChecksum() {
        SnapshotPages pages = SnapshotPages.withCapacity(1);
        pages.add(0, compressible(), 0, PAGE);
        byte[] blob = SnapshotCodec.encode(snapshot(pages, 1, 0));
        int frame = indexOf(blob, new byte[] {0x28, (byte) 0xb5, 0x2f, (byte) 0xfd}); // zstd frame magic
        assertThat(frame).isPositive();

        byte[] badMagic = blob.clone();
        badMagic[frame] ^= 0x55; // (not 0x27: 0xFD2FB527 is a legacy zstd frame magic)
        assertThatThrownBy(() -> SnapshotCodec.decode(withCrc(badMagic), "blob"))
                .isInstanceOf(CorruptSnapshotException.class)
                .hasMessageContaining("page 0");

        byte[] badLength = blob.clone(); // the stored length, just before the frame
        ByteBuffer.wrap(badLength).putInt(frame - 4, PAGE + 1);
        assertThatThrownBy(() -> SnapshotCodec.decode(withCrc(badLength), "blob"))
                .isInstanceOf(CorruptSnapshotException.class);

        byte[] outOfRange = blob.clone(); // page number past the memory size
        ByteBuffer.wrap(outOfRange).putInt(frame - 8, 1);
        assertThatThrownBy(() -> SnapshotCodec.decode(withCrc(outOfRange), "blob"))
                .isInstanceOf(CorruptSnapshotException.class)
                .hasMessageContaining("page 1");
    }

    /**
     * A full snapshot and a delta restore exactly into a fresh instance: pages that are zero in the
     * snapshot but were set by data segments are zeroed, memory grows, compressed and raw pages both land,
     * a page zeroed since the full snapshot is zeroed, globals come back.
     */
    @Test
    void chainRestoresExactlyIntoAFreshInstance() {
        LimitedMemory[] m = new LimitedMemory[1];
        Instance source = instance(m);
        LimitedMemory memory = m[0];
        memory.grow(2);
        memory.fill((byte) 0, 0, PAGE); // page 0: data segment erased
        memory.write(PAGE, incompressible());
        memory.write(2 * PAGE, compressible());
        source.global(0).setValue(77);
        GuestSnapshot full = roundTrip(source, memory, true, 1, 0);
        memory.clearDirty();

        memory.grow(2);
        memory.write(5 * PAGE, incompressible());
        memory.fill((byte) 0, PAGE, 2 * PAGE); // page 1 is all zeros now
        memory.writeI32(2 * PAGE + 400, 0x01020304);
        source.global(0).setValue(-3);
        GuestSnapshot delta = roundTrip(source, memory, false, 2, 1);
        assertThat(delta.pages().size()).isEqualTo(3); // pages 1 (now zero), 2 and 5; page 4 only grew
        assertThat(delta.pages().dataPages()).isEqualTo(2);

        LimitedMemory[] r = new LimitedMemory[1];
        Instance restored = instance(r);
        assertThat(r[0].readBytes(100, 4)).isNotEqualTo(new byte[4]); // the data segment, to be zeroed
        GuestSnapshot last = StateCapture.apply(List.of(full, delta), restored, r[0]);

        assertThat(last).isSameAs(delta);
        assertThat(r[0].pages()).isEqualTo(6);
        for (int p = 0; p < 6; p++) {
            assertThat(r[0].readBytes(p * PAGE, PAGE)).as("page %d", p).isEqualTo(memory.readBytes(p * PAGE, PAGE));
            assertThat(r[0].isDirty(p)).isFalse();
        }
        assertThat(restored.global(0).getValue()).isEqualTo(-3);
    }

    private GuestSnapshot roundTrip(Instance instance, LimitedMemory memory, boolean full, long sequence, long base) {
        GuestSnapshot s = GuestSnapshot.builder(ARTIFACT, "t")
                .sequence(sequence)
                .baseSequence(base)
                .memory(memory.pages(), StateCapture.pages(memory, full))
                .globals(StateCapture.globals(instance))
                .tables(StateCapture.tables(instance))
                .host(host())
                .build();
        return SnapshotCodec.decode(SnapshotCodec.encode(s), "snapshot " + sequence);
    }

    private static Instance instance(LimitedMemory[] holder) {
        return Instance.builder(MODULE)
                .withMemoryFactory(l -> holder[0] = LimitedMemory.create(l, 8))
                .withStart(false)
                .build();
    }

    private static GuestSnapshot snapshot(SnapshotPages pages, int totalPages, long base) {
        return GuestSnapshot.builder(ARTIFACT, "t")
                .sequence(base + 1)
                .baseSequence(base)
                .memory(totalPages, pages)
                .host(host())
                .build();
    }

    @Test
    void aSnapshotNamingNoModuleDigestIsCorrupt() {
        byte[] bytes = SnapshotCodec.encode(
                GuestSnapshot.builder(ARTIFACT, "t").host(host()).build());
        String text = new String(bytes, StandardCharsets.ISO_8859_1);
        int at = text.indexOf("sha256:");
        bytes[at] = 'x'; // same length, and the checksum made right again: only the digest is wrong
        CRC32C crc = new CRC32C();
        crc.update(bytes, 0, bytes.length - 4);
        ByteBuffer.wrap(bytes).putInt(bytes.length - 4, (int) crc.getValue());

        assertThatThrownBy(() -> SnapshotCodec.decode(bytes, "snapshot 1"))
                .isInstanceOf(CorruptSnapshotException.class)
                .hasMessageContaining("snapshot 1 names no module digest")
                .hasMessageContaining("xha256:");
    }

    private static HostState host() {
        return new HostState(0, new byte[0], 0, 0, 0, -1, -1, 0);
    }

    private byte[] incompressible() {
        byte[] page = new byte[PAGE];
        random.nextBytes(page);
        return page;
    }

    private static byte[] compressible() {
        byte[] page = new byte[PAGE];
        byte[] text = "the quick brown fox jumps over the lazy dog; ".getBytes(StandardCharsets.US_ASCII);
        for (int i = 0; i < PAGE; i++) {
            page[i] = text[i % text.length];
        }
        return page;
    }

    private static byte[] withCrc(byte[] blob) {
        CRC32C crc = new CRC32C();
        crc.update(blob, 0, blob.length - 4);
        ByteBuffer.wrap(blob).putInt(blob.length - 4, (int) crc.getValue());
        return blob;
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
