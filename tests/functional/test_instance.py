"""huc_instance through ansible-playbook against the emulator: lifecycle, budgets, faults, bad input."""

import base64
import json
from datetime import datetime
from urllib.parse import parse_qsl

import pytest

from tests.functional.clockwork import Clockwork
from tests.functional.playbook import run_playbook

MODULE = "hostupcloud.cloud.huc_instance"
UNKNOWN_ID = "7d3c2a4e-0b1f-4c55-9a51-2f6a1c0e8b90"


def task(title, args):
    return {"name": title, MODULE: args, "register": "out"}


def failing(title, args):
    return dict(task(title, args), ignore_errors=True)


def spec(emulator, **extra):
    """A small instance in the default project, node given by name."""
    args = dict(project=emulator.project_id, name="web-1", node=emulator.node_name, os_template=emulator.os_template,
                vcpus=1, memory_mb=1024, disk_gb=20, labels={"role": "web"})
    args.update(extra)
    return args


def calls(emulator):
    """(method, path, query dict) of every /api request so far, and clear the log for the next step."""
    log = [(r["method"], r["path"], dict(parse_qsl(r["query"]))) for r in emulator.requests()]
    emulator.clear_requests()
    return log


def parse_iso(text):
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").timestamp()


def folded(log):
    """The log with consecutive polls of one instance (GET /api/instances/ID) folded into one."""
    return [entry for n, entry in enumerate(log)
            if not (n and entry == log[n - 1] and entry[0] == "GET" and entry[1].startswith("/api/instances/"))]


def instances(emulator):
    return emulator.state()["instances"]


def fast(emulator_factory, **options):
    return emulator_factory(provision_seconds=0.5, transition_seconds=0.5, **options)


def run_ok(play, tasks, **kwargs):
    run = play(tasks, **kwargs)
    assert run.rc == 0, [r["result"].get("msg") for r in run.records]
    assert "Traceback" not in run.output
    return run


@pytest.mark.heavy
def test_lifecycle(emulator_factory):
    """check create -> create -> reruns unchanged (budgets) -> labels -> resize refused / allowed -> shrink -> absent.

    Two playbooks; the request log of each is checked request by request (polls folded into one).
    """
    emulator = fast(emulator_factory)
    args = spec(emulator)
    by_ids = dict(args, node=emulator.node_id)
    run = run_ok(run_playbook, [
        dict(failing("check create, unknown template", dict(args, os_template="Windows 95")), check_mode=True),
        dict(failing("check create, unknown node", dict(args, node=UNKNOWN_ID)), check_mode=True),
        dict(task("check create", args), check_mode=True),
        task("create", args),
        task("rerun ids", by_ids),
        task("rerun project name", dict(by_ids, project="default")),
        task("rerun node name", args),
        task("labels", dict(args, labels={"role": "web", "tier": "a"})),
        failing("other template refused", dict(args, os_template="Debian 12", labels={"role": "web", "tier": "a"})),
        failing("resize refused", dict(args, vcpus=2, memory_mb=2048)),
        failing("shrink refused", dict(args, disk_gb=10)),
        failing("resize invalid", dict(args, vcpus=0, allow_restart=True)),
        dict(task("check resize", dict(args, vcpus=2, memory_mb=2048, disk_gb=30, allow_restart=True)), check_mode=True),
        task("resize", dict(args, vcpus=2, memory_mb=2048, disk_gb=30, allow_restart=True)),
    ], emulator=emulator, args=["--diff"])

    # Check mode fails where the real run's create would be refused, and predicts the new instance exactly;
    # it writes nothing (see the log below).
    assert run.status("check create, unknown template") == "failed" and run.status("check create, unknown node") == "failed"
    assert run.task("check create, unknown template")["msg"].startswith("os_template 'Windows 95' not found (by id or name)")
    assert run.task("check create, unknown node")["msg"].startswith("node '%s' not found (by id or name)" % UNKNOWN_ID)
    result = run.task("check create")
    assert result["changed"] is True
    assert result["instance"] == {
        "id": None, "project_id": emulator.project_id, "name": "web-1", "node_id": emulator.node_id,
        "os_template": emulator.os_template, "snapshot_id": None, "backup_id": None, "vcpus": 1, "memory_mb": 1024,
        "disk_gb": 20, "status": "running", "ipv4": None, "ipv6": None, "ipv6_prefix": None, "reverse_dns": None,
        "ssh_key_ids": [], "labels": {"role": "web"}, "backups": False, "protection": {"delete": False, "rebuild": False},
        "created_at": None, "updated_at": None}
    assert result["diff"] == {"before": {}, "after": {
        "name": "web-1", "node_id": emulator.node_id, "os_template": emulator.os_template, "vcpus": 1, "memory_mb": 1024,
        "disk_gb": 20, "ssh_key_ids": [], "labels": {"role": "web"}}}

    # The real create waits until running and returns exactly the documented keys, as predicted.
    created = run.task("create")["instance"]
    assert run.task("create")["changed"] is True and run.task("create")["diff"] == result["diff"]
    assert sorted(created) == sorted(result["instance"]) and created["status"] == "running" and created["ipv4"]
    assert created["ipv6"] is None and created["reverse_dns"] == {created["ipv4"]: None}  # no IPv6 unless asked for
    assert dict(created, id=None, ipv4=None, reverse_dns=None, created_at=None, updated_at=None) == result["instance"]

    # Reruns change nothing.
    for name in ("rerun ids", "rerun project name", "rerun node name"):
        assert run.task(name)["changed"] is False and run.task(name)["instance"] == created
        assert "diff" not in run.task(name) or run.task(name)["diff"]["before"] == run.task(name)["diff"]["after"]

    # Labels change in place; a different os_template is a rebuild, refused without allow_rebuild (test_rebuild.py).
    result = run.task("labels")
    assert result["changed"] is True and result["instance"]["labels"] == {"role": "web", "tier": "a"}
    assert (result["diff"]["before"]["labels"], result["diff"]["after"]["labels"]) == ({"role": "web"}, {"role": "web", "tier": "a"})
    assert "warnings" not in result
    # The template is not touched: ignored with a warning, as before 1.1.0, and nothing written (the log below).
    ignored = run.task("other template refused")
    assert run.status("other template refused") == "ok" and ignored["instance"]["os_template"] == emulator.os_template
    assert "allow_rebuild: true" in ignored["warnings"][0]

    # Resize without allow_restart and a disk shrink fail before any write.
    assert run.status("resize refused") == "failed" and run.status("shrink refused") == "failed"
    assert run.task("resize refused")["msg"] == (
        "changing vcpus and memory_mb needs instance web-1 stopped (it is running): set allow_restart: true to let "
        "the module stop it, resize it and start it again")
    assert run.task("shrink refused")["msg"] == "disk_gb can only grow: instance web-1 has 20 GB, disk_gb asks for 10"

    # An invalid resize fails before any request: the instance is never stopped for a resize the API refuses.
    assert run.status("resize invalid") == "failed"
    assert run.task("resize invalid")["msg"] == "invalid input (validation_error): vcpus: must be between 1 and 64"

    # With allow_restart: shut down, resize, start again (the power state found is restored).
    result = run.task("resize")
    assert result["changed"] is True and result["instance"]["status"] == "running"
    assert (result["instance"]["vcpus"], result["instance"]["memory_mb"], result["instance"]["disk_gb"]) == (2, 2048, 30)
    assert (result["diff"]["before"]["vcpus"], result["diff"]["after"]["vcpus"]) == (1, 2)
    state = instances(emulator)[0]
    assert (state["vcpus"], state["memoryMb"], state["diskGb"], state["status"]) == (2, 2048, 30, "running")
    # Check mode predicted it exactly (but for the time of the change) and wrote nothing (see the log below).
    predicted = run.task("check resize")
    assert predicted["changed"] is True and predicted["diff"] == result["diff"]
    assert dict(predicted["instance"], updated_at=None) == dict(result["instance"], updated_at=None)

    one = "/api/instances/" + created["id"]
    page = {"page": "1", "perPage": "100"}
    listing = ("GET", "/api/instances", dict(page, projectId=emulator.project_id, name="web-1"))
    nodes = ("GET", "/api/nodes", page)
    templates = ("GET", "/api/os-templates", page)
    assert folded(calls(emulator)) == [
        listing, nodes, templates,                                         # check create, unknown template
        listing, templates, nodes,                                         # check create, unknown node (by id)
        listing, nodes, templates,                                         # check create: reads only
        listing, nodes, ("POST", "/api/instances", {}), ("GET", one, {}),  # create, polls
        listing,                                                           # rerun, ids: 1 request
        ("GET", "/api/projects", page), listing,                           # rerun, project name: 2
        listing,                                                           # rerun, node name: 1 (no /nodes to warn)
        listing, ("PATCH", one, {}),                                       # labels
        listing,                                                           # other template refused
        listing,                                                           # resize refused
        listing,                                                           # shrink refused
                                                                           # resize invalid: no request
        listing,                                                           # check resize: reads only
        listing, ("PATCH", one, {}),                                       # resize: the power state to restore,
        ("POST", one + "/power", {}), ("GET", one, {}),                    # shutdown, wait,
        ("PATCH", one, {}), ("POST", one + "/power", {}), ("GET", one, {}),  # resize, start, wait,
        ("PATCH", one, {}),                                                # the record removed
    ]

    # A stopped instance is resized without any power action and stays stopped; then state: absent.
    emulator.set_instance(created["id"], status="stopped")
    gone = dict(project=emulator.project_id, name="web-1", state="absent")
    run = run_ok(run_playbook, [
        task("resize stopped", dict(by_ids, vcpus=4, memory_mb=4096, disk_gb=30, allow_restart=True)),
        dict(task("check absent", gone), check_mode=True),
        task("absent", gone),
        task("absent again", gone),
    ], emulator=emulator, args=["--diff"])
    assert run.task("resize stopped")["instance"]["status"] == "stopped"
    assert run.task("resize stopped")["instance"]["vcpus"] == 4
    assert run.task("check absent")["changed"] is True and run.task("check absent")["instance"]["status"] == "deleting"
    assert run.task("check absent")["diff"]["after"] == {} and run.task("check absent")["diff"]["before"]["vcpus"] == 4
    assert run.task("absent")["changed"] is True and run.task("absent")["instance"]["status"] == "deleting"
    assert run.task("absent again")["changed"] is False and run.task("absent again")["instance"] is None
    assert folded(calls(emulator)) == [
        listing, ("PATCH", one, {}),                        # resize stopped: no power action
        listing,                                            # check absent: reads only
        listing, ("DELETE", one, {}), ("GET", one, {}),     # absent, wait until 404
        listing,                                            # absent again
    ]
    assert instances(emulator) == []


def test_references_by_name_and_id_and_rename(emulator_factory):
    """ssh_keys by name and id, node by id, rename and delete by id, no-wait create and delete."""
    emulator = fast(emulator_factory)
    key_ids = []
    for name in ("deploy", "backup"):
        # a well-formed ssh-ed25519 blob (string type, string 32-byte key), distinct per name
        blob = b"\x00\x00\x00\x0bssh-ed25519\x00\x00\x00\x20" + (name.encode() * 8)[:32]
        line = "ssh-ed25519 %s %s@example" % (base64.b64encode(blob).decode(), name)
        status, _headers, body = emulator.call("POST", "/ssh-keys", body={
            "projectId": emulator.project_id, "name": name, "publicKey": line})
        assert status == 201, body
        key_ids.append(body["data"]["id"])
    args = spec(emulator, node=emulator.node_id, ssh_keys=["deploy", key_ids[1]], wait=False)
    run = run_playbook([
        task("create", args),
        task("same keys by id", dict(args, ssh_keys=list(reversed(key_ids)))),
        task("other keys", dict(args, ssh_keys=[key_ids[0]])),
        task("other keys by name", dict(args, ssh_keys=["deploy"])),
        task("rename", dict(id="{{ out.instance.id }}", name="web-2")),
        task("delete", dict(id="{{ out.instance.id }}", state="absent", wait=False)),
        task("unknown id", dict(id=UNKNOWN_ID, state="absent")),
    ], emulator=emulator)
    assert run.rc == 0, run
    created = run.task("create")["instance"]
    assert created["status"] == "provisioning" and created["ssh_key_ids"] == key_ids
    assert run.task("same keys by id")["changed"] is False and "warnings" not in run.task("same keys by id")
    assert run.task("other keys")["changed"] is False
    assert "ssh_keys (the instance has %s)" % ", ".join(key_ids) in run.task("other keys")["warnings"][0]
    # By name the set is not compared: the SSH keys would be listed for nothing but the warning.
    assert run.task("other keys by name")["changed"] is False and "warnings" not in run.task("other keys by name")
    assert run.task("rename")["changed"] is True and run.task("rename")["instance"]["name"] == "web-2"
    assert run.task("delete")["instance"]["status"] == "deleting"
    assert run.task("unknown id")["changed"] is False
    log = emulator.requests()
    assert [(r["method"], r["path"]) for r in log if r["method"] != "GET" and r["path"] != "/api/ssh-keys"] == [
        ("POST", "/api/instances"), ("PATCH", "/api/instances/%s" % created["id"]),
        ("DELETE", "/api/instances/%s" % created["id"])]
    # a name costs one listing at the create, none on an existing instance; ids cost none
    assert sum(1 for r in log if (r["method"], r["path"]) == ("GET", "/api/ssh-keys")) == 1
    assert [(i["name"], i["status"]) for i in instances(emulator)] in ([("web-2", "deleting")], [])


def test_lost_create_answers_never_make_two_instances(emulator_factory):
    """The first POST is dropped, the second is answered too late (after api_timeout): each time the module looks
    the instance up by name before resending the same Idempotency-Key, and one instance is made."""
    emulator = fast(emulator_factory)
    emulator.fault(count=1, methods=["POST"], pathPrefix="/api/instances", drop=True)
    # Held 10 s, long past the 1 s api_timeout, the retry's back-off and its lookup on any machine: the lookup
    # finds nothing, the resent POST makes the instance, and the held one is a replay of its Idempotency-Key.
    emulator.fault(count=1, methods=["POST"], pathPrefix="/api/instances", delaySeconds=10)
    run = run_ok(run_playbook, [task("create", spec(emulator, node=emulator.node_id, api_timeout=1))], emulator=emulator)
    log = emulator.requests()
    posts = [r for r in log if r["method"] == "POST"]
    assert [(r.get("fault"), r.get("delaySeconds")) for r in posts] == [(True, None), (None, 10), (None, None)]
    assert posts[0]["idempotencyKey"] and len(set(r["idempotencyKey"] for r in posts)) == 1
    lookup = ("GET", "/api/instances", "name=web-1")
    assert [(r["method"], r["path"], "name=web-1" if "name=web-1" in r["query"] else "") for r in log[:5]] == [
        lookup, ("POST", "/api/instances", ""), lookup, ("POST", "/api/instances", ""), lookup]
    assert [i["id"] for i in instances(emulator)] == [run.task("create")["instance"]["id"]]


def test_bad_input_fails_naming_the_field(play, emulator):
    args = spec(emulator, node=emulator.node_id)
    # The emulator keeps names unique, so a listing with two matches is injected (once) as a fault answer.
    twins = [{"id": "id-%d" % n, "projectId": emulator.project_id, "name": "web-1", "status": "running"} for n in (1, 2)]
    emulator.fault(status=200, count=1, methods=["GET"], pathPrefix="/api/instances",
                   headers={"Content-Type": "application/json"}, body=json.dumps({"data": twins}))
    cases = {
        "ambiguous": (args, "2 instances are named 'web-1' in this project: id-1, id-2; give id instead of name"),
        "vcpus": (dict(args, vcpus=0), "invalid input (validation_error): vcpus: must be between 1 and 64"),
        "memory": (dict(args, memory_mb=1000), "invalid input (validation_error): memory_mb: must be a multiple of 512"),
        "template": (dict(args, os_template="Windows 95"), "os_template: must be one of: Ubuntu 24.04"),
        "node name": (dict(args, node="mars1-n1"), "node 'mars1-n1' not found (by id or name); known: ams1-n1"),
        "node id": (dict(args, node=UNKNOWN_ID), "node: unknown node %s" % UNKNOWN_ID),
        "name": (dict(args, name="Web_1"), "name: must be 1-63 characters"),
        "project name": (dict(args, project="nope"), "project 'nope' not found (by id or name); known: default"),
        "project id": (dict(args, project=UNKNOWN_ID), "project '%s' not found (by id or name); known: default" % UNKNOWN_ID),
        "missing": (dict(project=emulator.project_id, name="web-1", vcpus=1),
                    "instance web-1 does not exist; to create it also give: node, os_template (or snapshot), memory_mb, "
                    "disk_gb"),
        "labels": (dict(args, labels={"tier": 1}), "labels: the value of tier must be a string"),
        "ssh key": (dict(args, ssh_keys=["nokey"]), "SSH key (ssh_keys) 'nokey' not found"),
        "new by id": (dict(id=UNKNOWN_ID, vcpus=1), "no instance with id %s" % UNKNOWN_ID),
        "read-only": (dict(args, api_key=emulator.read_key),
                      "this API key has the Read permission only; this task needs Write (forbidden) (POST /instances)"),
    }
    run = play([failing(name, case[0]) for name, case in cases.items()], args=["-vvv"])
    for name, (_args, message) in cases.items():
        assert run.status(name) == "failed", name
        assert message in run.task(name)["msg"], (name, run.task(name)["msg"])
    # Limits are checked before any request, so the failure is the API's but for its HTTP status.
    assert run.task("vcpus")["failure"] == {"status": None, "code": "validation_error", "message": "invalid request: vcpus",
                                            "details": {"vcpus": "must be between 1 and 64"}}
    assert run.task("read-only")["failure"]["status"] == 403
    assert "Traceback" not in run.output
    assert emulator.write_key not in run.output and emulator.read_key not in run.output
    assert instances(emulator) == []


def test_waits_poll_at_the_apis_eta_and_a_resize_stop_keeps_its_shutdown_timeout(emulator_factory):
    """Create + wait at a 5 s provisioning costs 3 requests (the budget is 4): a listing, the POST and one poll at
    the ETA the create's answer carries (Retry-After: 5). At 20 s it is still one poll (1 s polling would take 20,
    the schedule without an ETA 3: at 3, 9 and 21 s); there the emulator's clock steps 19 s after each request, so
    the test waits 1 s, not 20. Then a resize of a guest that ignores its shutdown powers it off after
    shutdown_timeout (1 s), not the default 120 s."""
    emulator = emulator_factory(provision_seconds=5, transition_seconds=0.5)
    for name, provision, step in (("web-1", 5, 0), ("web-2", 20, 19)):
        emulator.config(provisionSeconds=provision)
        with Clockwork(emulator, step=step):
            run = run_playbook([task("create", spec(emulator, name=name, node=emulator.node_id))], emulator=emulator)
        assert run.rc == 0, run
        created = run.task("create")["instance"]
        assert created["status"] == "running"
        log = emulator.requests()
        one = "/api/instances/%s" % created["id"]
        assert [(r["method"], r["path"]) for r in log] == [
            ("GET", "/api/instances"), ("POST", "/api/instances"), ("GET", one)], log
        assert parse_iso(log[2]["at"]) - parse_iso(log[1]["at"]) >= provision - 1  # the log's clock has whole seconds
        emulator.clear_requests()

    emulator.set_instance(created["id"], ignoreShutdown=True)
    emulator.clear_requests()
    run = run_playbook([task("resize", dict(spec(emulator, name="web-2"), vcpus=2, memory_mb=2048, allow_restart=True,
                                            shutdown_timeout=1))], emulator=emulator)
    assert run.rc == 0, run
    assert run.task("resize")["instance"]["status"] == "running" and run.task("resize")["instance"]["vcpus"] == 2
    power = [r for r in emulator.requests() if r["method"] == "POST" and r["path"].endswith("/power")]
    assert len(power) == 3, power  # shutdown, the hard stop after shutdown_timeout, start
    assert parse_iso(power[1]["at"]) - parse_iso(power[0]["at"]) < 60  # far from the default 120 s
