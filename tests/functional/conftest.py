"""Fixtures: a fresh emulator per test on a free port, and ansible runs bound to it."""

import functools

import pytest

from ansible.plugins.loader import init_plugin_loader
from ansible.utils.collection_loader import AnsibleCollectionConfig

from tests.emulator import fixtures
from tests.functional.playbook import collections_path, run_command, run_playbook

# Tests that drive the client directly import it from ansible_collections.hostupcloud.cloud.
if AnsibleCollectionConfig.collection_finder is None:
    init_plugin_loader([collections_path()])


emulator_factory = fixtures.emulator_factory


@pytest.fixture
def emulator(emulator_factory):
    return emulator_factory()


@pytest.fixture
def play(emulator):
    """play(tasks, **kwargs): run a playbook against the test's emulator (write key by default)."""
    return functools.partial(run_playbook, emulator=emulator)


@pytest.fixture
def command(emulator):
    return functools.partial(run_command, emulator=emulator)
