"""huc_floating_ip and huc_floating_ip_info through ansible-playbook against the emulator: lifecycle, budgets,
refusals before any write, lost allocate answers."""

import pytest

from tests.emulator.harness import make_instances
from tests.functional.steps import PAGE, UNKNOWN_ID, calls, keyed_run, run_ok, steps, task_keys

MODULE = "hostupcloud.cloud.huc_floating_ip"
INFO = "hostupcloud.cloud.huc_floating_ip_info"
task, failing, checked = steps(MODULE)
FIELDS = ["address", "created_at", "id", "instance_id", "node_id", "project_id", "protection", "reverse_dns"]


def floating_ips(emulator):
    return emulator.state()["floatingIps"]


def node_id(emulator, name):
    return [n["id"] for n in emulator.state()["nodes"] if n["name"] == name][0]


def instance_on(emulator, name, node, project_id=None):
    """An instance on another node (make_instances puts them all on the first one)."""
    status, _headers, body = emulator.call("POST", "/instances", body={
        "projectId": project_id or emulator.project_id, "name": name, "nodeId": node,
        "osTemplate": emulator.os_template, "vcpus": 1, "memoryMb": 1024, "diskGb": 20})
    assert status == 201, body
    return body["data"]["id"]


def allocate(emulator, instance_id=None, node=None):
    """A floating IP made through the API (attached to instance_id if given); the log is cleared."""
    status, _headers, body = emulator.call("POST", "/floating-ips", body={
        "projectId": emulator.project_id, "nodeId": node or emulator.node_id})
    assert status == 201, body
    if instance_id:
        status, _headers, body = emulator.call("POST", "/floating-ips/%s/attach" % body["data"]["id"],
                                               body={"instanceId": instance_id})
        assert status == 200, body
    emulator.clear_requests()
    return body["data"]


def test_lifecycle(emulator):
    """check allocate -> allocate -> reruns -> move (check, real, rerun) -> detach -> attach by id -> release.

    One playbook with --diff; the request log is checked request by request: check-mode tasks only read.
    """
    ids = make_instances(emulator, ["web-1", "web-2"])
    web1, web2 = ids["web-1"], ids["web-2"]
    project = dict(project=emulator.project_id)
    run = run_ok([
        checked("check allocate", dict(project, instance="web-1")),
        task("allocate", dict(project, instance="web-1")),
        task("rerun by instance name", dict(project, instance="web-1")),
        task("rerun by instance id", dict(project, instance=web1, node=emulator.node_id)),
        task("rerun by address", dict(project, address="{{ out.floating_ip.address }}", instance=web1)),
        task("rerun by id", dict(id="{{ out.floating_ip.id }}", instance=web1)),
        checked("check move", dict(project, address="{{ out.floating_ip.address }}", instance=web2, force=True)),
        task("move", dict(project, address="{{ out.floating_ip.address }}", instance=web2, force=True)),
        task("rerun move", dict(project, address="{{ out.floating_ip.address }}", instance=web2, force=True)),
        checked("check detach", dict(project, address="{{ out.floating_ip.address }}", instance=None)),
        task("detach", dict(project, address="{{ out.floating_ip.address }}", instance=None)),
        task("rerun detach", dict(project, id="{{ out.floating_ip.id }}", instance=None)),
        task("attach by id", dict(id="{{ out.floating_ip.id }}", instance=web1)),
        checked("check release", dict(project, instance=web1, state="absent", force=True)),
        task("release", dict(project, instance=web1, state="absent", force=True)),
        task("release again", dict(project, instance=web1, state="absent", force=True)),
    ], emulator, args=["--diff"])

    # Check mode predicts the new floating IP on web-1's node, attached to it; the API fills the rest.
    predicted = run.task("check allocate")
    assert predicted["changed"] is True
    assert predicted["floating_ip"] == {"id": None, "project_id": emulator.project_id, "address": None,
                                        "node_id": emulator.node_id, "instance_id": web1, "reverse_dns": None,
                                        "protection": {"delete": False}, "created_at": None}
    assert predicted["diff"] == {"before": {}, "after": {"address": None, "node_id": emulator.node_id, "instance_id": web1}}

    created = run.task("allocate")
    fip = created["floating_ip"]
    assert created["changed"] is True and sorted(fip) == FIELDS
    assert fip["address"] == "203.0.113.1" and fip["instance_id"] == web1 and fip["id"] and fip["created_at"]
    assert dict(fip, id=None, address=None, created_at=None) == predicted["floating_ip"]
    assert created["diff"] == {"before": {}, "after": {"address": fip["address"], "node_id": emulator.node_id,
                                                       "instance_id": web1}}
    for name in ("rerun by instance name", "rerun by instance id", "rerun by address", "rerun by id"):
        result = run.task(name)
        assert result["changed"] is False and result["floating_ip"] == fip, name
        assert result["diff"]["before"] == result["diff"]["after"], name
        assert "warnings" not in result, name

    # A move with force: predicted exactly, then done; the rerun finds it on web-2.
    moved = run.task("move")
    assert moved["changed"] is True and moved["floating_ip"] == dict(fip, instance_id=web2)
    assert run.task("check move")["floating_ip"] == moved["floating_ip"]
    assert moved["diff"] == run.task("check move")["diff"] == {
        "before": {"address": fip["address"], "node_id": emulator.node_id, "instance_id": web1},
        "after": {"address": fip["address"], "node_id": emulator.node_id, "instance_id": web2}}
    assert run.task("rerun move")["changed"] is False

    # instance: null detaches; the address stays allocated (a spare), by address or by id.
    detached = run.task("detach")
    assert detached["changed"] is True and detached["floating_ip"] == dict(fip, instance_id=None)
    assert run.task("check detach")["floating_ip"] == detached["floating_ip"]
    assert detached["diff"]["after"]["instance_id"] is None and detached["diff"]["before"]["instance_id"] == web2
    assert run.task("rerun detach")["changed"] is False
    assert run.task("attach by id")["changed"] is True and run.task("attach by id")["floating_ip"]["instance_id"] == web1

    # Release with force: detached first, then released; the result is the floating IP as it was found.
    released = run.task("release")
    assert released["changed"] is True and released["floating_ip"] == dict(fip, instance_id=web1)
    assert run.task("check release")["floating_ip"] == released["floating_ip"]
    assert released["diff"] == {"before": {"address": fip["address"], "node_id": emulator.node_id,
                                           "instance_id": web1}, "after": {}}
    again = run.task("release again")
    assert again["changed"] is False and again["floating_ip"] is None
    assert floating_ips(emulator) == []

    item = "/api/floating-ips/" + fip["id"]
    instances = ("GET", "/api/instances", dict(PAGE, projectId=emulator.project_id))
    # By instance: the project's floating IPs, to find the one attached to it or allocated for it (one listing).
    by_instance = [("GET", "/api/floating-ips", dict(PAGE, projectId=emulator.project_id))]
    by_address = ("GET", "/api/floating-ips", dict(PAGE, projectId=emulator.project_id, address=fip["address"]))
    assert calls(emulator) == [
        instances, by_instance[0],                                              # check allocate: reads only
        instances, by_instance[0], ("POST", "/api/floating-ips", {}),          # allocate, look for a racing run's,
        by_instance[0], ("POST", item + "/attach", {}),                         # attach
        instances, by_instance[0],                                              # rerun by instance name: 2
        by_instance[0],                                                         # rerun by instance id: 1
        by_address,                                                             # rerun by address: 1
        ("GET", item, {}),                                                      # rerun by id: 1
        by_address, ("GET", "/api/instances/" + web2, {}),                      # check move: reads only
        by_address, ("GET", "/api/instances/" + web2, {}), ("POST", item + "/detach", {}),
        ("POST", item + "/attach", {}),                                         # move: detach, attach
        by_address,                                                             # rerun move
        by_address,                                                             # check detach
        by_address, ("POST", item + "/detach", {}),                             # detach
        ("GET", item, {}),                                                      # rerun detach
        ("GET", item, {}), ("GET", "/api/instances/" + web1, {}), ("POST", item + "/attach", {}),  # attach by id
        by_instance[0],                                                         # check release
        by_instance[0], ("POST", item + "/detach", {}), ("DELETE", item, {}),   # release
        by_instance[0],                                                         # release again
    ]


def test_noop_budget(emulator):
    """A run that changes nothing: 1 request with every reference by id, 1 more per reference by name it needs.

    node is creation-only: by name it is not looked up (the only thing a /nodes listing could give is the
    warning); by id it is compared for free, and a different one warns.
    """
    ids = make_instances(emulator, ["web-1"])
    _status, _headers, body = emulator.call("GET", "/nodes")
    other = [node for node in body["data"] if node["id"] != emulator.node_id][0]
    fip = allocate(emulator, ids["web-1"])
    by_ids = dict(project=emulator.project_id, address=fip["address"], instance=ids["web-1"], node=emulator.node_id)
    cases = [
        ("address, all ids", by_ids, 1),
        ("id, all ids", dict(id=fip["id"], instance=ids["web-1"], node=emulator.node_id), 1),
        ("instance id only", dict(project=emulator.project_id, instance=ids["web-1"]), 1),
        ("project by name", dict(by_ids, project="default"), 2),
        ("instance by name", dict(by_ids, instance="web-1"), 2),
        ("node by name", dict(by_ids, node=emulator.node_name), 1),
        ("all by name", dict(by_ids, project="default", instance="web-1", node=emulator.node_name), 3),
        ("absent, none there", dict(project=emulator.project_id, address="203.0.113.99", state="absent"), 1),
        ("other node by id: a warning", dict(by_ids, node=other["id"]), 1),
        ("other node by name: not looked up", dict(by_ids, node=other["name"]), 1),
    ]
    # One playbook: every case for real and in check mode, each task with its own key to split the log by.
    run, logs, _keys = keyed_run(emulator, [one for title, args, _budget in cases
                                            for one in (task(title, args), checked("check " + title, args))])
    assert run.rc == 0 and "Traceback" not in run.output, run
    for title, args, budget in cases:
        for mode in ("", "check "):
            result = run.task(mode + title)
            assert result["changed"] is False, (title, mode)
            log = logs[mode + title]
            assert len(log) == budget and all(method == "GET" for method, _path, _query in log), (title, mode, log)
            warnings = result.get("warnings", [])
            if title.startswith("other node by id"):
                assert len(warnings) == 1 and "node (the floating IP is on node id %s)" % emulator.node_id in warnings[0]
                assert "only apply at creation" in warnings[0]
            else:
                assert warnings == [], (title, warnings)
    assert [(f["id"], f["instanceId"]) for f in floating_ips(emulator)] == [(fip["id"], ids["web-1"])]


@pytest.mark.heavy
def test_refusals_fail_before_any_write(emulator_factory):
    """Every refusal names the problem, carries failure, sends no write and leaves the floating IPs as they were."""
    emulator = emulator_factory(seed_projects=1, transition_seconds=3600)
    ids = make_instances(emulator, ["web-1", "web-2", "gone-1"])
    ams = node_id(emulator, "ams1-n1")
    instance_on(emulator, "far-1", ams)
    other_project = [p["id"] for p in emulator.state()["projects"] if p["name"] == "project-01"][0]
    stranger = instance_on(emulator, "stranger-1", emulator.node_id, other_project)
    emulator.set_instance(ids["gone-1"], status="deleting")
    fip = allocate(emulator, ids["web-1"])
    spare = allocate(emulator)
    project = dict(project=emulator.project_id)
    attached = "floating IP %s is attached to instance web-1 (%s)" % (fip["address"], ids["web-1"])
    cases = {
        "unknown instance name": (dict(project, instance="nope"),
                                  "instance 'nope' not found (by id or name); known: far-1, gone-1, web-1, web-2", "not_found"),
        "unknown instance id": (dict(project, instance=UNKNOWN_ID),
                                "instance '%s' not found (by id or name)" % UNKNOWN_ID, "not_found"),
        "unknown instance to attach": (dict(project, address=spare["address"], instance=UNKNOWN_ID),
                                       "instance '%s' not found (by id or name)" % UNKNOWN_ID, "not_found"),
        "other node": (dict(project, address=spare["address"], instance="far-1"),
                       "instance far-1 is on node ams1-n1 (%s) but floating IP %s is on node fra1-n1 (%s): it can only "
                       "be attached to an instance on its own node" % (ams, spare["address"], emulator.node_id), "wrong_node"),
        "allocate on other node": (dict(project, instance="far-1", node=emulator.node_name),
                                   "instance far-1 is on node ams1-n1 (%s) but a new floating IP would be on node fra1-n1"
                                   % ams, "wrong_node"),
        "other project": (dict(project, address=spare["address"], instance=stranger),
                          "instance stranger-1 is in project %s but floating IP %s is in project %s"
                          % (other_project, spare["address"], emulator.project_id), "wrong_project"),
        "deleting instance": (dict(project, address=spare["address"], instance="gone-1"),
                              "instance gone-1 is being deleted: nothing can be attached to it", "invalid_state"),
        "move without force": (dict(project, address=fip["address"], instance="web-2"),
                               attached + "; set force: true to move it to instance web-2", "attached"),
        "release attached": (dict(project, address=fip["address"], state="absent"),
                             attached + "; set force: true to detach and release it", "attached"),
        "release by instance": (dict(project, instance="web-1", state="absent"),
                                attached + "; set force: true to detach and release it", "attached"),
        "read-only key": (dict(project, instance="web-2", api_key=emulator.read_key),
                          "this API key has the Read permission only; this task needs Write (forbidden) "
                          "(POST /floating-ips)", "forbidden"),
        "bad address": (dict(project, address="203.0.113.300"),
                        "invalid input (validation_error): address: must be an IPv4 address such as 203.0.113.10, "
                        "got '203.0.113.300'", "validation_error"),
        "unknown address": (dict(project, address="203.0.113.200", instance="web-2"),
                            "no floating IP with address 203.0.113.200 in this project; the API picks the address of a "
                            "new floating IP: to allocate one, give instance and neither id nor address", "not_found"),
        "unknown id": (dict(id=UNKNOWN_ID), "no floating IP with id %s" % UNKNOWN_ID, "not_found"),
        "null without identity": (dict(project, instance=None),
                                  "instance: null detaches the floating IP found by id or address: give one of them",
                                  "missing_options"),
        "no identity": (dict(project, node=emulator.node_name),
                        "one of the following is required: id, address, instance", "invalid_argument"),
        "id and address": (dict(id=fip["id"], address=fip["address"]),
                           "parameters are mutually exclusive: id|address", "invalid_argument"),
    }
    before = floating_ips(emulator)
    # One playbook: every case for real, then in check mode ("check <name>"), each task with its own key (the check
    # mode read-only case with a read-only key of its own), so the request log splits by task.
    check_read_key = task_keys(emulator, ["check"], permissions=["read"], taken=[emulator.read_key])["check"]
    tasks = []
    for name, (args, _msg, _code) in cases.items():
        tasks.append(failing(name, args))
        check_args = dict(args, api_key=check_read_key) if name == "read-only key" else args
        tasks.append(dict(failing("check " + name, check_args), check_mode=True))
    run, logs, _keys = keyed_run(emulator, tasks)  # no key in the output
    for name, (_args, message, code) in cases.items():
        for title in (name, "check " + name):
            result = run.task(title)
            if title == "check read-only key":
                # Check mode only reads, which a read key may: the allocation is predicted.
                assert run.status(title) == "changed" and result["floating_ip"]["instance_id"] == ids["web-2"]
                continue
            assert run.status(title) == "failed", (title, result)
            assert message in result["msg"], (title, result["msg"])
            assert result["failure"]["code"] == code, (title, result["failure"])
    assert run.task("read-only key")["failure"]["status"] == 403
    for title in ("bad address", "check bad address"):
        assert run.task(title)["failure"]["details"] == {
            "address": "must be an IPv4 address such as 203.0.113.10, got '203.0.113.300'"}
    assert "Traceback" not in run.output
    # The only write that reached the API is the read-only key's POST, refused with 403 (none in check mode).
    assert [(title, method, path) for title, log in logs.items() for method, path, _query in log if method != "GET"] == [
        ("read-only key", "POST", "/api/floating-ips")]
    assert floating_ips(emulator) == before


@pytest.mark.parametrize("after_action", [False, True], ids=["dropped before the server acts", "answer lost after"])
def test_a_lost_allocate_answer_never_allocates_twice(emulator, after_action):
    """The allocate POST is dropped (before, or after the server allocated): the retry sends the same
    Idempotency-Key, so there is one floating IP, attached, and a rerun changes nothing."""
    ids = make_instances(emulator, ["web-1"])
    emulator.fault(methods=["POST"], pathPrefix="/api/floating-ips", drop=True, count=1, afterAction=after_action)
    args = dict(project=emulator.project_id, instance=ids["web-1"])
    run = run_ok([task("allocate", args), task("rerun", args)], emulator)
    fip = run.task("allocate")["floating_ip"]
    assert run.task("allocate")["changed"] is True and run.task("rerun")["changed"] is False
    assert [(f["id"], f["address"], f["instanceId"]) for f in floating_ips(emulator)] == [
        (fip["id"], "203.0.113.1", ids["web-1"])]
    posts = [r for r in emulator.requests() if (r["method"], r["path"]) == ("POST", "/api/floating-ips")]
    assert len(posts) == 2 and posts[0].get("fault") is True and posts[0].get("afterAction", False) is after_action
    assert posts[0]["idempotencyKey"] and posts[0]["idempotencyKey"] == posts[1]["idempotencyKey"]
    assert [r["path"] for r in emulator.requests() if r["method"] == "POST"][-1] == "/api/floating-ips/%s/attach" % fip["id"]


def test_info(emulator_factory):
    """List, filter by address, instance (name or id) and id; read key, check mode, --diff; one request each."""
    emulator = emulator_factory(seed_projects=1)
    ids = make_instances(emulator, ["web-1", "web-2"])
    first = allocate(emulator, ids["web-1"])
    second = allocate(emulator, ids["web-2"])
    spare = allocate(emulator)
    project = dict(project=emulator.project_id)
    run = run_ok([
        task("all", dict(project), INFO),
        task("by address", dict(project, address=spare["address"]), INFO),
        task("by instance name", dict(project, instance="web-2"), INFO),
        task("by instance id", dict(project, instance=ids["web-1"]), INFO),
        task("by id", dict(id=first["id"]), INFO),
        task("unknown id", dict(id=UNKNOWN_ID), INFO),
        task("other project", dict(project="project-01"), INFO),
        task("unknown instance", dict(project, instance="nope"), INFO),
    ], emulator, key=emulator.read_key, args=["--check", "--diff"])
    everything = run.task("all")["floating_ips"]
    assert [f["address"] for f in everything] == ["203.0.113.1", "203.0.113.2", "203.0.113.3"]
    assert all(sorted(f) == FIELDS for f in everything)
    assert everything[0] == {"id": first["id"], "project_id": emulator.project_id, "address": first["address"],
                             "node_id": emulator.node_id, "instance_id": ids["web-1"], "reverse_dns": None,
                             "protection": {"delete": False}, "created_at": first["createdAt"]}
    assert [f["id"] for f in run.task("by address")["floating_ips"]] == [spare["id"]]
    assert run.task("by address")["floating_ips"][0]["instance_id"] is None
    assert [f["id"] for f in run.task("by instance name")["floating_ips"]] == [second["id"]]
    assert [f["id"] for f in run.task("by instance id")["floating_ips"]] == [first["id"]]
    assert run.task("by id")["floating_ips"] == [everything[0]]
    assert run.task("unknown id")["floating_ips"] == [] and run.task("other project")["floating_ips"] == []
    assert run.task("unknown instance")["floating_ips"] == []  # a filter naming nothing matches nothing
    assert all(r["result"]["changed"] is False and "diff" not in r["result"] for r in run.records)
    listing = ("GET", "/api/floating-ips", dict(PAGE, projectId=emulator.project_id))
    instances = ("GET", "/api/instances", dict(PAGE, projectId=emulator.project_id))
    other = [p["id"] for p in emulator.state()["projects"] if p["name"] == "project-01"][0]
    assert calls(emulator) == [
        listing,                                            # all
        listing,                                            # by address
        instances, listing,                                 # by instance name: 2
        listing,                                            # by instance id
        ("GET", "/api/floating-ips/" + first["id"], {}),    # by id
        ("GET", "/api/floating-ips/" + UNKNOWN_ID, {}),     # unknown id
        ("GET", "/api/projects", PAGE), ("GET", "/api/floating-ips", dict(PAGE, projectId=other)),  # project by name
        instances,                                          # unknown instance: the lookup only
    ]
