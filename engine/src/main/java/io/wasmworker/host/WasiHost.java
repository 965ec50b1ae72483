package io.wasmworker.host;

import com.dylibso.chicory.log.Logger;
import com.dylibso.chicory.log.SystemLogger;
import com.dylibso.chicory.runtime.HostFunction;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.runtime.WasmFunctionHandle;
import com.dylibso.chicory.runtime.WasmRuntimeException;
import com.dylibso.chicory.wasi.WasiOptions;
import com.dylibso.chicory.wasi.WasiPreview1;
import com.dylibso.chicory.wasm.types.FunctionType;
import com.dylibso.chicory.wasm.types.ValType;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * WASI preview1 for one invocation, sandboxed: no preopened directories (so no filesystem), no
 * sockets, no host environment, argv {@code ["guest"]}. Chicory's implementation serves the
 * harmless calls; the calls that touch host state or could be abused are ours:
 * <ul>
 *   <li>{@code fd_read}: stdin from memory or streamed ({@link StdinSource}), never allocating what the
 *       guest asks for (Chicory's allocates the requested length before any check);</li>
 *   <li>{@code fd_write}: stdout with a hard limit checked before copying, stderr as a tail (and line by line as written, when asked: {@link GuestIo#streamStderr});</li>
 *   <li>{@code clock_time_get}, {@code random_get}: injectable, so runs can be deterministic.</li>
 * </ul>
 */
public final class WasiHost {
    public static final String MODULE = "wasi_snapshot_preview1";

    private static final int ESUCCESS = 0;
    private static final int EBADF = 8;
    private static final int EFAULT = 21;
    private static final int EINVAL = 28;
    private static final int ENOTSUP = 58;

    /** Chicory 1.7.5's {@code WasiRights} and {@code WasiFileType} values (package-private there). */
    private static final long RIGHT_FD_READ = 1L << 1;

    private static final long RIGHT_FD_WRITE = 1L << 6;
    private static final byte FILETYPE_UNKNOWN = 0;

    private static final int STDIN = 0;
    private static final int STDOUT = 1;
    private static final int STDERR = 2;
    /** Copy granularity for host-side buffers, so a guest's length never sizes a host allocation. */
    private static final int CHUNK = 64 * 1024;

    private static final FunctionType FD_IO =
            FunctionType.of(List.of(ValType.I32, ValType.I32, ValType.I32, ValType.I32), List.of(ValType.I32));
    private static final FunctionType CLOCK_TIME_GET =
            FunctionType.of(List.of(ValType.I32, ValType.I64, ValType.I32), List.of(ValType.I32));
    private static final FunctionType RANDOM_GET =
            FunctionType.of(List.of(ValType.I32, ValType.I32), List.of(ValType.I32));

    private static volatile Map<String, FunctionType> signatures;

    /**
     * Chicory 1.7.5's {@code WasiPreview1.Builder.build()} without a logger looks for Android with {@code
     * Class.forName("android.os.Build")} every time, so every invocation threw and filled a {@code
     * ClassNotFoundException}; the logger it then picks ({@link SystemLogger}) holds no state, so one serves
     * every run.
     */
    private static final Logger WASI_LOGGER = new SystemLogger();

    private WasiHost() {}

    /** A Chicory WASI with nothing of the host in it; our overrides serve the std streams. */
    public static WasiPreview1 newWasi(Map<String, String> environment) {
        WasiOptions.Builder options = WasiOptions.builder()
                .withArguments(List.of("guest"))
                .withStdin(InputStream.nullInputStream(), false)
                .withStdout(OutputStream.nullOutputStream(), false)
                .withStderr(OutputStream.nullOutputStream(), false)
                .withThrowOnExit0(true);
        environment.forEach(options::withEnvironment);
        return WasiPreview1.builder()
                .withLogger(WASI_LOGGER)
                .withOptions(options.build())
                .build();
    }

    /** The WASI functions of one invocation. */
    public static List<HostFunction> functions(WasiPreview1 wasi, GuestIo io, GuestClock clock, GuestRandom random) {
        List<HostFunction> result = new ArrayList<>();
        for (HostFunction f : wasi.toHostFunctions()) {
            switch (f.name()) {
                case "fd_read", "fd_write", "clock_time_get", "random_get" -> {}
                default -> result.add(f);
            }
        }
        result.add(new HostFunction(
                MODULE,
                "fd_read",
                FD_IO,
                (inst, args) ->
                        i32(fdRead(inst.memory(), io, (int) args[0], (int) args[1], (int) args[2], (int) args[3]))));
        result.add(new HostFunction(
                MODULE,
                "fd_write",
                FD_IO,
                (inst, args) ->
                        i32(fdWrite(inst.memory(), io, (int) args[0], (int) args[1], (int) args[2], (int) args[3]))));
        result.add(new HostFunction(
                MODULE,
                "clock_time_get",
                CLOCK_TIME_GET,
                (inst, args) -> i32(clockTimeGet(inst.memory(), clock, (int) args[0], (int) args[2]))));
        result.add(new HostFunction(
                MODULE,
                "random_get",
                RANDOM_GET,
                (inst, args) -> i32(randomGet(inst.memory(), random, (int) args[0], (int) args[1]))));
        return result;
    }

    /**
     * The WASI functions {@code names} (those a module imports), built once and used by any number of
     * runs: each call acts on the {@link WasiContext} that {@code current} returns at that moment, the
     * calling run's. Names that are no WASI function are left out (instantiation then fails on them, as
     * it would with Chicory's table). Chicory serves the same calls as in {@link #functions(WasiPreview1,
     * GuestIo, GuestClock, GuestRandom)}, through the run's own Chicory WASI: the calls most guests make
     * go straight to its methods; the rest through its function table, built when first needed.
     */
    public static List<HostFunction> functions(Collection<String> names, Supplier<WasiContext> current) {
        Map<String, FunctionType> known = signatures();
        List<HostFunction> result = new ArrayList<>();
        for (String name : names) {
            FunctionType type = known.get(name);
            if (type != null) {
                result.add(new HostFunction(MODULE, name, type, dispatch(name, current)));
            }
        }
        return result;
    }

    private static WasmFunctionHandle dispatch(String name, Supplier<WasiContext> current) {
        return switch (name) {
            case "fd_read" ->
                (inst, args) -> {
                    GuestIo io = current.get().io();
                    return i32(fdRead(inst.memory(), io, (int) args[0], (int) args[1], (int) args[2], (int) args[3]));
                };
            case "fd_write" ->
                (inst, args) -> {
                    GuestIo io = current.get().io();
                    return i32(fdWrite(inst.memory(), io, (int) args[0], (int) args[1], (int) args[2], (int) args[3]));
                };
            case "clock_time_get" ->
                (inst, args) -> i32(clockTimeGet(inst.memory(), current.get().clock(), (int) args[0], (int) args[2]));
            case "random_get" ->
                (inst, args) -> i32(randomGet(inst.memory(), current.get().random(), (int) args[0], (int) args[1]));
            case "fd_fdstat_get" ->
                (inst, args) -> i32(fdFdstatGet(inst.memory(), current.get(), (int) args[0], (int) args[1]));
            case "proc_exit" ->
                (inst, args) -> {
                    current.get().chicory().procExit((int) args[0]);
                    return null;
                };
            case "args_get" ->
                (inst, args) -> i32(current.get().chicory().argsGet(inst.memory(), (int) args[0], (int) args[1]));
            case "args_sizes_get" ->
                (inst, args) -> i32(current.get().chicory().argsSizesGet(inst.memory(), (int) args[0], (int) args[1]));
            case "environ_get" ->
                (inst, args) -> i32(current.get().chicory().environGet(inst.memory(), (int) args[0], (int) args[1]));
            case "environ_sizes_get" ->
                (inst, args) ->
                        i32(current.get().chicory().environSizesGet(inst.memory(), (int) args[0], (int) args[1]));
            default ->
                (inst, args) -> current.get().chicoryFunction(name).handle().apply(inst, args);
        };
    }

    /**
     * Chicory 1.7.5's {@code fd_fdstat_get} on the descriptors a new WASI has (stdin, stdout, stderr, not
     * terminals; no preopened directories), without creating one: most guests' libc asks it about stdout
     * before the first write, and creating Chicory's WASI just for that answer was ~2 µs of a ~20 µs run.
     * Once the run has its Chicory WASI (some call changed or may change its descriptors), Chicory answers.
     * {@code WasiHostTest} compares both answers byte for byte.
     */
    static int fdFdstatGet(Memory memory, WasiContext wasi, int fd, int buf) {
        if (wasi.chicoryCreated()) {
            return wasi.chicory().fdFdstatGet(memory, fd, buf);
        }
        if (fd != STDIN && fd != STDOUT && fd != STDERR) {
            return EBADF;
        }
        memory.write(buf, new byte[8]);
        memory.writeByte(buf, FILETYPE_UNKNOWN);
        memory.writeShort(buf + 2, (short) 0); // fdflags
        memory.writeLong(buf + 8, fd == STDIN ? RIGHT_FD_READ : RIGHT_FD_WRITE);
        memory.writeLong(buf + 16, 0); // rights inheriting
        return ESUCCESS;
    }

    /** Every WASI function a guest may import, with its signature (for checks at load time). */
    public static Map<String, FunctionType> signatures() {
        if (signatures == null) {
            Map<String, FunctionType> map = new LinkedHashMap<>();
            try (WasiPreview1 wasi = newWasi(Map.of())) {
                for (HostFunction f :
                        functions(wasi, new GuestIo(new byte[0], 0, 0), GuestClock.system(), GuestRandom.secure())) {
                    map.put(f.name(), f.functionType());
                }
            }
            signatures = Collections.unmodifiableMap(map);
        }
        return signatures;
    }

    private static long[] i32(int value) {
        return new long[] {value};
    }

    private static int fdRead(Memory memory, GuestIo io, int fd, int iovs, int iovsLen, int nreadPtr) {
        if (fd != STDIN) {
            return EBADF;
        }
        long total = 0;
        for (int i = 0; i < iovsLen && io.stdinRemaining() > 0; i++) {
            int base = memory.readInt(iovs + i * 8);
            long len = Integer.toUnsignedLong(memory.readInt(iovs + i * 8 + 4));
            int n = (int) Math.min(len, io.stdinRemaining());
            checkBounds(memory, base, n);
            io.copyStdin(memory, base, n);
            total += n;
        }
        memory.writeI32(nreadPtr, (int) total);
        return ESUCCESS;
    }

    private static int fdWrite(Memory memory, GuestIo io, int fd, int iovs, int iovsLen, int nwrittenPtr) {
        if (fd != STDOUT && fd != STDERR) {
            return EBADF;
        }
        long total = 0;
        for (int i = 0; i < iovsLen; i++) {
            int base = memory.readInt(iovs + i * 8);
            long len = Integer.toUnsignedLong(memory.readInt(iovs + i * 8 + 4));
            checkBounds(memory, base, len);
            if (fd == STDOUT) {
                io.checkStdoutRoom(len);
                for (long off = 0; off < len; off += CHUNK) {
                    io.appendStdout(memory.readBytes((int) (base + off), (int) Math.min(CHUNK, len - off)));
                }
            } else {
                io.writeStderr(memory, base, len);
            }
            total += len;
        }
        memory.writeI32(nwrittenPtr, (int) total);
        return ESUCCESS;
    }

    private static int clockTimeGet(Memory memory, GuestClock clock, int clockId, int resultPtr) {
        long value;
        switch (clockId) {
            case 0 -> value = clock.realtimeNanos();
            case 1 -> value = clock.monotonicNanos();
            case 2, 3 -> {
                return ENOTSUP; // process and thread CPU clocks would leak host information
            }
            default -> {
                return EINVAL;
            }
        }
        memory.writeLong(resultPtr, value);
        return ESUCCESS;
    }

    private static int randomGet(Memory memory, GuestRandom random, int buf, int len) {
        long length = Integer.toUnsignedLong(len);
        if ((long) Integer.toUnsignedLong(buf) + length > (long) memory.pages() * Memory.PAGE_SIZE) {
            return EFAULT;
        }
        byte[] chunk = new byte[(int) Math.min(CHUNK, length)];
        for (long off = 0; off < length; off += chunk.length) {
            int n = (int) Math.min(chunk.length, length - off);
            byte[] part = n == chunk.length ? chunk : new byte[n];
            random.fill(part);
            memory.write((int) (buf + off), part, 0, n);
        }
        return ESUCCESS;
    }

    private static void checkBounds(Memory memory, int base, long len) {
        long end = Integer.toUnsignedLong(base) + len;
        if (end > (long) memory.pages() * Memory.PAGE_SIZE) {
            throw new WasmRuntimeException(
                    "out of bounds memory access: [" + Integer.toUnsignedLong(base) + ", " + end + ") in a WASI call");
        }
    }

    /** {@code f}, counting each call on the counter {@code current} returns then (the calling run's). */
    public static HostFunction counted(HostFunction f, Supplier<HostCallCounter> current) {
        WasmFunctionHandle handle = f.handle();
        return new HostFunction(f.module(), f.name(), f.functionType(), (Instance inst, long... args) -> {
            current.get().increment();
            return handle.apply(inst, args);
        });
    }

    /** Counts calls into the host, for the invocation's metrics (and later, checkpoint sequence numbers). */
    public static List<HostFunction> counted(List<HostFunction> functions, HostCallCounter counter) {
        List<HostFunction> result = new ArrayList<>(functions.size());
        for (HostFunction f : functions) {
            var handle = f.handle();
            result.add(new HostFunction(f.module(), f.name(), f.functionType(), (Instance inst, long... args) -> {
                counter.increment();
                return handle.apply(inst, args);
            }));
        }
        return result;
    }
}
