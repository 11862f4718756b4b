#!/bin/bash
# `make test`'s pytest in two processes at once, so the suite's wall time is about the longer of the two
# rather than their sum on 2 cores: the integration tests (real processes on loopback, mostly waiting on
# their timers) with the bench's pipeline test (a tiny bench run: CPU-bound, about a third of the rest's
# time alone), beside everything else (CPU-bound). Each keeps its own output; both must pass.
set -uo pipefail
pytest=$1
beside=(tests/integration tests/bench)
log=$(mktemp)
"$pytest" -p no:cacheprovider "${beside[@]}" >"$log" 2>&1 &
first=$!
"$pytest" -p no:cacheprovider "${beside[@]/#/--ignore=}"
rest=$?
wait "$first"
first_rc=$?
cat "$log"
rm -f "$log"
if [ "$rest" -ne 0 ] || [ "$first_rc" -ne 0 ]; then exit 1; fi
