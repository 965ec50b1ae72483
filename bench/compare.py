#!/usr/bin/env python3
"""Compares a JMH run (bench/run.sh --quick) against a recorded baseline and flags what moved beyond the noise.

    python3 bench/compare.py bench/baseline/jdk25.json bench/results/<time>-jdk25.json

For every benchmark (with its parameters) in both files, it takes one value per fork: the mean for
AverageTime, the median for SampleTime (the compiled guests of a fork keep their speed for the JVM's
life, so forks, not iterations, are the unit of noise). A benchmark is

- **slower** when every fork of the run is slower than the slowest recorded fork by more than the
  noise band (NOISE, default 0.10: 10 %),
- **faster** when every fork of the run is faster than the fastest recorded fork by more than it,
- otherwise within the noise.

The exit status is 1 if anything is slower, so a script can stop on it. Absolute times depend on
the machine and its load: the script prints both files' machine and load lines (from the `.txt`
beside each `.json`) and warns when they differ; re-record the baseline on a quiet machine of the
kind you compare on (`bench/run.sh --quick --record`).
"""
import json
import os
import sys

from summarize import fork_means, fork_p50s

NOISE = float(os.environ.get("NOISE", "0.10"))


def key(r):
    name = r["benchmark"].rsplit(".", 2)
    params = r.get("params", {})
    suffix = ",".join(f"{k}={params[k]}" for k in sorted(params))
    return name[-2] + "." + name[-1] + (f" [{suffix}]" if suffix else "")


def per_fork(r):
    if r["mode"] == "sample":
        return fork_p50s(r)
    return fork_means(r)


def load(path):
    with open(path) as f:
        return {key(r): r for r in json.load(f)}


def header(path):
    """The machine and load lines bench/run.sh wrote into the .txt beside the .json."""
    txt = path[:-len(".json")] + ".txt"
    lines = []
    if os.path.exists(txt):
        with open(txt) as f:
            for line in f:
                if line.startswith("# 20") or line.startswith("# finished"):
                    lines.append(line.strip())
    return lines


def machine(lines):
    first = next((line for line in lines if not line.startswith("# finished")), "")
    return first.split(", load:")[0].split(" ", 2)[-1] if first else ""


def compare(baseline_path, run_path):
    base, run = load(baseline_path), load(run_path)
    base_head, run_head = header(baseline_path), header(run_path)
    print(f"baseline: {baseline_path}")
    for line in base_head:
        print("  " + line)
    print(f"this run: {run_path}")
    for line in run_head:
        print("  " + line)
    if machine(base_head) != machine(run_head):
        print("WARNING: not the same machine as the baseline; absolute times may not compare")
    print(f"noise band: {NOISE:.0%} beyond the recorded forks\n")

    slower = []
    print("| benchmark | unit | baseline forks | this run's forks | this / baseline (medians) | verdict |")
    print("|---|---|---|---|---:|---|")
    for k in sorted(set(base) & set(run)):
        b, r = per_fork(base[k]), per_fork(run[k])
        if not b or not r:
            continue
        unit = run[k]["primaryMetric"]["scoreUnit"]
        ratio = median(r) / median(b)
        if min(r) > max(b) * (1 + NOISE):
            verdict = "**slower**"
            slower.append(k)
        elif max(r) < min(b) * (1 - NOISE):
            verdict = "faster"
        else:
            verdict = "within noise"
        print(f"| `{k}` | {unit} | {fmt(b)} | {fmt(r)} | {ratio:.2f} | {verdict} |")
    for k in sorted(set(base) - set(run)):
        print(f"| `{k}` | | recorded | not run | | |")
    for k in sorted(set(run) - set(base)):
        print(f"| `{k}` | | not recorded | run | | |")
    print()
    if slower:
        print(f"{len(slower)} benchmark(s) slower than the baseline beyond the noise: " + ", ".join(slower))
    else:
        print("nothing slower than the baseline beyond the noise")
    return 1 if slower else 0


def median(values):
    s = sorted(values)
    mid = len(s) // 2
    return s[mid] if len(s) % 2 else (s[mid - 1] + s[mid]) / 2


def fmt(values):
    return ", ".join(f"{v:.3g}" for v in values)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    sys.exit(compare(sys.argv[1], sys.argv[2]))
