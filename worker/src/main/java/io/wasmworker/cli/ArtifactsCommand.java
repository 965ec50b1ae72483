package io.wasmworker.cli;

import io.wasmworker.artifact.ArtifactRef;
import io.wasmworker.artifact.ArtifactStore;
import io.wasmworker.artifact.Digest;
import io.wasmworker.artifact.LocalArtifactStore;
import io.wasmworker.module.ModuleLoader;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code wasm-worker artifacts put|build|ls|get}: the artifact store (a directory or S3). */
@Command(
        name = "artifacts",
        mixinStandardHelpOptions = true,
        description = "Manages the content-addressed artifact store (a directory or s3://BUCKET/PREFIX).",
        subcommands = {
            ArtifactsCommand.Put.class,
            ArtifactsCommand.Build.class,
            ArtifactsCommand.Ls.class,
            ArtifactsCommand.Get.class
        })
final class ArtifactsCommand implements Runnable {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    @Command(
            name = "put",
            mixinStandardHelpOptions = true,
            description = "Validates and stores modules; prints each digest. With --name, binds the name to it.")
    static final class Put implements java.util.concurrent.Callable<Integer> {
        @Spec
        picocli.CommandLine.Model.CommandSpec spec;

        @Mixin
        StoreOptions store;

        @Mixin
        ArtifactStoreOption artifactStore;

        @Parameters(paramLabel = "FILE", arity = "1..*", description = "The .wasm files.")
        List<Path> files = new ArrayList<>();

        @Option(names = "--name", paramLabel = "NAME", description = "Bind this name to the (single) module.")
        String name;

        @Override
        public Integer call() throws IOException {
            if (name != null && files.size() != 1) {
                throw new IllegalArgumentException("--name needs exactly one FILE, got " + files.size());
            }
            if (name != null) {
                ArtifactRef.checkName(name);
            }
            ModuleLoader loader = new ModuleLoader();
            PrintWriter out = spec.commandLine().getOut();
            try (ArtifactStore artifacts = artifactStore.open(store)) {
                put(artifacts, loader, out);
            }
            return ExitCodes.SUCCESS;
        }

        private void put(ArtifactStore artifacts, ModuleLoader loader, PrintWriter out) throws IOException {
            for (Path file : files) {
                // the loader's module size limit, or the store's if that is smaller: nothing larger could run
                byte[] bytes = LocalArtifactStore.readBounded(
                        file, Math.min(artifacts.maxBytes(), loader.limits().maxModuleBytes()), "module " + file);
                loader.load(Digest.of(bytes), bytes); // refuse what could never run, with the reason
                Digest digest = artifacts.put(bytes);
                if (name != null) {
                    out.println(digest + "  " + file + "  (" + bind(artifacts, name, digest) + ")");
                } else {
                    out.println(digest + "  " + file);
                }
            }
        }
    }

    /**
     * Binds {@code name} to {@code digest} and says what that did: a new name, a name moved from
     * another digest (tasks that name it run the new module from their next attempt, except those
     * resuming a checkpoint, which keep the version they started), or a name already bound there.
     */
    static String bind(ArtifactStore artifacts, String name, Digest digest) {
        Optional<Digest> before = artifacts.lookupName(name);
        artifacts.bindName(name, digest);
        if (before.isEmpty()) {
            return "name: " + name;
        }
        if (before.get().equals(digest)) {
            return "name: " + name + ", already bound to it";
        }
        return "name: " + name + ", moved from " + before.get();
    }

    @Command(
            name = "build",
            mixinStandardHelpOptions = true,
            description = "Builds a guest project (Rust, AssemblyScript, Zig, Go or C) from source with the installed"
                    + " toolchain, adds asyncify if it checkpoints mid-call, validates and stores the module; prints"
                    + " its digest. With --name, binds the name to it.")
    static final class Build implements java.util.concurrent.Callable<Integer> {
        @Spec
        picocli.CommandLine.Model.CommandSpec spec;

        @Mixin
        StoreOptions store;

        @Mixin
        ArtifactStoreOption artifactStore;

        @Parameters(
                index = "0",
                paramLabel = "DIR",
                description = "The project: a directory with Cargo.toml, package.json + asconfig.json, build.zig,"
                        + " go.mod, or .c files (see guests/templates).")
        Path dir;

        @Option(names = "--name", paramLabel = "NAME", description = "Bind this name to the module.")
        String name;

        @Override
        public Integer call() throws IOException, InterruptedException {
            if (name != null) {
                ArtifactRef.checkName(name);
            }
            GuestProject project = GuestProject.detect(dir);
            GuestBuild.Result built = new GuestBuild(System.getenv()).build(project);
            ModuleLoader loader = new ModuleLoader();
            try (ArtifactStore artifacts = artifactStore.open(store)) {
                long limit = Math.min(artifacts.maxBytes(), loader.limits().maxModuleBytes());
                if (built.module().length > limit) {
                    throw new IllegalArgumentException("the module built from " + dir + " has " + built.module().length
                            + " bytes, more than the limit of " + limit);
                }
                loader.load(Digest.of(built.module()), built.module()); // refuse what could never run, with the reason
                Digest digest = artifacts.put(built.module());
                String what = GuestBuild.name(project) + (built.asyncified() ? ", asyncify" : "");
                if (name != null) {
                    what += ", " + bind(artifacts, name, digest);
                }
                spec.commandLine().getOut().println(digest + "  " + dir + "  (" + what + ")");
            }
            return ExitCodes.SUCCESS;
        }
    }

    @Command(name = "ls", mixinStandardHelpOptions = true, description = "Lists stored digests, their sizes and names.")
    static final class Ls implements java.util.concurrent.Callable<Integer> {
        @Spec
        picocli.CommandLine.Model.CommandSpec spec;

        @Mixin
        StoreOptions store;

        @Mixin
        ArtifactStoreOption artifactStore;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            List<ArtifactStore.Entry> entries;
            try (ArtifactStore artifacts = artifactStore.open(store)) {
                entries = artifacts.inventory();
            }
            for (ArtifactStore.Entry e : entries) {
                String names = e.names().isEmpty() ? "" : "  " + String.join(",", e.names());
                if (e.ok()) {
                    out.println(e.digest().orElseThrow() + names);
                } else {
                    // one damaged entry is reported and the listing carries on
                    out.println("DAMAGED " + e.digest().map(Digest::toString).orElse(e.where()) + names + "  "
                            + e.problem());
                }
            }
            return ExitCodes.SUCCESS;
        }
    }

    @Command(
            name = "get",
            mixinStandardHelpOptions = true,
            description = "Writes a stored module (verified against its digest) to a file.")
    static final class Get implements java.util.concurrent.Callable<Integer> {
        @Spec
        picocli.CommandLine.Model.CommandSpec spec;

        @Mixin
        StoreOptions store;

        @Mixin
        ArtifactStoreOption artifactStore;

        @Parameters(index = "0", paramLabel = "DIGEST|NAME")
        String ref;

        @Option(
                names = {"-o", "--output"},
                paramLabel = "FILE",
                required = true,
                description = "Where to write it.")
        Path output;

        @Override
        public Integer call() throws IOException {
            Digest digest;
            try (ArtifactStore artifacts = artifactStore.open(store)) {
                digest = artifacts.resolve(ArtifactRef.parse(ref));
                Files.write(output, artifacts.get(digest));
            }
            spec.commandLine().getOut().println(digest + "  " + output);
            return ExitCodes.SUCCESS;
        }
    }
}
