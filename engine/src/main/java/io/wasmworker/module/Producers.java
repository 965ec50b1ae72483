package io.wasmworker.module;

import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.CustomSection;
import com.dylibso.chicory.wasm.types.UnknownCustomSection;
import java.nio.charset.StandardCharsets;

/**
 * Reads the tool-conventions "producers" custom section (which languages and tools made a module),
 * as far as the loader needs it: to recognise modules made by the Go compiler, which cannot be
 * checkpointed. A missing or malformed section simply names no producer: the section is advisory.
 */
final class Producers {
    private final byte[] bytes;
    private int pos;

    private Producers(byte[] bytes) {
        this.bytes = bytes;
    }

    /** Whether the module's producers section names Go as its language or its compiler. */
    static boolean isGo(WasmModule wasm) {
        for (CustomSection section : wasm.customSections()) {
            if (section instanceof UnknownCustomSection s && s.name().equals("producers")) {
                try {
                    if (new Producers(s.bytes()).namesGo()) {
                        return true;
                    }
                } catch (IndexOutOfBoundsException | IllegalArgumentException malformed) {
                    // advisory only: a malformed section names no producer
                }
            }
        }
        return false;
    }

    /** Fields: vec of (field name, vec of (name, version)); Go writes language "Go" and processed-by "Go cmd/compile". */
    private boolean namesGo() {
        long fields = u32();
        for (long f = 0; f < fields; f++) {
            String field = string();
            long values = u32();
            for (long v = 0; v < values; v++) {
                String name = string();
                string(); // version
                if ((field.equals("language") && name.equals("Go"))
                        || (field.equals("processed-by") && name.startsWith("Go "))) {
                    return true;
                }
            }
        }
        return false;
    }

    private long u32() {
        long result = 0;
        for (int shift = 0; shift < 35; shift += 7) {
            int b = bytes[pos++] & 0xff;
            result |= (long) (b & 0x7f) << shift;
            if ((b & 0x80) == 0) {
                return result;
            }
        }
        throw new IllegalArgumentException("LEB128 too long");
    }

    private String string() {
        long length = u32();
        if (length > bytes.length - pos) {
            throw new IllegalArgumentException("string longer than the section");
        }
        String s = new String(bytes, pos, (int) length, StandardCharsets.UTF_8);
        pos += (int) length;
        return s;
    }
}
