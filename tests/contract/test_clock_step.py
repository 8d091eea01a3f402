"""clockStepSeconds: the emulator clock moves forward right after each /api request has been answered."""

import pytest

from tests.contract.helpers import Api
from tests.emulator.harness import Emulator, EmulatorError


def stopping_instance(api, emulator):
    """A running instance, then 30 s transitions and a stop: the answer says stopping."""
    inst = api.create_instance()
    emulator.set_instance(inst["id"], status="running")
    emulator.config(transitionSeconds=30)
    return inst


def test_step_completes_the_transition_after_the_answer(api, emulator):
    inst = stopping_instance(api, emulator)
    emulator.config(clockStepSeconds=30)
    before = emulator.clock()["offsetSeconds"]
    answer = api.post("/instances/%s/power" % inst["id"], json={"action": "stop"})
    assert answer.status_code == 202 and answer.json()["data"]["status"] == "stopping"
    assert api.status(inst["id"]) == "stopped"
    # two /api requests, two steps; the control calls in between did not move the clock
    assert emulator.clock()["offsetSeconds"] == before + 60


@pytest.mark.parametrize("step, eta", [(0, "30"), (10, "20"), (30, "1"), (45, "1")])
def test_the_eta_counts_from_the_step_after_the_answer(api, emulator, step, eta):
    """Retry-After is the time left when the client can next ask: after the step that follows the answer."""
    inst = stopping_instance(api, emulator)
    emulator.config(clockStepSeconds=step)
    answer = api.post("/instances/%s/power" % inst["id"], json={"action": "stop"})
    assert answer.json()["data"]["status"] == "stopping" and answer.headers["Retry-After"] == eta


def test_without_step_nothing_moves(api, emulator):
    inst = stopping_instance(api, emulator)
    assert emulator.config()["clockStepSeconds"] == 0
    answer = api.post("/instances/%s/power" % inst["id"], json={"action": "stop"})
    assert answer.json()["data"]["status"] == "stopping"
    assert api.status(inst["id"]) == "stopping"
    assert api.status(inst["id"]) == "stopping"
    assert emulator.clock()["offsetSeconds"] == 0


def test_a_status_set_up_by_the_test_is_seen_once_then_completes(api, emulator):
    inst = api.create_instance()
    emulator.config(transitionSeconds=30, clockStepSeconds=30)
    emulator.set_instance(inst["id"], status="stopping")
    assert [api.status(inst["id"]) for _attempt in range(3)] == ["stopping", "stopped", "stopped"]


def test_control_routes_do_not_step(api, emulator):
    emulator.config(clockStepSeconds=30)
    emulator.clock()
    emulator.state()
    emulator.requests()
    assert api.control("GET", "/config").status_code == 200
    assert emulator.clock()["offsetSeconds"] == 0


def test_every_api_request_steps_whatever_its_answer(api, emulator):
    emulator.config(clockStepSeconds=10)
    emulator.fault(status=503, count=1, pathPrefix="/api/nodes")
    assert api.get("/nodes").status_code == 503
    assert api.get("/projects", key="").status_code == 401
    assert api.get("/projects").status_code == 200
    assert emulator.clock()["offsetSeconds"] == 30


def test_validation_and_reset(api, emulator):
    assert api.control("PATCH", "/config", json={"clockStepSeconds": -1}).status_code == 422
    assert api.control("PATCH", "/config", json={"clockStepSeconds": "x"}).status_code == 422
    assert emulator.config(clockStepSeconds=2.5)["clockStepSeconds"] == 2.5
    emulator.reset()
    assert emulator.config()["clockStepSeconds"] == 0


def test_cli_flag_and_harness_option(pooled_emulator):
    emulator = pooled_emulator(clock_step=30, transition_seconds=30)
    assert emulator.config()["clockStepSeconds"] == 30
    api = Api(emulator)
    try:
        inst = api.create_instance()
        assert inst["status"] == "provisioning"
        assert api.status(inst["id"]) == "running"
        assert api.post("/instances/%s/power" % inst["id"], json={"action": "stop"}).json()["data"]["status"] == "stopping"
        assert api.status(inst["id"]) == "stopped"
    finally:
        api.close()
    emulator.reset()
    assert emulator.config()["clockStepSeconds"] == 30


def test_negative_cli_step_is_refused():
    with pytest.raises(EmulatorError) as caught:
        Emulator(clock_step=-1).start()
    assert "--clock-step" in str(caught.value)
