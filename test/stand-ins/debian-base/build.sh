#!/usr/bin/env bash
# TEST STAND-IN: builds a small Debian bookworm image from Debian packages (no container registry is
# reachable here). It stands in for public base images in tests: python3 + numpy + scikit-learn +
# joblib. Rebuilt only when this recipe changes (the recipe hash is stored as an image label).
#   usage: test/stand-ins/debian-base/build.sh [IMAGE_NAME]
set -euo pipefail
name="${1:-dism-test/debian-base:bookworm}"
packages="python3,python3-numpy,python3-sklearn,python3-joblib,ca-certificates"
hash="$( (cat "$0"; echo "$packages") | sha256sum | cut -c1-16)"
up_to_date() { [ "$(docker image inspect -f '{{ index .Config.Labels "dism.recipe-hash" }}' "$name" 2>/dev/null || true)" = "$hash" ]; }
if up_to_date; then
  echo "debian-base: $name is up to date ($hash)"
  exit 0
fi
command -v debootstrap >/dev/null || { echo "debootstrap is required (apt-get install -y debootstrap)" >&2; exit 1; }

# Two debootstraps at once fight over /proc mounts and the apt cache: take a machine-wide lock, and
# re-check after waiting because the other holder may just have built this very image.
exec 9>/tmp/dism-debootstrap.lock
flock 9
if up_to_date; then
  echo "debian-base: $name was built while waiting for the lock ($hash)"
  exit 0
fi

# debootstrap mounts /proc (and sometimes /sys, /dev/pts) inside the rootfs and may leave them
# mounted, busy, when it fails or races. Unmount everything below the rootfs, deepest first, lazily
# when busy, so neither the tar below nor the cleanup ever walks into a live /proc.
unmount_below() {
  local root="$1" mnt
  [ -d "$root" ] || return 0
  awk -v r="$root/" 'index($2, r) == 1 { print $2 }' /proc/self/mounts | sort -r | while read -r mnt; do
    umount "$mnt" 2>/dev/null || umount -l "$mnt" 2>/dev/null || echo "debian-base: could not unmount $mnt (ignored)" >&2
  done
}
rootfs="$(mktemp -d /tmp/dism-debian-base.XXXXXX)"
cleanup() {
  unmount_below "$rootfs"
  # A leftover temp folder is harmless; a failing cleanup must never fail the build that succeeded.
  rm -rf "$rootfs" 2>/dev/null || echo "debian-base: left $rootfs behind (could not remove all of it)" >&2
}
trap cleanup EXIT

echo "debian-base: debootstrap into $rootfs (takes a few minutes)…"
if ! debootstrap --variant=minbase --include="$packages" bookworm "$rootfs" http://deb.debian.org/debian >/tmp/dism-debootstrap.log 2>&1; then
  tail -20 /tmp/dism-debootstrap.log >&2
  exit 1
fi
unmount_below "$rootfs"
rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
# Never put the host's /proc, /sys or devices into the image, even if something stayed mounted.
tar -C "$rootfs" --one-file-system --exclude=./proc/* --exclude=./sys/* -c . | docker import \
  -c "LABEL dism.recipe-hash=$hash" \
  -c "LABEL dism.stand-in=debian-base" \
  -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  -c 'CMD ["/bin/bash"]' - "$name" >/dev/null
echo "debian-base: built $name ($hash)"
