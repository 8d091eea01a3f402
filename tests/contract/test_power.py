"""Power actions: start, stop (hard), shutdown (graceful), reboot; 409 invalid_state; the ignore-shutdown fallback."""

import pytest


@pytest.fixture
def fast(emulator, api):
    """The emulator (2 s transitions), its client and a running instance."""
    return emulator, api, api.running_instance()


def power(api, inst, action):
    return api.post("/instances/%s/power" % inst["id"], json={"action": action})


def expect(api, emulator, inst, action, transitional, final):
    """202 with the transitional status, still there just before the transition time, final after it."""
    response = power(api, inst, action)
    assert response.status_code == 202, response.text
    assert response.json()["data"]["status"] == transitional
    emulator.advance(1)
    assert api.status(inst["id"]) == transitional
    emulator.advance(1.5)
    assert api.status(inst["id"]) == final


def test_stop_start_cycle(fast):
    emulator, api, inst = fast
    expect(api, emulator, inst, "stop", "stopping", "stopped")
    expect(api, emulator, inst, "start", "starting", "running")


def test_shutdown_is_graceful_stop(fast):
    emulator, api, inst = fast
    expect(api, emulator, inst, "shutdown", "stopping", "stopped")


def test_reboot(fast):
    emulator, api, inst = fast
    expect(api, emulator, inst, "reboot", "rebooting", "running")


def test_shutdown_ignored_goes_back_to_running_and_hard_stop_works(fast):
    emulator, api, inst = fast
    emulator.set_instance(inst["id"], ignoreShutdown=True)
    expect(api, emulator, inst, "shutdown", "stopping", "running")
    assert power(api, inst, "shutdown").json()["data"]["status"] == "stopping"
    expect(api, emulator, inst, "stop", "stopping", "stopped")


@pytest.mark.parametrize("status", ["stopping", "starting", "rebooting"])
def test_hard_stop_from_transitional_statuses(fast, status):
    emulator, api, inst = fast
    emulator.set_instance(inst["id"], status=status)
    expect(api, emulator, inst, "stop", "stopping", "stopped")


def test_stop_while_already_stopping_keeps_the_timer(fast):
    emulator, api, inst = fast
    power(api, inst, "stop")
    emulator.advance(1.5)
    assert power(api, inst, "stop").json()["data"]["status"] == "stopping"
    emulator.advance(1)
    assert api.status(inst["id"]) == "stopped"


INVALID = [
    ("provisioning", ["start", "stop", "shutdown", "reboot"]),
    ("running", ["start"]),
    ("stopped", ["stop", "shutdown", "reboot"]),
    ("stopping", ["start", "shutdown", "reboot"]),
    ("starting", ["start", "shutdown", "reboot"]),
    ("rebooting", ["start", "shutdown", "reboot"]),
    ("deleting", ["start", "stop", "shutdown", "reboot"]),
    ("error", ["start", "stop", "shutdown", "reboot"]),
]


def test_invalid_state_matrix(fast):
    emulator, api, inst = fast
    for status, actions in INVALID:
        emulator.set_instance(inst["id"], status=status)
        for action in actions:
            response = power(api, inst, action)
            error = api.error(response, 409)
            assert error["code"] == "invalid_state", (status, action)
            assert action in error["message"] and status in error["message"]
            assert api.status(inst["id"]) == status


def test_start_while_provisioning_is_409(api):
    inst = api.create_instance()
    error = api.error(power(api, inst, "start"), 409)
    assert error["code"] == "invalid_state"
    assert error["details"] == {"action": "start", "status": "provisioning"}


def test_unknown_or_missing_action_is_422(fast):
    _emulator, api, inst = fast
    for body in ({"action": "hibernate"}, {}, {"action": 1}):
        error = api.error(api.post("/instances/%s/power" % inst["id"], json=body), 422)
        assert list(error["details"]) == ["action"]


def test_power_on_unknown_instance_is_404(api):
    assert api.error(api.post("/instances/nope/power", json={"action": "stop"}), 404)["code"] == "not_found"


def test_error_status_stays(fast):
    emulator, api, inst = fast
    emulator.set_instance(inst["id"], status="error")
    emulator.advance(3600)
    assert api.status(inst["id"]) == "error"
