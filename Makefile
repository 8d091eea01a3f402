# hostupcloud.cloud — every entry point a developer or CI needs.
#   make demo      start the emulator, run playbooks/demo.yml against it, stop it
#   make test      every test and check (what CI runs)
#   make emulator  run the emulator in the foreground and print its URL and keys
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
FARM := .cache/collections
export ANSIBLE_COLLECTIONS_PATH := $(CURDIR)/$(FARM)
export ANSIBLE_FORCE_COLOR := 0
export PATH := $(CURDIR)/$(BIN):$(PATH)
PYTEST_WORKERS ?= 2

.PHONY: all venv farm test pytest unit contract functional sanity units lint changelog-lint docs-lint demo emulator build clean

all: test

$(STAMP): requirements.txt requirements-dev.txt constraints-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt -c constraints-dev.txt
	touch $(STAMP)

venv: $(STAMP)

# ansible resolves hostupcloud.cloud through a symlink farm pointing at this checkout.
farm:
	@mkdir -p $(FARM)/ansible_collections/hostupcloud
	@ln -sfn ../../../.. $(FARM)/ansible_collections/hostupcloud/cloud

pytest: venv farm
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS)

sanity: venv
	tools/ansible-test.sh sanity --venv --requirements $(SANITY_ARGS)

units: venv
	tools/ansible-test.sh units --venv --python 3.11 --requirements

lint: venv farm
	$(BIN)/ansible-lint

changelog-lint: venv
	$(BIN)/antsibull-changelog lint

docs-lint: venv farm
	$(BIN)/antsibull-docs lint-collection-docs --plugin-docs .

test: venv farm
	$(MAKE) --no-print-directory pytest
	$(MAKE) --no-print-directory sanity
	$(MAKE) --no-print-directory lint
	$(MAKE) --no-print-directory changelog-lint

demo: venv farm
	$(BIN)/python tools/run_with_emulator.py -- $(BIN)/ansible-playbook playbooks/demo.yml

emulator: venv
	$(BIN)/python -m tests.emulator --host 127.0.0.1 --port $${PORT:-8080}

build: venv
	$(BIN)/ansible-galaxy collection build --force --output-path dist/

clean:
	rm -rf .cache dist tests/output .pytest_cache
