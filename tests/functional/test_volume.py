"""huc_volume and huc_volume_info through ansible-playbook against the emulator: lifecycle, attachments,
budgets, lost answers, refusals."""

import pytest

from tests.emulator.harness import make_instances
from tests.functional.playbook import run_playbook
from tests.functional.steps import PAGE, UNKNOWN_ID, calls, keyed_run, refused_in_one_run, run_ok, steps

MODULE = "hostupcloud.cloud.huc_volume"
INFO = "hostupcloud.cloud.huc_volume_info"
task, failing, checked = steps(MODULE)


def volumes(emulator):
    return emulator.state()["volumes"]


def other_node(emulator):
    """(id, name) of a node that is not the emulator's first one."""
    _status, _headers, body = emulator.call("GET", "/nodes")
    node = [n for n in body["data"] if n["id"] != emulator.node_id][0]
    return node["id"], node["name"]


def instance_on(emulator, name, node_id):
    status, _headers, body = emulator.call("POST", "/instances", body={
        "projectId": emulator.project_id, "name": name, "nodeId": node_id, "osTemplate": emulator.os_template,
        "vcpus": 1, "memoryMb": 1024, "diskGb": 20})
    assert status == 201, body
    emulator.set_instance(body["data"]["id"], status="running")
    return body["data"]["id"]


def make_volume(emulator, name="data", size=20, node_id=None, instance_id=None):
    status, _headers, body = emulator.call("POST", "/volumes", body={
        "projectId": emulator.project_id, "name": name, "sizeGb": size, "nodeId": node_id or emulator.node_id})
    assert status == 201, body
    if instance_id:
        status, _headers, body = emulator.call("POST", "/volumes/%s/attach" % body["data"]["id"],
                                               body={"instanceId": instance_id})
        assert status == 200, body
    emulator.clear_requests()
    return body["data"]["id"]


@pytest.fixture
def world(emulator):
    """web-1 and web-2 on the first node, far-1 on another; the request log cleared."""
    ids = make_instances(emulator, ["web-1", "web-2"])
    far_node, far_node_name = other_node(emulator)
    ids["far-1"] = instance_on(emulator, "far-1", far_node)
    ids.update(far_node=far_node, far_node_name=far_node_name)
    emulator.clear_requests()
    return ids


def test_lifecycle_check_create_rerun_grow_move_detach_delete(emulator, world):
    """check create -> create attached -> reruns unchanged -> grow -> move -> detach -> delete, with --diff.

    The request log is checked request by request: it is every step's budget.
    """
    args = dict(project=emulator.project_id, name="data", size_gb=20, instance="web-1")
    by_ids = dict(args, instance=world["web-1"])
    run = run_ok([
        dict(task("check create", args), check_mode=True),
        task("create", args),
        task("rerun ids", by_ids),
        task("rerun node id", dict(by_ids, node=emulator.node_id)),
        task("rerun instance name", args),
        task("rerun node name", dict(by_ids, node=emulator.node_name)),
        task("rerun project name", dict(by_ids, project="default")),
        dict(task("check grow", dict(by_ids, size_gb=30)), check_mode=True),
        task("grow", dict(by_ids, size_gb=30)),
        dict(task("check move", dict(by_ids, size_gb=30, instance=world["web-2"], force=True)), check_mode=True),
        task("move", dict(by_ids, size_gb=30, instance=world["web-2"], force=True)),
        dict(task("check detach", dict(project=emulator.project_id, name="data", state="detached")), check_mode=True),
        task("detach", dict(project=emulator.project_id, name="data", state="detached")),
        task("detach again", dict(project=emulator.project_id, name="data", state="detached")),
        task("null on detached", dict(project=emulator.project_id, name="data", instance=None)),
        task("attach by id", dict(project=emulator.project_id, name="data", instance=world["web-1"])),
        task("null detaches", dict(id="{{ out.volume.id }}", instance=None)),
        task("attach by name", dict(project=emulator.project_id, name="data", instance="web-2")),
    ], emulator, args=["--diff"])

    # Check mode predicts the new volume, attached to web-1 on its node, and writes nothing (see the log below).
    predicted = run.task("check create")
    assert predicted["changed"] is True
    assert predicted["volume"] == {"id": None, "project_id": emulator.project_id, "name": "data", "size_gb": 20,
                                   "node_id": emulator.node_id, "instance_id": world["web-1"], "status": "attached",
                                   "protection": {"delete": False}, "created_at": None}
    assert predicted["diff"] == {"before": {}, "after": {"name": "data", "size_gb": 20, "node_id": emulator.node_id,
                                                         "instance_id": world["web-1"]}}

    # The real create made it on the instance's node and attached it, exactly as predicted.
    created = run.task("create")["volume"]
    assert run.task("create")["changed"] is True and run.task("create")["diff"] == predicted["diff"]
    assert created["id"] and created["created_at"]
    assert dict(created, id=None, created_at=None) == predicted["volume"]

    # Reruns change nothing, whatever the references are given as.
    for name in ("rerun ids", "rerun node id", "rerun instance name", "rerun node name", "rerun project name"):
        result = run.task(name)
        assert result["changed"] is False and result["volume"] == created, name
        assert result["diff"]["before"] == result["diff"]["after"], name
        assert "warnings" not in result, name

    # Grow in place; check mode predicted it exactly.
    grown = run.task("grow")
    assert grown["changed"] is True and grown["volume"] == dict(created, size_gb=30)
    assert (grown["diff"]["before"]["size_gb"], grown["diff"]["after"]["size_gb"]) == (20, 30)
    assert run.task("check grow")["volume"] == grown["volume"] and run.task("check grow")["diff"] == grown["diff"]

    # Move to web-2 with force: detach, then attach.
    moved = run.task("move")
    assert moved["changed"] is True and moved["volume"] == dict(grown["volume"], instance_id=world["web-2"])
    assert (moved["diff"]["before"]["instance_id"], moved["diff"]["after"]["instance_id"]) == (world["web-1"], world["web-2"])
    assert run.task("check move")["volume"] == moved["volume"] and run.task("check move")["diff"] == moved["diff"]

    # state: detached detaches, once; an explicit null on a detached volume changes nothing.
    detached = run.task("detach")
    assert detached["changed"] is True
    assert detached["volume"] == dict(moved["volume"], instance_id=None, status="available")
    assert run.task("check detach")["volume"] == detached["volume"]
    assert run.task("detach again")["changed"] is False and run.task("null on detached")["changed"] is False

    # Attach by id, detach by an explicit null (volume found by id), attach by name.
    assert run.task("attach by id")["volume"]["instance_id"] == world["web-1"]
    assert run.task("attach by id")["volume"]["status"] == "attached"
    assert run.task("null detaches")["changed"] is True and run.task("null detaches")["volume"]["instance_id"] is None
    last = run.task("attach by name")["volume"]
    assert last["instance_id"] == world["web-2"] and last["status"] == "attached"

    vid = created["id"]
    one, attach, detach = "/api/volumes/" + vid, "/api/volumes/%s/attach" % vid, "/api/volumes/%s/detach" % vid
    listing = ("GET", "/api/volumes", dict(PAGE, projectId=emulator.project_id, name="data"))
    instances = ("GET", "/api/instances", dict(PAGE, projectId=emulator.project_id))
    get_web1, get_web2 = ("GET", "/api/instances/" + world["web-1"], {}), ("GET", "/api/instances/" + world["web-2"], {})
    assert calls(emulator) == [
        listing, instances,                                              # check create: reads only
        listing, instances, ("POST", "/api/volumes", {}), ("POST", attach, {}),  # create, attach
        listing,                                                         # rerun, ids: 1 request
        listing,                                                         # rerun, node id too: 1 request
        listing, instances,                                              # rerun, instance by name: 2
        listing,                                                         # rerun, node by name: 1 (no /nodes to warn)
        ("GET", "/api/projects", PAGE), listing,                         # rerun, project by name: 2
        listing,                                                         # check grow
        listing, ("PATCH", one, {}),                                     # grow
        listing, get_web2,                                               # check move: reads only
        listing, get_web2, ("POST", detach, {}), ("POST", attach, {}),   # move
        listing,                                                         # check detach
        listing, ("POST", detach, {}),                                   # detach
        listing,                                                         # detach again
        listing,                                                         # null on detached
        listing, get_web1, ("POST", attach, {}),                         # attach by id: 3 requests
        ("GET", one, {}), ("POST", detach, {}),                          # null detaches (by id)
        listing, instances, ("POST", attach, {}),                        # attach by name: 3 requests
    ]
    state = volumes(emulator)
    assert [(v["id"], v["sizeGb"], v["instanceId"], v["status"]) for v in state] == [(vid, 30, world["web-2"], "attached")]

    # Delete: refused while attached, then with force (detach, delete); check mode first; then absent again.
    gone = dict(project=emulator.project_id, name="data", state="absent")
    run = run_playbook([
        failing("absent attached", gone),
        dict(task("check absent", dict(gone, force=True)), check_mode=True),
        task("absent", dict(gone, force=True)),
        task("absent again", gone),
    ], emulator=emulator, args=["--diff"])
    assert "Traceback" not in run.output
    assert run.status("absent attached") == "failed"
    assert run.task("absent attached")["msg"] == (
        "volume data is attached to instance web-2 (%s); set force: true to detach and delete it" % world["web-2"])
    assert run.task("absent attached")["failure"]["code"] == "attached"
    result = run.task("absent")
    assert result["changed"] is True and result["volume"] == dict(last, status="deleting")
    assert result["diff"]["after"] == {} and result["diff"]["before"]["instance_id"] == world["web-2"]
    assert run.task("check absent")["volume"] == result["volume"] and run.task("check absent")["diff"] == result["diff"]
    assert run.task("absent again")["changed"] is False and run.task("absent again")["volume"] is None
    assert calls(emulator) == [
        listing, instances,                                   # absent attached: refused, the listing names web-2
        listing,                                              # check absent
        listing, ("POST", detach, {}), ("DELETE", one, {}),   # absent: detach, delete
        ("GET", "/api/volumes", dict(PAGE, projectId=emulator.project_id, name="data")),  # absent again
    ]
    assert volumes(emulator) == []


@pytest.mark.heavy
def test_refusals_are_clear_and_write_nothing(emulator, world):
    vid = make_volume(emulator, "data", 20, instance_id=world["web-1"])
    make_volume(emulator, "free", 20)
    existing = dict(project=emulator.project_id, name="data")
    new = dict(project=emulator.project_id, name="new", size_gb=10)
    far = "%s (%s)" % (world["far_node_name"], world["far_node"])
    near = "%s (%s)" % (emulator.node_name, emulator.node_id)
    cases = {
        "unknown instance name": (dict(existing, instance="nope"),
                                  "instance 'nope' not found (by id or name); known: far-1, web-1, web-2"),
        "unknown instance id": (dict(existing, instance=UNKNOWN_ID), "instance '%s' not found (by id or name)" % UNKNOWN_ID),
        "unknown instance at create": (dict(new, instance="nope"), "instance 'nope' not found (by id or name)"),
        "other node": (dict(project=emulator.project_id, name="free", instance="far-1"),
                       "instance far-1 is on node %s but volume free is on node %s: it can only be attached to an "
                       "instance on its own node" % (far, near)),
        "other node at create": (dict(new, node=emulator.node_id, instance=world["far-1"]),
                                 "instance far-1 is on node %s but a new volume would be on node %s: it can only be "
                                 "attached to an instance on its own node" % (far, near)),
        "move without force": (dict(existing, instance="web-2"),
                               "volume data is attached to instance web-1 (%s); set force: true to move it to "
                               "instance web-2" % world["web-1"]),
        "shrink": (dict(existing, size_gb=10), "size_gb can only grow: volume data has 20 GB, size_gb asks for 10"),
        "attached delete": (dict(existing, state="absent"),
                            "volume data is attached to instance web-1 (%s); set force: true to detach and delete "
                            "it" % world["web-1"]),
        "bad name": (dict(new, name="Data_1", node=emulator.node_id),
                     "invalid input (validation_error): name: must be 1-63 characters of a-z, 0-9 and '-', starting "
                     "with a letter"),
        "too small": (dict(new, size_gb=0, node=emulator.node_id),
                      "invalid input (validation_error): size_gb: must be between 1 and 10240"),
        "too big": (dict(existing, size_gb=10241), "invalid input (validation_error): size_gb: must be between 1 and 10240"),
        "missing node": (dict(new), "volume new does not exist; to create it also give: node (or instance)"),
        "missing size and node": (dict(new, size_gb=None),
                                  "volume new does not exist; to create it also give: size_gb, node (or instance)"),
        "missing size": (dict(new, size_gb=None, node=emulator.node_id),
                         "volume new does not exist; to create it also give: size_gb"),
        "unknown node": (dict(new, node="mars1-n1"), "node 'mars1-n1' not found (by id or name); known: ams1-n1"),
        "detached with instance": (dict(existing, state="detached", instance="web-1"),
                                   "state: detached makes sure the volume is attached to no instance; do not also give "
                                   "instance (web-1): use state: present to attach it"),
        "rename": (dict(id=vid, name="other"), "volume data cannot be renamed to other"),
        "new by id": (dict(id=UNKNOWN_ID, size_gb=10), "no volume with id %s" % UNKNOWN_ID),
        "unknown project": (dict(new, project="nope", node=emulator.node_id),
                            "project 'nope' not found (by id or name); known: default"),
    }
    run, _logs = refused_in_one_run(emulator, failing, cases)  # every case for real and in check mode: the same messages
    assert run.task("check shrink")["failure"]["code"] == "volume_shrink"
    assert run.task("check too small")["failure"] == {"status": None, "code": "validation_error",
                                                      "message": "invalid request: sizeGb",
                                                      "details": {"sizeGb": "must be between 1 and 10240"}}
    assert run.task("check other node")["failure"]["code"] == "wrong_node"
    assert run.task("check other node")["failure"]["details"] == {"instanceNodeId": world["far_node"],
                                                                  "nodeId": emulator.node_id}
    assert run.task("check move without force")["failure"]["code"] == "attached"
    # Nothing changed.
    assert sorted((v["name"], v["sizeGb"], v["instanceId"]) for v in volumes(emulator)) == [
        ("data", 20, world["web-1"]), ("free", 20, None)]


def test_a_read_only_key_fails_with_403(emulator, world):
    free = make_volume(emulator, "free", 10)
    run = run_playbook([
        failing("create", dict(project=emulator.project_id, name="new", size_gb=10, node=emulator.node_id)),
        failing("attach", dict(id=free, instance=world["web-1"])),
        failing("grow", dict(id=free, size_gb=20)),
        failing("delete", dict(id=free, state="absent")),
    ], emulator=emulator, key=emulator.read_key)
    refused = "this API key has the Read permission only; this task needs Write (forbidden) (%s)"
    for name, request in (("create", "POST /volumes"), ("attach", "POST /volumes/%s/attach" % free),
                          ("grow", "PATCH /volumes/%s" % free), ("delete", "DELETE /volumes/%s" % free)):
        assert run.status(name) == "failed", name
        assert refused % request in run.task(name)["msg"], (name, run.task(name)["msg"])
        assert run.task(name)["failure"]["status"] == 403 and run.task(name)["failure"]["code"] == "forbidden"
    assert "Traceback" not in run.output and emulator.read_key not in run.output
    assert [(v["id"], v["sizeGb"], v["instanceId"]) for v in volumes(emulator)] == [(free, 10, None)]


@pytest.mark.parametrize("after_action", [False, True])
def test_a_lost_create_answer_never_creates_two(emulator, world, after_action):
    """The POST is dropped before (or after) the emulator acts: the module looks the volume up by name before it
    sends the same Idempotency-Key again, and one volume is made and attached."""
    rule = {"methods": ["POST"], "pathPrefix": "/api/volumes", "drop": True, "count": 1}
    if after_action:
        emulator.lose_answer(**rule)
    else:
        emulator.fault(**rule)
    run = run_ok([task("create", dict(project=emulator.project_id, name="data", size_gb=20, instance=world["web-1"]))],
                 emulator)
    created = run.task("create")["volume"]
    assert [(v["id"], v["instanceId"]) for v in volumes(emulator)] == [(created["id"], world["web-1"])]
    log = emulator.requests()
    posts = [r for r in log if (r["method"], r["path"]) == ("POST", "/api/volumes")]
    assert posts[0].get("fault") and len(set(r["idempotencyKey"] for r in posts)) == 1
    # After the action the lookup finds the volume: nothing is sent again. Before it, the POST is sent again.
    assert len(posts) == (1 if after_action else 2)
    lookup = ("GET", "/api/volumes", "name=data")
    assert [(r["method"], r["path"], "name=data" if "name=data" in r["query"] else "") for r in log
            if r["path"] == "/api/volumes"] == [lookup, ("POST", "/api/volumes", ""), lookup] + (
                [] if after_action else [("POST", "/api/volumes", "")])


def test_info_filters_and_budgets(emulator, world):
    attached = make_volume(emulator, "data", 20, instance_id=world["web-1"])
    free = make_volume(emulator, "free", 10)
    far = make_volume(emulator, "far", 5, node_id=world["far_node"], instance_id=world["far-1"])
    project = dict(project=emulator.project_id)
    cases = {
        "all": (project, [attached, free, far], 1),
        "name": (dict(project, name="free"), [free], 1),
        "id": (dict(id=far), [far], 1),
        "id and other name": (dict(id=far, name="free"), [], 1),
        "instance name": (dict(project, instance="web-1"), [attached], 2),
        "instance id": (dict(project, instance=world["far-1"]), [far], 1),
        "instance without volume": (dict(project, instance="web-2"), [], 2),
        "node name": (dict(project, node=emulator.node_name), [attached, free], 2),
        "node id": (dict(project, node=world["far_node"]), [far], 1),
        "node and instance": (dict(project, node=emulator.node_id, instance=world["far-1"]), [], 1),
        "unknown id": (dict(id=UNKNOWN_ID), [], 1),
        # A filter naming nothing matches nothing: the lookup that finds no such instance or node is all it costs.
        "unknown instance": (dict(project, instance="nope"), [], 1),
        "unknown node": (dict(project, node="mars1-n1"), [], 1),
    }
    # One playbook ("all" in check mode), each task with its own key: the log is split by task for the budgets.
    run, logs, _keys = keyed_run(emulator, [
        dict(task(name, args, INFO), check_mode=(name == "all")) for name, (args, _wanted, _budget) in cases.items()] + [
        task("one", dict(id=attached), INFO),
        failing("unknown project", dict(project="nope", instance="nope"), INFO),
    ])
    assert run.rc == 0, run
    for name, (args, wanted, budget) in cases.items():
        result = run.task(name)
        assert result["changed"] is False and [v["id"] for v in result["volumes"]] == wanted, name
        assert len(logs[name]) == budget, name
    assert run.task("one")["volumes"] == [{
        "id": attached, "project_id": emulator.project_id, "name": "data", "size_gb": 20, "node_id": emulator.node_id,
        "instance_id": world["web-1"], "status": "attached", "protection": {"delete": False},
        "created_at": run.task("one")["volumes"][0]["created_at"]}]
    assert run.status("unknown project") == "failed"  # a project that does not exist still fails
    assert "project 'nope' not found (by id or name)" in run.task("unknown project")["msg"]
    assert "Traceback" not in run.output
