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
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code wasm-worker artifacts put|build|ls|get}: the local artifact store. */
@Command(
        name = "artifacts",
        mixinStandardHelpOptions = true,
        description = "Manages the local content-addressed artifact store.",
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
            LocalArtifactStore artifacts = store.artifacts();
            ModuleLoader loader = new ModuleLoader();
            PrintWriter out = spec.commandLine().getOut();
            for (Path file : files) {
                // the loader's module size limit, or the store's if that is smaller: nothing larger could run
                byte[] bytes = LocalArtifactStore.readBounded(
                        file, Math.min(artifacts.maxBytes(), loader.limits().maxModuleBytes()), "module " + file);
                loader.load(Digest.of(bytes), bytes); // refuse what could never run, with the reason
                Digest digest = artifacts.put(bytes);
                if (name != null) {
                    artifacts.bindName(name, digest);
                    out.println(digest + "  " + file + "  (name: " + name + ")");
                } else {
                    out.println(digest + "  " + file);
                }
            }
            return ExitCodes.SUCCESS;
        }
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
            LocalArtifactStore artifacts = store.artifacts();
            ModuleLoader loader = new ModuleLoader();
            long limit = Math.min(artifacts.maxBytes(), loader.limits().maxModuleBytes());
            if (built.module().length > limit) {
                throw new IllegalArgumentException("the module built from " + dir + " has " + built.module().length
                        + " bytes, more than the limit of " + limit);
            }
            loader.load(Digest.of(built.module()), built.module()); // refuse what could never run, with the reason
            Digest digest = artifacts.put(built.module());
            String what = GuestBuild.name(project) + (built.asyncified() ? ", asyncify" : "");
            if (name != null) {
                artifacts.bindName(name, digest);
                what += ", name: " + name;
            }
            spec.commandLine().getOut().println(digest + "  " + dir + "  (" + what + ")");
            return ExitCodes.SUCCESS;
        }
    }

    @Command(name = "ls", mixinStandardHelpOptions = true, description = "Lists stored digests, their sizes and names.")
    static final class Ls implements java.util.concurrent.Callable<Integer> {
        @Spec
        picocli.CommandLine.Model.CommandSpec spec;

        @Mixin
        StoreOptions store;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            for (LocalArtifactStore.Entry e : store.artifacts().inventory()) {
                String names = e.names().isEmpty() ? "" : "  " + String.join(",", e.names());
                if (e.ok()) {
                    out.println(e.digest().orElseThrow() + names);
                } else {
                    // one damaged entry is reported and the listing carries on
                    out.println("DAMAGED " + e.digest().map(Digest::toString).orElse(e.file()) + names + "  "
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
            ArtifactStore artifacts = store.artifacts();
            Digest digest = artifacts.resolve(ArtifactRef.parse(ref));
            Files.write(output, artifacts.get(digest));
            spec.commandLine().getOut().println(digest + "  " + output);
            return ExitCodes.SUCCESS;
        }
    }
}
