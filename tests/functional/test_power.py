"""huc_power through ansible-playbook: every state from every status, fallbacks, budgets."""

import pytest

from tests.emulator.harness import make_instances
from tests.functional.clockwork import Clockwork
from tests.functional.playbook import run_playbook

FAST = {"provision_seconds": 0.5, "transition_seconds": 0.5}


@pytest.fixture
def emulator(emulator_factory):
    return emulator_factory(**FAST)


def statuses(emulator):
    return dict((i["name"], i["status"]) for i in emulator.state()["instances"])


def power_posts(emulator, instance_id=None):
    return [r for r in emulator.requests() if r["method"] == "POST" and r["path"].endswith("/power")
            and (instance_id is None or instance_id in r["path"])]


def power(**options):
    return {"name": "power", "hostupcloud.cloud.huc_power": options, "register": "out"}


START = ["running", "stopped", "provisioning", "stopping", "starting"]
# wanted state -> {status before: (changed, power requests sent)}
EXPECTED = {
    "started": {"running": (False, 0), "stopped": (True, 1), "provisioning": (False, 0),
                "stopping": (True, 1), "starting": (False, 0)},
    "stopped": {"running": (True, 1), "stopped": (False, 0), "provisioning": (True, 1),
                "stopping": (False, 0), "starting": (True, 1)},
    "restarted": {"running": (True, 1), "stopped": (True, 1), "provisioning": (True, 1),
                  "stopping": (True, 1), "starting": (True, 1)},
}
FINAL = {"started": "running", "stopped": "stopped", "restarted": "running"}


@pytest.mark.parametrize("state", sorted(EXPECTED))
def test_every_state_from_every_status(emulator_factory, state):
    # Transitions of 30 s that complete only when the module's requests move the clock: the
    # module sees every starting status, and waits are instant.
    emulator = emulator_factory(provision_seconds=30, transition_seconds=30)
    ids = make_instances(emulator, ["vm-%s" % s for s in START], {"vm-%s" % s: s for s in START})
    with Clockwork(emulator, step=30):
        run = run_playbook([power(instances=list(ids), state=state)], emulator=emulator,
                           env={"HUC_PROJECT": emulator.project_id})
    assert run.rc == 0, run
    results = dict((item["name"], item) for item in run.task("power")["instances"])
    for before in START:
        name = "vm-%s" % before
        changed, posts = EXPECTED[state][before]
        assert results[name]["previous_status"] == before
        assert results[name]["status"] == FINAL[state], (name, results[name])
        assert results[name]["changed"] is changed, (name, results[name])
        assert len(power_posts(emulator, ids[name])) == posts, name
        assert statuses(emulator)[name] == FINAL[state]
    # Waiting watched all five with one request per poll: never two GETs in a row.
    methods = [r["method"] for r in emulator.requests()]
    assert "GET GET" not in " ".join(methods[1:]), methods


def test_error_status_fails_before_anything_is_sent(play, emulator):
    make_instances(emulator, ["broken"], "error")
    run = play([dict(power(name="broken", state=state), name="to " + state, ignore_errors=True) for state in sorted(EXPECTED)],
               env={"HUC_PROJECT": emulator.project_id})
    for state in sorted(EXPECTED):
        assert run.status("to " + state) == "failed", state
        assert "broken is in status error: its power cannot be changed" in run.task("to " + state)["msg"]
    assert power_posts(emulator) == []


def test_graceful_shutdown_and_the_fallback_to_hard_stop(play, emulator):
    ids = make_instances(emulator, ["polite", "stubborn", "forced"])
    emulator.set_instance(ids["stubborn"], ignoreShutdown=True)
    emulator.set_instance(ids["forced"], ignoreShutdown=True)
    emulator.clear_requests()
    run = play([
        power(name="polite", state="stopped"),
        {"name": "stubborn", "hostupcloud.cloud.huc_power": {"name": "stubborn", "state": "stopped",
                                                             "shutdown_timeout": 2}},
        {"name": "forced", "hostupcloud.cloud.huc_power": {"name": "forced", "state": "stopped", "graceful": False}},
    ], env={"HUC_PROJECT": emulator.project_id})
    assert run.rc == 0, run
    assert statuses(emulator) == {"polite": "stopped", "stubborn": "stopped", "forced": "stopped"}
    assert len(power_posts(emulator, ids["polite"])) == 1      # shutdown was enough
    assert len(power_posts(emulator, ids["stubborn"])) == 2    # shutdown ignored, then stop
    assert len(power_posts(emulator, ids["forced"])) == 1      # stop at once: ignoring shutdown did not matter


def test_ten_instances_in_one_task_cost_one_listing_per_round(play, emulator):
    names = ["node-%02d" % i for i in range(10)]
    make_instances(emulator, names)
    run = play([power(instances=names, state="stopped", graceful=False)], env={"HUC_PROJECT": emulator.project_id})
    assert run.rc == 0, run
    assert set(statuses(emulator).values()) == {"stopped"}
    log = emulator.requests()
    assert len(power_posts(emulator)) == 10
    assert [r for r in log if r["method"] == "GET" and r["path"] != "/api/instances"] == []
    listings = [r for r in log if r["path"] == "/api/instances"]
    assert len(listings) == 2, len(listings)   # the lookup, then one listing when the last answer said (Retry-After)


def test_budget_an_already_stopped_instance_costs_one_request(play, emulator):
    ids = make_instances(emulator, ["idle"], "stopped")
    run = play([power(name="idle", state="stopped"),
                {"name": "by id", "hostupcloud.cloud.huc_power": {"id": ids["idle"], "state": "stopped"}}],
               env={"HUC_PROJECT": emulator.project_id})
    assert run.rc == 0, run
    assert run.task("power")["changed"] is False and run.task("by id")["changed"] is False
    assert [(r["method"], r["path"]) for r in emulator.requests()] == [
        ("GET", "/api/instances"), ("GET", "/api/instances/%s" % ids["idle"])]


def test_check_mode_restart_without_wait_and_read_only_key(play, emulator):
    """Three cases in one playbook, told apart in the request log by their order and their key:
    check mode writes nothing and predicts; a restart without wait returns the transitional status;
    a read-only key fails with the write permission message."""
    ids = make_instances(emulator, ["a", "b", "web", "ro-web"])
    emulator.clear_requests()
    run = play([
        dict(power(instances=["a", "b"], state="stopped"), name="check mode", check_mode=True, diff=True),
        dict(power(name="web", state="restarted", wait=False), name="restart without wait"),
        dict(power(name="ro-web", state="stopped"), name="read-only key", ignore_errors=True,
             environment={"HUC_API_KEY": emulator.read_key}),
    ], env={"HUC_PROJECT": emulator.project_id})
    log = emulator.requests()
    written = [r["method"] for r in log if r["keyPrefix"] == emulator.write_key[:8]]
    assert all(r["keyPrefix"] in (emulator.write_key[:8], emulator.read_key[:8]) for r in log), log

    # Check mode writes nothing and predicts: one GET, the first request.
    assert run.status("check mode") in ("ok", "changed"), run
    result = run.task("check mode")
    assert result["changed"] is True
    assert [(i["name"], i["status"], i["changed"]) for i in result["instances"]] == [
        ("a", "stopped", True), ("b", "stopped", True)]
    assert result["diff"] == {"before": {"a": "running", "b": "running"}, "after": {"a": "stopped", "b": "stopped"}}
    assert written[:1] == ["GET"]
    assert dict((k, v) for k, v in statuses(emulator).items() if k in ("a", "b")) == {"a": "running", "b": "running"}

    # Restart without wait: the transitional status, a GET and a POST (the rest of the write key's requests).
    assert run.status("restart without wait") in ("ok", "changed"), run
    item = run.task("restart without wait")["instances"][0]
    assert item == {"id": ids["web"], "name": "web", "status": "rebooting", "previous_status": "running",
                    "changed": True}
    assert written[1:] == ["GET", "POST"]

    # The read-only key fails with the write permission message, and the instance stays as it was.
    assert run.status("read-only key") == "failed"
    assert "Read permission only; this task needs Write" in run.task("read-only key")["msg"]
    assert statuses(emulator)["ro-web"] == "running"


def test_unknown_instance_and_missing_project_are_clear(play, emulator):
    make_instances(emulator, ["web"])
    project = {"HUC_PROJECT": emulator.project_id}
    # HUC_PROJECT is set for the first two tasks only: the last one runs without a project.
    run = play([
        {"name": "unknown", "hostupcloud.cloud.huc_power": {"instances": ["web", "nope"], "state": "started"},
         "ignore_errors": True, "environment": project},
        {"name": "no project", "hostupcloud.cloud.huc_power": {"name": "web", "state": "started"},
         "ignore_errors": True, "environment": project},
        dict(power(name="web", state="started"), ignore_errors=True),
    ])
    assert "instance 'nope' not found" in run.task("unknown")["msg"]
    assert power_posts(emulator) == []
    assert run.status("power") == "failed" and "project" in run.task("power")["msg"]
