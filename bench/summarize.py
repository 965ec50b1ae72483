#!/usr/bin/env python3
"""Turns JMH JSON results (from bench/run.sh) into the Markdown tables of RESULTS.md.

    python3 bench/summarize.py bench/results/<time>-jdk17.json bench/results/<time>-jdk25.json

Every ratio is computed within one file (one JDK, one run), never across runs.
"""
import json
import os
import sys


def load(path):
    with open(path) as f:
        runs = json.load(f)
    out = {}
    for r in runs:
        name = r["benchmark"].rsplit(".", 2)
        key = name[-2] + "." + name[-1]
        if "guest" in r.get("params", {}):  # GuestLanguageBenchmark: one result per guest
            key += ":" + r["params"]["guest"]
        out[key] = r
    return out


def pct(r, p):
    return r["primaryMetric"].get("scorePercentiles", {}).get(p)


def fork_p50s(r):
    """The median of each fork separately (SampleTime)."""
    out = []
    for fork in r["primaryMetric"].get("rawDataHistogram", []):
        h = {}
        for it in fork:
            for v, c in it:
                h[v] = h.get(v, 0) + c
        total, acc = sum(h.values()), 0
        for v in sorted(h):
            acc += h[v]
            if acc >= total / 2:
                out.append(v)
                break
    return out


def fork_means(r):
    """The mean of each fork separately (AverageTime)."""
    return [sum(f) / len(f) for f in r["primaryMetric"].get("rawData", []) if f]


def fork_cpu_means(r):
    """CPU ms per operation of each fork (CpuTimeBenchmark's cpuNanos and ops counters), or []."""
    sec = r.get("secondaryMetrics", {})
    if "cpuNanos" not in sec or "ops" not in sec:
        return []
    out = []
    for nanos, ops in zip(sec["cpuNanos"].get("rawData", []), sec["ops"].get("rawData", [])):
        if sum(ops) > 0:
            out.append(sum(nanos) / sum(ops) / 1e6)
    return out


def spread(values):
    return max(values) / min(values) if len(values) > 1 and min(values) > 0 else None


def fmt(x, digits=1):
    if not isinstance(x, (int, float)) or x != x:  # None, NaN, or "NaN" (one iteration has no error)
        return "n/a"
    return f"{x:.{digits}f}"


def ratio(a, b):
    return None if a is None or b is None or b == 0 else a / b


def summarize(path):
    res = load(path)
    jdk = next(iter(res.values()))["vmVersion"] if res else "?"
    print(f"### JDK {jdk} ({os.path.basename(path)})\n")

    inv = {k: v for k, v in res.items() if k.startswith("InvocationBenchmark.")}
    if inv:
        print("| invocation (echo) | p0.50 µs | p0.99 µs | mean µs ± 99.9% | samples | p0.50 of each fork µs |")
        print("|---|---:|---:|---:|---:|---|")
        for k in ["sandboxEcho", "callerThreadEcho", "rawChicoryEcho", "threadHandoff"]:
            r = inv.get("InvocationBenchmark." + k)
            if r is None:
                continue
            m = r["primaryMetric"]
            n = sum(c for fork in m["rawDataHistogram"] for it in fork for _, c in it) if "rawDataHistogram" in m else ""
            forks = ", ".join(fmt(x) for x in fork_p50s(r))
            print(f"| `{k}` | {fmt(pct(r, '50.0'))} | {fmt(pct(r, '99.0'))} | {fmt(m['score'])} ± {fmt(m['scoreError'])} | {n} | {forks} |")
        print()

    langs = {k: v for k, v in res.items() if k.startswith("GuestLanguageBenchmark.")}
    if langs:
        print("| warm invocation (order-pricing) | p0.50 µs | p0.99 µs | mean µs ± 99.9% | p0.50 of each fork µs |")
        print("|---|---:|---:|---:|---|")
        for k in sorted(langs):
            r = langs[k]
            m = r["primaryMetric"]
            forks = ", ".join(fmt(x) for x in fork_p50s(r))
            print(f"| `{k.split(':', 1)[1]}` | {fmt(pct(r, '50.0'))} | {fmt(pct(r, '99.0'))} | "
                  f"{fmt(m['score'])} ± {fmt(m['scoreError'])} | {forks} |")
        print()

    other = {k: v for k, v in res.items()
             if not k.startswith("InvocationBenchmark.") and not k.startswith("GuestLanguageBenchmark.")}
    if other:
        print("| benchmark (n = 2,000,000) | ms/op ± 99.9% | mean of each fork ms/op | max/min of fork means |")
        print("|---|---:|---|---:|")
        for k in sorted(other):
            m = other[k]["primaryMetric"]
            forks = ", ".join(fmt(x, 2) for x in fork_means(other[k]))
            print(f"| `{k}` | {fmt(m['score'], 2)} ± {fmt(m['scoreError'], 2)} | {forks} | "
                  f"{fmt(spread(fork_means(other[k])), 2)} |")
            cpu = fork_cpu_means(other[k])
            if cpu:
                print(f"| `{k}` (CPU time of the benchmark thread) | | {', '.join(fmt(x, 2) for x in cpu)} | "
                      f"{fmt(spread(cpu), 2)} |")
        print()

    def p50(k):
        r = res.get(k)
        return pct(r, "50.0") if r else None

    def score(k):
        r = res.get(k)
        return r["primaryMetric"]["score"] if r else None

    lines = []
    sb, ct, raw, ho = (p50("InvocationBenchmark." + k) for k in
                       ["sandboxEcho", "callerThreadEcho", "rawChicoryEcho", "threadHandoff"])
    if sb and raw:
        lines.append(f"sandbox echo / raw Chicory echo (p0.50): **{fmt(ratio(sb, raw), 2)}x** "
                     f"({fmt(sb)} vs {fmt(raw)} µs, {sb - raw:+.1f} µs)")
    if sb and ct:
        lines.append(f"cost of the sandbox thread (sandboxEcho - callerThreadEcho, p0.50): {fmt(sb - ct)} µs; "
                     f"bare handoff round trip alone (threadHandoff p0.50): {fmt(ho)} µs")
    if ct and raw:
        lines.append(f"sandbox steps on the caller thread / raw Chicory (p0.50): {fmt(ratio(ct, raw), 2)}x")
    def fastest(k):
        r = res.get(k)
        return min(fork_means(r)) if r and fork_means(r) else None

    j, c, rs = (score("CpuHeavyBenchmark." + k) for k in ["javaSieve", "wasmC", "wasmRust"])
    fj, fc, frs = (fastest("CpuHeavyBenchmark." + k) for k in ["javaSieve", "wasmC", "wasmRust"])
    if j and c:
        lines.append(f"C guest / plain Java: **{fmt(ratio(c, j), 2)}x** (fastest forks: {fmt(ratio(fc, fj), 2)}x)")
    if j and rs:
        lines.append(f"Rust guest / plain Java: **{fmt(ratio(rs, j), 2)}x** (fastest forks: {fmt(ratio(frs, fj), 2)}x)")
    if c and rs:
        lines.append(f"Rust guest / C guest: {fmt(ratio(rs, c), 2)}x")
    for k, label in [("wasmAssemblyScript", "AssemblyScript"), ("wasmZig", "Zig"), ("wasmGo", "Go")]:
        g, fg = score("CpuHeavyBenchmark." + k), fastest("CpuHeavyBenchmark." + k)
        if g and j:
            lines.append(f"{label} guest / plain Java: **{fmt(ratio(g, j), 2)}x** "
                         f"(fastest forks: {fmt(ratio(fg, fj), 2)}x); / C guest: {fmt(ratio(g, c), 2)}x "
                         f"(fastest forks: {fmt(ratio(fg, fc), 2)}x)")
    b, lm = score("MemoryOverheadBenchmark.byteArrayMemory"), score("MemoryOverheadBenchmark.limitedMemory")
    if b and lm:
        fb = fastest("MemoryOverheadBenchmark.byteArrayMemory")
        flm = fastest("MemoryOverheadBenchmark.limitedMemory")
        lines.append(f"LimitedMemory / ByteArrayMemory (primes C guest): **{fmt(ratio(lm, b), 2)}x** "
                     f"(fastest forks: {fmt(ratio(flm, fb), 2)}x)")
    for line in lines:
        print("- " + line)
    print()


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    for p in sys.argv[1:]:
        summarize(p)
