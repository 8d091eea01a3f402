"""Networking (assumed routes and fields): IPv6 off by default, on at creation or while stopped, reverse DNS."""

import ipaddress

import pytest

from tests.contract.helpers import instance_body


def stopped(api, emulator, **overrides):
    inst = api.running_instance(**overrides)
    assert api.post("/instances/%s/power" % inst["id"], json={"action": "stop"}).status_code == 202
    emulator.advance(float(emulator.config()["transitionSeconds"]) + 0.5)
    return api.instance(inst["id"])


def test_ipv6_is_off_unless_asked_for_at_creation(api):
    plain = api.create_instance()
    assert (plain["ipv6"], plain["ipv6Prefix"], plain["reverseDns"]) == (None, None, {plain["ipv4"]: None})
    assert api.create_instance(name="web-2", ipv6=False)["ipv6"] is None
    dual = api.create_instance(name="web-3", ipv6=True)
    prefix = ipaddress.ip_network(dual["ipv6Prefix"])
    assert prefix.prefixlen == 64 and dual["ipv6Prefix"].startswith("2001:db8:") and dual["ipv6Prefix"].endswith("::/64")
    assert ipaddress.ip_address(dual["ipv6"]) in prefix
    assert dual["reverseDns"] == {dual["ipv4"]: None, dual["ipv6"]: None}
    # null counts as absent on create; anything but a boolean is refused.
    assert api.create_instance(name="web-4", ipv6=None)["ipv6"] is None
    error = api.error(api.post("/instances", json=instance_body(api.emulator, name="web-5", ipv6="yes")), 422)
    assert error["details"] == {"ipv6": "must be a boolean"}


def test_enabling_and_disabling_ipv6_needs_the_instance_stopped(api, emulator):
    inst = api.running_instance()
    error = api.error(api.patch("/instances/" + inst["id"], json={"ipv6": True}), 409)
    assert error["code"] == "instance_not_stopped" and error["details"] == {"ipv6": "requires status stopped"}
    # Asking for what it already has is no change: no 409, updatedAt left alone.
    same = api.patch("/instances/" + inst["id"], json={"ipv6": False})
    assert same.status_code == 200 and same.json()["data"]["updatedAt"] == inst["updatedAt"]
    inst = stopped(api, emulator, name="web-2")
    emulator.advance(2)
    enabled = api.patch("/instances/" + inst["id"], json={"ipv6": True}).json()["data"]
    assert enabled["ipv6Prefix"].endswith("::/64") and ipaddress.ip_address(enabled["ipv6"]) in ipaddress.ip_network(enabled["ipv6Prefix"])
    assert enabled["updatedAt"] > inst["updatedAt"] and enabled["reverseDns"] == {inst["ipv4"]: None, enabled["ipv6"]: None}
    assert api.patch("/instances/" + inst["id"], json={"ipv6": True}).json()["data"] == enabled
    # Running again, it cannot be disabled; stopped, it can, and a new enable gets a new /64 (never reused).
    api.post("/instances/%s/power" % inst["id"], json={"action": "start"})
    emulator.advance(3)
    assert api.error(api.patch("/instances/" + inst["id"], json={"ipv6": False}), 409)["code"] == "instance_not_stopped"
    api.post("/instances/%s/power" % inst["id"], json={"action": "stop"})
    emulator.advance(3)
    disabled = api.patch("/instances/" + inst["id"], json={"ipv6": False}).json()["data"]
    assert (disabled["ipv6"], disabled["ipv6Prefix"], disabled["reverseDns"]) == (None, None, {inst["ipv4"]: None})
    again = api.patch("/instances/" + inst["id"], json={"ipv6": True}).json()["data"]
    assert again["ipv6Prefix"] != enabled["ipv6Prefix"]
    assert api.error(api.patch("/instances/" + inst["id"], json={"ipv6": None}), 422)["details"] == {"ipv6": "must be a boolean"}


def test_reverse_dns_of_instance_addresses(api, emulator):
    inst = api.create_instance(ipv6=True)
    path = "/instances/%s/reverse-dns" % inst["id"]
    answer = api.put(path, json={"address": inst["ipv4"], "ptr": "Web-1.Example.com."})
    assert answer.status_code == 200
    shown = answer.json()["data"]
    # Stored lowercase without the trailing dot; at once (propagation is not modelled).
    assert shown["reverseDns"] == {inst["ipv4"]: "web-1.example.com", inst["ipv6"]: None}
    # Any spelling of the IPv6 address names it; the same value again changes nothing.
    exploded = ipaddress.ip_address(inst["ipv6"]).exploded.upper()
    shown = api.put(path, json={"address": exploded, "ptr": "v6.example.com"}).json()["data"]
    assert shown["reverseDns"][inst["ipv6"]] == "v6.example.com"
    emulator.advance(2)
    assert api.put(path, json={"address": inst["ipv6"], "ptr": "v6.example.com"}).json()["data"]["updatedAt"] == shown["updatedAt"]
    cleared = api.put(path, json={"address": inst["ipv4"], "ptr": None}).json()["data"]
    assert cleared["reverseDns"] == {inst["ipv4"]: None, inst["ipv6"]: "v6.example.com"}
    assert api.instance(inst["id"])["reverseDns"] == cleared["reverseDns"]


@pytest.mark.parametrize("body, details", [
    ({"address": "100.64.99.99", "ptr": "a.example.com"}, {"address": "must be one of the instance's addresses: %(ipv4)s"}),
    ({"address": "not-an-ip", "ptr": "a.example.com"}, {"address": "must be an IP address, one of the instance's: %(ipv4)s"}),
    ({"address": "%(ipv4)s", "ptr": "localhost"}, {"ptr": "must be a fully qualified domain name such as host.example.com"}),
    ({"address": "%(ipv4)s", "ptr": "-bad.example.com"},
     {"ptr": "each label must be 1 to 63 of a-z, 0-9 and '-', not starting or ending with '-'"}),
    ({"address": "%(ipv4)s", "ptr": "a_b.example.com"},
     {"ptr": "each label must be 1 to 63 of a-z, 0-9 and '-', not starting or ending with '-'"}),
    ({"address": "%(ipv4)s", "ptr": "x" * 64 + ".example.com"}, {"ptr": "labels must be at most 63 characters long"}),
    ({"address": "%(ipv4)s", "ptr": ".".join(["abcdefghi"] * 26)},
     {"ptr": "must be a fully qualified domain name of 1 to 253 characters"}),
    ({"address": "%(ipv4)s"}, {"ptr": "is required"}),
    ({"ptr": None}, {"address": "is required"}),
])
def test_reverse_dns_refuses_bad_addresses_and_names(api, body, details):
    inst = api.create_instance()
    sent = dict((key, value % inst if isinstance(value, str) and key == "address" else value) for key, value in body.items())
    error = api.error(api.put("/instances/%s/reverse-dns" % inst["id"], json=sent), 422)
    assert error["code"] == "validation_error"
    assert error["details"] == dict((key, value % inst) for key, value in details.items())
    assert api.instance(inst["id"])["reverseDns"] == {inst["ipv4"]: None}


def test_reverse_dns_names_of_253_characters_are_accepted(api):
    inst = api.create_instance()
    name = ".".join(["a" * 63] * 3 + ["b" * 61])
    assert len(name) == 253
    shown = api.put("/instances/%s/reverse-dns" % inst["id"], json={"address": inst["ipv4"], "ptr": name}).json()["data"]
    assert shown["reverseDns"][inst["ipv4"]] == name


def test_reverse_dns_of_an_ipv6_address_needs_ipv6(api):
    inst = api.create_instance()
    error = api.error(api.put("/instances/%s/reverse-dns" % inst["id"], json={"address": "2001:db8::1", "ptr": "a.example.com"}), 422)
    assert "address" in error["details"]


def test_reverse_dns_of_unknown_or_deleting_instance(api, emulator):
    assert api.error(api.put("/instances/7d3c2a4e-0b1f-4c55-9a51-2f6a1c0e8b90/reverse-dns",
                             json={"address": "100.64.0.1", "ptr": None}), 404)["code"] == "not_found"
    inst = api.running_instance()
    api.delete("/instances/" + inst["id"])
    error = api.error(api.put("/instances/%s/reverse-dns" % inst["id"], json={"address": inst["ipv4"], "ptr": None}), 409)
    assert error["code"] == "invalid_state"


def test_reverse_dns_of_a_floating_ip(api, emulator):
    fip = api.create("/floating-ips", {"projectId": emulator.project_id, "nodeId": emulator.node_id})
    assert fip["reverseDns"] is None
    path = "/floating-ips/%s/reverse-dns" % fip["id"]
    shown = api.put(path, json={"ptr": "Mail.Example.com"}).json()["data"]
    assert shown["reverseDns"] == "mail.example.com" and api.get("/floating-ips/" + fip["id"]).json()["data"] == shown
    assert api.put(path, json={"ptr": "mail.example.com"}).json()["data"] == shown
    assert api.error(api.put(path, json={"ptr": "bad..example.com"}), 422)["details"]["ptr"]
    assert api.error(api.put(path, json={}), 422)["details"] == {"ptr": "is required"}
    assert api.put(path, json={"ptr": None}).json()["data"]["reverseDns"] is None
    assert api.error(api.put("/floating-ips/7d3c2a4e-0b1f-4c55-9a51-2f6a1c0e8b90/reverse-dns", json={"ptr": None}), 404)
