# -*- coding: utf-8 -*-
# Copyright: HostUpCloud collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Ready means reachable: after the API says running, wait until each instance's SSH port answers
with an SSH banner, from the controller. Private to this collection.

The probes of all instances run at once on one selector and cost no API request; only the addresses
of the private or floating-IP kinds cost one listing of them per project.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import ipaddress
import selectors
import socket
import time

from ansible_collections.hostupcloud.cloud.plugins.module_utils._module import Option

# The kinds of address wait_address chooses from, in the inventory's connect_with words.
SOURCES = ("ipv4", "ipv6", "private", "floating_ip")
# RFC 4253 4.2: the server sends "SSH-protoversion-..."; lines before it are allowed.
VERSIONS = (b"SSH-2.0-", b"SSH-1.99-")
RETRY = 1.0  # seconds between the attempts at one address (refused, reset, closed without a banner)
ATTEMPT = 5.0  # the most one connection attempt may take before it counts as timed out
BANNER_BYTES = 8192  # lines before the version line are allowed, but not endless ones


def ssh_wait_options():
    """wait_for, ssh_port and wait_address: for a module that waits for instances to run."""
    return (Option("wait_for", choices=["none", "ssh"], default="none"), Option("ssh_port", "int", default=22),
            Option("wait_address", "list", elements="str", choices=list(SOURCES), default=["ipv4", "ipv6"]))


def ssh_wait_problem(params):
    """What is wrong with the SSH wait options, before any request; None when nothing is."""
    if params.get("wait_for") != "ssh":
        return None
    if not params.get("wait", True):
        return "wait_for: ssh waits for the instance to run first, so it needs wait: true"
    if not 1 <= params["ssh_port"] <= 65535:
        return "ssh_port: must be a port number from 1 to 65535, got %s" % params["ssh_port"]
    if not params.get("wait_address"):
        return "wait_address: must name at least one of %s" % ", ".join(SOURCES)
    return None


def has_banner(data):
    """Whether data (what the port sent so far) holds an SSH version line."""
    return any(line.startswith(VERSIONS) for line in data.split(b"\n"))


class Probe:
    """Connection attempts at one address until it answers with a banner."""

    def __init__(self, key, address, port):
        self.key, self.address, self.port = key, address, port
        self.sock, self.data, self.started, self.ready_at = None, b"", None, None
        self.next_try, self.last_error = 0.0, "no answer yet"

    def open(self, now):
        family = socket.AF_INET6 if ipaddress.ip_address(self.address).version == 6 else socket.AF_INET
        self.sock = socket.socket(family, socket.SOCK_STREAM)
        self.sock.setblocking(False)
        self.data, self.started = b"", now
        code = self.sock.connect_ex((self.address, self.port))
        if code not in (0, errno.EINPROGRESS, errno.EWOULDBLOCK, errno.EALREADY):
            self.close()
            self.failed(now, os_error(code))
            return False
        return True

    def failed(self, now, why):
        """This attempt failed (the caller closes its socket): the next one in RETRY seconds."""
        self.last_error, self.next_try = why, now + RETRY
        return True

    def close(self):
        if self.sock is not None:
            self.sock.close()
            self.sock = None

    def on_event(self, now):
        """The socket is writable (connected or failed) or readable (the banner, or closed).
        Returns whether this attempt is over (answered or failed)."""
        code = self.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        if code:
            return self.failed(now, os_error(code))
        try:
            chunk = self.sock.recv(4096)
        except (BlockingIOError, InterruptedError):
            return False  # connected, nothing sent yet
        except OSError as error:
            return self.failed(now, os_error(error.errno))
        self.data += chunk
        if has_banner(self.data):
            self.ready_at = now
            return True
        if not chunk:
            return self.failed(now, "the connection was closed without an SSH banner")
        if len(self.data) > BANNER_BYTES:
            return self.failed(now, "it answered %d bytes without an SSH banner" % len(self.data))
        return False


def os_error(code):
    return "%s (errno %s)" % (errno.errorcode.get(code, "error"), code) if code else "no error"


def probe_all(targets, timeout, monotonic=time.monotonic, sleep=time.sleep):
    """Probe every (key, address, port) of targets at once until each answered with an SSH banner,
    or timeout seconds pass. Returns {key: Probe}; ready_at is the seconds it took, None if it never answered."""
    probes = [Probe(key, address, port) for key, address, port in targets]
    start = monotonic()
    deadline = start + timeout
    with selectors.DefaultSelector() as selector:
        while True:
            now = monotonic()
            waiting = [probe for probe in probes if probe.ready_at is None]
            if not waiting or now >= deadline:
                break
            for probe in waiting:
                if probe.sock is None and now >= probe.next_try and probe.open(now):
                    selector.register(probe.sock, selectors.EVENT_READ | selectors.EVENT_WRITE, probe)
                elif probe.sock is not None and now - probe.started > ATTEMPT:
                    selector.unregister(probe.sock)
                    probe.close()
                    probe.failed(now, "timed out after %d seconds" % ATTEMPT)
            wakes = [probe.next_try if probe.sock is None else probe.started + ATTEMPT for probe in waiting]
            pause = min(max(0.0, min(wakes + [deadline]) - monotonic()), RETRY)
            if not selector.get_map():
                sleep(pause)
                continue
            for handle, _events in selector.select(pause):
                probe = handle.data
                if probe.on_event(monotonic()):
                    selector.unregister(probe.sock)
                    probe.close()
                else:  # connected: from now on only what it sends matters
                    selector.modify(probe.sock, selectors.EVENT_READ, probe)
        for probe in probes:
            probe.close()
    for probe in probes:
        if probe.ready_at is not None:
            probe.ready_at = round(probe.ready_at - start, 3)
    return dict((probe.key, probe) for probe in probes)


def text_id(value):
    return None if value is None else str(value)


def addresses(client, instances, sources):
    """{instance id: the first address of sources it has}, or None; chosen as the inventory's connect_with
    chooses. Private networks and floating IPs cost one listing each per project, only when named."""
    extra = {}
    for project in sorted(set(text_id(instance.get("projectId")) for instance in instances)):
        if "private" in sources:  # the first address in a network, in the order the networks were made
            for network in client.list("/networks", {"projectId": project}):
                for attached in network.get("attachments") or []:
                    extra.setdefault(("private", text_id(attached.get("instanceId"))), attached.get("ip"))
        if "floating_ip" in sources:
            for floating in client.list("/floating-ips", {"projectId": project}):
                if floating.get("instanceId") is not None:
                    extra.setdefault(("floating_ip", text_id(floating["instanceId"])), floating.get("address"))
    chosen = {}
    for instance in instances:
        key = text_id(instance["id"])
        found = [instance.get(source) if source in ("ipv4", "ipv6") else extra.get((source, key)) for source in sources]
        chosen[key] = next((address for address in found if address), None)
    return chosen


def wait_for_ssh(module, instances):
    """Wait until each instance (an API object, running) answers on ssh_port with an SSH banner, within the
    task's one wait_timeout; fail naming each one that does not, with its address and port.

    Returns {instance id: {address, port, seconds}} and the seconds the whole wait took.
    """
    params, names = module.params, dict((text_id(obj["id"]), obj.get("name") or obj["id"]) for obj in instances)
    down = ["%s (%s)" % (names[text_id(obj["id"])], obj.get("status")) for obj in instances if obj.get("status") != "running"]
    if down:
        module.fail("wait_for: ssh waits for running instances, and these are not: %s; start them with "
                    "hostupcloud.cloud.huc_power" % ", ".join(down), code="wait_failed")
    chosen = addresses(module.client, instances, params["wait_address"])
    lost = sorted(names[key] for key, address in chosen.items() if address is None)
    if lost:
        module.fail("wait_for: ssh: instance %s has no address of wait_address (%s)"
                    % (", ".join(lost), ", ".join(params["wait_address"])), code="wait_failed")
    started = time.monotonic()
    probes = probe_all([(key, address, params["ssh_port"]) for key, address in chosen.items()], module.wait_seconds_left())
    late = [probe for probe in probes.values() if probe.ready_at is None]
    if late:
        module.fail("timed out after %s seconds waiting for SSH: %s; raise wait_timeout to wait longer" % (
            params.get("wait_timeout"), "; ".join("instance %s at %s port %s (last: %s)" % (
                names[probe.key], probe.address, probe.port, probe.last_error) for probe in late)), code="wait_timeout")
    reached = dict((key, {"address": probe.address, "port": probe.port, "seconds": probe.ready_at})
                   for key, probe in probes.items())
    return reached, round(time.monotonic() - started, 3)


class SshReadiness:
    """What present waits for besides the API's running (a resource module's ready declaration):
    with wait_for: ssh, until the instance's SSH port answers. The result gets ssh and waited."""

    options = ssh_wait_options()
    settling = ("provisioning", "starting", "rebooting")

    @staticmethod
    def problem(inputs):
        return ssh_wait_problem(inputs)

    def wait(self, module, obj, inputs):
        """obj once it is running and answers on SSH (unchanged without wait_for: ssh)."""
        if inputs.get("wait_for") != "ssh":
            return obj
        if obj.get("status") in self.settling:  # left so by a run that did not wait, or was killed
            obj = module.wait_status(obj, "running")
        api_seconds = module.waited_seconds()
        reached, seconds = wait_for_ssh(module, [obj])
        module.result.update(ssh=reached[text_id(obj["id"])], waited={"api_seconds": api_seconds, "ssh_seconds": seconds})
        return obj


SSH = SshReadiness()
