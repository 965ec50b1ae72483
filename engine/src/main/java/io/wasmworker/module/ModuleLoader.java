package io.wasmworker.module;

import com.dylibso.chicory.compiler.InterpreterFallback;
import com.dylibso.chicory.compiler.MachineFactoryCompiler;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Machine;
import com.dylibso.chicory.wasm.ChicoryException;
import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.ExternalType;
import com.dylibso.chicory.wasm.types.FunctionImport;
import com.dylibso.chicory.wasm.types.FunctionType;
import com.dylibso.chicory.wasm.types.Import;
import com.dylibso.chicory.wasm.types.MutabilityType;
import com.dylibso.chicory.wasm.types.ValType;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.wasmworker.abi.AbiV1;
import io.wasmworker.artifact.Digest;
import io.wasmworker.host.WasiHost;
import java.io.ByteArrayInputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns verified artifact bytes into a {@link GuestModule}: pre-scan the declared counts against the
 * {@link ModuleLimits}, parse and validate, check that every import is something this host provides
 * and that the module is a WASI command, then compile it to JVM bytecode once, all within the
 * compile budget (and read the guest's description, if it has one). Every rejection is an {@link InvalidModuleException} naming the artifact and the
 * exact problem; nothing Chicory throws for bad bytes escapes any other way.
 */
public final class ModuleLoader {
    private static final Logger log = LoggerFactory.getLogger(ModuleLoader.class);
    private static final byte[] MAGIC = {0x00, 0x61, 0x73, 0x6d};
    /**
     * Chicory 1.7.5's parser, validator and compiler cannot be interrupted, so the budget is enforced
     * by running them on a thread of this small pool and no longer waiting once it is spent: the caller
     * gets its answer in time, and the abandoned compile runs to its end on the pool thread. Runaway
     * compiles cannot pile up: the pool never has more than this many threads (later loads queue, and
     * their budget starts when they do), and the pre-scan's limits keep every compile finite. Idle
     * threads exit, so a loader needs no closing.
     */
    private static final int COMPILE_THREADS = 2;
    /** Chicory's validator and compiler recurse per nested block; deep but legitimate nesting needs room. */
    private static final long COMPILE_STACK_BYTES = 64L << 20;

    private static final AtomicInteger THREAD_IDS = new AtomicInteger();

    private final ModuleLimits limits;
    private final ThreadPoolExecutor compilers;
    /**
     * Modules that went over the budget, for a while: a task retried against the same digest must not
     * start another runaway compile each time (ModuleCache does not cache failures). They expire, in
     * case only a busy machine made the first attempt slow.
     */
    private final Cache<Digest, String> overBudget = Caffeine.newBuilder()
            .maximumSize(1024)
            .expireAfterWrite(Duration.ofMinutes(10))
            .build();

    /** A loader with the {@link ModuleLimits#defaults() default limits}. */
    public ModuleLoader() {
        this(ModuleLimits.defaults());
    }

    public ModuleLoader(ModuleLimits limits) {
        this.limits = limits;
        this.compilers = new ThreadPoolExecutor(
                COMPILE_THREADS, COMPILE_THREADS, 10, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
                    Thread t = new Thread(
                            null, r, "wasm-worker-compiler-" + THREAD_IDS.incrementAndGet(), COMPILE_STACK_BYTES);
                    t.setDaemon(true);
                    return t;
                });
        compilers.allowCoreThreadTimeOut(true);
    }

    public ModuleLimits limits() {
        return limits;
    }

    public GuestModule load(Digest digest, byte[] bytes) {
        checkMagic(digest, bytes);
        ModuleScan.Result scan = ModuleScan.check(digest, bytes, limits);
        description(digest, bytes, scan); // a malformed description is refused like the rest of the module
        String refusal = overBudget.getIfPresent(digest);
        if (refusal != null) {
            throw new InvalidModuleException(refusal + " (refused within the last 10 minutes: not compiled again)");
        }
        GuestModule module = withinBudget(digest, () -> parseAndCompile(digest, bytes));
        log.debug("compiled {} ({} bytes) in {} ms", digest.shortForm(), bytes.length, module.compileMillis());
        return module;
    }

    /**
     * The guest's description (guests/ABI.md, "Describing a guest"), read without compiling the
     * module: the module is scanned as {@link #load} scans it, and the description checked.
     *
     * @return empty if the module has no description
     * @throws InvalidModuleException naming the artifact and the problem, if the bytes are no module
     *     this host could load or the description is malformed
     */
    public Optional<GuestDescription> describe(Digest digest, byte[] bytes) {
        checkMagic(digest, bytes);
        return description(digest, bytes, ModuleScan.check(digest, bytes, limits));
    }

    private static Optional<GuestDescription> description(Digest digest, byte[] bytes, ModuleScan.Result scan) {
        if (!scan.described()) {
            return Optional.empty();
        }
        return Optional.of(DescriptionReader.read(digest, bytes, scan.descriptionOffset(), scan.descriptionLength()));
    }

    private GuestModule parseAndCompile(Digest digest, byte[] bytes) {
        long start = System.nanoTime();
        WasmModule wasm;
        try {
            wasm = parser().parse(() -> new ByteArrayInputStream(bytes));
        } catch (RuntimeException | AssertionError | OutOfMemoryError | StackOverflowError e) {
            throw new InvalidModuleException(
                    "artifact " + digest + " is not a valid WebAssembly module: " + describe(e, "parser"), e);
        }
        checkImports(digest, wasm);
        String heapRefusal = HeapCheck.refusal(wasm);
        if (heapRefusal != null) {
            throw new InvalidModuleException("artifact " + digest + " cannot run here: " + heapRefusal);
        }
        GuestStyle style = styleOf(digest, wasm);
        Function<Instance, Machine> machineFactory;
        try {
            // A function too big for one JVM method is refused, not left to Chicory 1.7.5's interpreter:
            // that allocates each call's locals on the heap where no limit can charge them (a recursing
            // 50-byte module exhausted a 256 MiB heap in 2 s), ignores interrupts on br_if back edges,
            // and runs 55-190x slower. Compilers emit no such functions for real code.
            machineFactory = MachineFactoryCompiler.builder(wasm)
                    .withInterpreterFallback(InterpreterFallback.FAIL)
                    .compile();
        } catch (RuntimeException | AssertionError | LinkageError | OutOfMemoryError | StackOverflowError e) {
            throw new InvalidModuleException(
                    "artifact " + digest + " could not be compiled: "
                            + (tooLargeForAMethod(e) ? tooLargeFunction(e) : describe(e, "compiler")),
                    e);
        }
        long millis = (System.nanoTime() - start) / 1_000_000;
        return new GuestModule(digest, wasm, machineFactory, style, bytes.length, millis);
    }

    /** Chicory 1.7.5's refusal under {@code InterpreterFallback.FAIL}, which ends "WASM function index: N". */
    private static boolean tooLargeForAMethod(Throwable e) {
        return e instanceof ChicoryException
                && e.getMessage() != null
                && e.getMessage().contains("exceeds the Java method size limits");
    }

    private static String tooLargeFunction(Throwable e) {
        String message = e.getMessage();
        int at = message.lastIndexOf("index:");
        String function = at < 0
                ? "a function"
                : "function " + message.substring(at + "index:".length()).trim();
        return function + " is too large to compile to one JVM method, and this host does not interpret functions"
                + " (see guests/ABI.md); split it, or build with optimisations that keep functions smaller";
    }

    /**
     * Chicory 1.7.5 does not parse the "name" custom section lazily: it allocates each name by its
     * declared length before checking it fits, and inserts entries into sorted lists one by one
     * (quadratic for a reversed list). This host never shows guest function names, so the section is
     * kept as raw bytes instead. (A Parser holds state while parsing: one per module.)
     */
    private static Parser parser() {
        return Parser.builder().withCustomParsers(Map.of()).build();
    }

    /** Chicory's own errors say what is wrong; anything else thrown on bad bytes is a Chicory bug, named as one. */
    private static String describe(Throwable e, String stage) {
        if (e instanceof ChicoryException && e.getMessage() != null) {
            return e.getMessage();
        }
        if (e instanceof OutOfMemoryError) {
            return "it needs more heap than is available to parse and compile it";
        }
        if (e instanceof StackOverflowError) {
            return "its code nests too deeply for Chicory's " + stage;
        }
        return "Chicory's " + stage + " failed on it (" + e + ")";
    }

    /** Runs {@code work} on a compiler thread, waiting at most the compile budget once it has started. */
    private GuestModule withinBudget(Digest digest, Supplier<GuestModule> work) {
        CountDownLatch started = new CountDownLatch(1);
        Future<GuestModule> result = compilers.submit(() -> {
            started.countDown();
            return work.get();
        });
        Duration budget = limits.compileBudget();
        boolean interrupted = false;
        try {
            // Uninterruptible, as compiling on the caller's thread was: an interrupted caller still
            // gets the module or its rejection, at the latest when the budget is spent.
            while (true) {
                try {
                    started.await();
                    break;
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            long deadline = System.nanoTime() + budget.toNanos();
            while (true) {
                try {
                    return result.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        } catch (TimeoutException e) {
            result.cancel(true);
            String refusal = "artifact " + digest + " is refused: parsing and compiling it took longer than the"
                    + " compile budget of " + budget.toMillis() + " ms (compileBudget)";
            overBudget.put(digest, refusal);
            throw new InvalidModuleException(refusal);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof InvalidModuleException invalid) {
                throw invalid;
            }
            throw new InvalidModuleException(
                    "artifact " + digest + " could not be loaded: " + describe(cause, "parser or compiler"), cause);
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static void checkMagic(Digest digest, byte[] bytes) {
        for (int i = 0; i < MAGIC.length; i++) {
            if (bytes.length <= i || bytes[i] != MAGIC[i]) {
                throw new InvalidModuleException("artifact " + digest
                        + " is not a WebAssembly module: it does not start with the bytes \\0asm ("
                        + bytes.length + " bytes in all)");
            }
        }
    }

    private static void checkImports(Digest digest, WasmModule wasm) {
        List<String> problems = new ArrayList<>();
        var section = wasm.importSection();
        for (int i = 0; i < section.importCount(); i++) {
            Import imp = section.getImport(i);
            String what = imp.module() + "." + imp.name();
            if (imp.importType() != ExternalType.FUNCTION) {
                problems.add("imports " + imp.importType().name().toLowerCase() + " " + what
                        + ", but this host provides only functions");
                continue;
            }
            Map<String, FunctionType> offered = switch (imp.module()) {
                case WasiHost.MODULE -> WasiHost.signatures();
                case AbiV1.HOST_MODULE -> AbiV1.hostFunctionSignatures();
                default -> null;
            };
            if (offered == null) {
                problems.add("imports " + what + " from module '" + imp.module() + "', but this host offers only '"
                        + WasiHost.MODULE + "' and '" + AbiV1.HOST_MODULE + "'");
                continue;
            }
            FunctionType wanted = wasm.typeSection().getType(((FunctionImport) imp).typeIndex());
            FunctionType provided = offered.get(imp.name());
            if (provided == null) {
                problems.add("imports " + what + ", which this host does not provide");
            } else if (!provided.equals(wanted)) {
                problems.add("imports " + what + " with type " + wanted + ", but the host's has type " + provided);
            }
        }
        if (!problems.isEmpty()) {
            throw new InvalidModuleException("artifact " + digest + " cannot run here: " + String.join("; ", problems));
        }
    }

    static final List<String> ASYNCIFY_EXPORTS = List.of(
            "asyncify_start_unwind",
            "asyncify_stop_unwind",
            "asyncify_start_rewind",
            "asyncify_stop_rewind",
            "asyncify_get_state");

    private static GuestStyle styleOf(Digest digest, WasmModule wasm) {
        Set<String> functions = new HashSet<>();
        boolean hasMemory = false;
        var exports = wasm.exportSection();
        for (int i = 0; i < exports.exportCount(); i++) {
            var export = exports.getExport(i);
            if (export.exportType() == ExternalType.FUNCTION) {
                functions.add(export.name());
            }
            hasMemory |= export.name().equals("memory") && export.exportType() == ExternalType.MEMORY;
        }
        if (!hasMemory) {
            throw new InvalidModuleException(
                    "artifact " + digest + " exports no memory named 'memory' (see guests/ABI.md)");
        }
        checkMemories(digest, wasm);
        boolean command = functions.contains("_start");
        boolean step = functions.contains(AbiV1.STEP_EXPORT);
        if (command && step) {
            throw new InvalidModuleException("artifact " + digest + " exports both '_start' and '" + AbiV1.STEP_EXPORT
                    + "'; a guest is either a command or a step guest (see guests/ABI.md)");
        }
        if (!command && !step) {
            throw new InvalidModuleException(
                    "artifact " + digest + " is not a WASI command: it exports no function '_start'" + " (nor '"
                            + AbiV1.STEP_EXPORT + "' for a step guest; see guests/ABI.md)");
        }
        boolean callsCheckpoint = wasm.importSection().stream()
                .anyMatch(imp ->
                        imp.module().equals(AbiV1.HOST_MODULE) && imp.name().equals(AbiV1.CHECKPOINT_IMPORT));
        if (callsCheckpoint && Producers.isGo(wasm)) {
            // Asyncify saves wasm locals, but Go's runtime keeps goroutine stacks in linear memory
            // and switches them itself; no resume of such a module was shown to be exact.
            throw new InvalidModuleException("artifact " + digest + " calls " + AbiV1.HOST_MODULE + "."
                    + AbiV1.CHECKPOINT_IMPORT + " but was built by the Go compiler, and Go guests cannot be"
                    + " checkpointed (Go's runtime switches goroutine stacks itself, which asyncify cannot capture"
                    + " exactly). Remove the checkpoint import, or write the checkpointing guest in C, Rust, Zig or"
                    + " AssemblyScript (guests/ABI.md, \"Go\")");
        }
        if (step) {
            return GuestStyle.STEP;
        }
        if (functions.containsAll(ASYNCIFY_EXPORTS)) {
            checkStackPointer(digest, wasm);
            return GuestStyle.ASYNCIFY_COMMAND;
        }
        if (callsCheckpoint) {
            throw new InvalidModuleException("artifact " + digest + " calls " + AbiV1.HOST_MODULE + "."
                    + AbiV1.CHECKPOINT_IMPORT + " but cannot be checkpointed: it is a plain command. Instrument it with"
                    + " `wasm-opt --asyncify --pass-arg=asyncify-imports@" + AbiV1.HOST_MODULE + "."
                    + AbiV1.CHECKPOINT_IMPORT
                    + " -O2` (see guests/build.sh), or make it a step guest exporting '" + AbiV1.STEP_EXPORT
                    + "' (guests/ABI.md)");
        }
        return GuestStyle.COMMAND;
    }

    /** Asyncify resumes need the shadow stack pointer, which clang and rustc place in global 0. */
    private static void checkStackPointer(Digest digest, WasmModule wasm) {
        var globals = wasm.globalSection();
        boolean ok = globals.globalCount() > 0
                && globals.getGlobal(0).mutabilityType() == MutabilityType.Var
                && globals.getGlobal(0).valueType().equals(ValType.I32);
        if (!ok) {
            throw new InvalidModuleException("artifact " + digest + " is asyncify-instrumented but its global 0 is not"
                    + " a mutable i32 (the shadow stack pointer clang and rustc put there); it cannot be resumed");
        }
    }

    private static void checkMemories(Digest digest, WasmModule wasm) {
        wasm.memorySection().ifPresent(ms -> {
            for (int i = 0; i < ms.memoryCount(); i++) {
                if (ms.getMemory(i).limits().shared()) {
                    throw new InvalidModuleException(
                            "artifact " + digest + " declares a shared memory; threads are not supported");
                }
            }
        });
    }
}
