#!/bin/bash
# `make test`'s pytest in two processes at once: the integration tests (real processes on loopback,
# mostly waiting on their timers) beside everything else (CPU-bound), so the suite's wall time is about
# the longer of the two rather than their sum on 2 cores. Each keeps its own output; both must pass.
set -uo pipefail
pytest=$1
log=$(mktemp)
"$pytest" -p no:cacheprovider tests/integration >"$log" 2>&1 &
integration=$!
"$pytest" -p no:cacheprovider --ignore=tests/integration
rest=$?
wait "$integration"
integration_rc=$?
cat "$log"
rm -f "$log"
if [ "$rest" -ne 0 ] || [ "$integration_rc" -ne 0 ]; then exit 1; fi
