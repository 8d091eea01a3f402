"""huc_snapshot, huc_snapshot_info and huc_backup_info through ansible-playbook against the emulator: lifecycle,
request budgets, stop_first, lost answers on the create, refusals, listings."""

from tests.emulator.harness import make_instances
from tests.functional.clockwork import Clockwork
from tests.functional.steps import PAGE, UNKNOWN_ID, calls, keyed_run, refused_in_one_run, run_ok, steps

MODULE = "hostupcloud.cloud.huc_snapshot"
INFO = "hostupcloud.cloud.huc_snapshot_info"
BACKUPS = "hostupcloud.cloud.huc_backup_info"
task, failing, checked = steps(MODULE)


def snapshots(emulator):
    return emulator.state()["snapshots"]


def listing(emulator, **query):
    return ("GET", "/api/snapshots", dict(PAGE, projectId=emulator.project_id, **query))


def make_snapshot(emulator, name, instance_id, labels=None):
    """A snapshot made through the API, available at once (the clock moved past its creation); the log cleared."""
    status, _headers, body = emulator.call("POST", "/snapshots", body={
        "projectId": emulator.project_id, "instanceId": instance_id, "name": name, "labels": labels or {}})
    assert status == 201, body
    emulator.advance(3600)
    emulator.clear_requests()
    return body["data"]["id"]


def test_lifecycle_check_create_rerun_delete(emulator_factory):
    """check create -> create and wait -> reruns unchanged (one request) -> check delete -> delete -> delete again,
    with --diff; every step's requests from the log, task by task."""
    emulator = emulator_factory(snapshot_seconds=1)
    ids = make_instances(emulator, ["web-1"], status="stopped")
    args = dict(project=emulator.project_id, name="snap-1", instance="web-1", labels={"reason": "upgrade"})
    by_id = dict(args, instance=ids["web-1"])
    gone = dict(project=emulator.project_id, name="snap-1", state="absent")
    run, logs, _keys = keyed_run(emulator, [
        checked("check create", args),
        task("create", args),
        task("rerun", by_id),
        task("rerun by name", args),
        task("rerun other labels", dict(by_id, labels={"reason": "other"})),
        task("rerun by snapshot id", dict(id="{{ out.snapshot.id }}")),
        checked("check delete", gone),
        task("delete", gone),
        task("delete again", gone),
    ], args=["--diff"])
    assert run.rc == 0, [(r["task"], r["result"].get("msg")) for r in run.records]

    # Check mode predicts the snapshot from its source (template, size) and writes nothing.
    predicted = run.task("check create")
    assert predicted["changed"] is True
    assert predicted["snapshot"] == {
        "id": None, "project_id": emulator.project_id, "name": "snap-1", "instance_id": ids["web-1"],
        "os_template": emulator.os_template, "size_gb": 20, "status": "available", "labels": {"reason": "upgrade"},
        "created_at": None}
    assert predicted["diff"] == {"before": {}, "after": {"name": "snap-1", "instance_id": ids["web-1"],
                                                         "labels": {"reason": "upgrade"}}}
    assert logs["check create"] == [listing(emulator, name="snap-1"), ("GET", "/api/instances", dict(PAGE, projectId=emulator.project_id))]

    # The create: the lookup by name, the instance's listing (its name), the POST, then polls until available.
    created = run.task("create")
    assert created["changed"] is True and created["diff"] == predicted["diff"]
    assert "warnings" not in created  # the instance is stopped: nothing crash-consistent about it
    snapshot = created["snapshot"]
    assert dict(snapshot, id=None, created_at=None) == predicted["snapshot"]
    assert logs["create"][:3] == [listing(emulator, name="snap-1"), ("GET", "/api/instances", dict(PAGE, projectId=emulator.project_id)),
                                  ("POST", "/api/snapshots", {})]
    polls = logs["create"][3:]
    assert 1 <= len(polls) <= 2 and all(poll == ("GET", "/api/snapshots/%s" % snapshot["id"], {}) for poll in polls), polls

    # Reruns change nothing and cost one request: the listing by name (the instance by name is not looked up).
    for name in ("rerun", "rerun by name", "rerun other labels"):
        result = run.task(name)
        assert result["changed"] is False and result["snapshot"] == snapshot, name
        assert logs[name] == [listing(emulator, name="snap-1")], (name, logs[name])
    assert "warnings" not in run.task("rerun") and "warnings" not in run.task("rerun by name")
    # Labels only apply at creation: a different value warns.
    assert run.task("rerun other labels")["warnings"] == [
        "snapshot snap-1 exists and these options differ from it, but they only apply at creation, so they were ignored: "
        "labels (the snapshot has {'reason': 'upgrade'}); delete and recreate the snapshot to change them"]
    assert run.task("rerun by snapshot id")["snapshot"] == snapshot
    assert logs["rerun by snapshot id"] == [("GET", "/api/snapshots/%s" % snapshot["id"], {})]

    # Delete: the lookup and the DELETE (204, done: no poll); again, the lookup only.
    assert run.task("check delete")["changed"] is True and run.task("check delete")["snapshot"]["status"] == "deleting"
    assert logs["check delete"] == [listing(emulator, name="snap-1")]
    deleted = run.task("delete")
    assert deleted["changed"] is True and deleted["snapshot"] == dict(snapshot, status="deleting")
    assert deleted["diff"] == {"before": predicted["diff"]["after"], "after": {}}
    assert logs["delete"] == [listing(emulator, name="snap-1"), ("DELETE", "/api/snapshots/%s" % snapshot["id"], {})]
    assert run.task("delete again")["changed"] is False and run.task("delete again")["snapshot"] is None
    assert logs["delete again"] == [listing(emulator, name="snap-1")]
    assert snapshots(emulator) == []


def test_running_instance_warns_or_is_stopped_first_and_started_again(emulator_factory):
    """A running instance: a snapshot while it runs warns (crash-consistent); with stop_first it is shut down, the
    snapshot is taken and waited for, and the instance is started again, all in order; a stopped one stays so."""
    emulator = emulator_factory(snapshot_seconds=1, transition_seconds=0.5)
    ids = make_instances(emulator, ["web-1", "web-2"], status={"web-1": "running", "web-2": "stopped"})
    run, logs, _keys = keyed_run(emulator, [
        checked("check hot", dict(project=emulator.project_id, name="hot", instance="web-1")),
        task("hot", dict(project=emulator.project_id, name="hot", instance="web-1", wait=False)),
        checked("check cold", dict(project=emulator.project_id, name="cold", instance=ids["web-1"], stop_first=True)),
        task("cold", dict(project=emulator.project_id, name="cold", instance=ids["web-1"], stop_first=True, wait=False)),
        task("stopped", dict(project=emulator.project_id, name="off", instance="web-2", stop_first=True)),
    ])
    assert run.rc == 0, [(r["task"], r["result"].get("msg")) for r in run.records]
    warning = ("instance web-1 is running: snapshot hot is crash-consistent (its disk as after a power loss); set "
               "stop_first: true to stop the instance for it and start it again after")
    assert run.task("check hot")["warnings"] == [warning] and run.task("hot")["warnings"] == [warning]
    assert run.task("hot")["snapshot"]["status"] == "creating"  # wait: false
    assert [call[0] for call in logs["hot"]] == ["GET", "GET", "POST"]
    assert "warnings" not in run.task("check cold") and "warnings" not in run.task("cold")
    assert run.task("check cold")["snapshot"]["status"] == "available"  # stop_first waits, with wait: false too
    assert logs["check cold"] == [listing(emulator, name="cold"), ("GET", "/api/instances/%s" % ids["web-1"], {})]

    # stop_first: the restore label, the shutdown, the snapshot (waited for even with wait: false), the start, the
    # label removed; the instance runs again.
    cold = run.task("cold")
    assert cold["changed"] is True and cold["snapshot"]["status"] == "available"
    instance_path = "/api/instances/%s" % ids["web-1"]
    writes = [(method, path) for method, path, _query in logs["cold"] if method != "GET"]
    assert writes == [("PATCH", instance_path), ("POST", instance_path + "/power"), ("POST", "/api/snapshots"),
                      ("POST", instance_path + "/power"), ("PATCH", instance_path)], writes
    snapshot_poll = logs["cold"].index(("GET", "/api/snapshots/%s" % cold["snapshot"]["id"], {}))
    assert logs["cold"].index(("POST", "/api/snapshots", {})) < snapshot_poll < len(logs["cold"]) - 1
    web_1 = [i for i in emulator.state()["instances"] if i["name"] == "web-1"][0]
    assert web_1["status"] in ("starting", "running") and not [k for k in web_1["labels"] if k.startswith("hostupcloud.cloud/")]

    # A stopped instance: no warning and no power request.
    assert "warnings" not in run.task("stopped")
    assert [(method, path) for method, path, _query in logs["stopped"] if method != "GET"] == [("POST", "/api/snapshots")]
    assert sorted(s["name"] for s in snapshots(emulator)) == ["cold", "hot", "off"]


def test_a_rerun_starts_the_instance_a_killed_stop_first_left_stopped(emulator_factory):
    """A stop_first run killed after its snapshot was made, before the start: the instance is stopped, carrying the
    power state to put back. The rerun of the task finds the snapshot and starts the instance again (one GET of
    it more, only with stop_first); the run after that changes nothing."""
    emulator = emulator_factory(snapshot_seconds=1, transition_seconds=0.5)
    ids = make_instances(emulator, ["web-1"], status="running")
    path = "/instances/%s" % ids["web-1"]
    status, _headers, body = emulator.call("PATCH", path, body={"labels": {"hostupcloud.cloud/restore-power": "running"}})
    assert status == 200, body
    emulator.set_instance(ids["web-1"], status="stopped")
    make_snapshot(emulator, "cold", ids["web-1"])
    args = dict(project=emulator.project_id, name="cold", instance="web-1", stop_first=True)
    run, logs, _keys = keyed_run(emulator, [checked("check rerun", args), task("rerun", args), task("again", args)])
    assert run.rc == 0, [(r["task"], r["result"].get("msg")) for r in run.records]
    web_1 = [i for i in emulator.state()["instances"] if i["name"] == "web-1"][0]
    assert web_1["status"] in ("starting", "running") and web_1["labels"] == {}
    assert run.task("check rerun")["changed"] and all(method == "GET" for method, _p, _q in logs["check rerun"])
    assert run.task("rerun")["changed"] and run.task("rerun")["snapshot"]["name"] == "cold"
    assert [(m, p) for m, p, _q in logs["rerun"] if m != "GET"] == [
        ("POST", "/api" + path + "/power"), ("PATCH", "/api" + path)]
    assert not run.task("again")["changed"]
    assert logs["again"] == [listing(emulator, name="cold"), ("GET", "/api" + path, {})]


def test_a_rerun_waits_for_the_snapshot_being_made(emulator_factory):
    """A snapshot still creating (an hour's ETA) when a rerun with wait finds it: the rerun changes nothing and
    waits for it. The emulator's clock steps an hour after each request, so the one poll sees it available."""
    emulator = emulator_factory(snapshot_seconds=3600)
    ids = make_instances(emulator, ["web-1"], status="stopped")
    status, _headers, body = emulator.call("POST", "/snapshots", body={
        "projectId": emulator.project_id, "instanceId": ids["web-1"], "name": "slow"})
    assert status == 201 and body["data"]["status"] == "creating", body
    emulator.clear_requests()
    with Clockwork(emulator, step=3600):
        run = run_ok([task("rerun", dict(project=emulator.project_id, name="slow", instance="web-1"))], emulator)
    rerun = run.task("rerun")
    assert rerun["changed"] is False and rerun["snapshot"]["status"] == "available" and "warnings" not in rerun
    assert calls(emulator) == [listing(emulator, name="slow"), ("GET", "/api/snapshots/%s" % body["data"]["id"], {})]


def test_lost_create_answers_never_make_two_snapshots(emulator_factory):
    """Three creates, each POST faulted once: its answer dropped after the snapshot was made, its answer held 10 s
    after it was made (api_timeout 1 s), and the request dropped before it was made. Each time the module looks
    the snapshot up by name before any retry (with the same Idempotency-Key): one snapshot of each name."""
    emulator = emulator_factory(snapshot_seconds=1)
    make_instances(emulator, ["web-1"], status="stopped")
    emulator.lose_answer(count=1, methods=["POST"], pathPrefix="/api/snapshots")
    emulator.lose_answer(count=1, methods=["POST"], pathPrefix="/api/snapshots", delaySeconds=10)
    emulator.fault(count=1, methods=["POST"], pathPrefix="/api/snapshots", drop=True)
    run = run_ok([task(name, dict(project=emulator.project_id, name=name, instance="web-1", api_timeout=1))
                  for name in ("dropped-after", "late", "dropped-before")], emulator)
    log = calls(emulator)
    posts = [call for call in log if call[0] == "POST"]
    assert len(posts) == 4, log  # one each, and the one dropped before it acted sent again
    assert sorted(s["name"] for s in snapshots(emulator)) == ["dropped-after", "dropped-before", "late"]
    for name in ("dropped-after", "late", "dropped-before"):
        result = run.task(name)
        assert result["changed"] is True and result["snapshot"]["status"] == "available", name
        # The lookup that came before any retry found (or did not find) it by name.
        assert log.count(listing(emulator, name=name)) >= 2, (name, log)
    assert [s["id"] for s in snapshots(emulator) if s["name"] == "late"] == [run.task("late")["snapshot"]["id"]]


def test_refusals_come_before_any_write(emulator_factory):
    """Every refusal, for real and in check mode: the message, a whole failure, and no write."""
    emulator = emulator_factory(provision_seconds=3600)
    ids = make_instances(emulator, ["web-1"], status="stopped")
    taken = make_snapshot(emulator, "taken", ids["web-1"])
    make_instances(emulator, ["new-1"], status="provisioning")  # for the hour of its provisioning
    base = dict(project=emulator.project_id, name="snap-1", instance="web-1")
    cases = {
        "no instance": (dict(base, instance=None), "snapshot snap-1 does not exist; to create it also give: instance"),
        "unknown instance": (dict(base, instance="nope"), "instance 'nope' not found (by id or name)"),
        "unknown instance id": (dict(base, instance=UNKNOWN_ID), "instance '%s' not found (by id or name)" % UNKNOWN_ID),
        "provisioning": (dict(base, instance="new-1"),
                         "cannot take a snapshot of instance new-1: it is provisioning; run again once it is running or stopped"),
        "bad name": (dict(base, name="Snap_1"), "name: must be 1-63 characters"),
        "bad labels": (dict(base, labels={"a": 1}), "labels: the value of a must be a string"),
        "new by id": (dict(id=UNKNOWN_ID, name="snap-1"), "no snapshot with id %s" % UNKNOWN_ID),
        "rename": (dict(id=taken, name="other"), "snapshot taken cannot be renamed to other"),
    }
    run, _logs = refused_in_one_run(emulator, failing, cases)
    assert run.task("check bad labels")["failure"]["code"] == "validation_error"
    assert run.task("check provisioning")["failure"]["code"] == "invalid_state"
    assert [s["name"] for s in snapshots(emulator)] == ["taken"]


def test_snapshot_info_filters_and_budgets(emulator):
    """Listings by name, instance (name or id, also of a deleted instance), label selector and id: the ids found
    and the requests each costs."""
    ids = make_instances(emulator, ["web-1", "web-2"], status="stopped")
    one = make_snapshot(emulator, "one", ids["web-1"], {"tier": "web"})
    two = make_snapshot(emulator, "two", ids["web-1"])
    three = make_snapshot(emulator, "three", ids["web-2"], {"tier": "db"})
    project = emulator.project_id
    cases = {  # name: (args, ids found, requests)
        "all": (dict(project=project), [one, two, three], 1),
        "by name": (dict(project=project, name="two"), [two], 1),
        "by instance name": (dict(project=project, instance="web-1"), [one, two], 2),
        "by instance id": (dict(project=project, instance=ids["web-2"]), [three], 1),
        "unknown instance": (dict(project=project, instance="nope"), [], 1),
        "selector": (dict(project=project, label_selector="tier in (web,db),tier!=db"), [one], 1),
        "no label": (dict(project=project, label_selector="!tier"), [two], 1),
        "by id": (dict(id=three), [three], 1),
        "unknown id": (dict(id=UNKNOWN_ID), [], 1),
        "project by name": (dict(project="default", name="one"), [one], 2),
    }
    run, logs, _keys = keyed_run(emulator, [dict(task(name, args, INFO), check_mode=(name == "all"))
                                            for name, (args, _found, _budget) in cases.items()] + [
        failing("bad selector", dict(project=project, label_selector="tier in web"), INFO)])
    assert run.rc == 0, run
    for name, (_args, found, budget) in cases.items():
        result = run.task(name)
        assert result["changed"] is False and [s["id"] for s in result["snapshots"]] == found, (name, result)
        assert len(logs[name]) == budget, (name, logs[name])
    assert logs["by name"] == [listing(emulator, name="two")]
    assert run.task("by id")["snapshots"] == [{
        "id": three, "project_id": project, "name": "three", "instance_id": ids["web-2"],
        "os_template": emulator.os_template, "size_gb": 20, "status": "available", "labels": {"tier": "db"},
        "created_at": run.task("by id")["snapshots"][0]["created_at"]}]
    assert "label_selector" in run.task("bad selector")["msg"] and logs["bad selector"] == []

    # The snapshots of a deleted instance keep its id, so they are found by it.
    status, _headers, _body = emulator.call("DELETE", "/instances/%s" % ids["web-2"])
    assert status in (202, 204)
    emulator.advance(3600)
    run = run_ok([task("of a deleted instance", dict(project=project, instance=ids["web-2"]), INFO)], emulator)
    assert [s["id"] for s in run.task("of a deleted instance")["snapshots"]] == [three]


def test_backup_info_by_name_or_id(emulator):
    """An instance's backups, oldest first: by name one listing and one GET, by id the GET alone; an unknown
    instance fails naming it."""
    ids = make_instances(emulator, ["web-1", "web-2"], status="running")
    first = emulator.make_backup(ids["web-1"])
    emulator.advance(3600)
    second = emulator.make_backup(ids["web-1"])
    emulator.clear_requests()
    backups_path = "/api/instances/%s/backups" % ids["web-1"]
    run, logs, _keys = keyed_run(emulator, [
        task("by name", dict(project=emulator.project_id, instance="web-1"), BACKUPS),
        dict(task("by id", dict(instance=ids["web-1"]), BACKUPS), check_mode=True),
        task("none", dict(project=emulator.project_id, instance="web-2"), BACKUPS),
        failing("unknown name", dict(project=emulator.project_id, instance="nope"), BACKUPS),
        failing("unknown id", dict(instance=UNKNOWN_ID), BACKUPS),
    ])
    by_name = run.task("by name")
    assert by_name["changed"] is False
    assert [b["id"] for b in by_name["backups"]] == [first["id"], second["id"]]
    assert by_name["backups"][0] == {"id": first["id"], "instance_id": ids["web-1"], "size_gb": 20,
                                     "status": "available", "created_at": first["createdAt"]}
    assert run.task("by id")["backups"] == by_name["backups"]
    assert [call[:2] for call in logs["by name"]] == [("GET", "/api/instances"), ("GET", backups_path)]
    assert [call[:2] for call in logs["by id"]] == [("GET", backups_path)]
    assert run.task("none")["backups"] == []
    assert "instance 'nope' not found (by id or name)" in run.task("unknown name")["msg"]
    assert run.task("unknown id")["msg"] == "instance %r not found (by id or name)" % UNKNOWN_ID
    assert run.task("unknown id")["failure"]["code"] == "not_found"
