"""Fixtures of the emulator contract tests.

Every test gets an emulator in its initial state. To keep the suite fast, emulator processes are pooled per
pytest worker and per set of options, and reset (POST /_emulator/reset restores data, settings, clock, request
log, faults, idempotency store and rate windows) before each use. HUC_EMULATOR_PER_TEST=1 starts a new
process for every use instead.

- emulator: default options; pooled_emulator(**options): custom options; both fresh state per test.
- emulator_factory(**options): always a new process, stopped after the test (process-level tests).
- api: a requests client of the emulator fixture.
"""

import os

import pytest

from tests.contract.helpers import Api
from tests.emulator import fixtures
from tests.emulator.harness import Emulator


emulator_factory = fixtures.emulator_factory


@pytest.fixture(scope="session")
def emulator_pool():
    """Running emulators of this worker, by options."""
    pool = {}
    yield pool
    for emulator in pool.values():
        emulator.stop()


@pytest.fixture
def pooled_emulator(emulator_pool, emulator_factory):
    """An emulator with the given options, in its initial state."""
    def get(**options):
        if os.environ.get("HUC_EMULATOR_PER_TEST"):
            return emulator_factory(**options)
        key = tuple(sorted(options.items()))
        emulator = emulator_pool.get(key)
        if emulator is not None and emulator.process is not None and emulator.process.poll() is None:
            emulator.reset()
            return emulator
        if emulator is not None:
            emulator.stop()
        emulator_pool[key] = Emulator(**options).start()
        return emulator_pool[key]
    return get


@pytest.fixture
def emulator(pooled_emulator):
    """An emulator with the default options, in its initial state."""
    return pooled_emulator()


@pytest.fixture
def api(emulator):
    """A requests client of the emulator fixture."""
    client = Api(emulator)
    yield client
    client.close()


@pytest.fixture
def two_projects(pooled_emulator):
    """(emulator, client, id of a second project, project-01): for what must stay inside one project."""
    emulator = pooled_emulator(seed_projects=1)
    client = Api(emulator)
    other = [project["id"] for project in client.get("/projects").json()["data"] if project["name"] == "project-01"][0]
    yield emulator, client, other
    client.close()
