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
# A veth pair (both ends here), up but with no address and so no route: node-exporter (integration tests) still
# sees a network device besides lo, as on any host, and nothing can be sent through it.
exec unshare --net "${user_ns[@]}" -- sh -c \
  'ip link set lo up && ip link add hermetic0 type veth peer name hermetic1 && ip link set hermetic0 up && exec "$@"' hermetic "$@"
