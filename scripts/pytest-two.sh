#!/bin/bash
# pytest in two processes at once, so the wall time is about the longer of the two rather than their sum
# on 2 cores: the first group's tests mostly wait (real processes' timers, containers' healthchecks) while
# the second's run. Each keeps its own output (the first group's is printed after); both must pass.
#   scripts/pytest-two.sh PYTEST "FIRST GROUP ARGS" "SECOND GROUP ARGS" [ARGS FOR BOTH...]
# `make test`: the integration tests and the bench's pipeline test beside the rest;
# `make test-engine`: the Swarm tests (their own three daemons) beside the single-engine tests.
set -uo pipefail
pytest=$1
read -r -a first_group <<<"$2"
read -r -a second_group <<<"$3"
shift 3
log=$(mktemp)
"$pytest" -p no:cacheprovider "$@" "${first_group[@]}" >"$log" 2>&1 &
first=$!
"$pytest" -p no:cacheprovider "$@" "${second_group[@]}"
second_rc=$?
wait "$first"
first_rc=$?
cat "$log"
rm -f "$log"
if [ "$second_rc" -ne 0 ] || [ "$first_rc" -ne 0 ]; then exit 1; fi
