"""Unit tests of the one power path (_power.py: PowerPlan, power_cycle, restore) with a fake API and a fake clock.

The module is a HucModule built without Ansible, so the waits are the real HucModule.wait_for; time passes only
when it sleeps, which makes the hard stop after shutdown_timeout deterministic.
"""

import copy

import pytest

from ansible_collections.hostupcloud.cloud.plugins.module_utils._client import HucApiError
from ansible_collections.hostupcloud.cloud.plugins.module_utils._module import HucModule
from ansible_collections.hostupcloud.cloud.plugins.module_utils._declarations import NOT_SET
from ansible_collections.hostupcloud.cloud.plugins.module_utils._instances import RESTORE_LABEL
from ansible_collections.hostupcloud.cloud.plugins.module_utils._power import PowerPlan, RestorePower, power_cycle, restore
from ansible_collections.hostupcloud.cloud.plugins.module_utils._references import References
from ansible_collections.hostupcloud.cloud.tests.unit.plugins.module_utils.fakes import Failed, FakeClock, FakeModule

PROJECT = "7d3c2a4e-0b1f-4c55-9a51-2f6a1c0e8b90"
I1 = "11111111-1111-4111-8111-111111111111"
POWER = "/instances/%s/power" % I1

# Power action -> (the status it answers, the status that follows once the instance has settled).
ACTIONS = {"start": ("starting", "running"), "stop": ("stopping", "stopped"), "shutdown": ("stopping", "stopped"),
           "reboot": ("rebooting", "running")}


class FakeClient:
    """Instances whose power actions take effect at the next GET; records every call with the time it was made.

    settles: instance id -> the statuses its next GETs show, one each.

    ignore: actions the guest ignores (the instance stays in the status the action answered);
    errors: (method, path) -> a list of errors the next such calls raise.
    """

    def __init__(self, instances, ignore=(), errors=None):
        self.instances = dict((obj["id"], dict(obj)) for obj in instances)
        self.ignore = ignore
        self.errors = errors or {}
        self.settles = {}
        self.calls = []
        self.clock = FakeClock()

    def _maybe_fail(self, method, path):
        queue = self.errors.get((method, path))
        if queue:
            raise queue.pop(0)

    def get_or_none(self, path):
        self.calls.append(("GET", path, self.clock.now()))
        instance_id = path.rpartition("/")[2]
        obj = self.instances.get(instance_id)
        if obj is None:
            return None
        if self.settles.get(instance_id):
            obj["status"] = self.settles[instance_id].pop(0)
        return copy.deepcopy(obj)

    def list(self, path, params=None):
        self.calls.append(("LIST", path, dict(params or {}), self.clock.now()))
        return [self.get_or_none("%s/%s" % (path, instance_id)) for instance_id in sorted(self.instances)]

    def post(self, path, body=None, idempotent=False, before_retry=None):
        self.calls.append(("POST", path, body, self.clock.now()))
        assert idempotent, "every power action carries an Idempotency-Key"
        self._maybe_fail("POST", path)
        instance_id = path.split("/")[2]
        obj = self.instances[instance_id]
        answer, settled = ACTIONS[body["action"]]
        obj["status"] = answer
        if body["action"] not in self.ignore:
            self.settles[instance_id] = [settled]
        return copy.deepcopy(obj)

    def patch(self, path, body):
        self.calls.append(("PATCH", path, copy.deepcopy(body), self.clock.now()))
        obj = self.instances[path.rpartition("/")[2]]
        obj.update(copy.deepcopy(body))
        return copy.deepcopy(obj)

    def labels_sent(self):
        return [call[2]["labels"] for call in self.calls if call[0] == "PATCH" and "labels" in call[2]]

    def actions(self):
        return [call[2]["action"] for call in self.calls if call[0] == "POST"]


def power_module(client, check_mode=False, wait_timeout=600):
    """A HucModule as __init__ makes it, with a fake module and client (its wait_for is the real one)."""
    self = HucModule.__new__(HucModule)
    self.module = FakeModule({"wait_timeout": wait_timeout}, check_mode=check_mode)
    self.params, self.check_mode = self.module.params, check_mode
    self.result, self.before, self.after, self._deadline = {"changed": False}, None, None, None
    self.client = client
    return self


def instance(status, **fields):
    obj = {"id": I1, "projectId": PROJECT, "name": "web-1", "status": status}
    obj.update(fields)
    return obj


def run_plan(client, wanted, check_mode=False, **kwargs):
    module = power_module(client, check_mode=check_mode)
    plan = PowerPlan(module, References(client, PROJECT), [instance(client.instances[I1]["status"])], wanted, **kwargs)
    return plan.run(), plan


def test_graceful_shutdown_falls_back_to_a_hard_stop_after_shutdown_timeout():
    """The guest ignores the shutdown: the stop is sent at the first poll at or past the deadline, not before."""
    client = FakeClient([instance("running")], ignore=("shutdown",))
    results, plan = run_plan(client, "stopped", shutdown_timeout=30)
    posts = [call for call in client.calls if call[0] == "POST"]
    assert posts == [("POST", POWER, {"action": "shutdown"}, 1000.0), ("POST", POWER, {"action": "stop"}, 1030.0)]
    # The last poll before the deadline sent nothing.
    polls = [call[2] for call in client.calls if call[0] == "GET"]
    assert max(time for time in polls if time < 1030.0) == 1014.0
    assert plan.targets[0].sent == ["shutdown", "stop"]
    assert results == [{"id": I1, "name": "web-1", "status": "stopped", "previous_status": "running",
                        "changed": True}]


def test_a_graceful_shutdown_the_guest_honours_needs_no_hard_stop():
    client = FakeClient([instance("running")])
    results, _plan = run_plan(client, "stopped", shutdown_timeout=30)
    assert client.actions() == ["shutdown"] and results[0]["status"] == "stopped"
    client = FakeClient([instance("running")])
    results, _plan = run_plan(client, "stopped", graceful=False)
    assert client.actions() == ["stop"] and results[0]["changed"] is True


def test_already_stopped_sends_no_request():
    client = FakeClient([instance("stopped")])
    results, _plan = run_plan(client, "stopped")
    assert client.calls == []
    assert results == [{"id": I1, "name": "web-1", "status": "stopped", "previous_status": "stopped",
                        "changed": False}]
    # Check mode predicts without a request either.
    client = FakeClient([instance("running")])
    results, _plan = run_plan(client, "stopped", check_mode=True)
    assert client.calls == [] and results[0]["status"] == "stopped" and results[0]["changed"] is True


def test_a_409_from_someone_elses_action_converges():
    """Another run's stop got there first: the instance heads to stopped, so it is waited for, not failed."""
    client = FakeClient([instance("running")])

    def someone_else(*_args, **_kwargs):
        client.calls.append(("POST", POWER, {"action": "shutdown"}, client.clock.now()))
        client.instances[I1]["status"] = "stopping"
        client.settles[I1] = ["stopping", "stopped"]  # the rival's stop settles after one more poll
        raise HucApiError("another action is under way", status=409, code="conflict")
    client.post = someone_else
    results, plan = run_plan(client, "stopped")
    assert [call[:2] for call in client.calls] == [("POST", POWER), ("GET", "/instances/" + I1),
                                                   ("GET", "/instances/" + I1)]
    assert plan.targets[0].sent == []
    assert results[0]["status"] == "stopped" and results[0]["changed"] is False


def test_a_409_that_does_not_lead_where_wanted_is_raised():
    client = FakeClient([instance("running")], errors={("POST", POWER): [
        HucApiError("locked", status=409, code="conflict")]})
    with pytest.raises(HucApiError, match="locked"):
        run_plan(client, "stopped")
    assert [call[0] for call in client.calls] == ["POST", "GET"]


def test_restarted_reboots_a_running_one_and_starts_a_stopped_one():
    client = FakeClient([instance("running")])
    results, _plan = run_plan(client, "restarted")
    assert client.actions() == ["reboot"]
    assert results == [{"id": I1, "name": "web-1", "status": "running", "previous_status": "running",
                        "changed": True}]
    client = FakeClient([instance("stopped")])
    results, _plan = run_plan(client, "restarted")
    assert client.actions() == ["start"] and results[0]["status"] == "running"


def test_a_broken_instance_is_refused_before_any_request():
    client = FakeClient([instance("error")])
    with pytest.raises(Failed, match="instance web-1 is in status error: its power cannot be changed"):
        run_plan(client, "started")
    assert client.calls == []


def test_power_cycle_stops_changes_and_starts_again():
    client = FakeClient([instance("running")])
    module = power_module(client)
    seen = []

    def change(stopped):
        seen.append(stopped["status"])
        return dict(stopped, vcpus=4)
    final = power_cycle(module, References(client, PROJECT), instance("running", labels={"role": "web"}), change)
    assert seen == ["stopped"] and client.actions() == ["shutdown", "start"]
    assert final["status"] == "running"
    # The power state to put back is recorded before the stop and removed once it is back.
    assert [call[0] for call in client.calls if call[0] != "GET"] == ["PATCH", "POST", "POST", "PATCH"]
    assert client.labels_sent() == [{"role": "web", RESTORE_LABEL: "running"}, {"role": "web"}]
    assert final["labels"] == {"role": "web"}


def test_power_cycle_restores_the_power_state_when_the_change_fails():
    client = FakeClient([instance("running")])
    module = power_module(client)

    def change(stopped):
        raise HucApiError("no capacity", status=422, code="insufficient_capacity")
    with pytest.raises(HucApiError, match="no capacity"):
        power_cycle(module, References(client, PROJECT), instance("running"), change)
    assert client.actions() == ["shutdown", "start"] and client.instances[I1]["status"] == "running"
    assert client.instances[I1]["labels"] == {}


def test_power_cycle_leaves_a_stopped_one_stopped():
    client = FakeClient([instance("stopped")])
    module = power_module(client)
    final = power_cycle(module, References(client, PROJECT), instance("stopped"), lambda stopped: None)
    assert client.calls == [] and final["status"] == "stopped"
    assert restore(module, References(client, PROJECT), instance("stopped"), "stopped")["status"] == "stopped"
    assert client.calls == []


def test_a_recorded_restore_is_put_back_by_the_rerun():
    """A run killed between the stop and the start left the record: the rerun starts the instance and removes it."""
    killed = instance("stopped", labels={"role": "web", RESTORE_LABEL: "running"})
    client = FakeClient([killed])
    module = power_module(client)
    module.refs = References(client, PROJECT)
    endpoint = RestorePower()
    assert endpoint.value(module, {}, instance("running", labels={"role": "web"})) is NOT_SET
    assert endpoint.value(module, {}, killed) == "running"
    predicted = endpoint.predict(killed, "running")
    assert predicted["status"] == "running" and predicted["labels"] == {"role": "web"}
    final = endpoint.write(module, killed, "running")
    assert client.actions() == ["start"] and final["status"] == "running" and final["labels"] == {"role": "web"}
    assert client.labels_sent() == [{"role": "web"}]


def test_power_rounds_poll_at_2_then_double():
    """A start that settles at the third look: polls at 2, 6 and 14 s after the action."""
    client = FakeClient([instance("stopped")])
    plan = PowerPlan(power_module(client), References(client, PROJECT), [instance("stopped")], "started")
    original = client.post

    def post(path, body=None, idempotent=False, before_retry=None):
        answer = original(path, body, idempotent, before_retry)
        client.settles[I1] = ["starting", "starting", "running"]
        return answer

    client.post = post
    plan.run()
    assert [call[2] - 1000.0 for call in client.calls if call[0] == "GET"] == [2.0, 6.0, 14.0]


def test_a_new_action_starts_the_schedule_over():
    """A restart of an instance found stopping: the wait for stopped polls at 2 and 6 s; the start sent then
    begins a new transition, polled 2 s after it (at 8 s), not at the grown interval (6 + 8 = 14 s)."""
    client = FakeClient([instance("stopping")])
    client.settles[I1] = ["stopping", "stopped"]
    plan = PowerPlan(power_module(client), References(client, PROJECT), [instance("stopping")], "restarted")
    results = plan.run()
    assert client.actions() == ["start"] and results[0]["status"] == "running"
    assert [(call[0], call[-1] - 1000.0) for call in client.calls] == [
        ("GET", 2.0), ("GET", 6.0), ("POST", 6.0), ("GET", 8.0)]
