# christmas-monitoring — the two commands: `make plan STACK=dev` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := venv
BIN := $(VENV)/bin
STACK ?= dev
STAMP := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt | sha1sum | cut -c1-12)

.PHONY: plan plans test lint typecheck unit tools clean doctor test-alert

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
test: $(STAMP) tools
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/mypy policy
	$(BIN)/pytest

clean:
	rm -rf build .mypy_cache .ruff_cache .pytest_cache
