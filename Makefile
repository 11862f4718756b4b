# christmas-monitoring — the two commands: `make plan STACK=dev` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := venv
BIN := $(VENV)/bin
STACK ?= dev
STAMP := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt | sha1sum | cut -c1-12)

.PHONY: plan plans plan-cost test test-slow test-engine lint typecheck unit tools clean bench doctor test-alert mutation test-engine-swarm

$(STAMP): requirements.txt requirements-dev.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@rm -f $(VENV)/.installed-* && touch $(STAMP)

venv: $(STAMP)

## The offline plan: the real program under Pulumi mocks -> build/$(STACK)/
plan: $(STAMP)
	$(BIN)/python -m offline.plan $(STACK)

plans: $(STAMP)
	$(BIN)/python -m offline.plan dev
	$(BIN)/python -m offline.plan prod

## The plan's own cost: the full prod plan against a one-resource program with the same SDKs (issue 15).
# Bytecode first, as pip does for the SDKs it installs: both sides then load compiled modules
# (PYTHONDONTWRITEBYTECODE, set on some machines, would leave only the program's own uncompiled).
plan-cost: $(STAMP)
	@PYTHONDONTWRITEBYTECODE= $(BIN)/python -m compileall -q -x '/(venv|build|tests)/' . >/dev/null
	@for i in 1 2 3 4 5 6 7; do /usr/bin/time -f "prod-plan %e" $(BIN)/python -m offline.plan prod --out build/plan-cost >/dev/null; \
	  /usr/bin/time -f "one-resource %e" $(BIN)/python -m offline.baseline; done 2>&1 | sort -k1,1 -k2,2n | \
	  awk '{v[$$1]=v[$$1]" "$$2; n[$$1]++; a[$$1,n[$$1]]=$$2} END {for (k in n) {m[k]=a[k,int((n[k]+1)/2)]; \
	  print k " (s):" v[k] "  median " m[k]}; printf "ratio of medians: %.2fx\n", m["prod-plan"]/m["one-resource"]}'

## Day-2 (docs/operations.md §9-10): check a deployed stack; send a test alert through its Alertmanager.
doctor: $(STAMP)
	$(BIN)/python -m doctor $(STACK)

SEVERITY ?= critical
test-alert: $(STAMP)
	$(BIN)/python -m doctor.test_alert $(STACK) --severity $(SEVERITY)

## Debian packages the tests run for real (promtool, amtool, exporters, PostgreSQL, shellcheck).
tools:
	bash scripts/install-tools.sh

lint: $(STAMP)
	$(BIN)/ruff check .

typecheck: $(STAMP)
	$(BIN)/mypy
	$(BIN)/mypy policy

## Everything: venv, Debian tools, ruff, mypy, and every test (unit, config, policy, integration).
## pytest runs in a network namespace of its own (loopback only): no test reaches a resolver or another host;
## the integration tests and the bench pipeline test run beside the rest (scripts/pytest-two.sh), which
## halves the wall time on 2 cores.
BESIDE := tests/integration tests/bench
test: $(STAMP) tools
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/mypy policy
	bash scripts/hermetic.sh bash scripts/pytest-two.sh $(BIN)/pytest "$(BESIDE)" "$(BESIDE:%=--ignore=%)"

## The guide's unshortened timing on real Prometheus and Alertmanager (minutes of real time).
test-slow: $(STAMP) tools
	$(BIN)/pytest -m slow

## The dashboards' query cost (panels and variables) over 7 and 30 days at a platform's size, and Prometheus'
## own footprint at that size and 3x (issues 14, 24): tens of minutes, so not in `make test`.
## Flags after BENCH_ARGS=, e.g. `make bench BENCH_ARGS="--hosts 8 --baseline-rev ''"` (python -m bench --help).
bench: $(STAMP)
	$(BIN)/python -m bench $(BENCH_ARGS)

## Mutation testing (issue 26): mutmut over the renderers, alert rules, settings, redaction, policy and the bench's
## verdicts, one module at a time in build/mutation/ (minutes each; not in `make test`). MODULES="caddy alerts" picks.
MODULES ?=
mutation: $(STAMP) tools
	$(BIN)/python scripts/mutation.py $(MODULES)

clean:
	rm -rf build .mypy_cache .ruff_cache .pytest_cache

## A real Docker engine under the tests (issue 21): Debian's docker.io and debootstrap, private dockerd
## daemons in their own network namespaces, test images built from Debian packages (cached by content
## hash under /var/cache/christmas-monitoring/engine), dev and prod deployed as the docker provider does.
## Root only; separate from `make test`. Prints its time. The Swarm tests (three daemons of their own) run
## beside the single-engine tests: both mostly wait on containers.
SWARM_TESTS := tests/engine/test_swarm.py tests/engine/test_swarm_updates.py
test-engine: $(STAMP)
	bash scripts/install-engine.sh
	@start=$$(date +%s); CHRISTMAS_ENGINE_TESTS=1 bash scripts/pytest-two.sh $(BIN)/pytest "$(SWARM_TESTS)" \
	  "tests/engine $(SWARM_TESTS:%=--ignore=%)" -o timeout=1800; rc=$$?; \
	  echo "test-engine: $$(( $$(date +%s) - start ))s"; exit $$rc

# The Swarm proofs alone (also part of test-engine): a manager and two workers, private daemons.
test-engine-swarm: $(STAMP)
	bash scripts/install-engine.sh
	bash scripts/install-tools.sh
	@start=$$(date +%s); CHRISTMAS_ENGINE_TESTS=1 $(BIN)/pytest -p no:cacheprovider -o timeout=1800 -s \
	  $(SWARM_TESTS); rc=$$?; echo "test-engine-swarm: $$(( $$(date +%s) - start ))s"; exit $$rc
