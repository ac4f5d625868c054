#!/usr/bin/env bash
# TEST STAND-IN: builds the Triton stand-in image (see README.md) FROM the local debian-base image.
# Rebuilt only when this recipe changes (hash of the recipe files, the onnxruntime-node and esbuild
# versions and the base image, stored as an image label).
#   usage: test/stand-ins/triton/build.sh [IMAGE_NAME]
set -euo pipefail
name="${1:-dism-test/tritonserver:23.05-py3}"
base="dism-test/debian-base:bookworm"
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
ort="$root/node_modules/onnxruntime-node"
common="$root/node_modules/onnxruntime-common"
esbuild="$root/node_modules/.bin/esbuild"
base_id="$(docker image inspect -f '{{.Id}}' "$base" 2>/dev/null || true)"
[ -n "$base_id" ] || { echo "triton stand-in: $base is missing; run test/stand-ins/debian-base/build.sh first" >&2; exit 1; }
[ -f "$ort/package.json" ] && [ -f "$common/package.json" ] && [ -x "$esbuild" ] || { echo "triton stand-in: onnxruntime-node and esbuild are taken from $root/node_modules; run npm ci first" >&2; exit 1; }
case "$(docker info -f '{{.Architecture}}' 2>/dev/null || uname -m)" in
  x86_64|amd64) arch=x64 ;;
  aarch64|arm64) arch=arm64 ;;
  *) echo "triton stand-in: unsupported architecture" >&2; exit 1 ;;
esac
ort_version="$(sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' "$ort/package.json" | head -1)"
hash="$( (cd "$here" && find Dockerfile build.sh README.md bin server python -type f ! -name '*.pyc' ! -path '*/__pycache__/*' | LC_ALL=C sort | xargs sha256sum; echo "onnxruntime-node $ort_version $arch"; "$esbuild" --version; echo "$base_id") | sha256sum | cut -c1-16)"
if [ "$(docker image inspect -f '{{ index .Config.Labels "dism.recipe-hash" }}' "$name" 2>/dev/null || true)" = "$hash" ]; then
  echo "triton stand-in: $name is up to date ($hash)"
  exit 0
fi
ctx="$(mktemp -d /tmp/dism-triton-standin.XXXXXX)"
trap 'rm -rf "$ctx"' EXIT
dest="$ctx/tritonserver"
mkdir -p "$dest/standin/node_modules/onnxruntime-node/bin/napi-v6/linux" "$dest/standin/node_modules/onnxruntime-common" "$dest/backends/python"
cp "$here/Dockerfile" "$ctx/"
cp -r "$here/bin" "$dest/bin"
cp "$here/README.md" "$dest/STAND-IN.md"
cp "$here/python/stub.py" "$here/python/triton_python_backend_utils.py" "$dest/backends/python/"
"$esbuild" "$here/server/main.ts" --bundle --platform=node --target=node18 --format=esm --external:onnxruntime-node \
  --log-level=warning --outfile="$dest/standin/server.mjs"
cp -r "$ort/package.json" "$ort/dist" "$dest/standin/node_modules/onnxruntime-node/"
cp -r "$ort/bin/napi-v6/linux/$arch" "$dest/standin/node_modules/onnxruntime-node/bin/napi-v6/linux/"
cp -r "$common/package.json" "$common/dist" "$dest/standin/node_modules/onnxruntime-common/"
chmod -R a+rX "$dest"
echo "triton stand-in: building $name ($hash)…"
old_id="$(docker image inspect -f '{{.Id}}' "$name" 2>/dev/null || true)"
out="$(docker build -q --label "dism.recipe-hash=$hash" --label dism.stand-in=tritonserver --label dism.studio=1 -t "$name" "$ctx" 2>&1)" || { echo "$out" >&2; exit 1; }
# the previous build would stay behind as a dangling image
[ -z "$old_id" ] || [ "$old_id" = "$(docker image inspect -f '{{.Id}}' "$name")" ] || docker image rm "$old_id" >/dev/null 2>&1 || true
echo "triton stand-in: built $name ($hash)"
