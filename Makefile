# kaido: `make test` and `make demo` bootstrap everything they need on a fresh machine.
SHELL := /bin/bash
.DEFAULT_GOAL := help
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
TOOLS := .cache/tools/bin

.PHONY: help venv tools system check test demo bench fmt clean

help:
	@echo "make demo   simulated cluster + agent, narrated (Ctrl-C stops)"
	@echo "make test   lint, types, import contracts, then the whole test suite (what CI runs)"
	@echo "make check  lint, format check, mypy --strict, import contracts"
	@echo "make bench  benchmarks (reports, not pass/fail)"
	@echo "make fmt    format and auto-fix"

$(BIN)/.installed: pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,llm]'
	@touch $@

venv: $(BIN)/.installed

$(TOOLS)/kubectl $(TOOLS)/helm: scripts/tools.lock scripts/fetch-tools
	scripts/fetch-tools

tools: $(TOOLS)/kubectl $(TOOLS)/helm

system:
	@scripts/system-packages

check: venv
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports

test: check tools system
	$(BIN)/pytest

demo: venv tools system
	$(BIN)/kaido demo

bench: venv tools
	$(BIN)/python -m bench

fmt: venv
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

clean:
	rm -rf $(VENV) .cache .mypy_cache .pytest_cache .ruff_cache .hypothesis
