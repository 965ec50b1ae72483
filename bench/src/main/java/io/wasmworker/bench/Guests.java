package io.wasmworker.bench;

import io.wasmworker.artifact.Digest;
import io.wasmworker.module.GuestModule;
import io.wasmworker.module.ModuleLoader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Finds and loads the prebuilt example guests. The directory is {@code -Dwasmworker.guests.dir}
 * when set, else the first of {@code guests/dist} and {@code ../guests/dist} (relative to the
 * working directory) that exists, so the benchmarks run from the repository root or from bench/.
 */
final class Guests {
    static final String DIR_PROPERTY = "wasmworker.guests.dir";

    private Guests() {}

    static Path dir() {
        String configured = System.getProperty(DIR_PROPERTY);
        if (configured != null && !configured.isBlank()) {
            Path p = Path.of(configured).toAbsolutePath().normalize();
            if (!Files.isDirectory(p)) {
                throw new IllegalStateException("-D" + DIR_PROPERTY + "=" + configured + " is not a directory");
            }
            return p;
        }
        List<Path> tried = new ArrayList<>();
        for (String candidate : new String[] {"guests/dist", "../guests/dist"}) {
            Path p = Path.of(candidate).toAbsolutePath().normalize();
            if (Files.isDirectory(p)) {
                return p;
            }
            tried.add(p);
        }
        throw new IllegalStateException("cannot find the example guests (tried " + tried
                + "); run from the repository root or bench/, or pass -D" + DIR_PROPERTY + "=<dir>");
    }

    static byte[] bytes(String fileName) {
        Path file = dir().resolve(fileName);
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read guest " + file + " (build the guests with guests/build.sh)", e);
        }
    }

    /** Parses, validates and compiles a guest once, exactly as the worker does. */
    static GuestModule load(String fileName) {
        byte[] bytes = bytes(fileName);
        return new ModuleLoader().load(Digest.of(bytes), bytes);
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
