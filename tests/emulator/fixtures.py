"""pytest fixtures shared by the suites that need emulators (conftests re-export them)."""

import pytest

from tests.emulator.harness import Emulator


@pytest.fixture
def emulator_factory():
    """Start new emulators with custom options (keyword arguments of Emulator); all are stopped after the test."""
    started = []

    def start(**options):
        emulator = Emulator(**options).start()
        started.append(emulator)
        return emulator

    yield start
    for emulator in started:
        emulator.stop()
