"""Unit tests of the reverse DNS of instances (_instances.py: PtrRecords) with a fake client: no network."""

import copy

import pytest

from ansible_collections.hostupcloud.cloud.plugins.module_utils._declarations import NOT_SET, Field, Inputs
from ansible_collections.hostupcloud.cloud.plugins.module_utils._instances import PtrRecords, has_ipv6
from ansible_collections.hostupcloud.cloud.plugins.module_utils._limits import resource_name, reverse_dns_map
from ansible_collections.hostupcloud.cloud.plugins.module_utils._references import REFERENCES, References
from ansible_collections.hostupcloud.cloud.plugins.module_utils._resource import HucResourceModule
from ansible_collections.hostupcloud.cloud.tests.unit.plugins.module_utils.fakes import Failed, FakeModule

PROJECT = "7d3c2a4e-0b1f-4c55-9a51-2f6a1c0e8b90"
I1 = "11111111-1111-4111-8111-111111111111"
V4 = "203.0.113.5"
V6 = "2001:db8::5"
PTR_PATH = "/instances/%s/reverse-dns" % I1


class FakeClient:
    """One instance; a PATCH of ipv6: true assigns V6; PUT reverse-dns sets one PTR. Records every call."""

    def __init__(self, instances):
        self.instances = dict((obj["id"], copy.deepcopy(obj)) for obj in instances)
        self.calls = []
        self.clock = None

    def get_or_none(self, path):
        self.calls.append(("GET", path))
        return copy.deepcopy(self.instances.get(path.rpartition("/")[2]))

    def list(self, path, params=None):
        self.calls.append(("LIST", path, dict(params or {})))
        return copy.deepcopy(list(self.instances.values()))

    def patch(self, path, body):
        self.calls.append(("PATCH", path, body))
        obj = self.instances[path.rpartition("/")[2]]
        obj.update(body)
        if "ipv6" in body:
            obj["ipv6"] = V6 if body["ipv6"] else None
            obj["reverseDns"] = dict((address, ptr) for address, ptr in obj["reverseDns"].items() if address == V4)
        return copy.deepcopy(obj)

    def put(self, path, body):
        self.calls.append(("PUT", path, body))
        obj = self.instances[path.split("/")[2]]
        obj["reverseDns"][body["address"]] = body["ptr"]
        return copy.deepcopy(obj)

    def writes(self):
        return [call for call in self.calls if call[0] in ("POST", "PUT", "PATCH", "DELETE")]


class Instance(HucResourceModule):
    """An instance reduced to what its reverse DNS needs, declared as huc_instance declares it."""

    result_key = "instance"
    resource = REFERENCES["instance"]
    fields = (
        Field("name", identity=True, check=resource_name),
        Field("ipv6", "bool", update=True, read=has_ipv6),
        Field("reverse_dns", "dict", api="reverseDns", check=reverse_dns_map, via=PtrRecords("ipv6")),
    )
    diff_fields = ("name",)
    diff_if_set = ("ipv6", "reverse_dns")
    defaults = {"sshKeyIds": [], "labels": {}}


BASE_PARAMS = dict(project=PROJECT, id=None, name="web-1", ipv6=None, reverse_dns=None, state="present")


def build(params, instances, check_mode=False):
    """An Instance as __init__ makes it, with a fake module and client."""
    params = dict(BASE_PARAMS, **params)
    module = FakeModule(params, check_mode=check_mode, diff=True)
    self = Instance.__new__(Instance)
    self.module, self.params, self.check_mode = module, module.params, check_mode
    self.result, self.before, self.after, self._deadline = {"changed": False}, None, None, None
    self.client = FakeClient(instances)
    self.refs = References(self.client, PROJECT)
    self.explicitly_set = lambda option: params.get(option) is not None
    return self


def instance(**fields):
    obj = {"id": I1, "projectId": PROJECT, "name": "web-1", "status": "running", "ipv4": V4, "ipv6": V6,
           "reverseDns": {V4: "a.example.com", V6: "b.example.com"}}
    obj.update(fields)
    return obj


PTRS = Instance.fields[-1].via


def value(current, **params):
    self = build(params, [current] if current else [])
    return PTRS.value(self, Inputs(self.params, list(params)), current)


def failure(call):
    with pytest.raises(Failed) as failed:
        call()
    return failed.value.result


def test_value_is_only_the_ptrs_that_differ():
    """ipv4, ipv6 and an address (in any spelling) name the same records; equal ones are not sent, null is."""
    assert value(instance(), reverse_dns={"ipv4": "a.example.com", "ipv6": "C.Example.com."}) == {
        V6: "c.example.com"}
    assert value(instance(), reverse_dns={"2001:DB8:0::5": "b.example.com", V4: None}) == {V4: None}
    assert value(instance(), reverse_dns={"ipv4": "a.example.com"}) == {}
    assert value(instance(), reverse_dns=None) is NOT_SET
    assert value(instance(), reverse_dns={}) is NOT_SET
    # A new instance: resolved once the API has assigned its addresses.
    assert value(None, reverse_dns={"ipv4": "a.example.com"}) == {"ipv4": "a.example.com"}


def test_a_run_writes_one_put_per_differing_address_and_none_when_equal():
    self = build({"reverse_dns": {"ipv4": "a.example.com", "ipv6": "c.example.com"}}, [instance()])
    self.run()
    assert self.client.writes() == [("PUT", PTR_PATH, {"address": V6, "ptr": "c.example.com"})]
    assert self.result["instance"]["reverse_dns"] == {V4: "a.example.com", V6: "c.example.com"}
    assert self.result["changed"] is True
    self = build({"reverse_dns": {"ipv4": "a.example.com"}}, [instance()])
    self.run()
    assert self.result["changed"] is False and self.client.writes() == []


def test_ipv6_stands_for_the_address_the_same_task_enables():
    """ipv6: true with a PTR for "ipv6": kept as a placeholder, written to the address the PATCH assigns."""
    current = instance(ipv6=None, reverseDns={V4: "a.example.com"})
    assert value(current, ipv6=True, reverse_dns={"ipv6": "v6.example.com"}) == {"ipv6": "v6.example.com"}
    self = build({"ipv6": True, "reverse_dns": {"ipv6": "v6.example.com"}}, [current])
    self.run()
    assert self.client.writes() == [("PATCH", "/instances/" + I1, {"ipv6": True}),
                                    ("PUT", PTR_PATH, {"address": V6, "ptr": "v6.example.com"})]
    assert self.result["instance"]["reverse_dns"] == {V4: "a.example.com", V6: "v6.example.com"}


def test_ipv6_without_an_ipv6_address_fails():
    current = instance(ipv6=None, reverseDns={V4: "a.example.com"})
    result = failure(lambda: value(current, reverse_dns={"ipv6": "v6.example.com"}))
    assert result["msg"] == ("reverse_dns names ipv6, but instance web-1 has no IPv6 address; set ipv6: true to "
                             "enable it")
    assert result["failure"]["code"] == "no_ipv6"
    result = failure(lambda: value(instance(), ipv6=False, reverse_dns={"ipv6": "v6.example.com"}))
    assert result["msg"] == "reverse_dns names ipv6, but ipv6: false removes the IPv6 address of instance web-1"


def test_an_address_that_is_not_the_instances_fails_before_any_write():
    self = build({"reverse_dns": {"198.51.100.7": "x.example.com"}}, [instance()])
    result = failure(self.run)
    assert result["msg"] == ("reverse_dns: 198.51.100.7 is not an address of instance web-1 (it has %s, %s); give "
                             "ipv4, ipv6 or one of them" % (V4, V6))
    assert result["failure"]["code"] == "not_own_address" and self.client.writes() == []
    # The IPv6 address the task removes is not the instance's any more.
    result = failure(lambda: value(instance(), ipv6=False, reverse_dns={V6: "b.example.com"}))
    assert result["failure"]["code"] == "not_own_address"


def test_predict_keeps_the_untouched_ptrs():
    obj = instance(reverseDns={V4: "a.example.com", V6: "b.example.com", "192.0.2.1": "old.example.com"})
    assert PTRS.predict(obj, {V6: "c.example.com", "ipv6": "ignored.example.com"})["reverseDns"] == {
        V4: "a.example.com", V6: "c.example.com", "192.0.2.1": "old.example.com"}
    assert obj["reverseDns"][V6] == "b.example.com"  # not changed in place
    assert PTRS.predict(dict(obj, id=None), {"ipv4": "a.example.com"})["reverseDns"] is None
    self = build({"reverse_dns": {"ipv6": "c.example.com"}}, [instance()], check_mode=True)
    self.run()
    assert self.client.writes() == [] and self.result["changed"] is True
    assert self.result["instance"]["reverse_dns"] == {V4: "a.example.com", V6: "c.example.com"}
