"""Firewalls and private networks (assumed API): create, validation, 409 names, PATCH, attach/detach, delete."""

import pytest

RULE = {"protocol": "tcp", "port": "22", "sources": ["10.0.0.0/8"]}


def test_firewalls(two_projects):
    emulator, api, other = two_projects
    web = api.create_instance()
    body = {"projectId": emulator.project_id, "name": "web", "rules": [RULE], "instanceIds": [web["id"]]}
    firewall = api.create("/firewalls", body)
    assert set(firewall) == {"id", "projectId", "name", "rules", "instanceIds", "createdAt"}
    assert firewall["rules"] == [{"protocol": "tcp", "port": "22", "sources": ["10.0.0.0/8"]}]
    assert firewall["instanceIds"] == [web["id"]]
    assert api.error(api.post("/firewalls", json=body), 409)["code"] == "conflict"
    bare = api.create("/firewalls", {"projectId": other, "name": "web"})
    assert (bare["rules"], bare["instanceIds"]) == ([], [])
    assert [f["id"] for f in api.get("/firewalls", params={"projectId": emulator.project_id}).json()["data"]] == [firewall["id"]]
    assert len(api.get("/firewalls", params={"name": "web"}).json()["data"]) == 2
    assert api.get("/firewalls", params={"projectId": "nope"}).status_code == 404
    assert api.get("/firewalls/" + firewall["id"]).json()["data"] == firewall

    # PATCH replaces rules and instanceIds as a whole; the API canonicalises ports and sources.
    rules = [{"protocol": "udp", "port": "53-53", "sources": ["10.0.0.1", "10.0.0.1/32", "2001:db8::/32"]},
             {"protocol": "icmp", "sources": ["0.0.0.0/0"]}, {"protocol": "tcp", "port": "8000-8100", "sources": ["::/0"]}]
    patched = api.patch("/firewalls/" + firewall["id"], json={"rules": rules, "instanceIds": []}).json()["data"]
    assert patched["rules"] == [{"protocol": "udp", "port": "53", "sources": ["10.0.0.1/32", "2001:db8::/32"]},
                                {"protocol": "icmp", "port": None, "sources": ["0.0.0.0/0"]},
                                {"protocol": "tcp", "port": "8000-8100", "sources": ["::/0"]}]
    assert patched["instanceIds"] == []
    foreign = api.create_instance(projectId=other)
    assert list(api.error(api.patch("/firewalls/" + firewall["id"], json={"instanceIds": [foreign["id"]]}), 422)["details"]) == ["instanceIds"]
    assert api.patch("/firewalls/" + firewall["id"], json={"name": "front"}).json()["data"]["name"] == "front"
    assert api.error(api.patch("/firewalls/" + firewall["id"], json={"rules": None}), 422)["details"] == {"rules": "must be a list"}

    # An instance that is gone leaves the firewall.
    api.patch("/firewalls/" + firewall["id"], json={"instanceIds": [web["id"]]})
    assert api.delete("/instances/" + web["id"]).status_code == 202
    emulator.advance(float(emulator.config()["transitionSeconds"]) + 0.5)
    assert api.get("/firewalls/" + firewall["id"]).json()["data"]["instanceIds"] == []
    assert api.delete("/firewalls/" + firewall["id"]).status_code == 204
    assert api.get("/firewalls/" + firewall["id"]).status_code == 404


@pytest.mark.parametrize("rule, message", [
    ({"protocol": "sctp", "sources": ["10.0.0.0/8"]}, "0.protocol:"),
    ({"protocol": "tcp", "port": "0", "sources": ["10.0.0.0/8"]}, "0.port: ports must be between 1 and 65535"),
    ({"protocol": "tcp", "port": "70000", "sources": ["10.0.0.0/8"]}, "0.port: ports must be between 1 and 65535"),
    ({"protocol": "tcp", "port": "9000-8000", "sources": ["10.0.0.0/8"]}, "0.port: the range 9000-8000 must go"),
    ({"protocol": "tcp", "port": 22, "sources": ["10.0.0.0/8"]}, "0.port: must be a string"),
    ({"protocol": "tcp", "port": "ssh", "sources": ["10.0.0.0/8"]}, '0.port: must be a port such as "22"'),
    ({"protocol": "icmp", "port": "22", "sources": ["10.0.0.0/8"]}, "0.port: must be null for icmp"),
    ({"protocol": "tcp", "sources": ["10.0.0.1/8"]}, "0.sources: 10.0.0.1/8 has host bits set"),
    ({"protocol": "tcp", "sources": ["10.0.0.300/8"]}, "0.sources: 10.0.0.300/8 is not an IPv4 or IPv6 CIDR"),
    # A zone id is refused whatever the Python (3.9 and later parse fe80::1%eth0 as a scoped address).
    ({"protocol": "tcp", "sources": ["fe80::1%eth0"]}, "0.sources: fe80::1%eth0 has a zone id"),
    ({"protocol": "tcp", "sources": ["fe80::%1/64"]}, "0.sources: fe80::%1/64 has a zone id"),
    ({"protocol": "tcp", "sources": []}, "0.sources: must name 1 to 50 CIDRs"),
    ({"protocol": "tcp"}, "0.sources: is required"),
])
def test_firewall_rule_validation(api, emulator, rule, message):
    error = api.error(api.post("/firewalls", json={"projectId": emulator.project_id, "name": "fw", "rules": [rule]}), 422)
    assert error["code"] == "validation_error" and list(error["details"]) == ["rules"]
    assert error["details"]["rules"].startswith(message), error


def test_firewall_body_validation(api, emulator):
    bad = {"projectId": "nope", "name": "Bad_Name", "instanceIds": ["nope"], "rules": [RULE, RULE], "extra": 1}
    assert set(api.error(api.post("/firewalls", json=bad), 422)["details"]) == {"projectId", "name", "instanceIds", "rules", "extra"}
    inst = api.create_instance()
    twice = {"projectId": emulator.project_id, "name": "fw", "instanceIds": [inst["id"], inst["id"]]}
    assert api.error(api.post("/firewalls", json=twice), 422)["details"] == {"instanceIds": "must not name an instance twice"}
    assert api.error(api.patch("/firewalls/nope", json={}), 404)["code"] == "not_found"


def test_networks(two_projects):
    emulator, api, other = two_projects
    web1, web2 = api.create_instance(), api.create_instance(name="web-2")
    body = {"projectId": emulator.project_id, "name": "backend", "cidr": "10.10.0.0/24"}
    network = api.create("/networks", body)
    assert set(network) == {"id", "projectId", "name", "cidr", "attachments", "createdAt"}
    assert (network["cidr"], network["attachments"]) == ("10.10.0.0/24", [])
    assert api.error(api.post("/networks", json=dict(body, cidr="10.20.0.0/24")), 409)["code"] == "conflict"
    overlap = api.error(api.post("/networks", json=dict(body, name="wide", cidr="10.10.0.0/16")), 422)
    assert overlap["details"] == {"cidr": "overlaps network backend (10.10.0.0/24) of this project"}
    api.create("/networks", {"projectId": other, "name": "backend", "cidr": "10.10.0.0/24"})  # other project: fine
    assert api.get("/networks", params={"projectId": emulator.project_id}).json()["data"] == [network]

    url = "/networks/%s/" % network["id"]
    first = api.post(url + "attach", json={"instanceId": web1["id"]}).json()["data"]
    assert first["attachments"] == [{"instanceId": web1["id"], "ip": "10.10.0.2"}]  # .1 is the gateway
    assert api.error(api.post(url + "attach", json={"instanceId": web1["id"]}), 409)["code"] == "conflict"
    for ip, text in (("10.20.0.5", "must be a host address of 10.10.0.0/24"), ("10.10.0.1", "other than the gateway 10.10.0.1"),
                     ("10.10.0.2", "10.10.0.2 is taken"), ("10.10.0.255", "must be a host address"), ("x", "must be an IPv4 address")):
        assert text in api.error(api.post(url + "attach", json={"instanceId": web2["id"], "ip": ip}), 422)["details"]["ip"]
    second = api.post(url + "attach", json={"instanceId": web2["id"], "ip": "10.10.0.50"}).json()["data"]
    assert second["attachments"][1] == {"instanceId": web2["id"], "ip": "10.10.0.50"}
    foreign = api.create_instance(projectId=other)
    assert list(api.error(api.post(url + "attach", json={"instanceId": foreign["id"]}), 422)["details"]) == ["instanceId"]
    assert list(api.error(api.post(url + "attach", json={"instanceId": "nope"}), 422)["details"]) == ["instanceId"]

    assert api.error(api.delete("/networks/" + network["id"]), 409)["details"] == {"attachments": [web1["id"], web2["id"]]}
    for _attempt in range(2):
        detached = api.post(url + "detach", json={"instanceId": web1["id"]})
        assert detached.status_code == 200 and detached.json()["data"]["attachments"] == [{"instanceId": web2["id"], "ip": "10.10.0.50"}]
    assert api.post(url + "attach", json={"instanceId": web1["id"]}).json()["data"]["attachments"][1]["ip"] == "10.10.0.2"

    # An instance that is gone is detached; then the network can be deleted.
    for inst in (web1, web2):
        assert api.delete("/instances/" + inst["id"]).status_code == 202
    emulator.advance(float(emulator.config()["transitionSeconds"]) + 0.5)
    assert api.get("/networks/" + network["id"]).json()["data"]["attachments"] == []
    assert api.delete("/networks/" + network["id"]).status_code == 204
    assert api.get("/networks/" + network["id"]).status_code == 404


def test_network_addresses_run_out(api, emulator):
    network = api.create("/networks", {"projectId": emulator.project_id, "name": "tiny", "cidr": "192.168.7.0/29"})
    for index in range(5):  # 6 hosts, the first is the gateway
        inst = api.create_instance(name="n-%d" % index)
        attached = api.post("/networks/%s/attach" % network["id"], json={"instanceId": inst["id"]}).json()["data"]
        assert attached["attachments"][-1]["ip"] == "192.168.7.%d" % (index + 2)
    last = api.create_instance(name="n-last")
    assert api.error(api.post("/networks/%s/attach" % network["id"], json={"instanceId": last["id"]}), 409)["code"] == "addresses_exhausted"


@pytest.mark.parametrize("cidr, message", [
    ("10.0.0.0/8", "the prefix length must be between /16 and /29"),
    ("10.0.0.0/30", "the prefix length must be between /16 and /29"),
    ("100.64.0.0/24", "must be inside a private range"),
    ("8.8.8.0/24", "must be inside a private range"),
    ("10.0.0.1/24", "10.0.0.1/24 has host bits set"),
    ("10.0.0.0", "must give the prefix length"),
    ("fd00::/64", "must be an IPv4 CIDR"),
    ("nonsense", "must be an IPv4 CIDR"),
])
def test_network_cidr_validation(api, emulator, cidr, message):
    error = api.error(api.post("/networks", json={"projectId": emulator.project_id, "name": "n", "cidr": cidr}), 422)
    assert list(error["details"]) == ["cidr"] and message in error["details"]["cidr"], error


def test_read_key_cannot_write(api, emulator):
    firewall = api.create("/firewalls", {"projectId": emulator.project_id, "name": "fw"})
    network = api.create("/networks", {"projectId": emulator.project_id, "name": "n", "cidr": "172.16.0.0/24"})
    for method, path in (("POST", "/firewalls"), ("PATCH", "/firewalls/" + firewall["id"]), ("DELETE", "/firewalls/" + firewall["id"]),
                         ("POST", "/networks"), ("POST", "/networks/%s/attach" % network["id"]),
                         ("POST", "/networks/%s/detach" % network["id"]), ("DELETE", "/networks/" + network["id"])):
        assert api.error(api.request(method, path, key=emulator.read_key, json={}), 403)["code"] == "forbidden", path
    assert api.get("/firewalls", key=emulator.read_key).status_code == 200
