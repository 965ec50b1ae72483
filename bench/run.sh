#!/usr/bin/env bash
# Builds the JMH benchmarks and runs them once per JDK (default: 17 and 25), writing
# bench/results/<timestamp>-jdk<N>.{json,txt}. Extra arguments go to JMH, e.g.
#   bench/run.sh                                   # everything, both JDKs (~35 min)
#   bench/run.sh InvocationBenchmark               # one class (a JMH regexp)
#   bench/run.sh InvocationBenchmark -prof gc      # with a profiler
#   bench/run.sh -i 10 -r 3s                       # overrides the matching defaults below
#   bench/run.sh --quick                           # the hot paths, briefly, compared with bench/baseline/
#   bench/run.sh --quick --record                  # the same, recorded as the new baseline
# Environment: JDKS="<java home> ..." (which JDKs), SKIP_BUILD=1, MVN=<maven command>,
# GUESTS_DIR=<dir with the .wasm guests> (default: guests/dist of this repository), JAR=<benchmarks jar>
# (default: bench/target/benchmarks.jar), WITH_RGW=1 (start one Ceph RGW on loopback for all forks:
# the S3 benchmarks, CheckpointStoreBenchmark and HostCallBenchmark, need it), JAVA_OPTS=<options of the
# JMH launcher's JVM, not of the forks> (e.g. -Djmh.ignoreLock=true).
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$BENCH_DIR")
RESULTS_DIR=${RESULTS_DIR:-$BENCH_DIR/results}
JDKS=${JDKS:-"/usr/lib/jvm/java-17-openjdk-amd64 /usr/lib/jvm/temurin-25-jdk-amd64"}
GUESTS_DIR=${GUESTS_DIR:-$ROOT/guests/dist}
JAR=${JAR:-$BENCH_DIR/target/benchmarks.jar}

# For a shared 2-core machine: one fork per benchmark (a fresh JVM, so the compiled guest code of
# one benchmark cannot pollute another's profile), 5 x 2 s warm-up (the compiled guests take a
# few seconds to reach C2), 5 x 2 s measured. Any of these given on the command line wins.
DEFAULTS=(-f 1 -wi 5 -w 2s -i 5 -r 2s)

# --quick: before a change to a hot path, the benchmarks that guard the hot paths (invocation, CPU-bound
# guests, the memory wrapper, a 16 MiB checkpoint and restore), a few minutes per JDK, each JDK's run
# then compared by compare.py with bench/baseline/jdk<N>.json (exit status 1 if slower beyond the noise);
# --record makes this run the baseline instead (3 forks: the baseline's forks are the noise band).
QUICK=0
RECORD=0
while [ $# -gt 0 ]; do
    case "$1" in
    --quick) QUICK=1 ;;
    --record) RECORD=1 ;;
    *) break ;;
    esac
    shift
done
BASELINE_DIR=$BENCH_DIR/baseline
if [ $QUICK = 1 ]; then
    forks=2
    [ $RECORD = 1 ] && forks=3
    DEFAULTS=(-f $forks -wi 3 -w 1s -i 3 -r 1s)
    set -- 'InvocationBenchmark.(sandboxEcho|rawChicoryEcho)$|CpuHeavyBenchmark.(wasmC|wasmRust|javaSieve)$|MemoryOverheadBenchmark|CheckpointBenchmark.(checkpoint|restore)$' \
        -p memoryMiB=16 -p changedPercent=1 -p fsync=false -p content=random "$@"
elif [ $RECORD = 1 ]; then
    echo "--record goes with --quick" >&2
    exit 2
fi

if [ "${SKIP_BUILD:-0}" != 1 ]; then
    if [ -z "${MVN:-}" ]; then
        if [ -x "$ROOT/mvnw" ]; then MVN="$ROOT/mvnw"; else MVN=mvn; fi
    fi
    echo "== building with $MVN" >&2
    (cd "$ROOT" && $MVN -q -B package -DskipTests -pl bench -am)
fi
[ -f "$JAR" ] || { echo "no $JAR; build first (without SKIP_BUILD=1)" >&2; exit 1; }
[ -f "$GUESTS_DIR/echo.wasm" ] || { echo "no guests in $GUESTS_DIR; run guests/build.sh or set GUESTS_DIR" >&2; exit 1; }

# keep a default only if the caller did not give the same option
jmh_args=()
for ((i = 0; i < ${#DEFAULTS[@]}; i += 2)); do
    given=0
    for arg in "$@"; do [ "$arg" = "${DEFAULTS[i]}" ] && given=1; done
    [ $given = 1 ] || jmh_args+=("${DEFAULTS[i]}" "${DEFAULTS[i + 1]}")
done

mkdir -p "$RESULTS_DIR"
status=0
stamp=$(date +%Y%m%d-%H%M%S)
for home in $JDKS; do
    java="$home/bin/java"
    [ -x "$java" ] || { echo "skipping $home: no $java" >&2; continue; }
    version=$("$java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')
    base="$RESULTS_DIR/$stamp-jdk$version"
    echo "== JDK $version ($home) -> $base.{json,txt}" >&2
    {
        echo "# $(date -Is) $(uname -srm), nproc=$(nproc), load: $(cut -d' ' -f1-3 /proc/loadavg)"
        "$java" -version 2>&1 | sed 's/^/# /'
        echo "# $java -Dwasmworker.guests.dir=$GUESTS_DIR ${WITH_RGW:+(WITH_RGW=$WITH_RGW) }-jar $JAR ${jmh_args[*]} $* -rf json -rff $base.json"
    } >"$base.txt"
    main=(-jar "$JAR")
    [ "${WITH_RGW:-0}" = 1 ] && main=(-cp "$JAR" io.wasmworker.bench.WithRgw)
    # run from bench/ so relative paths behave the same however the script was called
    if ! (cd "$BENCH_DIR" && "$java" ${JAVA_OPTS:-} -Dwasmworker.guests.dir="$GUESTS_DIR" "${main[@]}" \
        "${jmh_args[@]}" "$@" -rf json -rff "$base.json") 2>&1 | tee -a "$base.txt"; then
        echo "== JDK $version: JMH failed, see $base.txt" >&2
        status=1
    fi
    echo "# finished $(date -Is), load: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$base.txt"
    if [ $QUICK = 1 ] && [ -f "$base.json" ]; then
        if [ $RECORD = 1 ]; then
            mkdir -p "$BASELINE_DIR"
            cp "$base.json" "$BASELINE_DIR/jdk$version.json"
            cp "$base.txt" "$BASELINE_DIR/jdk$version.txt"
            echo "== JDK $version: recorded as $BASELINE_DIR/jdk$version.json" >&2
        elif [ -f "$BASELINE_DIR/jdk$version.json" ]; then
            python3 "$BENCH_DIR/compare.py" "$BASELINE_DIR/jdk$version.json" "$base.json" || status=1
        else
            echo "== JDK $version: no baseline $BASELINE_DIR/jdk$version.json to compare with (record one: --quick --record)" >&2
        fi
    fi
done
exit $status
