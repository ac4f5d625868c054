#!/usr/bin/env bash
# TEST STAND-IN: builds a small Debian bookworm image from Debian packages (no container registry is
# reachable here). It stands in for public base images in tests: python3 + numpy + scikit-learn +
# joblib. Rebuilt only when this recipe changes (the recipe hash is stored as an image label).
#   usage: test/stand-ins/debian-base/build.sh [IMAGE_NAME]
set -euo pipefail
name="${1:-dism-test/debian-base:bookworm}"
packages="python3,python3-numpy,python3-sklearn,python3-joblib,ca-certificates"
here="$(cd "$(dirname "$0")" && pwd)"
hash="$( (cat "$0"; echo "$packages") | sha256sum | cut -c1-16)"
if [ "$(docker image inspect -f '{{ index .Config.Labels "dism.recipe-hash" }}' "$name" 2>/dev/null || true)" = "$hash" ]; then
  echo "debian-base: $name is up to date ($hash)"
  exit 0
fi
command -v debootstrap >/dev/null || { echo "debootstrap is required (apt-get install -y debootstrap)" >&2; exit 1; }
rootfs="$(mktemp -d /tmp/dism-debian-base.XXXXXX)"
trap 'rm -rf "$rootfs"' EXIT
echo "debian-base: debootstrap into $rootfs (takes a few minutes)…"
debootstrap --variant=minbase --include="$packages" bookworm "$rootfs" http://deb.debian.org/debian >/tmp/dism-debootstrap.log 2>&1 || { tail -20 /tmp/dism-debootstrap.log >&2; exit 1; }
rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
tar -C "$rootfs" -c . | docker import \
  -c "LABEL dism.recipe-hash=$hash" \
  -c "LABEL dism.stand-in=debian-base" \
  -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  -c 'CMD ["/bin/bash"]' - "$name" >/dev/null
echo "debian-base: built $name ($hash)"
