"""huc_instance's snapshot, backup and rebuild through ansible-playbook against the emulator: an instance from a
snapshot, a refused rebuild (no write), a rebuild that keeps the id and the addresses, a create followed by the same
task never rebuilding (the bug of hetzner.hcloud #580), and a restore from a backup; each step's request budget from
the emulator's log, one playbook per test."""

import pytest

from tests.emulator.harness import make_instances
from tests.functional.steps import keyed_run, steps

MODULE = "hostupcloud.cloud.huc_instance"
task, failing, checked = steps(MODULE)
INSTANCES = "/api/instances"


@pytest.fixture
def emulator(emulator_factory):
    return emulator_factory(provision_seconds=0.5, transition_seconds=0.5, snapshot_seconds=0.5)


def other_template(emulator):
    _status, _headers, body = emulator.call("GET", "/os-templates")
    return [t["name"] for t in body["data"] if t["name"] != emulator.os_template][0]


def snapshot_of(emulator, instance_id, name="golden"):
    """A snapshot made through the API directly (not by huc_snapshot), available once the clock has moved."""
    status, _headers, body = emulator.call("POST", "/snapshots", body={
        "projectId": emulator.project_id, "instanceId": instance_id, "name": name})
    assert status == 201, body
    emulator.advance(60)
    status, _headers, found = emulator.call("GET", "/snapshots/%s" % body["data"]["id"])
    assert status == 200 and found["data"]["status"] == "available", found
    return found["data"]


def new(emulator, name, **source):
    return dict(project=emulator.project_id, name=name, node=emulator.node_id, vcpus=1, memory_mb=1024, disk_gb=20,
                **source)


def writes_of(log):
    return [(method, path) for method, path, _query in log if method != "GET"]


def test_instances_from_a_template_and_a_snapshot_are_never_rebuilt_by_the_same_task_again(emulator):
    """A create followed by the same task: no rebuild, one request (two with the snapshot by name), for a template and a
    snapshot alike; the snapshot's template in os_template is no difference (compared through snapshot_id)."""
    source = make_instances(emulator, ["source-1"])["source-1"]
    snap = snapshot_of(emulator, source, "golden")
    template = new(emulator, "web-t", os_template=emulator.os_template)
    from_snapshot = new(emulator, "web-s", snapshot="golden")
    emulator.clear_requests()
    run, logs, _keys = keyed_run(emulator, [
        checked("check from snapshot", from_snapshot),
        task("from template", template),
        task("template again", template),
        task("from snapshot", from_snapshot),
        task("snapshot again", from_snapshot),
        task("snapshot id again", dict(from_snapshot, snapshot=snap["id"])),
        task("snapshot id and its template", dict(from_snapshot, snapshot=snap["id"], allow_rebuild=True)),
    ], args=["--diff"])
    assert run.rc == 0, [(r["task"], r["result"].get("msg")) for r in run.records]

    predicted = run.task("check from snapshot")
    assert predicted["changed"] is True and writes_of(logs["check from snapshot"]) == []
    assert predicted["instance"]["os_template"] == snap["osTemplate"] and predicted["instance"]["snapshot_id"] == snap["id"]

    made = run.task("from template")["instance"]
    assert made["os_template"] == emulator.os_template and made["snapshot_id"] is None and made["backup_id"] is None
    assert writes_of(logs["from template"]) == [("POST", INSTANCES)]
    made = run.task("from snapshot")["instance"]
    assert made["snapshot_id"] == snap["id"] and made["os_template"] == snap["osTemplate"]
    assert made["status"] == "running" and made["protection"] == {"delete": False, "rebuild": False}
    assert writes_of(logs["from snapshot"]) == [("POST", INSTANCES)]
    body = [r for r in emulator.state()["instances"] if r["name"] == "web-s"][0]
    assert body["snapshotId"] == snap["id"]

    # The same task again: nothing changes, nothing is written, and it costs the listing (plus the snapshots' by name).
    assert [(m, p) for m, p, _q in logs["template again"]] == [("GET", INSTANCES)]
    assert [(m, p) for m, p, _q in logs["snapshot again"]] == [("GET", INSTANCES), ("GET", "/api/snapshots")]
    for name in ("template again", "snapshot again", "snapshot id again", "snapshot id and its template"):
        assert run.task(name)["changed"] is False, name
        assert [(m, p) for m, p, _q in logs[name]][-1:] == [("GET", INSTANCES)] or name == "snapshot again"
    assert [(m, p) for m, p, _q in logs["snapshot id again"]] == [("GET", INSTANCES)]
    assert not any("/rebuild" in path for log in logs.values() for _m, path, _q in log)


def test_a_rebuild_is_refused_without_allow_rebuild_and_keeps_id_and_addresses_with_it(emulator):
    """Refused (no write), predicted in check mode with the diff, done (same id and IPv4), then a no-op; rebuild
    protection refuses even with allow_rebuild, and protection.rebuild: false in the same task lifts it first."""
    ids = make_instances(emulator, ["web-1"])
    before = [r for r in emulator.state()["instances"] if r["name"] == "web-1"][0]
    other = other_template(emulator)
    args = dict(project=emulator.project_id, name="web-1", os_template=other)
    emulator.clear_requests()
    run, logs, _keys = keyed_run(emulator, [
        task("refused", args),
        dict(task("check refused", args), check_mode=True),
        checked("check rebuild", dict(args, allow_rebuild=True)),
        task("rebuild", dict(args, allow_rebuild=True)),
        task("again", dict(args, allow_rebuild=True)),
        task("protect", dict(project=emulator.project_id, name="web-1", protection={"rebuild": True})),
        failing("protected", dict(args, os_template=emulator.os_template, allow_rebuild=True)),
        task("lift and rebuild", dict(args, os_template=emulator.os_template, allow_rebuild=True,
                                      protection={"rebuild": False})),
    ], args=["--diff"])
    # Without allow_rebuild a different os_template is ignored with a warning, as before 1.1.0 (SemVer): no write.
    for name in ("refused", "check refused"):
        assert run.status(name) == "ok" and not run.task(name)["changed"], run.task(name)
        assert run.task(name)["warnings"] == [
            "instance web-1 was made from OS template %s; os_template %s was ignored: it applies at creation, or with "
            "allow_rebuild: true, which rebuilds the instance from it (wiping its disk)" % (emulator.os_template, other)]
        assert run.task(name)["instance"]["os_template"] == emulator.os_template
        assert writes_of(logs[name]) == [] and len(logs[name]) == 1, logs[name]

    predicted = run.task("check rebuild")
    assert predicted["changed"] is True and writes_of(logs["check rebuild"]) == []
    assert predicted["instance"]["os_template"] == other and predicted["instance"]["status"] == "running"
    assert predicted["diff"]["before"]["os_template"] == emulator.os_template
    assert predicted["diff"]["after"]["os_template"] == other

    rebuilt = run.task("rebuild")
    assert rebuilt["changed"] is True and rebuilt["diff"] == predicted["diff"]
    assert rebuilt["instance"]["id"] == ids["web-1"] and rebuilt["instance"]["ipv4"] == before["ipv4"]
    assert rebuilt["instance"]["os_template"] == other and rebuilt["instance"]["status"] == "running"
    assert dict(rebuilt["instance"], updated_at=None) == dict(predicted["instance"], updated_at=None)
    assert writes_of(logs["rebuild"]) == [("POST", "%s/%s/rebuild" % (INSTANCES, ids["web-1"]))]
    assert all(method == "GET" for method, _p, _q in logs["rebuild"] if method != "POST")
    assert run.task("again")["changed"] is False and [(m, p) for m, p, _q in logs["again"]] == [("GET", INSTANCES)]

    assert run.task("protected")["failure"]["code"] == "protected" and writes_of(logs["protected"]) == []
    assert "set protection: {rebuild: false}" in run.task("protected")["msg"]
    path = "%s/%s" % (INSTANCES, ids["web-1"])
    assert writes_of(logs["lift and rebuild"]) == [("PATCH", path), ("POST", path + "/rebuild")]
    lifted = run.task("lift and rebuild")["instance"]
    assert lifted["os_template"] == emulator.os_template and lifted["protection"] == {"delete": False, "rebuild": False}
    assert lifted["id"] == ids["web-1"] and lifted["ipv4"] == before["ipv4"]


def test_a_rebuild_from_a_snapshot_and_a_restore_from_a_backup(emulator):
    """backups: true turns them on; a backup is restored only with allow_rebuild and only if it is the instance's;
    the next run does not restore it again; a snapshot rebuild reports the snapshot."""
    ids = make_instances(emulator, ["web-1", "db-1"])
    snap = snapshot_of(emulator, ids["db-1"], "db-golden")
    backup = emulator.make_backup(ids["web-1"])
    backup = backup.get("data", backup)
    alien = emulator.make_backup(ids["db-1"])
    alien = alien.get("data", alien)
    at = dict(project=emulator.project_id, name="web-1")
    emulator.clear_requests()
    run, logs, _keys = keyed_run(emulator, [
        task("backups on", dict(at, backups=True)),
        task("backups on again", dict(at, backups=True)),
        failing("restore refused", dict(at, backup=backup["id"])),
        failing("not its backup", dict(at, backup=alien["id"], allow_rebuild=True)),
        checked("check restore", dict(at, backup=backup["id"], allow_rebuild=True)),
        task("restore", dict(at, backup=backup["id"], allow_rebuild=True)),
        task("restore again", dict(at, backup=backup["id"], allow_rebuild=True)),
        task("from snapshot", dict(at, snapshot=snap["id"], allow_rebuild=True)),
        failing("both", dict(at, snapshot=snap["id"], os_template=emulator.os_template)),
    ], args=["--diff"])
    path = "%s/%s" % (INSTANCES, ids["web-1"])
    assert run.task("backups on")["instance"]["backups"] is True
    assert writes_of(logs["backups on"]) == [("PATCH", path)]
    assert run.task("backups on again")["changed"] is False and len(logs["backups on again"]) == 1

    assert run.task("restore refused")["failure"]["code"] == "rebuild_not_allowed"
    assert "backup %s wipes its disk" % backup["id"] in run.task("restore refused")["msg"]
    assert run.task("not its backup")["failure"]["code"] == "not_found"
    assert [(m, p) for m, p, _q in logs["not its backup"]] == [("GET", INSTANCES), ("GET", path + "/backups")]
    for name in ("restore refused", "check restore"):
        assert writes_of(logs[name]) == [], name
    assert run.task("check restore")["instance"]["backup_id"] == backup["id"]
    assert run.task("check restore")["diff"]["after"]["backup"] == backup["id"]

    restored = run.task("restore")["instance"]
    assert restored["backup_id"] == backup["id"] and restored["id"] == ids["web-1"] and restored["status"] == "running"
    assert writes_of(logs["restore"]) == [("POST", path + "/rebuild")]
    assert run.task("restore again")["changed"] is False and len(logs["restore again"]) == 1

    rebuilt = run.task("from snapshot")["instance"]
    assert rebuilt["snapshot_id"] == snap["id"] and rebuilt["backup_id"] is None
    assert rebuilt["os_template"] == snap["osTemplate"]
    assert writes_of(logs["from snapshot"]) == [("POST", path + "/rebuild")]
    assert "mutually exclusive" in run.task("both")["msg"] and logs["both"] == []
