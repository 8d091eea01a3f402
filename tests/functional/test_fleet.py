"""huc_fleet through ansible-playbook: the issue's request budgets (no-op, grow), updates, prune, check and diff
mode, refusals before any request, and a rerun converging after a lost answer and after a killed run."""

import pytest

from tests.emulator.harness import make_instances
from tests.functional.steps import keyed_run, with_key
from tests.functional.test_probe_two import killed_while
from tests.functional.test_return_docs import documented, mismatches

FLEET_LABEL = "hostupcloud.cloud/fleet"
PUBLIC_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKQm8IK5PuOUq63vX6+76zFTJdk++KLHmE4WX37mr/oZ fleet"
SIZE = {"vcpus": 1, "memory_mb": 512, "disk_gb": 10}


@pytest.fixture
def emulator(emulator_factory):
    return emulator_factory(provision_seconds=0.5, transition_seconds=0.5)


def names(count, prefix="web"):
    return ["%s-%d" % (prefix, number) for number in range(1, count + 1)]


def fleet_task(title, project, instances, **options):
    defaults = dict(SIZE, node=options.pop("node"), os_template=options.pop("os_template"), **options.pop("defaults", {}))
    args = dict(project=project, fleet="web", defaults=defaults, instances=instances, **options)
    return {"name": title, "hostupcloud.cloud.huc_fleet": args, "register": "out"}


def task_of(emulator):
    """fleet(title, instances, **options): a huc_fleet task in the emulator's project (by id), node by name."""
    def fleet(title, instances, **options):
        options.setdefault("node", emulator.node_name)
        options.setdefault("os_template", emulator.os_template)
        return fleet_task(title, emulator.project_id, [{"name": name} if isinstance(name, str) else name
                                                       for name in instances], **options)
    return fleet


def listings(calls):
    return [call for call in calls if call[:2] == ("GET", "/api/instances")]


def writes(calls):
    return [call[:2] for call in calls if call[0] != "GET"]


def instances_by_name(emulator):
    return dict((obj["name"], obj) for obj in emulator.state()["instances"])


def ok(run, title):
    assert run.status(title) in ("ok", "changed"), (title, run.task(title))
    return run.task(title)


def test_new_fleet_noop_grow_and_update_at_the_request_floor(emulator):
    """A new fleet of 3, the same again (no-op), grown to 5, one item's labels changed: each at its budget."""
    emulator.call("POST", "/ssh-keys", body={"projectId": emulator.project_id, "name": "deploy", "publicKey": PUBLIC_KEY})
    emulator.clear_requests()
    fleet = task_of(emulator)
    key = {"defaults": {"ssh_keys": ["deploy"]}}
    labelled = [{"name": "web-1"}, {"name": "web-2", "labels": {"tier": "front"}}, {"name": "web-3"}]
    run, logs, _keys = keyed_run(emulator, [
        fleet("create 3", names(3), **key),
        fleet("again", names(3), **key),
        fleet("grow to 5", names(5), **key),
        fleet("label web-2", labelled + [{"name": "web-4"}, {"name": "web-5"}], **key),
    ])
    assert run.rc == 0, run
    # A new fleet of N: N POSTs, one listing before and one per poll, the node and the SSH key by name (+2).
    created = logs["create 3"]
    polls = len(listings(created)) - 1
    assert polls >= 1, created
    assert writes(created) == [("POST", "/api/instances")] * 3, created
    assert len(created) == 3 + (polls + 1) + 2, created
    assert [call[1] for call in created if call[1] in ("/api/nodes", "/api/ssh-keys")] == ["/api/nodes", "/api/ssh-keys"]
    result = ok(run, "create 3")
    assert result["changed"] is True
    assert [item["name"] for item in result["instances"]] == names(3)
    assert all(item["action"] == "created" and item["status"] == "running" for item in result["instances"]), result
    assert all(item["labels"] == {FLEET_LABEL: "web"} and item["ssh_key_ids"] for item in result["instances"])
    assert result["pruned"] == []
    # No-op: the one listing (project by id), nothing else.
    assert logs["again"] == [("GET", "/api/instances", {"projectId": emulator.project_id, "page": "1", "perPage": "100"})]
    again = ok(run, "again")
    assert again["changed"] is False and [item["action"] for item in again["instances"]] == ["unchanged"] * 3
    # Grow 3 -> 5: two POSTs, the listings; the node and key listed once more (a new process).
    grown = logs["grow to 5"]
    polls = len(listings(grown)) - 1
    assert writes(grown) == [("POST", "/api/instances")] * 2
    assert len(grown) == 2 + (polls + 1) + 2, grown
    assert [item["action"] for item in ok(run, "grow to 5")["instances"]] == ["unchanged"] * 3 + ["created"] * 2
    # One item's labels: one PATCH, the fleet's label kept; no wait (nothing is in a transition).
    assert writes(logs["label web-2"]) == [("PATCH", "/api/instances/%s" % instances_by_name(emulator)["web-2"]["id"])]
    assert len(logs["label web-2"]) == 2
    updated = ok(run, "label web-2")
    assert [item["action"] for item in updated["instances"]] == ["unchanged", "updated", "unchanged", "unchanged", "unchanged"]
    assert instances_by_name(emulator)["web-2"]["labels"] == {"tier": "front", FLEET_LABEL: "web"}
    assert len(emulator.state()["instances"]) == 5


# The size make_instances gives: the same, so that adopting it changes nothing but its labels.
WEB_9 = {"name": "web-9", "memory_mb": 1024, "disk_gb": 20}


def test_prune_deletes_only_the_fleets_unlisted_instances(emulator):
    fleet = task_of(emulator)
    unlabelled = make_instances(emulator, ["web-9"])  # the fleet's name pattern, but not its label: never pruned
    emulator.call("PATCH", "/instances/%s" % unlabelled["web-9"], body={"labels": {"keep": "me"}})
    other = make_instances(emulator, ["db-1"])
    emulator.call("PATCH", "/instances/%s" % other["db-1"], body={"labels": {FLEET_LABEL: "db"}})
    emulator.clear_requests()
    run, logs, _keys = keyed_run(emulator, [
        fleet("create 4", names(4)),
        dict(fleet("check prune to 2", names(2), prune=True), check_mode=True),
        fleet("prune to 2", names(2), prune=True),
        fleet("prune again", names(2), prune=True),
        fleet("adopt web-9", names(2) + [WEB_9], prune=True),
        dict(fleet("take db-1", names(2) + [WEB_9, "db-1"]), ignore_errors=True),
    ])
    checked = ok(run, "check prune to 2")
    assert checked["changed"] is True and writes(logs["check prune to 2"]) == []
    assert [item["name"] for item in checked["pruned"]] == ["web-3", "web-4"]
    assert all(item["status"] == "deleting" for item in checked["pruned"])
    pruned = ok(run, "prune to 2")
    assert mismatches(documented("huc_fleet"), pruned) == []  # the pruned instances as RETURN documents them
    assert [item["name"] for item in pruned["pruned"]] == ["web-3", "web-4"]
    ids = dict((item["name"], item["id"]) for item in pruned["pruned"])
    # Two DELETEs, then one wait for both gone: one listing per poll.
    assert writes(logs["prune to 2"]) == [("DELETE", "/api/instances/%s" % ids["web-3"]), ("DELETE", "/api/instances/%s" % ids["web-4"])]
    polls = len(listings(logs["prune to 2"])) - 1
    assert polls >= 1 and len(logs["prune to 2"]) == 2 + 1 + polls, logs["prune to 2"]
    assert sorted(instances_by_name(emulator)) == ["db-1", "web-1", "web-2", "web-9"]
    assert ok(run, "prune again")["changed"] is False and len(logs["prune again"]) == 1
    # Listed by name, the unlabelled web-9 is adopted (it gets the label, keeps its labels); db-1 of fleet db is not.
    adopted = ok(run, "adopt web-9")
    assert [item["action"] for item in adopted["instances"]] == ["unchanged", "unchanged", "updated"]
    assert instances_by_name(emulator)["web-9"]["labels"] == {"keep": "me", FLEET_LABEL: "web"}
    assert writes(logs["adopt web-9"]) == [("PATCH", "/api/instances/%s" % instances_by_name(emulator)["web-9"]["id"])]
    assert run.status("take db-1") == "failed" and writes(logs["take db-1"]) == []
    assert "instance db-1 belongs to fleet db" in run.task("take db-1")["msg"]


def test_check_mode_predicts_without_writing_and_diff_shows_the_set(emulator):
    fleet = task_of(emulator)
    run, logs, _keys = keyed_run(emulator, [
        fleet("create 2", names(2)),
        dict(fleet("check", [{"name": "web-1", "disk_gb": 20}, "web-2", "web-3"]), check_mode=True, diff=True),
        dict(fleet("real", [{"name": "web-1", "disk_gb": 20}, "web-2", "web-3"]), diff=True),
    ])
    assert run.rc == 0, run
    checked, real = ok(run, "check"), ok(run, "real")
    assert writes(logs["check"]) == []
    assert [item["action"] for item in checked["instances"]] == ["updated", "unchanged", "created"]
    assert checked["instances"][0]["disk_gb"] == 20 and checked["instances"][2]["id"] is None
    assert checked["instances"][2]["status"] == "running" and checked["instances"][2]["labels"] == {FLEET_LABEL: "web"}
    assert [item["action"] for item in real["instances"]] == ["updated", "unchanged", "created"]
    for key in ("name", "disk_gb", "vcpus", "labels", "os_template"):
        assert [item[key] for item in checked["instances"]] == [item[key] for item in real["instances"]], key
    for result in (checked, real):
        diff = result["diff"]
        assert sorted(diff["before"]) == ["web-1", "web-2"] and sorted(diff["after"]) == ["web-1", "web-2", "web-3"]
        assert diff["before"]["web-1"]["disk_gb"] == 10 and diff["after"]["web-1"]["disk_gb"] == 20
        assert diff["before"]["web-2"] == diff["after"]["web-2"]
        assert diff["after"]["web-3"]["labels"] == {}  # the fleet's label is the collection's own: not shown


def test_bad_input_fails_before_any_request(emulator):
    fleet = task_of(emulator)
    bad = [{"name": "web-1"}, {"name": "web-2"}, {"name": "web-3"}, {"name": "web-4", "memory_mb": 1000}]
    cases = {
        "bad memory": (bad, "instances[3].memory_mb (web-4): must be"),
        "duplicate": (["web-1", "web-2", "web-1"], "instances[2]: name web-1 is given twice (also instances[0])"),
        "bad name": (["Web_1"], "instances[0].name (Web_1):"),
        "unknown key": (["web-1", {"name": "web-2", "colour": "red"}], "instances[1] (web-2): unsupported option colour"),
        "bad type": ([{"name": "web-1", "vcpus": "many"}], "instances[0] (web-1): argument 'vcpus' is of type str"),
        "no name": ([{"vcpus": 2}], "instances[0]: missing required arguments: name"),
    }
    tasks = [dict(fleet(title, instances), ignore_errors=True) for title, (instances, _message) in cases.items()]
    tasks.append(dict(fleet("missing options", ["web-1"], node=None), ignore_errors=True))
    tasks.append(dict(fleet("shrink", ["web-1"], defaults={"disk_gb": 10}), ignore_errors=True))
    run, logs, _keys = keyed_run(emulator, [fleet("create 1", ["web-1"], defaults={"disk_gb": 20})] + tasks)
    for title, (_instances, message) in cases.items():
        assert run.status(title) == "failed", title
        assert message in run.task(title)["msg"], (title, run.task(title)["msg"])
        assert logs[title] == [], (title, logs[title])
    assert "instance web-1 does not exist" not in run.task("missing options")["msg"]  # it exists: no node needed
    assert run.status("shrink") == "failed" and "disk_gb can only grow" in run.task("shrink")["msg"]
    assert writes(logs["shrink"]) == []
    assert "Traceback" not in run.output


def test_missing_create_options_and_running_resize_fail_before_any_write(emulator):
    fleet = task_of(emulator)
    run, logs, _keys = keyed_run(emulator, [
        fleet("create 1", ["web-1"]),
        dict(fleet("no node", ["web-1", "web-2"], node=None), ignore_errors=True),
        dict(fleet("resize running", [{"name": "web-1", "vcpus": 2}, "web-2"]), ignore_errors=True),
        dict(fleet("check unknown template", ["web-1", "web-2"], os_template="Nope 1"), ignore_errors=True, check_mode=True),
    ])
    assert "os_template of web-2 'Nope 1' not found" in run.task("check unknown template")["msg"]
    assert "instance web-2 does not exist; to create it also give: node" in run.task("no node")["msg"]
    assert "changing vcpus of instance web-1 needs it stopped (it is running)" in run.task("resize running")["msg"]
    assert "allow_restart" in run.task("resize running")["msg"]
    assert writes(logs["no node"]) == [] and writes(logs["resize running"]) == []
    assert sorted(instances_by_name(emulator)) == ["web-1"]


def test_allow_restart_resizes_a_running_instance_and_a_rerun_restarts_one_a_killed_run_left_stopped(emulator):
    """allow_restart on an item: stopped gracefully, resized, started again (as huc_instance does it); an instance
    a killed restart left stopped with its restore record is started again by the next run, the record removed."""
    fleet = task_of(emulator)
    run, logs, _keys = keyed_run(emulator, [fleet("create 2", ["web-1", "web-2"])])
    assert run.rc == 0, run
    held = instances_by_name(emulator)
    code, _headers, body = emulator.call("PATCH", "/instances/" + held["web-2"]["id"], body={
        "labels": dict(held["web-2"]["labels"], **{"hostupcloud.cloud/restore-power": "running"})})
    assert code == 200, body
    emulator.set_instance(held["web-2"]["id"], status="stopped")
    emulator.clear_requests()
    run, logs, _keys = keyed_run(emulator, [
        fleet("resize web-1", [{"name": "web-1", "vcpus": 2, "allow_restart": True}, "web-2"]),
        fleet("again", [{"name": "web-1", "vcpus": 2, "allow_restart": True}, "web-2"]),
    ])
    assert run.rc == 0, run
    held = instances_by_name(emulator)
    assert held["web-1"]["vcpus"] == 2 and held["web-1"]["status"] == "running"
    assert held["web-2"]["status"] == "running" and "hostupcloud.cloud/restore-power" not in held["web-2"]["labels"]
    assert held["web-1"]["labels"] == {FLEET_LABEL: "web"}  # the restore record of the resize is gone too
    result = ok(run, "resize web-1")
    assert [item["action"] for item in result["instances"]] == ["updated", "updated"]
    web1, web2 = held["web-1"]["id"], held["web-2"]["id"]
    # web-1: its restore record, the shutdown, the resize, the start, the record removed; web-2: the start, the
    # record removed.
    assert writes(logs["resize web-1"]) == [
        ("PATCH", "/api/instances/" + web1), ("POST", "/api/instances/%s/power" % web1), ("PATCH", "/api/instances/" + web1),
        ("POST", "/api/instances/%s/power" % web1), ("PATCH", "/api/instances/" + web1),
        ("POST", "/api/instances/%s/power" % web2), ("PATCH", "/api/instances/" + web2)]
    assert not ok(run, "again")["changed"] and len(logs["again"]) == 1


def test_a_lost_answer_and_a_killed_run_converge_without_doubles(emulator):
    """The answer to one POST is lost (the client finds the instance before sending it again); then a run killed
    while the answer to its third create is held (two created before it, provisioning) is run again: it adopts
    the three, creates the rest, and no name is doubled."""
    fleet = task_of(emulator)
    emulator.lose_answer(methods=["POST"], pathPrefix="/api/instances", count=1)
    run, logs, _keys = keyed_run(emulator, [fleet("lost answer", names(2))])
    assert run.rc == 0, run
    assert sorted(instances_by_name(emulator)) == names(2)
    assert [item["action"] for item in ok(run, "lost answer")["instances"]] == ["created", "created"]
    # A run killed (kill -9) while its third create is under way: two answered, the third acted, its answer held.
    # Provisioning takes 300 s on the emulator's clock, so the rerun in check mode sees them provisioning.
    emulator.config(provisionSeconds=300)
    emulator.fault(status=None, delaySeconds=0.01, methods=["POST"], pathPrefix="/api/instances", count=2)
    emulator.lose_answer(delaySeconds=300, methods=["POST"], pathPrefix="/api/instances", count=1)
    killed_while([with_key(fleet("killed", names(5)), emulator.write_key)], emulator,
                 lambda: len(emulator.state()["instances"]) == 5)
    emulator.clear_faults()
    assert sorted(instances_by_name(emulator)) == names(5)
    emulator.clear_requests()
    assert "provisioning" in set(obj["status"] for obj in emulator.state()["instances"])
    run, logs, _keys = keyed_run(emulator, [dict(fleet("check rerun", names(7)), check_mode=True)])
    assert run.rc == 0, run
    checked = ok(run, "check rerun")
    assert writes(logs["check rerun"]) == []
    assert [item["action"] for item in checked["instances"]] == ["unchanged"] * 5 + ["created"] * 2
    assert set(item["status"] for item in checked["instances"]) == {"running"}  # the rerun waits for them
    emulator.config(provisionSeconds=0.5)
    emulator.advance(300)
    run, logs, _keys = keyed_run(emulator, [fleet("rerun", names(7))])
    assert run.rc == 0, run
    assert writes(logs["rerun"]) == [("POST", "/api/instances")] * 2  # web-1..web-5 are there: only web-6 and web-7
    assert [item["action"] for item in ok(run, "rerun")["instances"]] == ["unchanged"] * 5 + ["created"] * 2
    assert all(item["status"] == "running" for item in ok(run, "rerun")["instances"])
    assert sorted(instances_by_name(emulator)) == names(7)


def test_a_noop_fleet_of_101_costs_its_two_pages(emulator_factory):
    """⌈N/100⌉: 101 instances with nothing to change cost the two pages of the listing, +1 for the project by name."""
    emulator = emulator_factory(provision_seconds=0.5, transition_seconds=0.5, rate_limit=600)
    for name in names(101):
        code, _headers, _body = emulator.call("POST", "/instances", body={
            "projectId": emulator.project_id, "name": name, "nodeId": emulator.node_id, "osTemplate": emulator.os_template,
            "vcpus": 1, "memoryMb": 512, "diskGb": 10, "labels": {FLEET_LABEL: "web"}})
        assert code == 201
    emulator.advance(60)
    emulator.clear_requests()
    fleet = task_of(emulator)
    by_name = fleet("by name", names(101))
    by_name["hostupcloud.cloud.huc_fleet"]["project"] = emulator.project_name
    run, logs, _keys = keyed_run(emulator, [fleet("by id", names(101)), by_name])
    assert run.rc == 0, run
    assert [(call[1], call[2].get("page")) for call in logs["by id"]] == [("/api/instances", "1"), ("/api/instances", "2")]
    assert [call[1] for call in logs["by name"]] == ["/api/projects", "/api/instances", "/api/instances"]
    for title in ("by id", "by name"):
        result = ok(run, title)
        assert result["changed"] is False and len(result["instances"]) == 101
        assert set(item["action"] for item in result["instances"]) == {"unchanged"}


def test_a_race_lost_to_another_run_converges_on_what_it_made(emulator):
    """Another run creates web-1 between this run's listing and its POST (the listing is answered as it was before):
    the POST's 409 is resolved by finding web-1 by name and comparing it; nothing is made twice."""
    fleet = task_of(emulator)
    run, _logs, _keys = keyed_run(emulator, [fleet("the other run", ["web-1"])])
    assert run.rc == 0, run
    stale = '{"data": [], "pagination": {"page": 1, "perPage": 100, "total": 0, "totalPages": 1}}'
    emulator.fault(status=200, body=stale, headers={"Content-Type": "application/json"}, methods=["GET"],
                   pathPrefix="/api/instances", count=1)
    run, logs, _keys = keyed_run(emulator, [fleet("this run", ["web-1"])])
    assert run.rc == 0, run
    result = ok(run, "this run")
    assert result["changed"] is False and [item["action"] for item in result["instances"]] == ["unchanged"]
    assert "web-1 was created by someone else while this task ran" in " ".join(result.get("warnings", []))
    assert writes(logs["this run"]) == [("POST", "/api/instances")]
    assert [call[1] for call in logs["this run"]] == ["/api/instances", "/api/nodes", "/api/instances", "/api/instances"]
    assert sorted(instances_by_name(emulator)) == ["web-1"]
