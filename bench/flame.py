#!/usr/bin/env python3
"""A flame graph (SVG) and a text summary of hot frames from a JFR recording.

    python3 bench/flame.py profile.jfr out.svg [title]

Reads the recording's jdk.ExecutionSample (Java code running) and jdk.NativeMethodSample (threads
in native code: system calls, zstd) events with the `jfr` tool of the JDK that runs this script's
`JFR` environment variable (default: `jfr` on the PATH), and prints the frames most often on top of
the stack, then the SVG's path. JMH writes such recordings with `-prof jfr` (`profile.jfr` per
benchmark). Only the benchmark's own thread matters: samples of JMH's threads are dropped.

For other recordings (the end-to-end programs' `-Dbench.jfr=FILE`) and for work handed to other
threads (an HTTP client's selector and executor, the common pool): `THREADS=REGEX` keeps the samples
of the threads whose name matches (`THREADS=.` keeps all), and `NATIVE=0` drops the native method
samples (threads parked in epoll or a socket read are sampled there too, using no CPU); `BY_THREAD=1`
puts each sample under its thread's name (digits as N, so a pool's threads add up) at the root and
prints the share of each thread. `THREADS=all` is `THREADS=. BY_THREAD=1` without the native samples
of threads waiting in a selector, an accept or a read.
"""
import html
import json
import os
import re
import subprocess
import sys
from collections import Counter

WIDTH, ROW, FONT = 1200, 16, 11
ALL_THREADS = os.environ.get("THREADS") == "all"
BY_THREAD = ALL_THREADS or os.environ.get("BY_THREAD") == "1"
IDLE = re.compile(r"(EPoll\.wait|\.poll|accept|waitForProcessExit)", re.IGNORECASE)


def frames(jfr_file):
    tool = os.environ.get("JFR", "jfr")
    threads = os.environ.get("THREADS", "worker")  # JMH runs the benchmark on "...-jmh-worker-N"
    keep = re.compile("." if threads == "all" else threads)
    events = "jdk.ExecutionSample" + ("" if os.environ.get("NATIVE") == "0" else ",jdk.NativeMethodSample")
    out = subprocess.run(
        [tool, "print", "--json", "--stack-depth", "64", "--events", events, jfr_file],
        check=True, capture_output=True, text=True).stdout
    for event in json.loads(out)["recording"]["events"]:
        v = event["values"]
        thread = (v.get("sampledThread") or {}).get("javaName") or ""
        if not keep.search(thread):
            continue
        stack = ["thread " + re.sub(r"[0-9]+", "N", thread or "?")] if BY_THREAD else []
        for f in reversed(v["stackTrace"]["frames"]):
            m = f["method"]
            cls = m["type"]["name"].replace("/", ".").rsplit(".", 1)[-1]
            stack.append(f"{cls}.{m['name']}")
        if event["type"] == "jdk.NativeMethodSample":
            if ALL_THREADS and stack and IDLE.search(stack[-1]):
                continue  # a thread waiting in native code (a selector, an accept): not work
            stack.append("[native]")
        yield stack


def svg(stacks, title):
    def node():
        return {"n": 0, "kids": {}}

    root = node()
    for stack, count in stacks.items():
        cur = root
        cur["n"] += count
        for name in stack:
            cur = cur["kids"].setdefault(name, node())
            cur["n"] += count
    depth = [0]

    def measure(n, d):
        depth[0] = max(depth[0], d)
        for k in n["kids"].values():
            measure(k, d + 1)

    measure(root, 0)
    height = (depth[0] + 3) * ROW
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
           f'font-family="monospace" font-size="{FONT}">',
           f'<text x="4" y="{ROW - 3}">{html.escape(title)} ({root["n"]} samples; hover for counts)</text>']

    def draw(n, name, x, d):
        w = WIDTH * n["n"] / root["n"]
        if w < 0.5:
            return
        y = height - (d + 1) * ROW
        hue = 20 + (hash(name) % 40)
        pct = 100.0 * n["n"] / root["n"]
        label = html.escape(name)
        out.append(f'<g><title>{label}: {n["n"]} samples ({pct:.1f}%)</title>'
                   f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{ROW - 1}" '
                   f'fill="hsl({hue},90%,{60 if name != "[native]" else 75}%)"/>')
        chars = int(w / (FONT * 0.6))
        if chars > 3:
            out.append(f'<text x="{x + 2:.1f}" y="{y + ROW - 4}">{label[:chars]}</text>')
        out.append('</g>')
        for kname, k in sorted(n["kids"].items()):
            draw(k, kname, x, d + 1)
            x += WIDTH * k["n"] / root["n"]

    draw(root, "all", 0.0, 0)
    out.append('</svg>')
    return "\n".join(out)


def main():
    jfr_file, svg_file = sys.argv[1], sys.argv[2]
    title = sys.argv[3] if len(sys.argv) > 3 else os.path.basename(jfr_file)
    stacks = Counter(tuple(s) for s in frames(jfr_file))
    total = sum(stacks.values())
    top = Counter()
    for s, c in stacks.items():
        top[s[-2] + " [native]" if s[-1] == "[native]" and len(s) > 1 else s[-1]] += c
    whose = os.environ.get("THREADS", "the benchmark thread")
    print(f"{title}: {total} samples of {whose}; frames most often on top:")
    for name, c in top.most_common(12):
        print(f"  {100.0 * c / total:5.1f}%  {name}")
    if BY_THREAD:
        by_thread = Counter()
        for s, c in stacks.items():
            by_thread[s[0]] += c
        print("by thread:")
        for name, c in by_thread.most_common(12):
            print(f"  {100.0 * c / total:5.1f}%  {name}")
    with open(svg_file, "w") as f:
        f.write(svg(stacks, title))
    print(svg_file)


if __name__ == "__main__":
    main()
