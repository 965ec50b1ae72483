package io.wasmworker.adapter.temporal;

import static org.assertj.core.api.Assertions.assertThat;

import com.dylibso.chicory.wabt.Wat2Wasm;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.wasmworker.artifact.ArtifactRef;
import io.wasmworker.artifact.LocalArtifactStore;
import io.wasmworker.checkpoint.store.LocalSnapshotStore;
import io.wasmworker.checkpoint.store.SnapshotStore;
import io.wasmworker.module.ModuleCache;
import io.wasmworker.module.ModuleLoader;
import io.wasmworker.sandbox.InvocationResult;
import io.wasmworker.sandbox.Outcome;
import io.wasmworker.sandbox.Sandbox;
import io.wasmworker.task.TaskBinding;
import io.wasmworker.task.TaskKey;
import io.wasmworker.task.TaskRunner;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The example guests (guests/dist), stores in a directory, and what tests read from guest stderr. */
final class Guests {
    private static final Pattern STEP = Pattern.compile("^step (\\d+)$", Pattern.MULTILINE);

    /** Prints its environment as {@code {"env":["K=V",...]}} (values must not need escaping). */
    static final String ENV_DUMP_WAT = """
            (module
              (import "wasi_snapshot_preview1" "environ_sizes_get" (func $sizes (param i32 i32) (result i32)))
              (import "wasi_snapshot_preview1" "environ_get" (func $get (param i32 i32) (result i32)))
              (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
              (memory (export "memory") 1)
              (global $out (mut i32) (i32.const 32768))
              (func $byte (param $b i32)
                (i32.store8 (global.get $out) (local.get $b))
                (global.set $out (i32.add (global.get $out) (i32.const 1))))
              (func (export "_start")
                (local $i i32) (local $n i32) (local $p i32) (local $c i32)
                (drop (call $sizes (i32.const 100) (i32.const 104)))
                (drop (call $get (i32.const 1024) (i32.const 2048)))
                (local.set $n (i32.load (i32.const 100)))
                (call $byte (i32.const 123)) (call $byte (i32.const 34)) (call $byte (i32.const 101))
                (call $byte (i32.const 110)) (call $byte (i32.const 118)) (call $byte (i32.const 34))
                (call $byte (i32.const 58)) (call $byte (i32.const 91))
                (block $done (loop $each
                  (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
                  (if (local.get $i) (then (call $byte (i32.const 44))))
                  (call $byte (i32.const 34))
                  (local.set $p (i32.load (i32.add (i32.const 1024) (i32.shl (local.get $i) (i32.const 2)))))
                  (block $end (loop $chars
                    (local.set $c (i32.load8_u (local.get $p)))
                    (br_if $end (i32.eqz (local.get $c)))
                    (call $byte (local.get $c))
                    (local.set $p (i32.add (local.get $p) (i32.const 1)))
                    (br $chars)))
                  (call $byte (i32.const 34))
                  (local.set $i (i32.add (local.get $i) (i32.const 1)))
                  (br $each)))
                (call $byte (i32.const 93)) (call $byte (i32.const 125))
                (i32.store (i32.const 0) (i32.const 32768))
                (i32.store (i32.const 4) (i32.sub (global.get $out) (i32.const 32768)))
                (drop (call $write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))
            """;

    private Guests() {}

    static Path dir() {
        return Path.of(System.getProperty("wasmworker.guests.dir", "../../guests/dist"));
    }

    static byte[] bytes(String name) {
        try {
            return Files.readAllBytes(dir().resolve(name + ".wasm"));
        } catch (IOException e) {
            throw new UncheckedIOException("example guest " + name + " is missing; run guests/build.sh", e);
        }
    }

    static byte[] envDump() {
        return Wat2Wasm.parse(ENV_DUMP_WAT);
    }

    /** An artifact store under {@code home} with the named example guests bound to their names. */
    static LocalArtifactStore artifacts(Path home, String... names) {
        LocalArtifactStore store = new LocalArtifactStore(home.resolve("artifacts"));
        for (String name : names) {
            store.bindName(name, store.put(bytes(name)));
        }
        return store;
    }

    static LocalSnapshotStore snapshots(Path home) {
        return new LocalSnapshotStore(home.resolve("snapshots"), false);
    }

    static TaskRunner runner(LocalArtifactStore artifacts, SnapshotStore snapshots, Sandbox sandbox) {
        return new TaskRunner(artifacts, new ModuleCache(artifacts, new ModuleLoader(), 16), snapshots, sandbox);
    }

    /**
     * The output (compact JSON) of one uninterrupted run of the example guest {@code name} on {@code
     * input}, with stores of its own under {@code scratch}: what a resumed run must end with.
     */
    static String uninterrupted(Path scratch, String name, Object input) throws IOException {
        ObjectMapper json = new ObjectMapper();
        try (Sandbox sandbox = new Sandbox()) {
            InvocationResult r = runner(artifacts(scratch, name), snapshots(scratch), sandbox)
                    .open(TaskKey.of("uninterrupted"), TaskBinding.of(ArtifactRef.parse(name)), 1)
                    .invoke(json.writeValueAsBytes(input), Map.of(), null, null);
            assertThat(r.outcome()).as(r.report()).isInstanceOf(Outcome.Success.class);
            return json.readTree(new String(r.stdout(), StandardCharsets.UTF_8)).toString();
        }
    }

    /** The steps a checkpoint guest ran, from the "step i" lines it writes to stderr. */
    static List<Integer> steps(String stderr) {
        List<Integer> steps = new ArrayList<>();
        Matcher m = STEP.matcher(stderr);
        while (m.find()) {
            steps.add(Integer.parseInt(m.group(1)));
        }
        return steps;
    }
}
