#!/bin/bash
# Run a command in a network namespace of its own: loopback up, no other interface, no route, so
# nothing it starts (curl, caddy, promtool, the exporters) can reach a resolver or another host.
# `make test` runs pytest this way (issue 26); tests/hermetic.py guards the test process itself.
set -euo pipefail
if [ "$#" -eq 0 ]; then
  echo "usage: scripts/hermetic.sh COMMAND [ARG...]" >&2
  exit 2
fi
user_ns=()
# Root creates the namespace; anyone else needs a user namespace to (root inside it only).
if [ "$(id -u)" != 0 ]; then
  user_ns=(--map-root-user)
fi
exec unshare --net "${user_ns[@]}" -- sh -c 'ip link set lo up && exec "$@"' hermetic "$@"
