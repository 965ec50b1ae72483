#!/usr/bin/env bash
# Builds the wasm-worker OCI image without a container engine or registry: a Debian bookworm root file
# system with the JRE (mmdebstrap, from Debian's own packages), the worker's jar as a second layer, and
# the image config (non-root user, entrypoint, metrics port, health endpoints), packed by umoci as an
# OCI image layout (a directory; `skopeo copy oci:DIR:TAG docker-archive:FILE.tar` or
# `skopeo copy oci:DIR:TAG docker://REGISTRY/...` takes it anywhere).
#
#   deploy/image/build.sh [JAR] [OUT_DIR]     the image in OUT_DIR/oci, tags `wasm-worker-VERSION` and `latest`
#                                             (defaults: worker/target/wasm-worker-all.jar, worker/target/image)
#   deploy/image/build.sh base FILE           only the base layer (a tar), which needs no jar
#
# The image build takes its base layer from $WASM_WORKER_IMAGE_BASE when that names an existing file
# (.ci/run builds it beside the Maven build that makes the jar), else it builds one.
# Needs root (mmdebstrap's root mode: package scripts run in a chroot) and the Debian packages
# mmdebstrap, umoci and skopeo. Downloaded .deb files are kept in $WASM_WORKER_IMAGE_CACHE (default
# ~/.cache/wasm-worker/image-debs), so a rebuild downloads nothing.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CACHE="${WASM_WORKER_IMAGE_CACHE:-$HOME/.cache/wasm-worker/image-debs}"
VERSION="$(sed -n 's:^  <version>\(.*\)</version>:\1:p' "$ROOT/pom.xml" | head -1)"

# the image's contract, checked by ImageIT; the Kubernetes manifests and the systemd unit use the same
USER_ID=10001
PORT=9464
HOME_DIR=/var/lib/wasm-worker
CONFIG=/etc/wasm-worker/worker.yaml

for tool in mmdebstrap umoci; do
  command -v "$tool" >/dev/null || { echo "build.sh: $tool is missing: apt-get install mmdebstrap umoci skopeo" >&2; exit 2; }
done

# one date (the last commit's) for the image's timestamps, so the same jar gives the same worker layer
export SOURCE_DATE_EPOCH="${SOURCE_DATE_EPOCH:-$(git -C "$ROOT" log -1 --format=%ct 2>/dev/null || echo 0)}"
CREATED="$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y-%m-%dT%H:%M:%SZ)"

# The base layer, as a tar at $1: Debian's essential set and the headless JRE (with its updates and
# security fixes, which mmdebstrap adds for a stable suite), the user wasm-worker (no passwd tools in
# the essential set: its lines are written directly), no apt lists or caches. Docs and locales are left
# out; man pages are removed only afterwards (the JRE's update-alternatives links them). Written
# whole or not at all.
build_base() {
  local target="$1" started=$SECONDS
  mkdir -p "$CACHE" "$(dirname "$target")"
  echo "build.sh: base layer (Debian bookworm + openjdk-17-jre-headless) with mmdebstrap..." >&2
  mmdebstrap --mode=root --format=tar --variant=essential --include=openjdk-17-jre-headless \
    --dpkgopt=force-unsafe-io --aptopt='Acquire::Languages "none"' \
    --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-exclude=/usr/share/locale/*' \
    --setup-hook='mkdir -p "$1"/var/cache/apt/archives/' \
    --setup-hook="sync-in '$CACHE' /var/cache/apt/archives/" \
    --customize-hook="sync-out /var/cache/apt/archives/ '$CACHE'" \
    --customize-hook="echo 'wasm-worker:x:$USER_ID:$USER_ID:wasm-worker:$HOME_DIR:/usr/sbin/nologin' >>\"\$1\"/etc/passwd" \
    --customize-hook="echo 'wasm-worker:x:$USER_ID:' >>\"\$1\"/etc/group" \
    --customize-hook="install -d -m 0750 -o $USER_ID -g $USER_ID \"\$1\"$HOME_DIR" \
    --customize-hook='rm -rf "$1"/usr/share/man/* "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/* "$1"/var/log/*' \
    --customize-hook='rm -f "$1"/var/cache/ldconfig/aux-cache' \
    bookworm "$target.partial" 2>"$target.log" ||
    { tail -20 "$target.log" >&2; rm -f "$target.partial"; return 1; }
  mv "$target.partial" "$target"
  rm -f "$target.log"
  echo "build.sh: base layer $target in $((SECONDS - started)) s" >&2
}

if [ "${1:-}" = base ]; then
  [ -n "${2:-}" ] || { echo "usage: build.sh base FILE" >&2; exit 2; }
  build_base "$(realpath -m "$2")"
  exit 0
fi

JAR="$(realpath "${1:-$ROOT/worker/target/wasm-worker-all.jar}")"
OUT="$(realpath -m "${2:-$ROOT/worker/target/image}")"
[ -f "$JAR" ] || { echo "build.sh: no jar at $JAR: build it first (./mvnw -pl worker -am -DskipTests package)" >&2; exit 2; }
rm -rf "$OUT"
mkdir -p "$OUT/work"
start=$SECONDS

# 1. the base layer
BASE="${WASM_WORKER_IMAGE_BASE:-}"
if [ -n "$BASE" ] && [ -s "$BASE" ]; then
  echo "build.sh: base layer from $BASE (WASM_WORKER_IMAGE_BASE)" >&2
else
  BASE="$OUT/work/base.tar"
  build_base "$BASE"
fi

# 2. the worker: the self-contained jar and an empty directory where the configuration is mounted
mkdir -p "$OUT/work/app/opt/wasm-worker" "$OUT/work/app/etc/wasm-worker"
cp "$JAR" "$OUT/work/app/opt/wasm-worker/wasm-worker-all.jar"
chmod 0644 "$OUT/work/app/opt/wasm-worker/wasm-worker-all.jar"
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$SOURCE_DATE_EPOCH" \
  -C "$OUT/work/app" -cf "$OUT/work/app.tar" ./opt ./etc

# 3. the image: two layers and its config
echo "build.sh: packing the OCI image with umoci..." >&2
IMAGE="$OUT/oci:wasm-worker-$VERSION"
umoci init --layout "$OUT/oci"
umoci new --image "$IMAGE"
umoci raw add-layer --image "$IMAGE" --history.created "$CREATED" \
  --history.created_by "mmdebstrap bookworm + openjdk-17-jre-headless" "$BASE"
umoci raw add-layer --image "$IMAGE" --history.created "$CREATED" \
  --history.created_by "wasm-worker $VERSION: /opt/wasm-worker/wasm-worker-all.jar" "$OUT/work/app.tar"
umoci config --image "$IMAGE" --history.created "$CREATED" --history.created_by "wasm-worker image config" \
  --created "$CREATED" --author "wasm-worker" \
  --config.user "$USER_ID:$USER_ID" \
  --config.workingdir "$HOME_DIR" \
  --config.env "WASM_WORKER_HOME=$HOME_DIR" \
  --config.env "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
  --config.entrypoint /usr/bin/java \
  --config.entrypoint -XX:MaxRAMPercentage=75 \
  --config.entrypoint -XX:+ExitOnOutOfMemoryError \
  --config.entrypoint -jar \
  --config.entrypoint /opt/wasm-worker/wasm-worker-all.jar \
  --config.cmd run --config.cmd --config --config.cmd "$CONFIG" \
  --config.exposedports "$PORT/tcp" \
  --config.volume /etc/wasm-worker \
  --config.stopsignal SIGTERM \
  --config.label "org.opencontainers.image.title=wasm-worker" \
  --config.label "org.opencontainers.image.version=$VERSION" \
  --config.label "org.opencontainers.image.base.name=debian:bookworm (mmdebstrap)" \
  --config.label "io.wasmworker.metrics=:$PORT/metrics" \
  --config.label "io.wasmworker.health.liveness=:$PORT/health/live" \
  --config.label "io.wasmworker.health.readiness=:$PORT/health/ready" \
  --config.label "io.wasmworker.config=$CONFIG"
umoci tag --image "$IMAGE" latest
umoci gc --layout "$OUT/oci"
rm -rf "$OUT/work"
echo "build.sh: $OUT/oci (tags wasm-worker-$VERSION, latest) in $((SECONDS - start)) s" >&2
