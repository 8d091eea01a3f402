"""Reachable mode (--reachable): loopback addresses with real SSH-banner listeners that follow the instances' lives.

Real sockets, no mocks; only 127.0.0.0/8 is ever connected to. Every HTTP answer of the emulator brings its
listeners up to date before it goes out, so a refusal right after a call is the state's, not a lagging poll's.
"""

import ipaddress
import os
import socket
import sys
import time

import pytest

from tests.contract.helpers import Api
from tests.emulator.__main__ import parse_args
from tests.emulator.harness import Emulator
from tests.emulator.reachable import BANNER, HOLD_SECONDS, LoopbackBlock, ReachableError

BOOT = 30.0
LOOPBACK = ipaddress.ip_network("127.0.0.0/8")
pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="--reachable needs all of 127.0.0.0/8 (Linux)")


def probe(address, port):
    """The first line the address answers with at port, or None when the connection is refused."""
    assert ipaddress.ip_address(address) in LOOPBACK, "tests connect to 127.0.0.0/8 only, not %s" % address
    try:
        conn = socket.create_connection((address, port), timeout=10)
    except ConnectionRefusedError:
        return None
    with conn:
        data = b""
        while not data.endswith(b"\n"):
            chunk = conn.recv(100)
            if not chunk:
                break
            data += chunk
        return data


@pytest.fixture
def reachable(pooled_emulator):
    """(emulator, api) in reachable mode, booting in BOOT seconds; stderr checked clean after the test."""
    emulator = pooled_emulator(reachable=True, boot_seconds=BOOT)
    api = Api(emulator)
    yield emulator, api
    api.close()
    assert "reachable:" not in emulator.stderr()


def power(api, inst, action):
    assert api.post("/instances/%s/power" % inst["id"], json={"action": action}).status_code == 202


def test_config_and_bootstrap(reachable):
    emulator, api = reachable
    port = emulator.ssh_port
    assert isinstance(port, int) and 0 < port < 65536
    assert (emulator.bootstrap["reachable"], emulator.bootstrap["ssh_port"], emulator.bootstrap["boot_seconds"]) == (True, port, BOOT)
    config = emulator.config()
    assert (config["reachable"], config["bootSeconds"], config["sshPort"]) == (True, BOOT, port)
    # read-only: they are the process's
    response = api.control("PATCH", "/config", json={"bootSeconds": 1})
    assert response.status_code == 422 and "bootSeconds" in response.json()["error"]["details"]


def test_an_instance_answers_only_while_booted(reachable):
    emulator, api = reachable
    transition = float(emulator.config()["transitionSeconds"])
    inst = api.create_instance(ipv6=True)
    address, port = inst["ipv4"], emulator.ssh_port
    assert ipaddress.ip_address(address) in LOOPBACK
    assert ipaddress.ip_address(inst["ipv6"]) in ipaddress.ip_network("2001:db8::/32")  # IPv6 as always: never probed
    assert probe(address, port) is None  # provisioning

    emulator.advance(float(emulator.config()["provisionSeconds"]) + 0.5)
    assert api.status(inst["id"]) == "running"
    assert probe(address, port) is None  # running, not booted yet
    emulator.advance(BOOT - 5)
    assert probe(address, port) is None
    emulator.advance(5)
    assert probe(address, port) == BANNER == b"SSH-2.0-HucEmulator_1.0\r\n"

    power(api, inst, "stop")
    assert probe(address, port) is None  # stopping
    emulator.advance(transition + 0.5)
    assert api.status(inst["id"]) == "stopped" and probe(address, port) is None

    power(api, inst, "start")
    emulator.advance(transition + 0.5)
    assert api.status(inst["id"]) == "running" and probe(address, port) is None  # a new boot
    emulator.advance(BOOT)
    assert probe(address, port) == BANNER

    assert api.delete("/instances/" + inst["id"]).status_code == 202
    assert probe(address, port) is None  # deleting
    emulator.advance(transition + 0.5)
    assert api.get("/instances/" + inst["id"]).status_code == 404 and probe(address, port) is None


def test_wall_time_boots_an_instance_without_any_request(pooled_emulator):
    """No request, no clock move: the listener opens on time all the same (the timer of the next boot)."""
    emulator = pooled_emulator(reachable=True, boot_seconds=2, provision_seconds=0)
    api = Api(emulator)
    try:
        inst = api.create_instance()
        created = time.monotonic()
        assert probe(inst["ipv4"], emulator.ssh_port) is None
        deadline = created + 10
        while probe(inst["ipv4"], emulator.ssh_port) is None and time.monotonic() < deadline:
            time.sleep(0.02)
        assert probe(inst["ipv4"], emulator.ssh_port) == BANNER
        assert time.monotonic() - created >= 1.5  # not before its boot (2 s from its creation, a little before `created`)
    finally:
        api.close()


def test_a_reboot_is_a_new_boot(reachable):
    emulator, api = reachable
    inst = api.running_instance()
    emulator.advance(BOOT)
    assert probe(inst["ipv4"], emulator.ssh_port) == BANNER
    power(api, inst, "reboot")
    assert probe(inst["ipv4"], emulator.ssh_port) is None
    emulator.advance(float(emulator.config()["transitionSeconds"]) + 0.5)
    assert api.status(inst["id"]) == "running" and probe(inst["ipv4"], emulator.ssh_port) is None
    emulator.advance(BOOT)
    assert probe(inst["ipv4"], emulator.ssh_port) == BANNER


def test_a_forced_status_and_the_clock_step_count_too(reachable):
    emulator, api = reachable
    inst = api.create_instance()
    emulator.set_instance(inst["id"], status="running")  # a forced running is a boot from now
    assert probe(inst["ipv4"], emulator.ssh_port) is None
    emulator.clock_step(BOOT)
    api.get("/instances/" + inst["id"])  # the clock steps once this is answered, before its last bytes go out
    emulator.clock_step(0)
    assert probe(inst["ipv4"], emulator.ssh_port) == BANNER
    emulator.set_instance(inst["id"], status="error")
    assert probe(inst["ipv4"], emulator.ssh_port) is None


def test_private_address_and_floating_ip_answer_too(reachable):
    emulator, api = reachable
    inst = api.running_instance()
    network = api.create("/networks", {"projectId": emulator.project_id, "name": "back", "cidr": "10.10.0.0/29"})
    attached = api.post("/networks/%s/attach" % network["id"], json={"instanceId": inst["id"]}).json()["data"]
    private = attached["attachments"][0]["ip"]
    floating = api.create("/floating-ips", {"projectId": emulator.project_id, "nodeId": emulator.node_id})
    assert api.post("/floating-ips/%s/attach" % floating["id"], json={"instanceId": inst["id"]}).status_code == 200
    addresses = [inst["ipv4"], private, floating["address"]]
    assert len(set(addresses)) == 3 and all(ipaddress.ip_address(item) in LOOPBACK for item in addresses)
    assert [probe(item, emulator.ssh_port) for item in addresses] == [None] * 3  # not booted
    emulator.advance(BOOT)
    assert [probe(item, emulator.ssh_port) for item in addresses] == [BANNER] * 3

    assert api.post("/floating-ips/%s/detach" % floating["id"]).status_code == 200
    assert probe(floating["address"], emulator.ssh_port) is None
    assert probe(inst["ipv4"], emulator.ssh_port) == BANNER
    assert api.post("/networks/%s/detach" % network["id"], json={"instanceId": inst["id"]}).status_code == 200
    assert probe(private, emulator.ssh_port) is None

    # A network still holds as many instances as it has host addresses (a /29: 5, the gateway aside).
    others = [api.create_instance(name="node-%d" % number) for number in range(6)]
    answers = [api.post("/networks/%s/attach" % network["id"], json={"instanceId": item["id"]}) for item in others]
    assert [answer.status_code for answer in answers] == [200] * 5 + [409]
    assert answers[-1].json()["error"]["code"] == "addresses_exhausted"
    ips = [item["ip"] for item in answers[-2].json()["data"]["attachments"]]
    assert len(set(ips)) == 5 and all(ipaddress.ip_address(item) in LOOPBACK for item in ips)


def test_seeded_instances_answer_and_a_reset_closes_what_it_forgets(pooled_emulator):
    emulator = pooled_emulator(reachable=True, boot_seconds=0, seed_instances=3)
    api = Api(emulator)
    try:
        seeded = [item["ipv4"] for item in emulator.state()["instances"]]
        assert [probe(item, emulator.ssh_port) for item in seeded] == [BANNER] * 3
        extra = api.running_instance(name="extra")
        assert probe(extra["ipv4"], emulator.ssh_port) == BANNER
        emulator.reset()
        assert probe(extra["ipv4"], emulator.ssh_port) is None
        assert [probe(item, emulator.ssh_port) for item in seeded] == [BANNER] * 3
    finally:
        api.close()


def test_a_connection_is_closed_after_a_while_and_no_socket_leaks(reachable):
    emulator, api = reachable
    inst = api.running_instance()
    emulator.advance(BOOT)
    fds = "/proc/%d/fd" % emulator.bootstrap["pid"]
    before = len(os.listdir(fds))
    conn = socket.create_connection((inst["ipv4"], emulator.ssh_port), timeout=HOLD_SECONDS + 10)
    with conn:
        started = time.monotonic()
        data = b""
        while True:
            chunk = conn.recv(100)  # the server closes it: b"" well within the timeout
            if not chunk:
                break
            data += chunk
        assert data == BANNER and time.monotonic() - started < HOLD_SECONDS + 5
    clients = [socket.create_connection((inst["ipv4"], emulator.ssh_port), timeout=10) for _number in range(20)]
    assert all(client.recv(100) == BANNER for client in clients)
    assert len(os.listdir(fds)) >= before + 19  # one HTTP connection of before may have closed meanwhile
    for client in clients:
        client.close()
    deadline = time.monotonic() + 10
    while len(os.listdir(fds)) > before and time.monotonic() < deadline:
        time.sleep(0.02)
    assert len(os.listdir(fds)) <= before


def test_two_emulators_at_once_hand_out_distinct_addresses(emulator_factory):
    first, second = (emulator_factory(reachable=True, boot_seconds=0, seed_instances=5) for _number in range(2))
    addresses = []
    for emulator in (first, second):
        api = Api(emulator)
        try:
            floating = api.create("/floating-ips", {"projectId": emulator.project_id, "nodeId": emulator.node_id})
        finally:
            api.close()
        instances = [item["ipv4"] for item in emulator.state()["instances"]]
        assert [probe(item, emulator.ssh_port) for item in instances] == [BANNER] * 5
        assert probe(floating["address"], emulator.ssh_port) is None  # attached to nothing
        addresses.append(set(instances + [floating["address"]]))
    assert all(ipaddress.ip_address(item) in LOOPBACK for item in addresses[0] | addresses[1])
    assert len(addresses[0]) == len(addresses[1]) == 6 and not addresses[0] & addresses[1]
    port = first.ssh_port
    first.stop()
    assert all(probe(item, port) is None for item in addresses[0])  # gone with its process
    assert second.process.poll() is None


def test_a_state_file_keeps_its_addresses(emulator_factory, tmp_path):
    state = str(tmp_path / "state.json")
    first = emulator_factory(reachable=True, boot_seconds=0, state_file=state)
    api = Api(first)
    try:
        old = api.running_instance(name="old")
    finally:
        api.close()
    first.stop()
    second = emulator_factory(reachable=True, boot_seconds=0, state_file=state)
    api = Api(second)
    try:
        assert api.instance(old["id"])["ipv4"] == old["ipv4"]
        assert probe(old["ipv4"], second.ssh_port) == BANNER  # booted long enough ago: at its creation
        new = api.running_instance(name="new")
        assert new["ipv4"] != old["ipv4"] and probe(new["ipv4"], second.ssh_port) == BANNER
    finally:
        api.close()


def test_without_reachable_nothing_changes(api, emulator):
    inst = api.create_instance()
    assert ipaddress.ip_address(inst["ipv4"]) in ipaddress.ip_network("100.64.0.0/10")
    floating = api.create("/floating-ips", {"projectId": emulator.project_id, "nodeId": emulator.node_id})
    assert floating["address"] == "203.0.113.1"
    network = api.create("/networks", {"projectId": emulator.project_id, "name": "back", "cidr": "10.10.0.0/24"})
    attached = api.post("/networks/%s/attach" % network["id"], json={"instanceId": inst["id"]}).json()["data"]
    assert attached["attachments"] == [{"instanceId": inst["id"], "ip": "10.10.0.2"}]
    settings = {"rateLimit", "rateWindow", "provisionSeconds", "transitionSeconds", "clockStepSeconds", "snapshotSeconds"}
    assert set(emulator.config()) == settings
    assert "ssh_port" not in emulator.bootstrap and emulator.ssh_port is None
    assert "--reachable" not in emulator.command("bootstrap.json")


@pytest.mark.parametrize("argv, message", [
    (["--boot-seconds", "5"], "--boot-seconds and --ssh-port go with --reachable"),
    (["--ssh-port", "0"], "--boot-seconds and --ssh-port go with --reachable"),
    (["--reachable", "--ssh-port", "70000"], "--ssh-port must be 0 to 65535"),
    (["--reachable", "--boot-seconds", "-1"], "--boot-seconds >= 0"),
    (["--reachable", "--boot-seconds", "inf"], "--boot-seconds must be finite"),
])
def test_bad_options(argv, message, capsys):
    with pytest.raises(SystemExit) as caught:
        parse_args(argv)
    assert caught.value.code == 2 and message in capsys.readouterr().err


def test_an_address_that_is_not_loopback_here_fails_clearly():
    """What macOS answers for 127.X.Y.Z, seen through an address no interface has (a bind only, no connection)."""
    with pytest.raises(ReachableError) as caught:
        LoopbackBlock._check_port("192.0.2.1", 0)
    assert "needs every address of 127.0.0.0/8 to be loopback, as on Linux" in str(caught.value)


@pytest.mark.skipif(os.geteuid() == 0, reason="root may listen on port 22")
def test_port_22_without_root_fails_clearly():
    with pytest.raises(ReachableError) as caught:
        LoopbackBlock.claim(22)
    assert "ports below 1024 need root; use --ssh-port 0" in str(caught.value)


def test_an_instance_record_keeps_its_shape(reachable, emulator):
    plain = Api(emulator)
    try:
        assert set(reachable[1].create_instance()) == set(plain.create_instance())
    finally:
        plain.close()


def test_the_harness_passes_no_reachable_option_unless_asked():
    assert Emulator(reachable=True, boot_seconds=7).command("b.json")[-5:] == ["--boot-seconds", "7", "--ssh-port", "0", "--reachable"]
