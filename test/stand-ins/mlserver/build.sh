#!/usr/bin/env bash
# TEST STAND-IN: builds the MLServer stand-in image (see README.md) FROM the local debian-base image.
# Rebuilt only when this recipe changes (hash of every file here, stored as an image label).
#   usage: test/stand-ins/mlserver/build.sh [IMAGE_NAME]
set -euo pipefail
name="${1:-dism-test/mlserver:1.5.0}"
base="dism-test/debian-base:bookworm"
here="$(cd "$(dirname "$0")" && pwd)"
base_id="$(docker image inspect -f '{{.Id}}' "$base" 2>/dev/null || true)"
[ -n "$base_id" ] || { echo "mlserver stand-in: $base is missing; run test/stand-ins/debian-base/build.sh first" >&2; exit 1; }
hash="$( (cd "$here" && find . -type f ! -name '*.pyc' ! -path '*/__pycache__/*' | LC_ALL=C sort | xargs sha256sum; echo "$base_id") | sha256sum | cut -c1-16)"
if [ "$(docker image inspect -f '{{ index .Config.Labels "dism.recipe-hash" }}' "$name" 2>/dev/null || true)" = "$hash" ]; then
  echo "mlserver stand-in: $name is up to date ($hash)"
  exit 0
fi
old_id="$(docker image inspect -f '{{.Id}}' "$name" 2>/dev/null || true)"
out="$(docker build -q --label "dism.recipe-hash=$hash" --label dism.stand-in=mlserver --label dism.studio=1 -t "$name" "$here" 2>&1)" || { echo "$out" >&2; exit 1; }
# the previous build would stay behind as a dangling image
[ -z "$old_id" ] || [ "$old_id" = "$(docker image inspect -f '{{.Id}}' "$name")" ] || docker image rm "$old_id" >/dev/null 2>&1 || true
echo "mlserver stand-in: built $name ($hash)"
