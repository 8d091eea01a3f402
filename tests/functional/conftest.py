"""Fixtures: a fresh emulator per test on a free port, and ansible runs bound to it."""

import functools
import itertools
import os

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


@pytest.hookimpl(trylast=True)  # after -m deselected: the order of what runs
def pytest_collection_modifyitems(items):
    """Tests marked heavy start first, spread over the workers, so that none of them ends the stage alone.

    pytest-xdist's worksteal scheduler hands worker k the k-th of N contiguous chunks of the
    collection, runs each chunk from its front and steals from its end: the heavy tests go to the
    fronts of the chunks, in turn. Every worker computes the same order (xdist requires it).
    """
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    heavy = [item for item in items if item.get_closest_marker("heavy")]
    if workers < 2 or not heavy:
        return
    rest = iter([item for item in items if not item.get_closest_marker("heavy")])
    ordered, left = [], len(items)
    for worker in range(workers):
        size = left // (workers - worker)  # as worksteal splits the pending tests
        front = heavy[worker::workers]
        # islice: when most of the selection is heavy, fewer light tests are left than the chunks have room for.
        ordered += front + list(itertools.islice(rest, max(0, size - len(front))))
        left -= size
    ordered += list(rest)
    items[:] = ordered
