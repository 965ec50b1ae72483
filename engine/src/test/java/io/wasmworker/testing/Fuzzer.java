package io.wasmworker.testing;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * A seeded mutational fuzzer for decoders, bounded in time: it mutates seed inputs with the given
 * mutations and feeds each result to a target, which returns normally for every input it handles as
 * designed and throws for anything else. Each finding is written to {@code target/fuzz-findings/}
 * and the run ends with the random seed, so a finding replays with {@code -Dwasmworker.fuzz.seed=N}.
 * Budget and seed come from {@code wasmworker.fuzz.seconds} and {@code wasmworker.fuzz.seed}.
 *
 * <p>Reusable: a decoder's test supplies its seeds, a target and {@link ByteMutations#ALL} (plus any
 * format-aware mutations of its own).
 */
public final class Fuzzer {
    /** What the fuzzer feeds; throwing anything means the input was not handled as designed. */
    @FunctionalInterface
    public interface Target {
        void accept(byte[] input) throws Throwable;
    }

    /** A mutation of one input; may consult the other seeds (for splicing). */
    @FunctionalInterface
    public interface Mutation {
        byte[] apply(byte[] input, Random random, List<byte[]> seeds);
    }

    /** The outcome of a run. */
    public record Report(long seed, int iterations, List<String> findings) {
        public String describe(String name) {
            return name + ": " + iterations + " inputs, seed " + seed + " (replay with -Dwasmworker.fuzz.seed=" + seed
                    + "), " + findings.size() + " finding(s)"
                    + (findings.isEmpty() ? "" : ":\n" + String.join("\n", findings));
        }
    }

    private final String name;
    private final List<byte[]> seeds;
    private final List<Mutation> mutations;
    private Duration budget = Duration.ofSeconds(Long.getLong("wasmworker.fuzz.seconds", 10));
    private int maxIterations = Integer.MAX_VALUE;
    private long seed = Long.getLong("wasmworker.fuzz.seed", System.nanoTime());
    private int maxFindings = Integer.getInteger("wasmworker.fuzz.maxFindings", 5);

    public Fuzzer(String name, List<byte[]> seeds, List<Mutation> mutations) {
        if (seeds.isEmpty() || mutations.isEmpty()) {
            throw new IllegalArgumentException("a fuzzer needs seeds and mutations");
        }
        this.name = name;
        this.seeds = List.copyOf(seeds);
        this.mutations = List.copyOf(mutations);
    }

    public Fuzzer budget(Duration budget) {
        this.budget = budget;
        return this;
    }

    public Fuzzer maxIterations(int maxIterations) {
        this.maxIterations = maxIterations;
        return this;
    }

    public Fuzzer seed(long seed) {
        this.seed = seed;
        return this;
    }

    /** Runs until the budget or the iteration count is spent, or {@code maxFindings} inputs failed. */
    public Report run(Target target) {
        Random random = new Random(seed);
        long deadline = System.nanoTime() + budget.toNanos();
        List<String> findings = new ArrayList<>();
        int i = 0;
        for (; i < maxIterations && System.nanoTime() < deadline && findings.size() < maxFindings; i++) {
            byte[] input = seeds.get(random.nextInt(seeds.size()));
            int rounds = 1 + random.nextInt(4);
            for (int r = 0; r < rounds; r++) {
                input = mutations.get(random.nextInt(mutations.size())).apply(input, random, seeds);
            }
            try {
                target.accept(input);
            } catch (Throwable t) {
                findings.add("  input " + i + " -> " + save(i, input) + "\n    " + firstLines(t));
            }
        }
        return new Report(seed, i, findings);
    }

    private Path save(int iteration, byte[] input) {
        try {
            Path dir = Path.of("target", "fuzz-findings");
            Files.createDirectories(dir);
            return Files.write(dir.resolve(name + "-" + seed + "-" + iteration + ".bin"), input)
                    .toAbsolutePath();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String firstLines(Throwable t) {
        StringWriter w = new StringWriter();
        t.printStackTrace(new PrintWriter(w));
        String[] lines = w.toString().split("\n");
        return String.join("\n    ", List.of(lines).subList(0, Math.min(lines.length, 8)));
    }
}
