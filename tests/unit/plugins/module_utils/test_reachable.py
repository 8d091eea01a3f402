"""Unit tests of the SSH readiness probes (_reachable.py) against real sockets on 127.0.0.1."""

import socket
import threading
import time

import pytest

from ansible_collections.hostupcloud.cloud.plugins.module_utils import _reachable
from ansible_collections.hostupcloud.cloud.plugins.module_utils._reachable import (
    addresses, has_banner, probe_all, ssh_wait_problem)


class Server:
    """A listener on 127.0.0.1 that answers each connection with what `answer` says, in a thread."""

    def __init__(self, answer=b"SSH-2.0-OpenSSH_9.6\r\n", gate=None, sock=None):
        self.sock = sock or socket.socket()
        if sock is None:
            self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.answer, self.gate, self.accepted = answer, gate, 0
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        while True:
            try:
                conn, _peer = self.sock.accept()
            except OSError:
                return
            self.accepted += 1
            if self.gate is None or self.gate.is_set():
                conn.sendall(self.answer)
            conn.close()

    def close(self):
        self.sock.close()


def free_port():
    """A port nothing listens on: bound, then closed (connects are refused)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


@pytest.mark.parametrize("data, found", [
    (b"SSH-2.0-OpenSSH_9.6\r\n", True),
    (b"SSH-1.99-Cisco\r\n", True),
    (b"Welcome\r\nSSH-2.0-x\r\n", True),   # RFC 4253: lines before the version line
    (b"SSH-2.", False),
    (b"HTTP/1.1 400 Bad Request\r\n", False),
    (b"", False),
])
def test_a_banner_is_an_ssh_version_line(data, found):
    assert has_banner(data) is found


def test_every_target_is_probed_at_once_and_answers():
    servers = [Server(), Server(), Server()]
    try:
        probes = probe_all([(i, "127.0.0.1", server.port) for i, server in enumerate(servers)], timeout=10)
        assert sorted(probes) == [0, 1, 2] and all(probe.ready_at is not None for probe in probes.values())
        assert all(server.accepted == 1 for server in servers)
    finally:
        for server in servers:
            server.close()


def test_a_port_refused_is_retried_until_it_answers(monkeypatch):
    monkeypatch.setattr(_reachable, "RETRY", 0.05)
    bound = socket.socket()  # bound, not yet listening: a connect is refused, as on an instance still booting
    bound.bind(("127.0.0.1", 0))
    port, servers, slept = bound.getsockname()[1], [], []

    def sleep(seconds):  # called only while every probe waits for its retry: the refusal has happened
        slept.append(seconds)
        if not servers:
            servers.append(Server(sock=bound))
        time.sleep(seconds)

    try:
        probes = probe_all([("late", "127.0.0.1", port)], timeout=10, sleep=sleep)
        assert probes["late"].ready_at is not None and servers[0].accepted == 1 and slept
    finally:
        bound.close()


def test_a_port_that_never_opens_fails_saying_refused(monkeypatch):
    monkeypatch.setattr(_reachable, "RETRY", 0.05)
    probes = probe_all([("down", "127.0.0.1", free_port())], timeout=0.3)
    assert probes["down"].ready_at is None and "ECONNREFUSED" in probes["down"].last_error


def test_a_banner_held_back_is_not_ready_until_it_comes(monkeypatch):
    monkeypatch.setattr(_reachable, "RETRY", 0.05)
    gate = threading.Event()
    server = Server(gate=gate)
    clock = {"polls": 0}
    real = _reachable.time.monotonic

    def monotonic():  # the server sends banners from the fifth look at the clock on
        clock["polls"] += 1
        if clock["polls"] == 5:
            gate.set()
        return real()

    try:
        probes = probe_all([("web", "127.0.0.1", server.port)], timeout=10, monotonic=monotonic)
        assert probes["web"].ready_at is not None and server.accepted >= 1
    finally:
        server.close()


def test_a_port_closing_without_a_banner_times_out_saying_so(monkeypatch):
    monkeypatch.setattr(_reachable, "RETRY", 0.05)
    server = Server(answer=b"")
    try:
        probes = probe_all([("mute", "127.0.0.1", server.port)], timeout=0.3)
        assert probes["mute"].ready_at is None and server.accepted >= 2
        assert probes["mute"].last_error == "the connection was closed without an SSH banner"
    finally:
        server.close()


def test_no_targets_returns_at_once():
    assert probe_all([], timeout=100) == {}


@pytest.mark.parametrize("params, problem", [
    ({"wait_for": "none", "wait": False}, None),
    ({"wait_for": "ssh", "wait": True, "ssh_port": 22, "wait_address": ["ipv4"]}, None),
    ({"wait_for": "ssh", "wait": False, "ssh_port": 22, "wait_address": ["ipv4"]}, "needs wait: true"),
    ({"wait_for": "ssh", "wait": True, "ssh_port": 0, "wait_address": ["ipv4"]}, "ssh_port: must be a port"),
    ({"wait_for": "ssh", "wait": True, "ssh_port": 70000, "wait_address": ["ipv4"]}, "ssh_port: must be a port"),
    ({"wait_for": "ssh", "wait": True, "ssh_port": 22, "wait_address": []}, "wait_address: must name"),
])
def test_bad_ssh_wait_options_are_refused(params, problem):
    found = ssh_wait_problem(params)
    assert (found is None) if problem is None else (problem in found)


class Lister:
    def __init__(self, listings):
        self.listings, self.calls = listings, []

    def list(self, path, query):
        self.calls.append((path, query["projectId"]))
        return self.listings[path]


def test_the_address_is_the_first_of_wait_address_the_instance_has():
    web = {"id": "w", "projectId": "p", "ipv4": "100.64.0.1", "ipv6": None}
    db = {"id": 7, "projectId": "p", "ipv4": "100.64.0.2", "ipv6": "2001:db8::1"}
    client = Lister({
        "/networks": [{"attachments": [{"instanceId": "w", "ip": "10.0.0.5"}]},
                      {"attachments": [{"instanceId": "w", "ip": "10.1.0.5"}]}],
        "/floating-ips": [{"instanceId": "7", "address": "203.0.113.9"}, {"instanceId": None, "address": "x"}],
    })
    assert addresses(client, [web, db], ["ipv6", "ipv4"]) == {"w": "100.64.0.1", "7": "2001:db8::1"}
    assert client.calls == []  # public addresses cost no request
    assert addresses(client, [web, db], ["private", "floating_ip"]) == {"w": "10.0.0.5", "7": "203.0.113.9"}
    assert client.calls == [("/networks", "p"), ("/floating-ips", "p")]  # one listing each per project
    assert addresses(Lister({"/networks": []}), [web], ["private"]) == {"w": None}
