"""huc_firewall and huc_firewall_info through ansible-playbook against the emulator: lifecycle, rule sets, purge,
budgets, refusals."""

import pytest

from tests.emulator.harness import make_instances
from tests.functional.playbook import run_playbook
from tests.functional.steps import PAGE, UNKNOWN_ID, calls, keyed_run, refused_in_one_run, run_ok, steps

MODULE = "hostupcloud.cloud.huc_firewall"
INFO = "hostupcloud.cloud.huc_firewall_info"
task, failing, checked = steps(MODULE)
SSH = {"protocol": "tcp", "port": 22, "sources": ["10.0.0.0/8"]}
WEB = {"protocol": "tcp", "port": "443", "sources": ["::/0", "0.0.0.0/0"]}
PING = {"protocol": "icmp", "sources": ["203.0.113.7"]}


def firewalls(emulator):
    return emulator.state()["firewalls"]


@pytest.fixture
def world(emulator):
    return make_instances(emulator, ["web-1", "web-2", "web-3"])


def test_lifecycle_check_create_rerun_add_purge_delete(emulator, world):
    project = dict(project=emulator.project_id, name="web")
    args = dict(project, rules=[SSH, WEB, PING], instances=["web-1", world["web-2"]])
    by_ids = dict(args, instances=[world["web-2"], world["web-1"]])
    same_rules = [dict(WEB, sources=["0.0.0.0/0", "::/0"]), dict(PING, sources=["203.0.113.7/32"]),
                  dict(SSH, port="22-22")]
    run = run_ok([
        dict(task("check create", args), check_mode=True),
        task("create", args),
        task("rerun ids", by_ids),
        task("rerun other order and forms", dict(by_ids, rules=same_rules)),
        task("rerun names", dict(args, project="default")),
        task("rerun nothing set", project),
        dict(task("check add rule", dict(project, rules=[{"protocol": "udp", "port": "8000-8100",
                                                          "sources": ["192.168.0.0/16"]}], purge_rules=False)),
             check_mode=True),
        task("add rule", dict(project, rules=[{"protocol": "udp", "port": "8000-8100", "sources": ["192.168.0.0/16"]}],
                              purge_rules=False)),
        task("add rule again", dict(project, rules=[SSH], purge_rules=False)),
        task("add instance", dict(project, instances=[world["web-3"]])),
        dict(task("check purge", dict(project, rules=[SSH], instances=[world["web-3"]], purge_instances=True)),
             check_mode=True),
        task("purge", dict(project, rules=[SSH], instances=[world["web-3"]], purge_instances=True)),
        task("purge again", dict(project, rules=[SSH], instances=[world["web-3"]], purge_instances=True)),
        task("no rules", dict(project, rules=[], instances=[], purge_instances=True)),
    ], emulator, args=["--diff"])

    predicted = run.task("check create")
    rules = [{"protocol": "tcp", "port": "22", "sources": ["10.0.0.0/8"]},
             {"protocol": "tcp", "port": "443", "sources": ["0.0.0.0/0", "::/0"]},
             {"protocol": "icmp", "port": None, "sources": ["203.0.113.7/32"]}]
    assert predicted["changed"] is True
    assert predicted["firewall"] == {"id": None, "project_id": emulator.project_id, "name": "web", "rules": rules,
                                     "instance_ids": [world["web-1"], world["web-2"]], "created_at": None}
    lines = ["icmp from 203.0.113.7/32", "tcp 22 from 10.0.0.0/8", "tcp 443 from 0.0.0.0/0, ::/0"]
    assert predicted["diff"] == {"before": {}, "after": {"name": "web", "rules": lines,
                                                         "instance_ids": sorted([world["web-1"], world["web-2"]])}}
    created = run.task("create")["firewall"]
    assert run.task("create")["changed"] is True and run.task("create")["diff"] == predicted["diff"]
    assert created["id"] and created["created_at"]
    assert dict(created, id=None, created_at=None) == predicted["firewall"]
    for name in ("rerun ids", "rerun other order and forms", "rerun names", "rerun nothing set"):
        result = run.task(name)
        assert result["changed"] is False and result["firewall"] == created, name
        assert result["diff"]["before"] == result["diff"]["after"], name
        assert "warnings" not in result, name

    added = run.task("add rule")
    udp = {"protocol": "udp", "port": "8000-8100", "sources": ["192.168.0.0/16"]}
    assert added["changed"] is True and added["firewall"]["rules"] == rules + [udp]
    assert added["diff"]["after"]["rules"] == sorted(lines + ["udp 8000-8100 from 192.168.0.0/16"])
    assert added["diff"]["before"]["rules"] == lines
    assert run.task("check add rule")["firewall"] == added["firewall"]
    assert run.task("add rule again")["changed"] is False
    grown = run.task("add instance")["firewall"]
    assert grown["instance_ids"] == [world["web-1"], world["web-2"], world["web-3"]]

    purged = run.task("purge")
    assert purged["changed"] is True
    assert purged["firewall"] == dict(grown, rules=[rules[0]], instance_ids=[world["web-3"]])
    assert purged["diff"]["before"]["rules"] == sorted(lines + ["udp 8000-8100 from 192.168.0.0/16"])
    assert purged["diff"]["after"] == {"name": "web", "rules": ["tcp 22 from 10.0.0.0/8"], "instance_ids": [world["web-3"]]}
    assert run.task("check purge")["firewall"] == purged["firewall"]
    assert run.task("check purge")["diff"] == purged["diff"]
    assert run.task("purge again")["changed"] is False
    empty = run.task("no rules")["firewall"]
    assert (empty["rules"], empty["instance_ids"]) == ([], [])

    fid = created["id"]
    one = "/api/firewalls/" + fid
    listing = ("GET", "/api/firewalls", dict(PAGE, projectId=emulator.project_id, name="web"))
    instances = ("GET", "/api/instances", dict(PAGE, projectId=emulator.project_id))
    assert calls(emulator) == [
        listing, instances,                                # check create: reads only
        listing, instances, ("POST", "/api/firewalls", {}),  # create: one POST with rules and instances
        listing,                                           # rerun, ids: 1 request
        listing,                                           # rerun, the same rules written otherwise: 1 request
        ("GET", "/api/projects", PAGE), listing, instances,  # rerun, project and an instance by name: 3
        listing,                                           # rerun, nothing set
        listing,                                           # check add rule
        listing, ("PATCH", one, {}),                       # add rule
        listing,                                           # add rule again
        listing, ("PATCH", one, {}),                       # add instance
        listing,                                           # check purge
        listing, ("PATCH", one, {}),                       # purge
        listing,                                           # purge again
        listing, ("PATCH", one, {}),                       # no rules
    ]
    assert [(f["id"], f["rules"], f["instanceIds"]) for f in firewalls(emulator)] == [(fid, [], [])]

    gone = dict(project, state="absent")
    run = run_ok([dict(task("check absent", gone), check_mode=True), task("absent", gone), task("absent again", gone)],
                 emulator, args=["--diff"])
    assert run.task("check absent")["changed"] is True and run.task("absent")["changed"] is True
    assert run.task("absent")["firewall"] == empty and run.task("absent")["diff"]["after"] == {}
    assert run.task("absent again")["changed"] is False and run.task("absent again")["firewall"] is None
    assert calls(emulator) == [listing, listing, ("DELETE", one, {}), listing]
    assert firewalls(emulator) == []


def test_by_id_renames_and_budget(emulator, world):
    """One playbook: made by name, then by id a no-op (1 request) and a rename (2), each task with its own key."""
    fid = "{{ made.firewall.id }}"
    run, logs, _keys = keyed_run(emulator, [
        dict(task("create", dict(project=emulator.project_id, name="web", rules=[SSH], instances=[world["web-1"]])),
             register="made"),
        task("noop", dict(id=fid, rules=[SSH], instances=[world["web-1"]])),
        task("rename", dict(id=fid, name="front")),
    ])
    assert run.rc == 0 and run.status("create") == "changed", run
    assert run.task("noop")["changed"] is False
    assert run.task("rename")["changed"] is True and run.task("rename")["firewall"]["name"] == "front"
    one = "/api/firewalls/" + run.task("create")["firewall"]["id"]
    assert logs["noop"] + logs["rename"] == [("GET", one, {}), ("GET", one, {}), ("PATCH", one, {})]


@pytest.mark.heavy
def test_refusals_are_clear_and_write_nothing(emulator, world):
    """One playbook: firewall web made, then every refusal for real and in check mode, then port 0 alone."""
    new = dict(project=emulator.project_id, name="new")
    invalid = "invalid input (validation_error): rules: "
    cases = {
        "port 0": (dict(new, rules=[dict(SSH, port=0)]), invalid + "item 1: port 0: ports must be between 1 and 65535"),
        "port 70000": (dict(new, rules=[dict(SSH, port=70000)]),
                       invalid + "item 1: port 70000: ports must be between 1 and 65535"),
        "bad range": (dict(new, rules=[SSH, dict(SSH, port="9000-8000")]),
                      invalid + "item 2: port 9000-8000: a range goes from the lower port to the higher one, such as "
                                "8000-9000"),
        "port word": (dict(new, rules=[dict(SSH, port="ssh")]),
                      invalid + "item 1: port must be a number such as 22 or a range such as \"8000-8100\", got 'ssh'"),
        "bad cidr": (dict(new, rules=[dict(SSH, sources=["10.0.0.300/8"])]),
                     invalid + "item 1: source '10.0.0.300/8' is not an IPv4 or IPv6 address or CIDR such as 10.0.0.0/8"),
        "zone id": (dict(new, rules=[dict(SSH, sources=["10.0.0.0/8", "fe80::1%eth0"])]),
                    invalid + "item 1: source 'fe80::1%eth0' has a zone id (after '%'), which a firewall rule cannot "
                              "use; give the address or network without it"),
        "host bits": (dict(new, rules=[dict(SSH, sources=["10.1.2.3/8"])]),
                      invalid + "item 1: source 10.1.2.3/8 has host bits set; give the network, 10.0.0.0/8"),
        "unknown protocol": (dict(new, rules=[dict(SSH, protocol="sctp")]),
                             invalid + "item 1: protocol must be one of tcp, udp, icmp, got 'sctp'"),
        "port with icmp": (dict(new, rules=[dict(PING, port=8)]),
                           invalid + "item 1: port 8: icmp has no ports; leave port out"),
        "no sources": (dict(new, rules=[dict(SSH, sources=[])]),
                       invalid + "item 1: sources must name at least one CIDR, such as 0.0.0.0/0 for anywhere"),
        "twice": (dict(new, rules=[SSH, dict(SSH, port="22", sources=["10.0.0.0/8"])]),
                  invalid + "item 2: the same rule is given twice"),
        "several": (dict(new, name="Bad", rules=[dict(SSH, port=0), dict(PING, port=1)]),
                    "invalid input (validation_error): name: must be 1-63 characters of a-z, 0-9 and '-', starting "
                    "with a letter; rules: item 1: port 0: ports must be between 1 and 65535; item 2: port 1: icmp "
                    "has no ports; leave port out"),
        "existing, bad rule": (dict(project=emulator.project_id, name="web", rules=[dict(SSH, port=0)]),
                               invalid + "item 1: port 0"),
        "unknown instance": (dict(new, instances=["web-1", "nope"]),
                             "instance 'nope' not found (by id or name); known: web-1, web-2, web-3"),
        "new by id": (dict(id=UNKNOWN_ID, rules=[SSH]), "no firewall with id %s" % UNKNOWN_ID),
        "unknown project": (dict(new, project="nope"), "project 'nope' not found (by id or name); known: default"),
    }
    run, logs = refused_in_one_run(emulator, failing, cases,
                                   setup=[task("create", dict(project=emulator.project_id, name="web", rules=[SSH]))],
                                   alone=[failing("port 0 alone", dict(new, rules=[dict(SSH, port=0)]))])
    assert run.status("create") == "changed"
    assert run.task("check port 0")["failure"] == run.task("port 0")["failure"] == {
        "status": None, "code": "validation_error", "message": "invalid request: rules",
        "details": {"rules": "item 1: port 0: ports must be between 1 and 65535"}}
    assert logs["port 0 alone"] == []  # nothing sent at all
    assert [f["name"] for f in firewalls(emulator)] == ["web"]


def test_a_read_only_key_fails_with_403(emulator, world):
    run = run_playbook([failing("create", dict(project=emulator.project_id, name="web", rules=[SSH]))],
                       emulator=emulator, key=emulator.read_key)
    assert run.status("create") == "failed"
    assert "this API key has the Read permission only" in run.task("create")["msg"]
    assert run.task("create")["failure"]["status"] == 403
    assert "Traceback" not in run.output and emulator.read_key not in run.output
    assert firewalls(emulator) == []


def test_info_filters_and_budgets(emulator, world):
    """Two firewalls made, then every filter read, in one playbook ("all" in check mode); each task has its own
    key, so the request log splits by task for the budgets."""
    project = dict(project=emulator.project_id)
    web_id = "{{ web.firewall.id }}"
    cases = {
        "all": (project, ["web", "db"], 1),
        "name": (dict(project, name="db"), ["db"], 1),
        "id": (dict(id=web_id), ["web"], 1),
        "instance name": (dict(project, instance="web-2"), ["web", "db"], 2),
        "instance id": (dict(project, instance=world["web-1"]), ["web"], 1),
        "instance without": (dict(project, instance="web-3"), [], 2),
        "unknown id": (dict(id=UNKNOWN_ID), [], 1),
        "unknown instance": (dict(project, instance="nope"), [], 1),  # matches nothing: the instance lookup only
    }
    run, logs, _keys = keyed_run(emulator, [
        dict(task("a", dict(project, name="web", rules=[SSH], instances=["web-1", "web-2"])), register="web"),
        dict(task("b", dict(project, name="db", rules=[PING], instances=["web-2"])), register="db"),
    ] + [dict(task(name, args, INFO), check_mode=(name == "all")) for name, (args, _wanted, _budget) in cases.items()] + [
        task("one", dict(id=web_id), INFO),
    ])
    assert run.rc == 0, run
    made = {"web": run.task("a")["firewall"], "db": run.task("b")["firewall"]}
    for name, (args, wanted, budget) in cases.items():
        result = run.task(name)
        assert result["changed"] is False and [f["id"] for f in result["firewalls"]] == [made[w]["id"] for w in wanted], name
        assert len(logs[name]) == budget, name
    assert run.task("one")["firewalls"] == [made["web"]]
    assert "Traceback" not in run.output
