package io.wasmworker.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * A guest's source directory and the language it is written in, recognised by the file its
 * toolchain expects: {@code Cargo.toml}, an AssemblyScript {@code package.json} with {@code
 * asconfig.json}, {@code build.zig}, {@code go.mod}, or {@code .c} sources.
 */
record GuestProject(Path dir, Language language) {

    enum Language {
        RUST("Cargo.toml"),
        ASSEMBLYSCRIPT("asconfig.json"),
        ZIG("build.zig"),
        GO("go.mod"),
        C("*.c");

        final String marker;

        Language(String marker) {
            this.marker = marker;
        }
    }

    /** Recognises the project in {@code dir}; a clear error if there is none or more than one. */
    static GuestProject detect(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            throw new IllegalArgumentException(dir + " is not a directory; give the guest project's directory");
        }
        List<Language> found = new ArrayList<>();
        if (Files.isRegularFile(dir.resolve("Cargo.toml"))) {
            found.add(Language.RUST);
        }
        if (Files.isRegularFile(dir.resolve("asconfig.json")) && Files.isRegularFile(dir.resolve("package.json"))) {
            found.add(Language.ASSEMBLYSCRIPT);
        }
        if (Files.isRegularFile(dir.resolve("build.zig"))) {
            found.add(Language.ZIG);
        }
        if (Files.isRegularFile(dir.resolve("go.mod"))) {
            found.add(Language.GO);
        }
        if (!cSources(dir).isEmpty()) {
            found.add(Language.C);
        }
        if (found.isEmpty()) {
            throw new IllegalArgumentException(
                    dir + " is not a guest project: it has no Cargo.toml (Rust), package.json"
                            + " with asconfig.json (AssemblyScript), build.zig (Zig), go.mod (Go) or .c files (C);"
                            + " start from one of guests/templates/<language>");
        }
        if (found.size() > 1) {
            throw new IllegalArgumentException(dir + " looks like a project in several languages at once ("
                    + found.stream().map(l -> l.marker).toList() + "); keep one guest per directory");
        }
        return new GuestProject(dir, found.get(0));
    }

    /** The directory's .c files as relative names, sorted (so the link order, and the module, are stable). */
    static List<String> cSources(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(f -> f.getFileName().toString().endsWith(".c") && Files.isRegularFile(f))
                    .map(f -> f.getFileName().toString())
                    .sorted()
                    .toList();
        }
    }
}
