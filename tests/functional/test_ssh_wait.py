"""wait_for: ssh (issue 27) through ansible-playbook against a --reachable emulator: each instance's addresses
are unique loopback addresses with a real listener that sends an SSH banner once the instance has been running
for boot_seconds. The modules probe from the controller, at no API request; every address here is in 127.0.0.0/8.
"""

import ipaddress
import re
import socket

import pytest

from tests.functional.playbook import run_playbook
from tests.functional.steps import keyed_run, refused_in_one_run, steps

task, failing, checked = steps("hostupcloud.cloud.huc_instance")
NAMES = ["web-%d" % number for number in range(1, 6)]
ID = re.compile(r"/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def reachable(emulator_factory, boot_seconds):
    return emulator_factory(reachable=True, boot_seconds=boot_seconds, provision_seconds=0.5, transition_seconds=0.5)


def spec(emulator, name, **more):
    return dict({"project": emulator.project_id, "name": name, "node": emulator.node_id, "os_template": emulator.os_template,
                 "vcpus": 1, "memory_mb": 1024, "disk_gb": 20, "labels": {"role": "web"}}, **more)


def ssh_of(emulator, **more):
    return dict({"wait_for": "ssh", "ssh_port": emulator.ssh_port}, **more)


def banner(address, port):
    """What the listener at address:port sends first (the test's own connection, not the module's)."""
    assert ipaddress.ip_address(address).is_loopback, address  # never anything outside the machine
    with socket.create_connection((address, port), timeout=10) as conn:
        return conn.recv(64)


def by_name(emulator):
    return dict((i["name"], i) for i in emulator.state()["instances"])


def no_more_requests_than_without(logs, with_ssh, without):
    """The SSH wait spends no request: the task's requests are those of the same create without it."""
    def shape(name):
        return [(method, ID.sub("/{id}", path)) for method, path, _query in logs[name]]

    assert shape(with_ssh) == shape(without), (shape(with_ssh), shape(without))


@pytest.mark.heavy
def test_five_creates_wait_until_ssh_answers_and_a_stopped_one_fails_by_name(emulator_factory):
    emulator = reachable(emulator_factory, boot_seconds=2)
    tasks = [task("create %s" % name, dict(spec(emulator, name), **ssh_of(emulator, wait_address=["ipv4"])))
             for name in NAMES]
    tasks += [
        task("create plain", spec(emulator, "plain-1", labels={})),
        task("rerun web-1", dict(spec(emulator, "web-1"), **ssh_of(emulator))),
        task("restart the web servers", {"project": emulator.project_id, "label_selector": "role=web",
                                         "state": "restarted", **ssh_of(emulator)}, module="hostupcloud.cloud.huc_power"),
        task("stop web-3", {"project": emulator.project_id, "name": "web-3", "state": "stopped"},
             module="hostupcloud.cloud.huc_power"),
        failing("wait for stopped web-3", dict(spec(emulator, "web-3"), **ssh_of(emulator))),
        failing("restart nothing on a closed port", {"project": emulator.project_id, "name": "web-1", "state": "started",
                                                     "wait_for": "ssh", "ssh_port": emulator.ssh_port + 1,
                                                     "wait_timeout": 3}, module="hostupcloud.cloud.huc_power"),
    ]
    run, logs, _keys = keyed_run(emulator, tasks)
    assert run.rc == 0, run
    held = by_name(emulator)
    for name in NAMES:
        result = run.task("create %s" % name)
        address = held[name]["ipv4"]
        assert result["changed"] and result["instance"]["status"] == "running"
        assert result["ssh"]["address"] == address and result["ssh"]["port"] == emulator.ssh_port, result["ssh"]
        assert ipaddress.ip_address(address).is_loopback
        assert result["waited"]["api_seconds"] > 0 and result["waited"]["ssh_seconds"] >= 0, result["waited"]
        if name != "web-3":  # the instance booted, and runs still: its address answers with the banner
            assert banner(address, emulator.ssh_port).startswith(b"SSH-2.0-"), name
        no_more_requests_than_without(logs, "create %s" % name, "create plain")
    assert len(set(held[name]["ipv4"] for name in NAMES + ["plain-1"])) == 6  # one address each
    with pytest.raises(ConnectionRefusedError):  # web-3 was stopped at the end: nothing listens
        banner(held["web-3"]["ipv4"], emulator.ssh_port)

    rerun = run.task("rerun web-1")  # nothing to change, running: SSH answers at once, one listing
    assert not rerun["changed"] and rerun["waited"]["api_seconds"] == 0 and rerun["ssh"]["address"] == held["web-1"]["ipv4"]
    assert [(method, path) for method, path, _query in logs["rerun web-1"]] == [("GET", "/api/instances")]

    restarted = run.task("restart the web servers")
    assert sorted(item["name"] for item in restarted["instances"]) == NAMES
    assert all(item["ssh"]["address"] == held[item["name"]]["ipv4"] for item in restarted["instances"])
    assert restarted["waited"]["api_seconds"] > 0
    # One listing, five reboots, then one listing per poll: the SSH wait adds nothing.
    assert [m for m, _p, _q in logs["restart the web servers"]].count("POST") == 5
    assert all(path == "/api/instances" for method, path, _q in logs["restart the web servers"] if method == "GET")

    stopped = run.task("wait for stopped web-3")
    assert "web-3 (stopped)" in stopped["msg"] and stopped["failure"]["code"] == "wait_failed", stopped["msg"]
    assert [m for m, _p, _q in logs["wait for stopped web-3"]] == ["GET"]  # found, refused, nothing written

    closed = run.task("restart nothing on a closed port")
    where = "instance web-1 at %s port %s" % (held["web-1"]["ipv4"], emulator.ssh_port + 1)
    assert "timed out after 3 seconds waiting for SSH" in closed["msg"] and where in closed["msg"], closed["msg"]
    assert "ECONNREFUSED" in closed["msg"] and closed["failure"]["code"] == "wait_timeout"


def test_the_wait_lasts_until_boot_and_the_address_is_the_one_wait_address_chooses(emulator_factory):
    emulator = reachable(emulator_factory, boot_seconds=6)
    network = {"project": emulator.project_id, "name": "back", "cidr": "10.20.0.0/24", "instances": ["app-1"]}
    tasks = [
        task("create app-1", dict(spec(emulator, "app-1"), **ssh_of(emulator))),
        task("attach a network", network, module="hostupcloud.cloud.huc_private_network"),
        task("give it a floating IP", {"project": emulator.project_id, "instance": "app-1"},
             module="hostupcloud.cloud.huc_floating_ip"),
        task("by its private address", dict(spec(emulator, "app-1"), **ssh_of(emulator, wait_address=["private", "ipv4"]))),
        task("by its floating IP", dict(spec(emulator, "app-1"), **ssh_of(emulator, wait_address=["floating_ip"]))),
        checked("in check mode", dict(spec(emulator, "app-2"), **ssh_of(emulator))),
    ]
    run, logs, _keys = keyed_run(emulator, tasks)
    assert run.rc == 0, run
    created = run.task("create app-1")
    # Running after about half a second, but SSH only after six: the task waited for the banner.
    assert created["waited"]["ssh_seconds"] >= 2, created["waited"]
    private = run.task("attach a network")["private_network"]["attachments"][0]["ip"]
    floating = run.task("give it a floating IP")["floating_ip"]["address"]
    assert run.task("by its private address")["ssh"]["address"] == private
    assert run.task("by its floating IP")["ssh"]["address"] == floating
    for address in (private, floating):
        assert banner(address, emulator.ssh_port).startswith(b"SSH-2.0-")
    # Each costs its lookup and the one listing of the networks or floating IPs of the project.
    assert [path for _m, path, _q in logs["by its private address"]] == ["/api/instances", "/api/networks"]
    assert [path for _m, path, _q in logs["by its floating IP"]] == ["/api/instances", "/api/floating-ips"]
    checked_run = run.task("in check mode")
    assert checked_run["changed"] and "ssh" not in checked_run and "waited" not in checked_run
    assert all(method == "GET" for method, _p, _q in logs["in check mode"])


def test_bad_ssh_wait_options_are_refused_before_any_request(emulator):
    power = "hostupcloud.cloud.huc_power"
    cases = {
        "port zero": (dict(spec(emulator, "x"), wait_for="ssh", ssh_port=0), "ssh_port: must be a port number"),
        "no wait": (dict(spec(emulator, "x"), wait_for="ssh", wait=False), "wait_for: ssh waits for the instance"),
        "no address": (dict(spec(emulator, "x"), wait_for="ssh", wait_address=[]), "wait_address: must name"),
    }
    run, logs = refused_in_one_run(emulator, failing, cases, alone=[
        failing("stopped and ssh", {"project": emulator.project_id, "name": "x", "state": "stopped", "wait_for": "ssh"},
                module=power)])
    assert all(logs[name] == [] for name in cases)
    assert "needs state started or restarted" in run.task("stopped and ssh")["msg"] and logs["stopped and ssh"] == []


def test_a_fleet_waits_for_ssh_on_all_at_once_at_its_request_budget(emulator_factory):
    emulator = reachable(emulator_factory, boot_seconds=3)
    defaults = {"node": emulator.node_name, "os_template": emulator.os_template, "vcpus": 1, "memory_mb": 512, "disk_gb": 10}
    fleet = {"project": emulator.project_id, "fleet": "web", "defaults": defaults,
             "instances": [{"name": name} for name in NAMES], "wait_for": "ssh", "ssh_port": emulator.ssh_port}
    module = "hostupcloud.cloud.huc_fleet"
    run, logs, _keys = keyed_run(emulator, [task("fleet of 5", fleet, module=module),
                                            task("again", fleet, module=module)])
    assert run.rc == 0, run
    held = by_name(emulator)
    result = run.task("fleet of 5")
    assert [item["ssh"]["address"] for item in result["instances"]] == [held[name]["ipv4"] for name in NAMES]
    assert all(banner(held[name]["ipv4"], emulator.ssh_port).startswith(b"SSH-2.0-") for name in NAMES)
    assert result["waited"]["api_seconds"] > 0 and result["waited"]["ssh_seconds"] >= 0
    # The budget of a new fleet of N: N POSTs, one listing before and one per poll, the node by name; SSH adds none.
    created = logs["fleet of 5"]
    polls = len([call for call in created if call[:2] == ("GET", "/api/instances")]) - 1
    assert [call[0] for call in created].count("POST") == 5 and len(created) == 5 + (polls + 1) + 1, created
    again = run.task("again")  # a no-op: one listing, and every instance answers at once
    assert not again["changed"] and len(logs["again"]) == 1 and again["waited"]["api_seconds"] == 0
    assert all(item["ssh"]["address"] == held[item["name"]]["ipv4"] for item in again["instances"])


def test_the_instances_role_waits_for_ssh_on_the_instances_meant_to_run(emulator_factory):
    emulator = reachable(emulator_factory, boot_seconds=2)
    entries = [spec(emulator, name) for name in ("web-1", "web-2")]
    entries.append(dict(spec(emulator, "db-1"), power="stopped"))
    for entry in entries:
        entry.pop("project")
    role = {"name": "fleet", "ansible.builtin.include_role": {"name": "hostupcloud.cloud.instances"},
            "vars": {"instances_project": emulator.project_id, "instances_list": entries, "instances_wait_for": "ssh",
                     "instances_ssh_port": emulator.ssh_port}}
    fact = {"name": "fact", "ansible.builtin.debug": {"var": "instances_fleet"}}
    run = run_playbook([role, fact], emulator=emulator)
    assert run.rc == 0, run
    held = by_name(emulator)
    fleet = dict((item["name"], item) for item in run.task("fact")["instances_fleet"])
    assert fleet["db-1"]["status"] == "stopped" and "ssh" not in fleet["db-1"]
    for name in ("web-1", "web-2"):
        assert fleet[name]["ssh"]["address"] == held[name]["ipv4"] and fleet[name]["status"] == "running"
        assert banner(held[name]["ipv4"], emulator.ssh_port).startswith(b"SSH-2.0-")
