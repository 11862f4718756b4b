#!/usr/bin/env bash
# Installs what `make test-engine` needs on a fresh Debian machine: Debian's Docker engine
# (docker.io: dockerd, containerd, runc; the tests start their own private dockerd, never the
# system one), debootstrap (the test images' bookworm base), iproute2 and util-linux (a network
# namespace per daemon: `ip netns`, `nsenter`), iptables (dockerd's bridge NAT).
set -euo pipefail
binaries=(/usr/sbin/dockerd /usr/sbin/debootstrap /usr/sbin/ip /usr/bin/nsenter /usr/sbin/iptables /usr/bin/containerd /usr/bin/runc)
missing=0
for bin in "${binaries[@]}"; do [[ -x "$bin" ]] || missing=1; done
if [[ $missing -eq 0 ]]; then exit 0; fi
if [[ $(id -u) -ne 0 ]]; then SUDO=sudo; else SUDO=; fi
export DEBIAN_FRONTEND=noninteractive
echo "installing Debian packages: docker.io debootstrap iproute2 util-linux iptables"
$SUDO apt-get -o DPkg::Lock::Timeout=600 update -qq
# policy-rc.d: install dockerd and containerd without starting the system's services; the tests
# start a private daemon each and must never touch /var/run/docker.sock.
printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
$SUDO chmod +x /usr/sbin/policy-rc.d
trap '$SUDO rm -f /usr/sbin/policy-rc.d' EXIT
$SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends \
  docker.io debootstrap iproute2 util-linux iptables >/dev/null
