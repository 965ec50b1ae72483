package io.wasmworker.testing;

import static org.assertj.core.api.Assertions.assertThat;

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
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

/**
 * The suite's one mutational fuzzer for decoders and the module loader, seeded and bounded in time:
 * it mutates seed inputs with the given mutations, optionally repairs a share of them (a recomputed
 * checksum, so that a decoder's deeper checks are reached), and feeds each to a target, which returns
 * normally for every input it handles as designed, may throw the decoder's documented refusal
 * ({@link #refusing}), and throws anything else only for a bug. Each finding is written to {@code
 * target/fuzz-findings/} and the report names the random seed, so a run replays with {@code
 * -Dwasmworker.fuzz.seed=N}; kept findings become the regression corpus that {@link #replay} feeds
 * back. Budget and seed come from {@code wasmworker.fuzz.seconds} (default 8) and {@code
 * wasmworker.fuzz.seed} (default: a new one every run).
 *
 * <p>A decoder's test supplies its seeds, a target and {@link ByteMutations#ALL} (plus any
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

        /** Fails the test, naming every finding, unless there are none and at least {@code minInputs} inputs were fed. */
        public void assertNoFindings(String name, int minInputs) {
            System.out.println(describe(name));
            assertThat(findings).as(describe(name)).isEmpty();
            assertThat(iterations).as(name + ": inputs fed").isGreaterThanOrEqualTo(minInputs);
        }
    }

    private final String name;
    private final List<byte[]> seeds;
    private final List<Mutation> mutations;
    private Duration budget = Duration.ofSeconds(Long.getLong("wasmworker.fuzz.seconds", 8));
    private int maxIterations = Integer.MAX_VALUE;
    private long seed = Long.getLong("wasmworker.fuzz.seed", System.nanoTime());
    private int maxFindings = Integer.getInteger("wasmworker.fuzz.maxFindings", 5);
    private Class<? extends Throwable> refusal;
    private UnaryOperator<byte[]> repair = UnaryOperator.identity();
    private double repairShare;

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

    /** A target may refuse an input by throwing {@code refusal} (the decoder's documented error): not a finding. */
    public Fuzzer refusing(Class<? extends Throwable> refusal) {
        this.refusal = refusal;
        return this;
    }

    /** Repairs this share of the mutated inputs (e.g. recomputes their checksum) before the target sees them. */
    public Fuzzer repairing(double share, UnaryOperator<byte[]> repair) {
        this.repairShare = share;
        this.repair = repair;
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
            if (repairShare > 0 && random.nextDouble() < repairShare) {
                input = repair.apply(input.clone());
            }
            String finding = feed(target, input);
            if (finding != null) {
                findings.add("  input " + i + " -> " + save(i, input) + "\n    " + finding);
            }
        }
        return new Report(seed, i, findings);
    }

    /** Feeds every kept input in {@code corpus} (the regression inputs, one file each) to the target. */
    public Report replay(Path corpus, Target target) {
        if (!Files.isDirectory(corpus)) {
            throw new IllegalArgumentException("the regression corpus " + corpus + " is missing");
        }
        List<String> findings = new ArrayList<>();
        try (Stream<Path> files = Files.list(corpus)) {
            List<Path> inputs = files.filter(Files::isRegularFile).sorted().toList();
            for (Path input : inputs) {
                String finding = feed(target, Files.readAllBytes(input));
                if (finding != null) {
                    findings.add("  " + input + "\n    " + finding);
                }
            }
            return new Report(seed, inputs.size(), findings);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** What went wrong with {@code input}, or null if the target handled it as designed. */
    private String feed(Target target, byte[] input) {
        try {
            target.accept(input);
            return null;
        } catch (Throwable t) {
            return refusal != null && refusal.isInstance(t) ? null : firstLines(t);
        }
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
