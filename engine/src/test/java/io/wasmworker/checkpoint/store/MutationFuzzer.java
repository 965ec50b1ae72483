package io.wasmworker.checkpoint.store;

import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

/**
 * A small seeded mutational fuzzer for decoders: mutates seed inputs (bit flips, byte and int
 * overwrites with boundary values, insertions, deletions, duplications, truncation), optionally
 * repairs them (a recomputed checksum, so the decoder's deeper checks are reached), and feeds them
 * to the target for a time budget. Every input must decode or throw the documented exception;
 * anything else fails the test with the iteration's seed, and the input is written to
 * {@code target/fuzz-crashers/<name>/} to be kept as a regression input.
 *
 * <p>Budget: {@code -Dwasmworker.fuzz.seconds=N} (default 8 per fuzz test). Seed: {@code
 * -Dwasmworker.fuzz.seed=S} (default fixed, so a run is reproducible; a nightly run can vary it).
 */
public final class MutationFuzzer {
    private static final int[] INTERESTING = {
        0, -1, 1, Integer.MIN_VALUE, Integer.MAX_VALUE, 0x7fff_fff0, 65536, 65535, 32767, 0x10000, 0xff, 0x80, -2, 16
    };

    private final String name;
    private final List<byte[]> seeds;
    private final Class<? extends Throwable> documented;
    private UnaryOperator<byte[]> repair = UnaryOperator.identity();
    private double repairShare;

    private MutationFuzzer(String name, List<byte[]> seeds, Class<? extends Throwable> documented) {
        this.name = name;
        this.seeds = seeds;
        this.documented = documented;
    }

    public static MutationFuzzer of(String name, List<byte[]> seeds, Class<? extends Throwable> documented) {
        return new MutationFuzzer(name, seeds, documented);
    }

    /** Repairs this share of the mutated inputs (e.g. recomputes their checksum) before the target sees them. */
    public MutationFuzzer repairing(double share, UnaryOperator<byte[]> repairer) {
        this.repair = repairer;
        this.repairShare = share;
        return this;
    }

    public static Duration budget() {
        return Duration.ofSeconds(Long.getLong("wasmworker.fuzz.seconds", 8));
    }

    /** Runs the fuzzer for the budget; returns the number of inputs tried. */
    public long run(Consumer<byte[]> target) {
        long base = Long.getLong("wasmworker.fuzz.seed", 0x5eed_f00dL);
        long deadline = System.nanoTime() + budget().toNanos();
        long iteration = 0;
        while (System.nanoTime() < deadline) {
            long seed = base + iteration++;
            SplittableRandom random = new SplittableRandom(seed);
            byte[] input = seeds.get(random.nextInt(seeds.size())).clone();
            int mutations = 1 + random.nextInt(random.nextInt(8) + 1);
            for (int i = 0; i < mutations; i++) {
                input = mutate(input, random);
            }
            if (random.nextDouble() < repairShare) {
                input = repair.apply(input);
            }
            check(target, input, "seed " + seed);
        }
        return iteration;
    }

    /** Feeds one input to the target; anything but success or the documented exception fails the test. */
    public void check(Consumer<byte[]> target, byte[] input, String what) {
        try {
            target.accept(input);
        } catch (Throwable t) {
            if (documented.isInstance(t)) {
                return;
            }
            Path kept = keep(input);
            AssertionErrorWithCause failure = new AssertionErrorWithCause(
                    name + " fuzz (" + what + "): " + t + " escaped instead of " + documented.getSimpleName()
                            + "; input kept at " + kept,
                    t);
            throw failure;
        }
    }

    /** Replays every kept input in {@code dir} (the regression corpus); returns how many there were. */
    public int replay(Path dir, Consumer<byte[]> target) {
        if (!Files.isDirectory(dir)) {
            fail("the regression corpus " + dir + " is missing");
        }
        try (Stream<Path> files = Files.list(dir)) {
            List<Path> inputs = files.filter(Files::isRegularFile).sorted().toList();
            for (Path input : inputs) {
                check(target, Files.readAllBytes(input), input.getFileName().toString());
            }
            return inputs.size();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private Path keep(byte[] input) {
        try {
            Path dir = Path.of("target", "fuzz-crashers", name);
            Files.createDirectories(dir);
            Path file = dir.resolve(
                    HexFormat.of()
                                    .formatHex(
                                            java.security.MessageDigest.getInstance("SHA-256")
                                                    .digest(input),
                                            0,
                                            8) + ".bin");
            Files.write(file, input);
            return file.toAbsolutePath();
        } catch (Exception e) {
            return Path.of("(not kept: " + e + ")");
        }
    }

    static byte[] mutate(byte[] in, SplittableRandom r) {
        int n = in.length;
        switch (r.nextInt(8)) {
            case 0: // flip a bit
                if (n > 0) {
                    in[r.nextInt(n)] ^= (byte) (1 << r.nextInt(8));
                }
                return in;
            case 1: // set a byte
                if (n > 0) {
                    in[r.nextInt(n)] = (byte) r.nextInt(256);
                }
                return in;
            case 2: // overwrite an int with a boundary value, big-endian like the formats
                if (n >= 4) {
                    ByteBuffer.wrap(in).putInt(r.nextInt(n - 3), INTERESTING[r.nextInt(INTERESTING.length)]);
                }
                return in;
            case 3: { // insert random bytes
                int at = r.nextInt(n + 1);
                byte[] extra = new byte[1 + r.nextInt(16)];
                r.nextBytes(extra);
                byte[] out = new byte[n + extra.length];
                System.arraycopy(in, 0, out, 0, at);
                System.arraycopy(extra, 0, out, at, extra.length);
                System.arraycopy(in, at, out, at + extra.length, n - at);
                return out;
            }
            case 4: { // delete a range
                if (n == 0) {
                    return in;
                }
                int at = r.nextInt(n);
                int len = 1 + r.nextInt(Math.min(64, n - at));
                byte[] out = new byte[n - len];
                System.arraycopy(in, 0, out, 0, at);
                System.arraycopy(in, at + len, out, at, n - at - len);
                return out;
            }
            case 5: { // duplicate a range
                if (n == 0) {
                    return in;
                }
                int at = r.nextInt(n);
                int len = 1 + r.nextInt(Math.min(64, n - at));
                byte[] out = new byte[n + len];
                System.arraycopy(in, 0, out, 0, at + len);
                System.arraycopy(in, at, out, at + len, n - at);
                return out;
            }
            case 6: // truncate
                return Arrays.copyOf(in, n == 0 ? 0 : r.nextInt(n));
            default: // an ASCII digit or JSON-ish character, for text formats
                if (n > 0) {
                    String chars = "0123456789-+.eE\"{}[]:,\\ntfu";
                    in[r.nextInt(n)] = (byte) chars.charAt(r.nextInt(chars.length()));
                }
                return in;
        }
    }

    /** An assertion failure that keeps the escaped throwable's stack trace. */
    static final class AssertionErrorWithCause extends AssertionError {
        AssertionErrorWithCause(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
