"""huc_private_network and huc_private_network_info through ansible-playbook against the emulator: lifecycle,
attachments, purge, overlaps, budgets, refusals."""

import pytest

from tests.emulator.harness import make_instances
from tests.functional.steps import PAGE, UNKNOWN_ID, calls, keyed_run, refused_in_one_run, run_ok, steps

MODULE = "hostupcloud.cloud.huc_private_network"
INFO = "hostupcloud.cloud.huc_private_network_info"
task, failing, checked = steps(MODULE)


def networks(emulator):
    return emulator.state()["networks"]


@pytest.fixture
def world(emulator):
    return make_instances(emulator, ["web-1", "web-2", "db-1"])


def test_lifecycle_check_create_rerun_attach_purge_delete(emulator, world):
    project = dict(project=emulator.project_id, name="backend")
    args = dict(project, cidr="10.10.0.0/24", instances=["web-1", world["db-1"]])
    by_ids = dict(args, instances=[world["db-1"], world["web-1"]])
    gone = dict(project, state="absent")
    run = run_ok([
        dict(task("check create", args), check_mode=True),
        task("create", args),
        task("rerun ids", by_ids),
        task("rerun no cidr", dict(project, instances=[world["web-1"]])),
        task("rerun names", dict(args, project="default")),
        dict(task("check attach", dict(project, instances=[world["web-2"]])), check_mode=True),
        task("attach", dict(project, instances=[world["web-2"]])),
        dict(task("check purge", dict(project, instances=[world["web-2"]], purge_instances=True)), check_mode=True),
        task("purge", dict(project, instances=[world["web-2"]], purge_instances=True)),
        task("purge again", dict(project, instances=[world["web-2"]], purge_instances=True)),
        task("other cidr warns", dict(project, cidr="10.20.0.0/24")),
        failing("absent attached", gone),
        dict(task("check absent", dict(gone, force=True)), check_mode=True),
        task("absent", dict(gone, force=True)),
        task("absent again", gone),
    ], emulator, args=["--diff"])

    predicted = run.task("check create")
    assert predicted["changed"] is True
    assert predicted["private_network"] == {
        "id": None, "project_id": emulator.project_id, "name": "backend", "cidr": "10.10.0.0/24",
        "attachments": [{"instance_id": world["web-1"], "ip": None}, {"instance_id": world["db-1"], "ip": None}],
        "created_at": None}
    after = {"name": "backend", "cidr": "10.10.0.0/24", "instance_ids": sorted([world["web-1"], world["db-1"]])}
    assert predicted["diff"] == {"before": {}, "after": after}
    created = run.task("create")["private_network"]
    assert run.task("create")["changed"] is True and run.task("create")["diff"] == predicted["diff"]
    assert created["attachments"] == [{"instance_id": world["web-1"], "ip": "10.10.0.2"},
                                      {"instance_id": world["db-1"], "ip": "10.10.0.3"}]
    for name in ("rerun ids", "rerun no cidr", "rerun names"):
        result = run.task(name)
        assert result["changed"] is False and result["private_network"] == created, name
        assert result["diff"]["before"] == result["diff"]["after"] and "warnings" not in result, name

    attached = run.task("attach")
    assert attached["changed"] is True
    assert attached["private_network"]["attachments"] == created["attachments"] + [
        {"instance_id": world["web-2"], "ip": "10.10.0.4"}]
    assert run.task("check attach")["private_network"]["attachments"][-1] == {"instance_id": world["web-2"], "ip": None}
    assert run.task("check attach")["diff"] == attached["diff"]
    purged = run.task("purge")
    assert purged["changed"] is True
    assert purged["private_network"]["attachments"] == [{"instance_id": world["web-2"], "ip": "10.10.0.4"}]
    assert purged["diff"]["after"]["instance_ids"] == [world["web-2"]]
    assert run.task("check purge")["private_network"] == purged["private_network"]
    assert run.task("purge again")["changed"] is False
    warned = run.task("other cidr warns")
    assert warned["changed"] is False
    assert "cidr (the network has cidr 10.10.0.0/24)" in warned["warnings"][0]

    nid = created["id"]
    one = "/api/networks/" + nid
    attach, detach = ("POST", one + "/attach", {}), ("POST", one + "/detach", {})
    listing = ("GET", "/api/networks", dict(PAGE, projectId=emulator.project_id))
    instances = ("GET", "/api/instances", dict(PAGE, projectId=emulator.project_id))
    assert calls(emulator) == [
        listing, instances,                                            # check create: reads only
        listing, instances, ("POST", "/api/networks", {}), attach, attach,  # create, attach two
        listing,                                                       # rerun, ids: 1 request
        listing,                                                       # rerun, no cidr
        ("GET", "/api/projects", PAGE), listing, instances,            # rerun, names: 3
        listing, instances,                                            # check attach: is web-2 of the project?
        listing, instances, attach,                                    # attach (checked first)
        listing,                                                       # check purge
        listing, detach, detach,                                       # purge: detach two
        listing,                                                       # purge again
        listing,                                                       # other cidr: a warning
        listing,                                                       # absent attached: refused
        listing,                                                       # check absent
        listing, detach, ("DELETE", one, {}),                          # absent: detach, delete
        listing,                                                       # absent again
    ]

    # Delete: refused while attached, then with force (check mode first); then absent again.
    assert "Traceback" not in run.output
    assert run.task("absent attached")["msg"] == (
        "private network backend has 1 instances attached (%s); set force: true to detach them and delete it"
        % world["web-2"])
    assert run.task("absent")["changed"] is True and run.task("absent")["diff"]["after"] == {}
    assert run.task("check absent")["diff"] == run.task("absent")["diff"]
    assert run.task("absent again")["changed"] is False and run.task("absent again")["private_network"] is None
    assert networks(emulator) == []


def test_budget_by_id(emulator, world):
    """One playbook: made by name, then a no-op by id (1 request), each task with its own key."""
    run, logs, _keys = keyed_run(emulator, [
        dict(task("create", dict(project=emulator.project_id, name="n", cidr="192.168.1.0/29", instances=[world["web-1"]])),
             register="made"),
        task("noop", dict(id="{{ made.private_network.id }}", instances=[world["web-1"]])),
    ])
    assert run.rc == 0 and run.status("create") == "changed", run
    created = run.task("create")["private_network"]
    assert run.task("noop")["changed"] is False
    assert logs["noop"] == [("GET", "/api/networks/" + created["id"], {})]


def test_a_cidr_is_used_in_its_canonical_form(emulator):
    """cidr with spaces around it (or a netmask) is checked, compared, sent and checked for overlaps in its canonical
    form: the network is created with the clean cidr, a rerun changes nothing and warns of nothing, an overlap is
    refused naming the clean cidr."""
    project = dict(project=emulator.project_id)
    spaced = dict(project, name="spaced", cidr=" 10.20.0.0/24 ")
    netmask = dict(project, name="netmask", cidr="\t10.30.0.0/255.255.255.0\n")
    run = run_ok([
        task("first", dict(project, name="backend", cidr="10.10.0.0/24")),
        checked("check spaced", spaced),
        task("spaced", spaced),
        task("spaced again", spaced),
        task("netmask", netmask),
        task("netmask again", netmask),
        failing("spaced overlap", dict(project, name="overlap", cidr="  10.10.0.0/16")),
    ], emulator, args=["--diff"])
    assert run.task("check spaced")["private_network"]["cidr"] == "10.20.0.0/24"
    assert run.task("check spaced")["diff"]["after"]["cidr"] == "10.20.0.0/24"
    for name, cidr in (("spaced", "10.20.0.0/24"), ("netmask", "10.30.0.0/24")):
        made, again = run.task(name), run.task(name + " again")
        assert made["changed"] is True and made["private_network"]["cidr"] == cidr, made
        assert again["changed"] is False and again["private_network"] == made["private_network"], again
        assert "warnings" not in again, again["warnings"]
    refusal = run.task("spaced overlap")
    assert run.status("spaced overlap") == "failed" and refusal["failure"]["code"] == "cidr_overlap"
    assert refusal["msg"].startswith("cidr 10.10.0.0/16 overlaps private network backend (10.10.0.0/24)")
    assert [(n["name"], n["cidr"]) for n in networks(emulator)] == [
        ("backend", "10.10.0.0/24"), ("spaced", "10.20.0.0/24"), ("netmask", "10.30.0.0/24")]


@pytest.mark.heavy
def test_refusals_are_clear_and_write_nothing(emulator, world):
    """Network backend made through the API, then one playbook: every refusal for real and in check mode, then a
    bad cidr alone."""
    status, _headers, body = emulator.call("POST", "/networks", body={
        "projectId": emulator.project_id, "name": "backend", "cidr": "10.10.0.0/24"})
    assert status == 201, body
    emulator.clear_requests()
    new = dict(project=emulator.project_id, name="new")
    invalid = "invalid input (validation_error): cidr: "
    cases = {
        "bad cidr": (dict(new, cidr="10.10.0.300/24"), invalid + "must be an IPv4 CIDR such as 10.10.0.0/24, got '10.10.0.300/24'"),
        "no prefix": (dict(new, cidr="10.10.0.0"), invalid + "must be an IPv4 CIDR with its prefix length"),
        "host bits": (dict(new, cidr="10.30.0.5/24"), invalid + "10.30.0.5/24 has host bits set; give the network, 10.30.0.0/24"),
        "public": (dict(new, cidr="100.64.0.0/24"), invalid + "100.64.0.0/24 is not a private range"),
        "too big": (dict(new, cidr="10.0.0.0/8"), invalid + "10.0.0.0/8: the prefix length must be between /16 and /29"),
        "too small": (dict(new, cidr="10.0.0.0/30"), invalid + "10.0.0.0/30: the prefix length must be between /16 and /29"),
        "overlap": (dict(new, cidr="10.10.0.0/16"),
                    "cidr 10.10.0.0/16 overlaps private network backend (10.10.0.0/24) of this project"),
        "overlap inside": (dict(new, cidr="10.10.0.128/25"), "overlaps private network backend (10.10.0.0/24)"),
        "missing cidr": (dict(new), "private network new does not exist; to create it also give: cidr"),
        "unknown instance": (dict(new, cidr="10.40.0.0/24", instances=["nope"]),
                             "instance 'nope' not found (by id or name); known: db-1, web-1, web-2"),
        "rename": (dict(id=networks(emulator)[0]["id"], name="other"), "private network backend cannot be renamed"),
        "new by id": (dict(id=UNKNOWN_ID, cidr="10.50.0.0/24"), "no private network with id %s" % UNKNOWN_ID),
        "bad name": (dict(new, name="Bad_1", cidr="10.60.0.0/24"), "invalid input (validation_error): name: "),
    }
    run, logs = refused_in_one_run(emulator, failing, cases, alone=[failing("bad alone", dict(new, cidr="8.8.8.0/24"))])
    assert run.task("check overlap")["failure"]["code"] == "cidr_overlap"
    assert run.task("check overlap")["failure"]["details"] == {"cidr": "overlaps network backend (10.10.0.0/24)"}
    assert logs["bad alone"] == []  # checked before any request
    assert [n["name"] for n in networks(emulator)] == ["backend"]


def test_info_filters_and_budgets(emulator, world):
    """Two networks made, then every filter read, in one playbook; each task has its own key, so the request log
    splits by task for the budgets."""
    project = dict(project=emulator.project_id)
    first_id = "{{ first.private_network.id }}"
    cases = {
        "all": (project, ["a", "b"], 1),
        "name": (dict(project, name="b"), ["b"], 1),
        "id": (dict(id=first_id), ["a"], 1),
        "instance name": (dict(project, instance="db-1"), ["a", "b"], 2),
        "instance id": (dict(project, instance=world["web-1"]), ["a"], 1),
        "instance without": (dict(project, instance="web-2"), [], 2),
        "unknown instance": (dict(project, instance="nope"), [], 1),  # matches nothing: the instance lookup only
    }
    run, logs, _keys = keyed_run(emulator, [
        dict(task("a", dict(project, name="a", cidr="10.1.0.0/24", instances=["web-1", "db-1"])), register="first"),
        task("b", dict(project, name="b", cidr="10.2.0.0/24", instances=["db-1"])),
    ] + [task(name, args, INFO) for name, (args, _wanted, _budget) in cases.items()] + [
        task("one", dict(id=first_id), INFO),
    ])
    assert run.rc == 0 and "Traceback" not in run.output, run
    made = {"a": run.task("a")["private_network"], "b": run.task("b")["private_network"]}
    for name, (args, wanted, budget) in cases.items():
        result = run.task(name)
        assert result["changed"] is False, name
        assert [n["id"] for n in result["private_networks"]] == [made[w]["id"] for w in wanted], name
        assert len(logs[name]) == budget, name
    assert run.task("one")["private_networks"] == [made["a"]]


def test_inventory_private_ips_one_listing_per_project_only_when_asked(emulator):
    from tests.functional.test_inventory import inventory

    ids = make_instances(emulator, ["web-1", "web-2", "db-1"])
    for name, cidr, members in (("front", "10.1.0.0/24", ["web-1"]), ("back", "10.2.0.0/24", ["web-1", "db-1"])):
        status, _headers, body = emulator.call("POST", "/networks", body={
            "projectId": emulator.project_id, "name": name, "cidr": cidr})
        assert status == 201, body
        for member in members:
            status, _headers, answer = emulator.call("POST", "/networks/%s/attach" % body["data"]["id"],
                                                     body={"instanceId": ids[member]})
            assert status == 200, answer
    emulator.clear_requests()

    run = inventory(emulator, {"attachments": ["private_networks"], "connect_with": ["private", "ipv4"]})
    assert run.rc == 0, run.output
    hostvars = run.data["_meta"]["hostvars"]
    assert hostvars["web-1"]["huc_private_ips"] == [{"network": "front", "ip": "10.1.0.2"},
                                                    {"network": "back", "ip": "10.2.0.2"}]
    assert hostvars["db-1"]["huc_private_ips"] == [{"network": "back", "ip": "10.2.0.3"}]
    assert hostvars["web-2"]["huc_private_ips"] == []
    assert (hostvars["web-1"]["ansible_host"], hostvars["db-1"]["ansible_host"]) == ("10.1.0.2", "10.2.0.3")
    assert hostvars["web-2"]["ansible_host"] == hostvars["web-2"]["huc_ipv4"]  # no private address: the next source
    assert [r["path"] for r in emulator.requests()].count("/api/networks") == 1  # one project, one listing

    emulator.clear_requests()
    run = inventory(emulator, {"connect_with": ["private"]})  # read for ansible_host, not set as a variable
    assert run.rc == 0, run.output
    assert run.data["_meta"]["hostvars"]["db-1"]["ansible_host"] == "10.2.0.3"
    assert "huc_private_ips" not in run.data["_meta"]["hostvars"]["db-1"]
    assert [r["path"] for r in emulator.requests()].count("/api/networks") == 1

    emulator.clear_requests()
    run = inventory(emulator, {})
    assert run.rc == 0, run.output
    assert "huc_private_ips" not in run.data["_meta"]["hostvars"]["web-1"]
    assert not [r for r in emulator.requests() if r["path"] == "/api/networks"]
