"""The poll times of each kind of wait (_module.py: WaitSchedule, wait_for, wait_status, wait_gone; PowerPlan's
rounds), pinned on an injected clock: a create polls first at 3 s, a power transition and a delete at 2 s, then
each interval doubles up to 30 s, all within the one wait_timeout; a Retry-After (the API's ETA) wins."""

import pytest

from ansible_collections.hostupcloud.cloud.plugins.module_utils._module import (
    DELETE, POWER, PROVISION, HucModule)
from ansible_collections.hostupcloud.cloud.plugins.module_utils._references import Reference
from ansible_collections.hostupcloud.cloud.plugins.module_utils._resource import HucResourceModule
from ansible_collections.hostupcloud.cloud.tests.unit.plugins.module_utils.fakes import Failed, FakeClock, FakeModule

T0 = 1000.0


class ScriptedClient:
    """GET answers from a script of (status or None for 404, Retry-After or None); the last one repeats.

    hint: the Retry-After of the answer before the wait (the POST or DELETE that began the transition).
    """

    def __init__(self, script, hint=None):
        self.script = list(script)
        self.clock = FakeClock(T0)
        self.retry_hint = hint
        self.times = []

    def get_or_none(self, path):
        self.times.append(self.clock.now() - T0)
        status, self.retry_hint = self.script.pop(0) if len(self.script) > 1 else self.script[0]
        return None if status is None else {"id": "i-1", "name": "web-1", "status": status}


class Waiter(HucModule):
    resource = Reference("instance", "/instances", ("id", "name", "status"))


def waiter(client, wait_timeout=600):
    self = Waiter.__new__(Waiter)
    self.module = FakeModule({"wait_timeout": wait_timeout})
    self.params, self.check_mode = self.module.params, False
    self.result, self.before, self.after, self._deadline = {"changed": False}, None, None, None
    self.client = client
    return self


def provisioning(polls, then="running", hint=None):
    return [("provisioning", hint)] * polls + [(then, None)]


def test_the_schedules_of_each_kind():
    assert (PROVISION.first, PROVISION.factor, PROVISION.cap) == (3.0, 2.0, 30.0)
    assert (POWER.first, POWER.factor, POWER.cap) == (2.0, 2.0, 30.0)
    assert (DELETE.first, DELETE.factor, DELETE.cap) == (2.0, 2.0, 30.0)
    assert list(PROVISION.intervals(100)) == [3.0, 6.0, 12.0, 24.0, 30.0, 25.0]
    assert list(POWER.intervals(10)) == [2.0, 4.0, 4.0]


@pytest.mark.parametrize("polls, times", [
    (0, [3.0]),                          # provisioned in <= 3 s: one poll
    (1, [3.0, 9.0]),                     # in 5 s: two
    (2, [3.0, 9.0, 21.0]),               # in 20 s: three
    (5, [3.0, 9.0, 21.0, 45.0, 75.0, 105.0]),  # then 30 s apart
])
def test_a_create_polls_at_3_then_doubles_to_30(polls, times):
    client = ScriptedClient(provisioning(polls))
    assert waiter(client).wait_status({"id": "i-1", "name": "web-1"}, "running")["status"] == "running"
    assert client.times == times


def test_a_five_minute_create_costs_thirteen_polls():
    client = ScriptedClient(provisioning(100))
    with pytest.raises(Failed) as failed:
        waiter(client, wait_timeout=300).wait_status({"id": "i-1", "name": "web-1"}, "running")
    assert failed.value.result["failure"]["code"] == "wait_timeout"
    assert client.times == [3.0, 9.0, 21.0, 45.0, 75.0, 105.0, 135.0, 165.0, 195.0, 225.0, 255.0, 285.0, 300.0]
    assert client.clock.now() - T0 == 300.0


def test_the_last_poll_comes_at_the_deadline_never_past_it():
    client = ScriptedClient(provisioning(100))
    with pytest.raises(Failed):
        waiter(client, wait_timeout=20).wait_status({"id": "i-1", "name": "web-1"}, "running")
    assert client.times == [3.0, 9.0, 20.0]


def test_a_delete_polls_at_2_then_doubles():
    client = ScriptedClient([("deleting", None)] * 3 + [(None, None)])
    waiter(client).wait_gone({"id": "i-1", "name": "web-1"})
    assert client.times == [2.0, 6.0, 14.0, 30.0]


def test_the_eta_of_the_answer_that_began_the_transition_sets_the_first_poll():
    client = ScriptedClient(provisioning(0), hint=5.0)
    waiter(client).wait_status({"id": "i-1", "name": "web-1"}, "running")
    assert client.times == [5.0]


def test_a_retry_after_on_a_poll_answer_wins_then_the_schedule_goes_on():
    # The first answer says 7 s more; the second says nothing: the schedule goes on (its third interval, 12 s).
    client = ScriptedClient([("provisioning", 7.0), ("provisioning", None), ("running", None)])
    waiter(client).wait_status({"id": "i-1", "name": "web-1"}, "running")
    assert client.times == [3.0, 10.0, 22.0]


def test_an_eta_of_zero_still_waits_a_second_and_a_long_one_stops_at_the_deadline():
    client = ScriptedClient([("provisioning", 0.0), ("provisioning", 500.0), ("provisioning", None)])
    with pytest.raises(Failed):
        waiter(client, wait_timeout=60).wait_status({"id": "i-1", "name": "web-1"}, "running")
    assert client.times == [3.0, 4.0, 60.0]


def test_a_give_up_deadline_is_never_overslept():
    client = ScriptedClient(provisioning(100))
    found = waiter(client).wait_status({"id": "i-1", "name": "web-1"}, "running", give_up=T0 + 10.0)
    assert found["status"] == "provisioning" and client.times == [3.0, 9.0, 10.0]


def test_the_driver_waits_on_its_declared_schedules():
    assert HucResourceModule.create_wait is PROVISION and HucResourceModule.delete_wait is DELETE
