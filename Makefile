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

MIN_VENV := .venv-min
MIN_STAMP := $(MIN_VENV)/.installed
# The playbook-level suites that also run on the lowest ansible-core meta/runtime.yml claims.
MIN_SUITES := tests/functional/test_project_info.py tests/functional/test_instance.py \
	tests/functional/test_power.py tests/functional/test_api_key.py tests/functional/test_inventory.py

.PHONY: all venv farm test pytest sanity units lint changelog-lint docs-lint test-min molecule demo emulator build clean

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
	tools/ansible-test.sh units --venv --requirements

$(MIN_STAMP): requirements-min.txt
	test -x $(MIN_VENV)/bin/python || $(PYTHON) -m venv $(MIN_VENV)
	$(MIN_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-min.txt
	touch $(MIN_STAMP)

# A scenario per role, each against an emulator it starts and stops itself (extensions/molecule).
# Molecule 26 logs "CRITICAL ... default/molecule.yml glob failed" when there is no scenario named
# default; it is informational (shared state is off) and the run goes on.
molecule: venv farm
	for scenario in instances api_key_rotation; do $(BIN)/molecule test -s $$scenario || exit 1; done

# The same playbooks under the oldest ansible-core we claim to support (requires_ansible).
test-min: venv farm $(MIN_STAMP)
	HUC_ANSIBLE_BIN=$(CURDIR)/$(MIN_VENV)/bin $(BIN)/python -m pytest -n $(PYTEST_WORKERS) $(MIN_SUITES)

lint: venv farm
	$(BIN)/ansible-lint

changelog-lint: venv
	$(BIN)/antsibull-changelog lint

docs-lint: venv farm
	$(BIN)/antsibull-docs lint-collection-docs --plugin-docs .

test: venv farm
	$(MAKE) --no-print-directory pytest
	$(MAKE) --no-print-directory sanity
	$(MAKE) --no-print-directory units
	$(MAKE) --no-print-directory lint
	$(MAKE) --no-print-directory changelog-lint
	$(MAKE) --no-print-directory docs-lint
	$(MAKE) --no-print-directory test-min
	$(MAKE) --no-print-directory molecule

demo: venv farm
	$(BIN)/python tools/run_with_emulator.py -- $(BIN)/ansible-playbook playbooks/demo.yml

emulator: venv
	$(BIN)/python -m tests.emulator --host 127.0.0.1 --port $${PORT:-8080}

build: venv
	$(BIN)/ansible-galaxy collection build --force --output-path dist/

clean:
	rm -rf .cache dist tests/output .pytest_cache
