"""Unit tests of the fields written through their own endpoint (_endpoints.py: Attachment, Members, Ptr).

Toy resources declared like the real ones run the whole driver against a fake client: no network, no Ansible run.
"""

import copy

import pytest

from ansible_collections.hostupcloud.cloud.plugins.module_utils._client import HucApiError
from ansible_collections.hostupcloud.cloud.plugins.module_utils._declarations import Field
from ansible_collections.hostupcloud.cloud.plugins.module_utils._endpoints import Attachment, Members, Ptr
from ansible_collections.hostupcloud.cloud.plugins.module_utils._limits import (
    between,
    ipv4_address,
    normalize_ptr,
    ptr_name,
    resource_name,
)
from ansible_collections.hostupcloud.cloud.plugins.module_utils._module import Option
from ansible_collections.hostupcloud.cloud.plugins.module_utils._references import REFERENCES, References
from ansible_collections.hostupcloud.cloud.plugins.module_utils._resource import HucResourceModule
from ansible_collections.hostupcloud.cloud.plugins.modules.huc_floating_ip import ALLOCATED_FOR, claims, oldest
from ansible_collections.hostupcloud.cloud.tests.unit.plugins.module_utils.fakes import Failed, FakeModule

PROJECT = "7d3c2a4e-0b1f-4c55-9a51-2f6a1c0e8b90"
OTHER_PROJECT = "8e4d3b5f-1c2a-4d66-8b62-3a7b2d1f9ca1"
NODE = "3b1e6f0a-2c4d-4e8f-9a0b-1c2d3e4f5a6b"
NODE2 = "9b1e6f0a-2c4d-4e8f-9a0b-1c2d3e4f5a6b"
I1 = "11111111-1111-4111-8111-111111111111"
I2 = "22222222-2222-4222-8222-222222222222"
I3 = "33333333-3333-4333-8333-333333333333"
I4 = "44444444-4444-4444-8444-444444444444"
FIP = "f1f1f1f1-f1f1-4f1f-8f1f-f1f1f1f1f1f1"

NODES = [{"id": NODE, "name": "fra1-n1"}, {"id": NODE2, "name": "fra1-n2"}]
INSTANCES = [
    {"id": I1, "projectId": PROJECT, "name": "web-1", "nodeId": NODE, "status": "running"},
    {"id": I2, "projectId": PROJECT, "name": "web-2", "nodeId": NODE, "status": "running"},
    {"id": I3, "projectId": PROJECT, "name": "web-3", "nodeId": NODE2, "status": "running"},
    {"id": I4, "projectId": OTHER_PROJECT, "name": "web-4", "nodeId": NODE, "status": "running"},
]


class FakeClient:
    """A tiny API over a dict of collection path -> objects: creates, attach/detach actions, reverse DNS; records calls.

    Listings ignore their filters (the driver filters again client-side).
    """

    def __init__(self, data):
        self.data = copy.deepcopy(data)
        self.calls = []
        self.clock = None

    def _item(self, path):
        collection, _sep, item = path.rpartition("/")
        return next((obj for obj in self.data.get(collection, []) if obj["id"] == item), None)

    def list(self, path, params=None):
        self.calls.append(("LIST", path, dict(params or {})))
        return copy.deepcopy(self.data.get(path, []))

    def get_or_none(self, path):
        self.calls.append(("GET", path))
        return copy.deepcopy(self._item(path))

    def post(self, path, body=None, idempotent=False, before_retry=None):
        self.calls.append(("POST", path, body))
        assert idempotent, "every POST of the driver carries an Idempotency-Key"
        if path in self.data:  # a create
            obj = dict(body, id="new-id")
            if path == "/volumes":
                obj.update(status="available", instanceId=None)
            if path == "/networks":
                obj.update(attachments=[])
            self.data[path].append(obj)
            return copy.deepcopy(obj)
        item_path, _sep, action = path.rpartition("/")
        obj = self._item(item_path)
        if "attachments" in obj:
            if action == "attach":
                obj["attachments"].append({"instanceId": body["instanceId"], "ip": "10.0.0.9"})
            else:
                obj["attachments"] = [item for item in obj["attachments"] if item["instanceId"] != body["instanceId"]]
        else:
            obj["instanceId"] = body["instanceId"] if action == "attach" else None
            if "status" in obj:
                obj["status"] = "attached" if action == "attach" else "available"
        return copy.deepcopy(obj)

    def put(self, path, body):
        self.calls.append(("PUT", path, body))
        obj = self._item(path.rpartition("/")[0])
        obj["reverseDns"] = body["ptr"]
        return copy.deepcopy(obj)

    def patch(self, path, body):
        self.calls.append(("PATCH", path, body))
        obj = self._item(path)
        obj.update(body)
        return copy.deepcopy(obj)

    def delete_if_exists(self, path, gone=None):
        self.calls.append(("DELETE", path))
        collection, _sep, item = path.rpartition("/")
        self.data[collection] = [obj for obj in self.data.get(collection, []) if obj["id"] != item]
        return None

    def writes(self):
        return [call for call in self.calls if call[0] in ("POST", "PUT", "PATCH", "DELETE")]


def build(cls, params, data, check_mode=False, explicit=()):
    """A module of cls as __init__ makes it, with a fake module and client; explicit: the options the task set."""
    params = dict(cls.base_params, **params)
    module = FakeModule(params, check_mode=check_mode, diff=True)
    self = cls.__new__(cls)
    self.module, self.params, self.check_mode = module, module.params, check_mode
    self.result, self.before, self.after, self._deadline = {"changed": False}, None, None, None
    self.client = FakeClient(data)
    self.refs = References(self.client, params.get("project"))
    self.explicitly_set = lambda option: option in explicit
    return self


def failure_of(self):
    with pytest.raises(Failed) as failed:
        self.run()
    return failed.value.result


# -- Attachment -----------------------------------------------------------------------------------

class Volume(HucResourceModule):
    """A volume as huc_volume declares it."""

    result_key = "volume"
    resource = REFERENCES["volume"]
    fields = (
        Field("name", identity=True, check=resource_name),
        Field("size_gb", "int", update=True, required=True, check=between(1, 10240), grow_only="volume_shrink"),
        Field("node", api="nodeId", ref="node", required="node (or instance)", existing="the volume is on node id %s"),
        Field("instance", api="instanceId", via=Attachment(statuses=("attached", "available"))),
    )
    states = ("present", "detached", "absent")
    diff_fields = ("name", "size_gb", "node_id", "instance_id")
    predicted = "available"
    defaults = {"instanceId": None}
    renamable = False
    base_params = dict(project=PROJECT, id=None, name="data", size_gb=None, node=None, instance=None,
                       state="present", force=False)


def volume(**fields):
    obj = {"id": "v-id", "projectId": PROJECT, "name": "data", "sizeGb": 10, "nodeId": NODE, "instanceId": None,
           "status": "available"}
    obj.update(fields)
    return obj


def volumes(*objs):
    return {"/volumes": list(objs), "/instances": INSTANCES, "/nodes": NODES}


def test_attachment_attaches_once_and_then_leaves_it():
    """An instance by id costs one GET (its project and node are checked); the attach is one action."""
    self = build(Volume, {"instance": I1}, volumes(volume()))
    self.run()
    assert self.client.writes() == [("POST", "/volumes/v-id/attach", {"instanceId": I1})]
    assert ("GET", "/instances/" + I1) in self.client.calls
    assert self.result["changed"] is True
    assert (self.result["volume"]["instance_id"], self.result["volume"]["status"]) == (I1, "attached")
    assert (self.before["instance_id"], self.after["instance_id"]) == (None, I1)
    self = build(Volume, {"instance": "web-1"}, volumes(volume(instanceId=I1, status="attached")))
    self.run()
    assert self.result["changed"] is False and self.client.writes() == []


def test_attachment_detaches_on_an_explicit_null_and_leaves_it_when_unset():
    self = build(Volume, {}, volumes(volume(instanceId=I1, status="attached")), explicit=("instance",))
    self.run()
    assert self.client.writes() == [("POST", "/volumes/v-id/detach", None)]
    assert (self.result["volume"]["instance_id"], self.result["volume"]["status"]) == (None, "available")
    self = build(Volume, {}, volumes(volume(instanceId=I1, status="attached")))
    self.run()
    assert self.result["changed"] is False and self.client.writes() == []


def test_attachment_state_detached_detaches_and_refuses_an_instance():
    self = build(Volume, {"state": "detached"}, volumes(volume(instanceId=I1, status="attached")))
    self.run()
    assert self.client.writes() == [("POST", "/volumes/v-id/detach", None)]
    self = build(Volume, {"state": "detached"}, volumes(volume()))
    self.run()
    assert self.result["changed"] is False and self.client.writes() == []
    self = build(Volume, {"state": "detached", "instance": "web-1"}, volumes(volume(instanceId=I1)))
    result = failure_of(self)
    assert result["msg"] == ("state: detached makes sure the volume is attached to no instance; do not also give "
                             "instance (web-1): use state: present to attach it")
    assert result["failure"]["code"] == "invalid_argument" and self.client.calls == []


def test_attachment_check_mode_predicts_the_attach():
    self = build(Volume, {"instance": I1}, volumes(volume()), check_mode=True)
    self.run()
    assert self.result["changed"] is True and self.client.writes() == []
    assert (self.result["volume"]["instance_id"], self.result["volume"]["status"]) == (I1, "attached")


def test_attachment_move_needs_force():
    """Attached to another instance: refused without force (naming both), detach then attach with it."""
    self = build(Volume, {"instance": I2}, volumes(volume(instanceId=I1, status="attached")))
    result = failure_of(self)
    assert result["msg"] == ("volume data is attached to instance web-1 (%s); set force: true to move it to instance "
                             "web-2" % I1)
    assert result["failure"]["code"] == "attached" and self.client.writes() == []
    self = build(Volume, {"instance": I2, "force": True}, volumes(volume(instanceId=I1, status="attached")))
    self.run()
    assert self.client.writes() == [("POST", "/volumes/v-id/detach", None),
                                    ("POST", "/volumes/v-id/attach", {"instanceId": I2})]
    assert self.result["volume"]["instance_id"] == I2 and self.result["changed"] is True


def test_attachment_refuses_another_node_or_project_before_any_write():
    self = build(Volume, {"instance": "web-3"}, volumes(volume()))
    result = failure_of(self)
    assert result["msg"] == ("instance web-3 is on node fra1-n2 (%s) but volume data is on node fra1-n1 (%s): it can "
                             "only be attached to an instance on its own node" % (NODE2, NODE))
    assert result["failure"]["code"] == "wrong_node"
    assert result["failure"]["details"] == {"instanceNodeId": NODE2, "nodeId": NODE}
    assert self.client.writes() == []
    self = build(Volume, {"instance": I4, "force": True}, volumes(volume(instanceId=I1)))
    result = failure_of(self)
    assert result["msg"] == ("instance web-4 is in project %s but volume data is in project %s: it can only be "
                             "attached to an instance of its own project" % (OTHER_PROJECT, PROJECT))
    assert result["failure"]["code"] == "wrong_project" and self.client.writes() == []
    # A new one on a node that is not the instance's: refused before the create.
    self = build(Volume, {"size_gb": 10, "node": NODE2, "instance": I1}, volumes())
    result = failure_of(self)
    assert result["msg"].startswith("instance web-1 is on node fra1-n1 (%s) but a new volume would be on node "
                                    "fra1-n2 (%s)" % (NODE, NODE2))
    assert result["failure"]["code"] == "wrong_node" and self.client.writes() == []


def test_attachment_creates_a_new_one_on_the_node_of_the_instance_then_attaches_it():
    """node is not needed with instance: the body takes the instance's node."""
    self = build(Volume, {"size_gb": 20, "instance": I1}, volumes())
    self.run()
    assert self.client.writes() == [
        ("POST", "/volumes", {"projectId": PROJECT, "name": "data", "sizeGb": 20, "nodeId": NODE}),
        ("POST", "/volumes/new-id/attach", {"instanceId": I1})]
    assert self.result["volume"]["node_id"] == NODE and self.result["volume"]["instance_id"] == I1
    with pytest.raises(Failed, match=r"volume data does not exist; to create it also give: node \(or instance\)"):
        build(Volume, {"size_gb": 20}, volumes()).run()


def test_attachment_delete_while_attached_needs_force_and_detaches_first():
    self = build(Volume, {"state": "absent"}, volumes(volume(instanceId=I1, status="attached")))
    result = failure_of(self)
    assert result["msg"] == ("volume data is attached to instance web-1 (%s); set force: true to detach and delete it"
                             % I1)
    assert result["failure"]["code"] == "attached" and self.client.writes() == []
    self = build(Volume, {"state": "absent", "force": True}, volumes(volume(instanceId=I1, status="attached")))
    self.run()
    assert self.client.writes() == [("POST", "/volumes/v-id/detach", None), ("DELETE", "/volumes/v-id")]
    assert self.result["changed"] is True
    self = build(Volume, {"state": "absent"}, volumes(volume()))
    self.run()
    assert self.client.writes() == [("DELETE", "/volumes/v-id")]


# -- Members --------------------------------------------------------------------------------------

class Network(HucResourceModule):
    """A private network as huc_private_network declares it."""

    result_key = "private_network"
    resource = REFERENCES["private_network"]
    fields = (
        Field("name", identity=True, check=resource_name),
        Field("cidr", required=True, existing="the network has cidr %s"),
        Field("instances", "list", elements="str", api="attachments", via=Members("purge_instances")),
    )
    options = (Option("purge_instances", "bool", default=False),)
    diff_fields = ("name", "cidr")
    defaults = {"attachments": []}
    renamable = False
    listed = True
    base_params = dict(project=PROJECT, id=None, name="net", cidr=None, instances=None, purge_instances=False,
                       state="present", force=False)


def network(*ids):
    return {"id": "n-id", "projectId": PROJECT, "name": "net", "cidr": "10.10.0.0/24",
            "attachments": [{"instanceId": item, "ip": "10.10.0.%d" % index} for index, item in enumerate(ids, 2)]}


def networks(*objs):
    return {"/networks": list(objs), "/instances": INSTANCES}


def attached(self):
    return [item["instance_id"] for item in self.result["private_network"]["attachments"]]


def test_members_adds_the_missing_ones_and_keeps_the_others():
    self = build(Network, {"instances": ["web-2", "web-1", "web-2"]}, networks(network(I1)))
    self.run()
    assert self.client.writes() == [("POST", "/networks/n-id/attach", {"instanceId": I2})]
    assert [call for call in self.client.calls if call[1] == "/instances"] == [
        ("LIST", "/instances", {"projectId": PROJECT})]
    assert attached(self) == [I1, I2]
    self = build(Network, {"instances": [I1]}, networks(network(I1, I2)))
    self.run()
    assert self.result["changed"] is False and self.client.writes() == []


def test_members_purge_detaches_the_others():
    self = build(Network, {"instances": [I2, I3], "purge_instances": True}, networks(network(I1, I2)))
    self.run()
    assert self.client.writes() == [("POST", "/networks/n-id/detach", {"instanceId": I1}),
                                    ("POST", "/networks/n-id/attach", {"instanceId": I3})]
    assert attached(self) == [I2, I3]


def test_members_keep_the_order_of_the_attached_ones():
    """The same set in another order is no change; kept ones stay first, in order, new ones follow (also predicted)."""
    self = build(Network, {"instances": [I1, I2], "purge_instances": True}, networks(network(I2, I1)))
    self.run()
    assert self.result["changed"] is False and self.client.writes() == []
    assert attached(self) == [I2, I1]
    self = build(Network, {"instances": [I3, I1]}, networks(network(I2, I1)), check_mode=True)
    self.run()
    assert self.result["changed"] is True and self.client.writes() == []
    assert self.result["private_network"]["attachments"] == [
        {"instance_id": I2, "ip": "10.10.0.2"}, {"instance_id": I1, "ip": "10.10.0.3"},
        {"instance_id": I3, "ip": None}]


def test_members_a_new_network_attaches_after_the_create():
    self = build(Network, {"cidr": "10.10.0.0/24", "instances": [I1]}, networks())
    self.run()
    assert self.client.writes() == [
        ("POST", "/networks", {"projectId": PROJECT, "name": "net", "cidr": "10.10.0.0/24"}),
        ("POST", "/networks/new-id/attach", {"instanceId": I1})]
    assert attached(self) == [I1]


def test_members_delete_needs_force_and_detaches_them():
    self = build(Network, {"state": "absent"}, networks(network(I1, I2)))
    result = failure_of(self)
    assert result["msg"] == ("private network net has 2 instances attached (%s, %s); set force: true to detach them "
                             "and delete it" % (I1, I2))
    assert result["failure"]["code"] == "attached" and self.client.writes() == []
    self = build(Network, {"state": "absent", "force": True}, networks(network(I1, I2)))
    self.run()
    assert self.client.writes() == [("POST", "/networks/n-id/detach", {"instanceId": I1}),
                                    ("POST", "/networks/n-id/detach", {"instanceId": I2}),
                                    ("DELETE", "/networks/n-id")]


# -- Ptr ------------------------------------------------------------------------------------------

class FloatingIp(HucResourceModule):
    """A floating IP as huc_floating_ip declares it, found by id."""

    result_key = "floating_ip"
    resource = REFERENCES["floating_ip"]
    fields = (
        Field("address", identity=True, create=False, check=ipv4_address),
        Field("node", api="nodeId", ref="node"),
        Field("instance", api="instanceId", via=Attachment(delete_verb="release")),
        Field("reverse_dns", api="reverseDns", check=ptr_name, normalize=normalize_ptr, via=Ptr()),
    )
    diff_fields = ("address", "node_id", "instance_id")
    diff_if_set = ("reverse_dns",)
    defaults = {"address": None, "instanceId": None, "reverseDns": None, "createdAt": None}
    base_params = dict(project=PROJECT, id=FIP, address=None, node=None, instance=None, reverse_dns=None,
                       state="present", force=False)


def floating_ip(**fields):
    obj = {"id": FIP, "projectId": PROJECT, "address": "203.0.113.10", "nodeId": NODE, "instanceId": I1,
           "reverseDns": None}
    obj.update(fields)
    return obj


def test_ptr_sets_the_normalized_name_once():
    self = build(FloatingIp, {"reverse_dns": "Host.Example.COM."}, {"/floating-ips": [floating_ip()]})
    self.run()
    assert self.client.writes() == [("PUT", "/floating-ips/%s/reverse-dns" % FIP, {"ptr": "host.example.com"})]
    assert self.result["floating_ip"]["reverse_dns"] == "host.example.com" and self.result["changed"] is True
    assert (self.before["reverse_dns"], self.after["reverse_dns"]) == (None, "host.example.com")
    self = build(FloatingIp, {"reverse_dns": "host.example.com"},
                 {"/floating-ips": [floating_ip(reverseDns="host.example.com")]})
    self.run()
    assert self.result["changed"] is False and self.client.writes() == []


def test_ptr_explicit_null_removes_it():
    self = build(FloatingIp, {}, {"/floating-ips": [floating_ip(reverseDns="old.example.com")]},
                 explicit=("reverse_dns",))
    self.run()
    assert self.client.writes() == [("PUT", "/floating-ips/%s/reverse-dns" % FIP, {"ptr": None})]
    assert self.result["floating_ip"]["reverse_dns"] is None and self.result["changed"] is True
    # Nothing to remove: no request.
    self = build(FloatingIp, {}, {"/floating-ips": [floating_ip()]}, explicit=("reverse_dns",))
    self.run()
    assert self.result["changed"] is False and self.client.writes() == []


def test_ptr_unset_leaves_it():
    self = build(FloatingIp, {}, {"/floating-ips": [floating_ip(reverseDns="old.example.com")]})
    self.run()
    assert self.result["changed"] is False and self.client.writes() == []
    assert self.result["floating_ip"]["reverse_dns"] == "old.example.com"
    assert self.client.calls == [("GET", "/floating-ips/%s" % FIP)]


def test_ptr_check_mode_predicts_without_writing():
    self = build(FloatingIp, {"reverse_dns": "host.example.com"}, {"/floating-ips": [floating_ip()]}, check_mode=True)
    self.run()
    assert self.result["changed"] is True and self.client.writes() == []
    assert self.result["floating_ip"]["reverse_dns"] == "host.example.com"


def test_an_unknown_instance_fails_naming_it():
    with pytest.raises(HucApiError, match="instance 'web-9' not found"):
        build(Volume, {"instance": "web-9"}, volumes(volume())).run()


def test_of_floating_ips_allocated_within_one_second_the_first_listed_is_the_oldest():
    """Two racing runs agree on which floating IP to keep: createdAt has whole seconds, and the API lists in
    creation order; the id (random) must not break the tie, or each run could keep its own."""
    first = {"id": "ffffffff-0000-4000-8000-000000000000", "createdAt": "2026-12-05T10:00:00Z"}
    second = {"id": "00000000-0000-4000-8000-000000000000", "createdAt": "2026-12-05T10:00:00Z"}
    earlier = {"id": "99999999-0000-4000-8000-000000000000", "createdAt": "2026-12-05T09:59:59Z"}
    assert oldest([first, second]) is first and oldest([second, first]) is second
    assert oldest([first, second, earlier]) is earlier


def test_a_floating_ip_is_claimed_when_attached_or_allocated_for_the_instance_and_free():
    assert claims({"instanceId": "i-1"}, "i-1")
    assert claims({"instanceId": None, "labels": {ALLOCATED_FOR: "i-1"}}, "i-1")
    assert not claims({"instanceId": "i-2", "labels": {ALLOCATED_FOR: "i-1"}}, "i-1")
    # Label values are text: an API with numeric ids labels "7" for instance 7.
    assert claims({"instanceId": None, "labels": {ALLOCATED_FOR: "7"}}, 7)
