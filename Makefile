# tamiz — the two commands a newcomer needs:
#   make run    install, load the lists (offline mirror if present, else official downloads), screen an example
#   make test   install the test dependencies and run the whole test suite (what CI runs)

PYTHON ?= python3
VENV   ?= .venv
LISTS  ?= ../shared/data/lists
BIN    := $(VENV)/bin

.PHONY: run test install install-test services lint bench

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

install: $(BIN)/python
	$(BIN)/pip install -q -e .

install-test: $(BIN)/python
	$(BIN)/pip install -q -e '.[test]'

run: install
	@if [ -d "$(LISTS)" ]; then \
		$(BIN)/tamiz update --mirror "$(LISTS)"; \
	else \
		$(BIN)/tamiz update; \
	fi
	$(BIN)/tamiz lists
	$(BIN)/tamiz screen "Nicolás Maduro" --dob 1962-11-23

services:
	@scripts/ensure-test-services.sh

test: install-test services
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/pytest -n 2 --timeout 600

lint: install-test
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

bench: install-test
	$(BIN)/pip install -q -e '.[test,bench]'
	$(BIN)/python benchmarks/run.py
