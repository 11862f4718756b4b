#!/usr/bin/env bash
# The test images' common root filesystem: Debian bookworm (debootstrap, minbase) with the Debian
# packages that stand for the pinned images' software, installed on the host (chroot apt-get), so
# no build container ever needs the network. Writes one tarball for `docker import`.
#   build-rootfs.sh OUT.tar DEB_CACHE_DIR
# The caller (tests/engine/images.py) names OUT by the content hash of this script, so a change
# here builds a new one and an unchanged script reuses the cached tarball.
set -euo pipefail
out=$1
debs=$2
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
# Installed by debootstrap: the tools the healthchecks and scripts call (busybox for wget, curl,
# sh utilities), python3 for the stand-in servers, procps/iproute2 for ps and ss inside.
base=busybox,curl,ca-certificates,python3,procps,iproute2,findutils
# Installed in the chroot: the software itself (Debian's versions; docs/images.md, "Test images").
packages=(prometheus prometheus-alertmanager prometheus-node-exporter prometheus-postgres-exporter
          prometheus-blackbox-exporter prometheus-elasticsearch-exporter caddy postgresql)
work=$(mktemp -d /var/tmp/cme-rootfs.XXXXXX)
root=$work/rootfs
cleanup() {
  umount -l "$root/proc" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
mkdir -p "$debs"
debootstrap --variant=minbase --cache-dir="$debs" --include="$base" bookworm "$root" "$mirror" >"$work/debootstrap.log" 2>&1 \
  || { tail -30 "$work/debootstrap.log"; exit 1; }
cp /etc/resolv.conf "$root/etc/resolv.conf"
printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
chmod +x "$root/usr/sbin/policy-rc.d"
mount -t proc proc "$root/proc"
cp -a "$debs"/*.deb "$root/var/cache/apt/archives/" 2>/dev/null || true
chroot "$root" env DEBIAN_FRONTEND=noninteractive apt-get -qq update
chroot "$root" env DEBIAN_FRONTEND=noninteractive apt-get -qq install -y --no-install-recommends "${packages[@]}" \
  >"$work/apt.log" 2>&1 || { tail -30 "$work/apt.log"; exit 1; }
# Keep the downloaded packages for the next cold build of a changed recipe.
cp -n "$root"/var/cache/apt/archives/*.deb "$debs/" 2>/dev/null || true
umount "$root/proc"
chroot "$root" apt-get clean
rm -rf "$root"/var/lib/apt/lists/* "$root/usr/sbin/policy-rc.d" "$root/etc/resolv.conf"
# Size: the packages' documentation, manuals and translations, moment-timezone's unpacked data (a
# Prometheus web UI dependency: ~500 MB of JSON the UI does not load) and the cluster the postgresql
# package initialised (tests make their own). The image stays a few hundred MB to import.
rm -rf "$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/usr/share/locale/* \
  "$root"/usr/share/javascript/moment-timezone/data/unpacked "$root"/var/lib/postgresql/15/main
: >"$root/etc/resolv.conf"
tar -C "$root" --numeric-owner -cf "$out.part" .
mv "$out.part" "$out"
