"""The instances role under faults: a fleet of 20 through 429 storms, 5xx bursts, dropped connections,
lost answers and latency past api_timeout, and two runs creating the same names at once.

Every case must end with no failed task, every name exactly once in its wanted power state, and a
rerun without faults that changes nothing (and writes nothing). The fault rules are seeded and
count-limited:
- the rules that can meet one request (a GET, a create, a power action) fire at most api_retries (5)
  times in all, so no request can fail more often than the client retries it, whatever the draws;
- spent_within() replays the seeded draws over the requests every run is sure to make (the project,
  the nodes and one lookup per instance; one create per instance; one shutdown per instance to be
  stopped), so every rule is used up in every run, however the requests are timed.
The API's rate limit and the client's request budget are scaled down together (faultkit.SCALED_*),
and api_timeout is 2 s, set for the play through module_defaults."""

import os
import time

import pytest

from tests.functional import faultkit
from tests.functional.faultkit import (
    API_TIMEOUT, MODULE_DEFAULTS, SCALED_ENV, SCALED_LIMIT, Background, changed_tasks, converged, describe,
    covers, failed_tasks, fleet, instances_role, spent_within, status_counts)
from tests.functional.playbook import run_playbook

FAST = dict(SCALED_LIMIT, provision_seconds=0.5, transition_seconds=0.5)
FLEET = fleet(20)  # flt-01 ... flt-20 over fra1-n1, ams1-n1, nyc1-n1; flt-05, -10, -15, -20 stopped
RETRIES = 5  # api_retries, the default
# Seconds of latency: past api_timeout (2 s), and short of the earliest retry, which comes after
# the timeout and a backoff of at least 0.25 s. So a request delayed before the server acts reaches
# the server after the client gave up on it but before the client's retry, on every run.
LATE = API_TIMEOUT + 0.2
# For the race of two runs: an answer held 15 s is a wait, not a timeout.
PATIENT = {"module_defaults": {"group/hostupcloud.cloud.huc": {"api_timeout": 30}}}

# The requests every run of FLEET makes at least, in this order for each method: GET the project, the
# fleet's listing, the nodes, one poll of the creates, the listing and one poll of the stops (the role
# is built on huc_fleet: nothing per instance); POST each instance (its retries are POSTs to
# /api/instances too), then one power action (shutdown) for each instance to be stopped.
SURE_GETS = [("GET", "/api/projects"), ("GET", "/api/instances"), ("GET", "/api/nodes")] + [("GET", "/api/instances")] * 3
CREATE = ("POST", "/api/instances")
POWER = ("POST", "/api/instances/00000000-0000-4000-8000-000000000000/power")
SURE_CREATES = [CREATE] * len(FLEET)
SURE_POWER = [POWER] * len([entry for entry in FLEET if entry.get("power") == "stopped"])
POWER_PATH = "/api/instances/"  # a pathPrefix for the power actions (and nothing else a run POSTs)


def on(methods, **rule):
    return dict(rule, methods=methods)


CASES = {
    # 429 storms on any request: with Retry-After (the client waits as told, and its budget pauses),
    # and without it (no X-RateLimit-* either, so the client backs off on its own).
    "429-storm": {
        "faults": [{"status": 429, "rate": 0.3, "seed": 429, "count": 10, "headers": {"Retry-After": "1"}},
                   {"status": 429, "rate": 0.2, "seed": 430, "count": 4}],
    },
    # 5xx bursts: the four statuses on GETs (one each) and on POSTs (five), and on a power action.
    "5xx-bursts": {
        "faults": [
            on(["GET"], status=500, rate=0.5, seed=10, count=1),
            on(["GET"], status=502, rate=0.5, seed=11, count=1),
            on(["GET"], status=503, rate=0.5, seed=12, count=1),
            on(["GET"], status=504, rate=0.5, seed=13, count=1),
            on(["POST"], status=500, rate=0.3, seed=21, count=1),
            on(["POST"], status=502, rate=0.3, seed=22, count=1),
            on(["POST"], status=503, rate=0.3, seed=23, count=2),
            on(["POST"], status=504, rate=0.3, seed=24, count=1),
            on(["POST"], pathPrefix=POWER_PATH, status=503, rate=1.0, seed=25, count=1),
        ],
    },
    # Connections dropped before the server acts (GET, POST), and creates and power actions that
    # act and then lose their answer.
    "dropped-connections": {
        "faults": [
            on(["GET"], drop=True, rate=0.5, seed=31, count=3),
            on(["POST"], drop=True, rate=0.3, seed=32, count=2),
            on(["POST"], pathPrefix="/api/instances", afterAction=True, drop=True, rate=0.3, seed=34, count=3),
            on(["POST"], pathPrefix=POWER_PATH, afterAction=True, drop=True, rate=1.0, seed=35, count=1),
        ],
    },
    # Latency past api_timeout before the server acts (GET, POST: the late POST still acts once
    # it arrives), and creates and power actions that act but answer too late.
    "latency-past-timeout": {
        "faults": [
            on(["GET"], status=None, delaySeconds=LATE, rate=0.5, seed=41, count=3),
            on(["POST"], status=None, delaySeconds=LATE, rate=0.3, seed=42, count=2),
            on(["POST"], pathPrefix="/api/instances", afterAction=True, delaySeconds=LATE, rate=0.3, seed=43, count=2),
            on(["POST"], pathPrefix=POWER_PATH, afterAction=True, delaySeconds=LATE, rate=1.0, seed=44, count=1),
        ],
    },
}


def covering(rules, request):
    return [rule for rule in rules if covers(rule, *request)]


def test_the_fault_plans_are_spent_by_any_run_and_within_the_retries():
    """The premises of the cases: every count-limited rule is used up by the requests any run makes,
    and no request can meet more faults than api_retries absorbs (a 429 is waited out, not retried).

    A power action comes after every create, so the rules that cover creates are spent before it.
    """
    for kind, case in CASES.items():
        rules = case["faults"]
        if all(rule.get("methods") is None and rule.get("pathPrefix") is None for rule in rules):
            # Rules for every request: the order of the requests does not matter.
            assert all(rule["status"] == 429 for rule in rules) and spent_within(rules, SURE_GETS + SURE_CREATES), kind
            continue
        gets, creates = covering(rules, ("GET", "/api/instances")), covering(rules, CREATE)
        power = [rule for rule in covering(rules, POWER) if rule not in creates]
        assert sorted(map(id, gets + creates + power)) == sorted(map(id, rules)), kind
        for covered, sure in ((gets, SURE_GETS), (creates, SURE_CREATES), (power, SURE_POWER)):
            assert spent_within(covered, sure), (kind, covered)
            assert sum(rule["count"] for rule in covered) <= RETRIES, (kind, covered)


@pytest.mark.heavy
@pytest.mark.parametrize("kind", sorted(CASES))
def test_a_fleet_of_20_converges_under_faults(kind, emulator_factory):
    emulator = emulator_factory(**FAST)
    for rule in CASES[kind]["faults"]:
        emulator.fault(**rule)

    run = run_playbook([instances_role(FLEET)], emulator=emulator, play=MODULE_DEFAULTS, env=SCALED_ENV)
    log = emulator.requests()
    rules = emulator.control("GET", "/faults")["faults"]
    emulator.clear_faults()
    report = describe(run, emulator) + "\n" + str(status_counts(log))
    assert run.rc == 0 and failed_tasks(run) == [], report
    assert "Traceback" not in run.output, report
    assert converged(emulator, FLEET) == [], report
    # The faults did happen: every rule was used up.
    assert [(rule["fired"], rule["remaining"]) for rule in rules] == [(rule["count"], 0) for rule in rules], rules

    emulator.clear_requests()
    rerun = run_playbook([instances_role(FLEET)], emulator=emulator, play=MODULE_DEFAULTS, env=SCALED_ENV)
    assert rerun.rc == 0 and failed_tasks(rerun) == [], describe(rerun, emulator)
    assert changed_tasks(rerun) == [], describe(rerun, emulator)
    assert [(e["method"], e["path"]) for e in emulator.requests() if e["method"] != "GET"] == []
    assert converged(emulator, FLEET) == []


@pytest.mark.heavy
@pytest.mark.parametrize("stopped_every", [0, 3], ids=["all-started", "three-stopped"])
def test_two_concurrent_runs_creating_the_same_10_names_make_10_instances(stopped_every, emulator_factory, tmp_path):
    """Two ansible-playbook processes create race-01 ... race-10 at once.

    Both wait at a barrier until both are ready. The first create of either run waits 15 s before the
    API handles it, so the other run looks that name up before it exists, however far behind it is on a
    loaded machine (the barrier lets them go up to a second apart, and the tasks before the first create
    can take seconds each; 1.5 s was once not enough): one create wins, the other gets 409 for the taken
    name and converges on the instance it finds. Every other create and power action waits 1.5 s (the
    same pathPrefix): with instances to be stopped, both runs find them running and both send their
    shutdown. api_timeout is 30 s here, so that no wait is a timeout.
    """
    emulator = emulator_factory(**FAST)
    entries = fleet(10, prefix="race", stopped_every=stopped_every)
    go = tmp_path / "go"
    ready = {"path": "{{ playbook_dir }}/ready", "state": "touch", "mode": "0600"}
    tasks = [{"name": "ready", "ansible.builtin.file": ready},
             {"name": "barrier", "ansible.builtin.wait_for": {"path": str(go), "sleep": 1, "timeout": 120}},
             instances_role(entries)]
    emulator.fault(status=None, delaySeconds=15, methods=["POST"], pathPrefix="/api/instances", count=1)
    emulator.fault(status=None, delaySeconds=1.5, methods=["POST"], pathPrefix="/api/instances")
    runs = [Background(tasks, emulator, play=PATIENT) for _run in range(2)]
    try:
        deadline = time.time() + 120
        while not all(os.path.exists(run.path("ready")) for run in runs) and time.time() < deadline:
            time.sleep(0.05)
        go.write_text("go")
        first, second = [run.finish() for run in runs]
    finally:
        for run in runs:
            run.kill()
    emulator.clear_faults()
    log = emulator.requests()
    problems = converged(emulator, entries)
    for run in (first, second):
        assert run.rc == 0 and failed_tasks(run) == [], "%s\nstate: %s" % (describe(run, emulator), problems or "converged")
        assert "Traceback" not in run.output, describe(run)
    assert problems == [], faultkit.log_lines(log)
    creates = [e["status"] for e in log if (e["method"], e["path"]) == ("POST", "/api/instances")]
    assert sorted(creates).count(201) == 10 and 409 in creates, creates  # the race did happen

    emulator.clear_requests()
    rerun = run_playbook([instances_role(entries)], emulator=emulator, play=MODULE_DEFAULTS, env=SCALED_ENV)
    assert rerun.rc == 0 and changed_tasks(rerun) == [] and failed_tasks(rerun) == [], describe(rerun, emulator)
    assert converged(emulator, entries) == []
