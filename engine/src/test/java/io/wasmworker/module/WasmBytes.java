package io.wasmworker.module;

import io.wasmworker.testing.ByteMutations;
import java.io.ByteArrayOutputStream;

/**
 * Hand-built WebAssembly binaries, for modules no toolchain would emit: sections of raw bytes, with
 * the header and section sizes filled in. Integers given as {@code long} are written as LEB128.
 */
final class WasmBytes {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    private WasmBytes() {
        out.writeBytes(new byte[] {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00});
    }

    static WasmBytes module() {
        return new WasmBytes();
    }

    /** A section: its id, then its content's size, then the content. */
    WasmBytes section(int id, byte[] content) {
        out.write(id);
        out.writeBytes(ByteMutations.leb128(content.length));
        out.writeBytes(content);
        return this;
    }

    WasmBytes section(int id, Object... content) {
        return section(id, bytes(content));
    }

    byte[] build() {
        return out.toByteArray();
    }

    /** Concatenates: {@code Integer} is one byte, {@code Long} a LEB128, {@code byte[]} itself. */
    static byte[] bytes(Object... parts) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (Object part : parts) {
            if (part instanceof Integer i) {
                b.write(i);
            } else if (part instanceof Long l) {
                b.writeBytes(ByteMutations.leb128(l));
            } else if (part instanceof byte[] a) {
                b.writeBytes(a);
            } else {
                throw new IllegalArgumentException("not a byte, LEB128 or byte[]: " + part);
            }
        }
        return b.toByteArray();
    }

    /** {@code part} {@code times} times over. */
    static byte[] repeat(int times, Object... part) {
        byte[] one = bytes(part);
        byte[] all = new byte[one.length * times];
        for (int i = 0; i < times; i++) {
            System.arraycopy(one, 0, all, i * one.length, one.length);
        }
        return all;
    }
}
