package io.wasmworker.module;

import io.wasmworker.artifact.Digest;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A cheap walk over a binary's sections, run before Chicory sees it: it reads every count Chicory
 * would allocate by (type parameters and results, locals runs, element entries, segment and name
 * lengths) and refuses a module whose counts exceed the {@link ModuleLimits} or the bytes that are
 * actually there. Function bodies are skipped after their locals; constant expressions are walked.
 *
 * <p>It reads integers exactly as Chicory 1.7.5's {@code Parser} does (LEB128, value types as a u32
 * opcode followed by an s32 heap type for {@code ref}/{@code ref null}, the GC type forms), so that
 * every count Chicory reads, this scan has checked first. It allocates nothing and runs in time
 * linear in the module's size.
 *
 * <p>Binary format: https://webassembly.github.io/spec/core/binary/modules.html
 */
final class ModuleScan {
    private static final String[] SECTION_NAMES = {
        "custom",
        "type",
        "import",
        "function",
        "table",
        "memory",
        "global",
        "export",
        "start",
        "element",
        "code",
        "data",
        "data count",
        "tag"
    };
    private static final byte[] DESCRIPTION_NAME = GuestDescription.SECTION.getBytes(StandardCharsets.UTF_8);
    private static final int TYPE_REF = 0x64;
    private static final int TYPE_REF_NULL = 0x63;

    private final Digest digest;
    private final byte[] bytes;
    private final ModuleLimits limits;
    private int pos;
    /** End of what is being read now: the module, a section, or a function body. */
    private int end;
    /** The function body being read, for messages; null elsewhere. */
    private String inBody;

    private long types;
    private long importedFunctions;
    private long functions;
    private long tables;
    private long memories;
    private long globals;
    private long totalLocals;
    private long elementEntries;
    /** Where the description section's content starts, or -1 if the module has none. */
    private int descriptionOffset = -1;

    private int descriptionLength;

    private ModuleScan(Digest digest, byte[] bytes, ModuleLimits limits) {
        this.digest = digest;
        this.bytes = bytes;
        this.limits = limits;
    }

    /**
     * Throws {@link InvalidModuleException} naming the first problem; returns if Chicory may parse the
     * bytes, with where the guest's description is (its size checked against the limit, its content not).
     */
    static Result check(Digest digest, byte[] bytes, ModuleLimits limits) {
        ModuleScan scan = new ModuleScan(digest, bytes, limits);
        scan.scan();
        return new Result(scan.descriptionOffset, scan.descriptionLength);
    }

    /**
     * What the scan found besides the counts.
     *
     * @param descriptionOffset where the content of the {@value GuestDescription#SECTION} section
     *                          starts in the module, or -1 if it has none
     * @param descriptionLength its length in bytes
     */
    record Result(int descriptionOffset, int descriptionLength) {
        boolean described() {
            return descriptionOffset >= 0;
        }
    }

    private void scan() {
        if (bytes.length > limits.maxModuleBytes()) {
            throw refused("is " + bytes.length + " bytes, more than the limit of " + limits.maxModuleBytes()
                    + " bytes (maxModuleBytes)");
        }
        if (bytes.length < 8 || bytes[4] != 1 || bytes[5] != 0 || bytes[6] != 0 || bytes[7] != 0) {
            throw malformed("it is not WebAssembly binary format version 1 (bytes 4 to 7 must be 01 00 00 00)");
        }
        pos = 8;
        end = bytes.length;
        while (pos < bytes.length) {
            int start = pos;
            int id = bytes[pos++] & 0xff;
            long size = u32();
            if (id >= SECTION_NAMES.length) {
                throw malformed("unknown section id " + id + " at byte " + start);
            }
            if (size > bytes.length - pos) {
                throw malformed("the " + SECTION_NAMES[id] + " section at byte " + start + " declares " + size
                        + " bytes, but only " + (bytes.length - pos) + " follow");
            }
            end = pos + (int) size;
            section(id);
            if (id != 0 && pos != end) {
                throw malformed("the " + SECTION_NAMES[id] + " section at byte " + start + " is " + size
                        + " bytes, but its content ends at byte " + pos);
            }
            pos = end;
            end = bytes.length;
        }
    }

    private void section(int id) {
        switch (id) {
            case 0 -> customSection();
            case 1 -> typeSection();
            case 2 -> importSection();
            case 3 -> {
                long n = count("functions");
                functions += n;
                checkFunctions();
                skipLebs(n);
            }
            case 4 -> {
                long n = count("tables");
                tables += n;
                checkTables();
                for (long i = 0; i < n; i++) {
                    table();
                }
            }
            case 5 -> {
                long n = count("memories");
                memories += n;
                checkMemories();
                for (long i = 0; i < n; i++) {
                    memoryLimits();
                }
            }
            case 6 -> {
                long n = count("globals");
                globals += n;
                checkAtMost(globals, limits.maxGlobals(), "globals", "maxGlobals");
                for (long i = 0; i < n; i++) {
                    valType();
                    u8();
                    constExpr();
                }
            }
            case 7 -> {
                long n = count("exports");
                checkAtMost(n, limits.maxExports(), "exports", "maxExports");
                for (long i = 0; i < n; i++) {
                    name("export name");
                    u32();
                    u32();
                }
            }
            case 8, 12 -> u32();
            case 9 -> elementSection();
            case 10 -> codeSection();
            case 11 -> dataSection();
            case 13 -> {
                long n = count("tags");
                for (long i = 0; i < n; i++) {
                    u8();
                    u32();
                }
            }
            default -> throw new IllegalStateException("section id " + id);
        }
    }

    /** Custom sections are skipped, except the guest's description, whose place and size are kept. */
    private void customSection() {
        int nameStart = nameStart("custom section name");
        if (!Arrays.equals(bytes, nameStart, pos, DESCRIPTION_NAME, 0, DESCRIPTION_NAME.length)) {
            return;
        }
        if (descriptionOffset >= 0) {
            throw refused("has two '" + GuestDescription.SECTION + "' custom sections (the second ends at byte " + end
                    + "); a guest describes itself once");
        }
        checkAtMost(end - pos, limits.maxDescriptionBytes(), "bytes of description", "maxDescriptionBytes");
        descriptionOffset = pos;
        descriptionLength = end - pos;
    }

    private void typeSection() {
        long groups = count("types");
        checkAtMost(groups, limits.maxTypes(), "types", "maxTypes");
        for (long i = 0; i < groups; i++) {
            long form = u32();
            if (form == 0x4E) { // a recursion group of subtypes
                long n = count("types in a recursion group");
                for (long j = 0; j < n; j++) {
                    subType(u32());
                }
            } else {
                subType(form);
            }
        }
    }

    private void subType(long form) {
        types++;
        checkAtMost(types, limits.maxTypes(), "types", "maxTypes");
        if (form == 0x50 || form == 0x4F) { // sub / sub final: supertype indices, then the composite type
            skipLebs(count("supertypes"));
            form = u32();
        }
        if (form == 0x5E) { // array
            fieldType();
        } else if (form == 0x5F) { // struct
            long fields = count("struct fields");
            for (long i = 0; i < fields; i++) {
                fieldType();
            }
        } else if (form == 0x60) { // func
            long type = types - 1;
            long params = u32();
            checkAtMost(params, limits.maxFunctionParams(), "params in type " + type, "maxFunctionParams");
            fits(params, "params of type " + type);
            for (long i = 0; i < params; i++) {
                valType();
            }
            long results = u32();
            checkAtMost(results, limits.maxFunctionResults(), "results in type " + type, "maxFunctionResults");
            fits(results, "results of type " + type);
            for (long i = 0; i < results; i++) {
                valType();
            }
        } else {
            throw malformed("type " + (types - 1) + " has the unknown form 0x" + Long.toHexString(form)
                    + " (expected 0x60 func, 0x5f struct or 0x5e array) at byte " + pos);
        }
    }

    private void fieldType() {
        long type = u32();
        if (type == TYPE_REF || type == TYPE_REF_NULL) {
            s32();
        }
        u8(); // mutability; packed types (0x78 i8, 0x77 i16) have no heap type
    }

    private void importSection() {
        long n = count("imports");
        checkAtMost(n, limits.maxImports(), "imports", "maxImports");
        for (long i = 0; i < n; i++) {
            name("import module name");
            name("import name");
            long kind = u32();
            switch ((int) kind) {
                case 0 -> {
                    u32();
                    importedFunctions++;
                    functions++;
                    checkFunctions();
                }
                case 1 -> {
                    valType();
                    int flags = u8();
                    u32();
                    if (flags == 0x01 || flags == 0x03) {
                        u32();
                    } else if (flags != 0x00) {
                        throw malformed("import " + i + " has table limits flags 0x" + Integer.toHexString(flags));
                    }
                    tables++;
                    checkTables();
                }
                case 2 -> {
                    memoryLimits();
                    memories++;
                    checkMemories();
                }
                case 3 -> {
                    valType();
                    u8();
                    globals++;
                    checkAtMost(globals, limits.maxGlobals(), "globals", "maxGlobals");
                }
                case 4 -> {
                    u8();
                    u32();
                }
                default -> throw malformed("import " + i + " has the unknown kind " + kind);
            }
        }
    }

    private void table() {
        long first = u32();
        if (first == 0x40) { // a table with an initialiser expression
            u32();
            valType();
            tableLimits();
            constExpr();
        } else {
            if (first == TYPE_REF || first == TYPE_REF_NULL) {
                s32();
            }
            tableLimits();
        }
    }

    private void tableLimits() {
        int flags = u8();
        if (flags != 0x00 && flags != 0x01) {
            throw malformed("a table has limits flags 0x" + Integer.toHexString(flags) + " at byte " + (pos - 1));
        }
        u32();
        if (flags == 0x01) {
            u32();
        }
    }

    private void memoryLimits() {
        int flags = u8();
        u32();
        if (flags == 0x01 || flags == 0x03) {
            u32();
        } else if (flags != 0x00) {
            throw malformed("a memory has limits flags 0x" + Integer.toHexString(flags) + " at byte " + (pos - 1)
                    + " (64-bit and shared memories without a maximum are not supported)");
        }
    }

    /** Mirrors Chicory's reading of the eight element segment encodings (flags 0 to 7). */
    private void elementSection() {
        long n = count("element segments");
        checkAtMost(n, limits.maxElementSegments(), "element segments", "maxElementSegments");
        for (long i = 0; i < n; i++) {
            long flags = u32();
            boolean active = (flags & 0b001) == 0;
            boolean explicitTable = (flags & 0b010) != 0;
            boolean expressions = (flags & 0b100) != 0;
            if (active) {
                if (explicitTable) {
                    u32();
                }
                constExpr();
            }
            if (!active || explicitTable) {
                if (expressions) {
                    valType();
                } else {
                    u32(); // element kind
                }
            }
            long entries = count("entries in element segment " + i);
            elementEntries += entries;
            checkAtMost(elementEntries, limits.maxElementEntries(), "element segment entries", "maxElementEntries");
            for (long j = 0; j < entries; j++) {
                if (expressions) {
                    constExpr();
                } else {
                    u32();
                }
            }
        }
    }

    private void codeSection() {
        long n = count("function bodies");
        checkAtMost(n, limits.maxFunctions(), "function bodies", "maxFunctions");
        int sectionEnd = end;
        for (long i = 0; i < n; i++) {
            long size = u32();
            long function = importedFunctions + i;
            if (size > sectionEnd - pos) {
                throw malformed("the body of function " + function + " declares " + size + " bytes, but only "
                        + (sectionEnd - pos) + " remain in the code section");
            }
            int bodyEnd = pos + (int) size;
            end = bodyEnd;
            inBody = "the body of function " + function;
            long runs = count("locals entries of function " + function);
            long locals = 0;
            for (long r = 0; r < runs; r++) {
                locals += u32(); // at most 2^32 - 1 per run and per read byte: a long cannot overflow
                valType();
                if (locals > limits.maxLocalsPerFunction()) {
                    throw refused("declares more than " + limits.maxLocalsPerFunction() + " locals in function "
                            + function + " (" + locals + " in its first " + (r + 1) + " of " + runs
                            + " locals entries), more than the limit (maxLocalsPerFunction)");
                }
            }
            totalLocals += locals;
            checkAtMost(totalLocals, limits.maxTotalLocals(), "locals in all functions", "maxTotalLocals");
            pos = bodyEnd;
            end = sectionEnd;
            inBody = null;
        }
    }

    private void dataSection() {
        long n = count("data segments");
        checkAtMost(n, limits.maxDataSegments(), "data segments", "maxDataSegments");
        for (long i = 0; i < n; i++) {
            long mode = u32();
            if (mode == 2) {
                u32();
            }
            if (mode == 0 || mode == 2) {
                constExpr();
            } else if (mode != 1) {
                throw malformed("data segment " + i + " has the unknown mode " + mode);
            }
            long length = u32();
            if (length > end - pos) {
                throw malformed("data segment " + i + " declares " + length + " bytes, but only " + (end - pos)
                        + " remain in the data section");
            }
            pos += (int) length;
        }
    }

    /**
     * Walks a constant expression to its {@code end}, accepting only the constant instructions of
     * WebAssembly 3.0 (validation would refuse any other; refusing here keeps the walk exact).
     */
    private void constExpr() {
        while (true) {
            int at = pos;
            int op = u8();
            switch (op) {
                case 0x0B -> {
                    return;
                }
                case 0x41, 0xD0 -> s32(); // i32.const, ref.null heaptype
                case 0x42 -> sleb(10); // i64.const
                case 0x43 -> skip(4); // f32.const
                case 0x44 -> skip(8); // f64.const
                case 0x23, 0xD2 -> u32(); // global.get, ref.func
                case 0x6A, 0x6B, 0x6C, 0x7C, 0x7D, 0x7E -> {} // extended-const i32/i64 add, sub, mul
                case 0xFB -> { // GC
                    long sub = u32();
                    if (sub == 0 || sub == 1 || sub == 6 || sub == 7) { // struct.new(_default), array.new(_default)
                        u32();
                    } else if (sub == 8) { // array.new_fixed type n
                        u32();
                        u32();
                    } else if (sub < 0x1A || sub > 0x1C) { // else ref.i31, any/extern.convert
                        throw notConstant(at, "0xfb " + sub);
                    }
                }
                case 0xFD -> { // v128.const
                    long sub = u32();
                    if (sub != 12) {
                        throw notConstant(at, "0xfd " + sub);
                    }
                    skip(16);
                }
                default -> throw notConstant(at, "0x" + Integer.toHexString(op));
            }
        }
    }

    private InvalidModuleException notConstant(int at, String op) {
        return malformed("instruction " + op + " at byte " + at + " is not allowed in a constant expression");
    }

    private void valType() {
        long type = u32();
        if (type == TYPE_REF || type == TYPE_REF_NULL) {
            s32();
        }
    }

    private void name(String what) {
        nameStart(what);
    }

    /** Skips a name and returns where its bytes start. */
    private int nameStart(String what) {
        int at = pos;
        long length = u32();
        if (length > end - pos) {
            throw malformed("a " + what + " at byte " + at + " declares " + length + " bytes, but only " + (end - pos)
                    + " remain");
        }
        int start = pos;
        pos += (int) length;
        return start;
    }

    /** A vector's length: every element takes at least a byte, so more than the bytes left is a lie. */
    private long count(String what) {
        int at = pos;
        long n = u32();
        if (n > end - pos) {
            throw malformed(n + " " + what + " declared at byte " + at + ", but only " + (end - pos)
                    + " bytes remain to hold them");
        }
        return n;
    }

    private void fits(long n, String what) {
        if (n > end - pos) {
            throw malformed(n + " " + what + " declared, but only " + (end - pos) + " bytes remain to hold them");
        }
    }

    private void skipLebs(long n) {
        for (long i = 0; i < n; i++) {
            u32();
        }
    }

    private void skip(int n) {
        if (n > end - pos) {
            throw malformed("unexpected end at byte " + pos + " (" + n + " more bytes expected)");
        }
        pos += n;
    }

    private int u8() {
        if (pos >= end) {
            throw malformed("unexpected end at byte " + pos);
        }
        return bytes[pos++] & 0xff;
    }

    /** An unsigned LEB128 of at most 5 bytes and 32 bits, as Chicory's {@code readVarUInt32}. */
    private long u32() {
        int at = pos;
        long value = 0;
        for (int i = 0; ; i++) {
            int b = u8();
            value |= (long) (b & 0x7f) << (7 * i);
            if ((b & 0x80) == 0) {
                break;
            }
            if (i == 4) {
                throw malformed("integer representation too long at byte " + at);
            }
        }
        if (value > 0xFFFF_FFFFL) {
            throw malformed("integer too large at byte " + at);
        }
        return value;
    }

    private void s32() {
        sleb(5);
    }

    private void sleb(int maxBytes) {
        int at = pos;
        for (int i = 0; ; i++) {
            if ((u8() & 0x80) == 0) {
                return;
            }
            if (i == maxBytes - 1) {
                throw malformed("integer representation too long at byte " + at);
            }
        }
    }

    private void checkFunctions() {
        checkAtMost(functions, limits.maxFunctions(), "functions (imported and defined)", "maxFunctions");
    }

    private void checkTables() {
        if (tables > limits.maxTables()) {
            throw new InvalidModuleException("artifact " + digest + " declares " + tables + " tables; this host runs"
                    + " modules with at most " + limits.maxTables() + " (maxTables; see guests/ABI.md)");
        }
    }

    private void checkMemories() {
        if (memories > 1) {
            throw new InvalidModuleException("artifact " + digest + " declares " + memories + " memories; this host"
                    + " runs modules with one memory (the multi-memory proposal is not supported; see guests/ABI.md)");
        }
    }

    private void checkAtMost(long n, long max, String what, String option) {
        if (n > max) {
            throw refused("declares " + n + " " + what + ", more than the limit of " + max + " (" + option + ")");
        }
    }

    private InvalidModuleException refused(String why) {
        return new InvalidModuleException("artifact " + digest + " is refused: it " + why);
    }

    private InvalidModuleException malformed(String why) {
        return new InvalidModuleException("artifact " + digest + " is not a valid WebAssembly module: " + why
                + (inBody == null ? "" : " (in " + inBody + ")"));
    }
}
