"""IPv6 (off by default, enabled at creation or with a restart) and reverse DNS through huc_instance,
huc_floating_ip and the inventory: check mode writes nothing, reruns change nothing, diffs, refusals, budgets."""

import pytest

from tests.emulator.harness import make_instances
from tests.functional.playbook import run_playbook
from tests.functional.test_instance import calls, failing, fast, run_ok, spec, task
from tests.functional.test_inventory import inventory

FIP = "hostupcloud.cloud.huc_floating_ip"


def writes(log):
    return [entry for entry in log if entry[0] != "GET"]


def state_of(emulator, name):
    return next(inst for inst in emulator.state()["instances"] if inst["name"] == name)


def test_create_with_ipv6_and_reverse_dns(emulator_factory):
    emulator = fast(emulator_factory)
    args = spec(emulator, node=emulator.node_id, ipv6=True, reverse_dns={"ipv4": "Web-1.Example.com.", "ipv6": "v6.example.com"})
    run = run_ok(run_playbook, [
        dict(task("check create", args), check_mode=True),
        task("create", args),
        task("rerun", args),
    ], emulator=emulator, args=["--diff"])
    predicted = run.task("check create")
    assert predicted["changed"] is True and predicted["instance"]["ipv6"] is None and predicted["instance"]["reverse_dns"] is None
    assert predicted["diff"]["after"]["ipv6"] is True
    created = run.task("create")["instance"]
    assert created["ipv6"] and created["ipv6_prefix"].endswith("::/64") and created["ipv6"].startswith(created["ipv6_prefix"][:-4])
    assert created["reverse_dns"] == {created["ipv4"]: "web-1.example.com", created["ipv6"]: "v6.example.com"}
    assert run.task("rerun")["changed"] is False and run.task("rerun")["instance"] == created
    assert state_of(emulator, "web-1")["reverseDns"] == created["reverse_dns"]


@pytest.mark.heavy
def test_enable_ipv6_and_reverse_dns_on_an_existing_instance(emulator_factory):
    emulator = fast(emulator_factory)
    make_instances(emulator, ["web-1"])  # running, no IPv6 (made through the API: the module's create is tested above)
    inst = state_of(emulator, "web-1")
    by_id = {"id": inst["id"]}
    ptr = {"ipv4": "web-1.example.com"}
    run = run_ok(run_playbook, [
        failing("enable refused", dict(by_id, ipv6=True)),
        failing("ipv6 ptr without ipv6", dict(by_id, reverse_dns={"ipv6": "v6.example.com"})),
        failing("not its address", dict(by_id, reverse_dns={"100.64.99.99": "x.example.com"})),
        failing("bad name", dict(by_id, reverse_dns={"ipv4": "not_a.example.com"})),
        failing("bad key", dict(by_id, reverse_dns={"eth0": "x.example.com"})),
        dict(task("check ptr", dict(by_id, reverse_dns=ptr)), check_mode=True),
    ], emulator=emulator, args=["--diff"])
    log = calls(emulator)
    assert writes(log) == []
    assert run.task("enable refused")["msg"] == (
        "changing ipv6 needs instance web-1 stopped (it is running): set allow_restart: true to let the module stop it, "
        "change it and start it again")
    assert run.task("ipv6 ptr without ipv6")["msg"] == (
        "reverse_dns names ipv6, but instance web-1 has no IPv6 address; set ipv6: true to enable it")
    assert run.task("not its address")["msg"] == (
        "reverse_dns: 100.64.99.99 is not an address of instance web-1 (it has %s); give ipv4, ipv6 or one of them" % inst["ipv4"])
    assert run.task("bad name")["msg"].startswith("invalid input (validation_error): reverse_dns: ipv4: 'not_a.example.com': each label")
    assert run.task("bad key")["msg"] == (
        "invalid input (validation_error): reverse_dns: 'eth0' is neither ipv4, ipv6 nor an IP address")
    for name in ("enable refused", "ipv6 ptr without ipv6", "not its address", "bad name", "bad key"):
        assert run.task(name)["failure"]["code"]
    # Check mode predicts the PTR and its diff, and wrote nothing (above).
    check = run.task("check ptr")
    assert check["changed"] is True and check["instance"]["reverse_dns"] == {inst["ipv4"]: "web-1.example.com"}
    assert check["diff"]["before"]["reverse_dns"] == {inst["ipv4"]: None}
    assert check["diff"]["after"]["reverse_dns"] == {inst["ipv4"]: "web-1.example.com"}
    assert state_of(emulator, "web-1")["reverseDns"] == {inst["ipv4"]: None}

    both = dict(by_id, ipv6=True, allow_restart=True, reverse_dns={"ipv4": "web-1.example.com", "ipv6": "v6.example.com"})
    run = run_ok(run_playbook, [
        task("ptr", dict(by_id, reverse_dns=ptr)),
        task("ptr again", dict(by_id, reverse_dns={inst["ipv4"]: "WEB-1.example.com."})),
        dict(task("check enable", both), check_mode=True),
        task("enable", both),
        task("enable again", both),
    ], emulator=emulator, args=["--diff"])
    log = calls(emulator)
    assert run.task("ptr")["changed"] is True and run.task("ptr again")["changed"] is False
    check = run.task("check enable")
    assert check["changed"] is True and (check["diff"]["before"]["ipv6"], check["diff"]["after"]["ipv6"]) == (False, True)
    enabled = run.task("enable")
    result = enabled["instance"]
    assert enabled["changed"] is True and result["status"] == "running" and result["ipv6"] and result["ipv6_prefix"]
    assert result["reverse_dns"] == {inst["ipv4"]: "web-1.example.com", result["ipv6"]: "v6.example.com"}
    assert (enabled["diff"]["before"]["ipv6"], enabled["diff"]["after"]["ipv6"]) == (False, True)
    assert run.task("enable again")["changed"] is False and run.task("enable again")["instance"] == result
    path = "/api/instances/" + inst["id"]
    # Writes: one PUT for the first PTR; then the power state to restore recorded, shutdown, PATCH ipv6, start,
    # the record removed, and the PUT of the new address.
    assert writes(log) == [
        ("PUT", path + "/reverse-dns", {}), ("PATCH", path, {}),
        ("POST", path + "/power", {}), ("PATCH", path, {}), ("POST", path + "/power", {}), ("PATCH", path, {}),
        ("PUT", path + "/reverse-dns", {})]
    # The no-ops cost one request each, by id.
    assert [entry for entry in log if entry[0] == "GET"][:1] == [("GET", path, {})]

    # Clearing: null removes one PTR; disabling IPv6 (stopped first) drops its address and PTR.
    calls(emulator)
    run = run_ok(run_playbook, [
        task("clear", dict(by_id, reverse_dns={"ipv6": None})),
        task("clear again", dict(by_id, reverse_dns={"ipv6": None})),
        failing("ptr of removed ipv6", dict(by_id, ipv6=False, reverse_dns={"ipv6": "x.example.com"})),
        task("disable", dict(by_id, ipv6=False, allow_restart=True)),
        task("disable again", dict(by_id, ipv6=False)),
    ], emulator=emulator)
    log = calls(emulator)
    assert run.task("clear")["changed"] is True and run.task("clear again")["changed"] is False
    assert run.task("ptr of removed ipv6")["msg"] == "reverse_dns names ipv6, but ipv6: false removes the IPv6 address of instance web-1"
    disabled = run.task("disable")["instance"]
    assert (disabled["ipv6"], disabled["ipv6_prefix"], disabled["reverse_dns"]) == (None, None, {inst["ipv4"]: "web-1.example.com"})
    assert run.task("disable again")["changed"] is False
    assert len([e for e in log if e[0] == "GET" and e[1] == path]) >= 5  # every task found it by id, no listing
    assert not [e for e in log if e[1] == "/api/instances"]


def test_noop_budget_is_one_request(emulator_factory):
    emulator = fast(emulator_factory)
    args = spec(emulator, node=emulator.node_id, ipv6=True, reverse_dns={"ipv4": "a.example.com"})
    run_ok(run_playbook, [task("create", args)], emulator=emulator)
    calls(emulator)
    inst = state_of(emulator, "web-1")
    run = run_ok(run_playbook, [
        task("by name", args),
        task("by id", {"id": inst["id"], "ipv6": True, "reverse_dns": {inst["ipv6"]: None, "ipv4": "a.example.com"}}),
    ], emulator=emulator)
    assert run.task("by name")["changed"] is False and run.task("by id")["changed"] is False
    log = calls(emulator)
    # by name (project and node by id): the one listing by name; by id: the one GET of the instance
    assert len(log) == 2 and log[0][:2] == ("GET", "/api/instances") and log[0][2]["name"] == "web-1"
    assert log[1:] == [("GET", "/api/instances/" + inst["id"], {})]


def test_floating_ip_reverse_dns(emulator_factory):
    emulator = fast(emulator_factory)
    web = make_instances(emulator, ["web-1"])["web-1"]
    run = run_ok(run_playbook, [
        dict({"name": "check alloc", FIP: {"project": emulator.project_id, "instance": web, "reverse_dns": "Mail.example.com"}},
             check_mode=True),
        {"name": "alloc", FIP: {"project": emulator.project_id, "instance": web, "reverse_dns": "Mail.example.com"}},
    ], emulator=emulator, args=["--diff"])
    assert run.task("check alloc")["floating_ip"]["reverse_dns"] == "mail.example.com"
    fip = run.task("alloc")["floating_ip"]
    assert fip["reverse_dns"] == "mail.example.com" and fip["instance_id"] == web
    calls(emulator)
    by_id = {"id": fip["id"]}
    run = run_ok(run_playbook, [
        dict({"name": "check change", FIP: dict(by_id, reverse_dns="smtp.example.com")}, check_mode=True),
        {"name": "change", FIP: dict(by_id, reverse_dns="smtp.example.com")},
        {"name": "rerun", FIP: dict(by_id, reverse_dns="smtp.example.com.")},
        dict({"name": "bad", FIP: dict(by_id, reverse_dns="-x.example.com")}, ignore_errors=True),
        {"name": "clear", FIP: dict(by_id, reverse_dns=None)},
        {"name": "clear again", FIP: dict(by_id, reverse_dns=None)},
    ], emulator=emulator, args=["--diff"])
    log = calls(emulator)
    check = run.task("check change")
    assert check["changed"] is True and check["diff"] == {
        "before": {"address": fip["address"], "node_id": emulator.node_id, "instance_id": web, "reverse_dns": "mail.example.com"},
        "after": {"address": fip["address"], "node_id": emulator.node_id, "instance_id": web, "reverse_dns": "smtp.example.com"}}
    assert run.task("change")["floating_ip"]["reverse_dns"] == "smtp.example.com"
    assert run.task("rerun")["changed"] is False
    assert "each label must be 1 to 63" in run.task("bad")["msg"] and "Traceback" not in run.output
    assert run.task("clear")["changed"] is True and run.task("clear")["floating_ip"]["reverse_dns"] is None
    assert run.task("clear again")["changed"] is False
    path = "/api/floating-ips/" + fip["id"]
    assert writes(log) == [("PUT", path + "/reverse-dns", {}), ("PUT", path + "/reverse-dns", {})]
    # Each task (the bad one sends nothing) costs one GET by id, plus nothing for a no-op.
    assert [e for e in log if e[0] == "GET"] == [("GET", path, {})] * 5


def test_inventory_connect_with_ipv6_first_falls_back_to_ipv4(emulator_factory):
    emulator = emulator_factory(seed_instances=4)
    run = inventory(emulator, {"connect_with": ["ipv6", "ipv4"]})
    assert run.rc == 0, run
    hostvars = run.data["_meta"]["hostvars"]
    state = dict((inst["name"], inst) for inst in emulator.state()["instances"])
    assert sorted(hostvars) == sorted(state)
    for name, host in hostvars.items():
        inst = state[name]
        assert (host["huc_ipv6"], host["huc_ipv6_prefix"]) == (inst["ipv6"], inst["ipv6Prefix"])
        assert host["ansible_host"] == (inst["ipv6"] or inst["ipv4"])
    without = [name for name in hostvars if state[name]["ipv6"] is None]
    assert sorted(without) == ["db-0002", "web-0004"]
    assert all(hostvars[name]["ansible_host"] == state[name]["ipv4"] for name in without)
