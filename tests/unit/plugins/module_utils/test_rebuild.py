"""Unit tests of the rebuild (_rebuild.py) and of protection (_protection.py) with a fake client: no network."""

import copy

import pytest

from ansible_collections.hostupcloud.cloud.plugins.module_utils._declarations import Field
from ansible_collections.hostupcloud.cloud.plugins.module_utils._limits import resource_name
from ansible_collections.hostupcloud.cloud.plugins.module_utils._protection import Protection, unprotected
from ansible_collections.hostupcloud.cloud.plugins.module_utils._rebuild import OPTIONS, OS_TEMPLATE, made_from
from ansible_collections.hostupcloud.cloud.plugins.module_utils._references import REFERENCES, References
from ansible_collections.hostupcloud.cloud.plugins.module_utils._resource import HucResourceModule
from ansible_collections.hostupcloud.cloud.tests.unit.plugins.module_utils.fakes import Failed, FakeModule

PROJECT = "7d3c2a4e-0b1f-4c55-9a51-2f6a1c0e8b90"
I1 = "11111111-1111-4111-8111-111111111111"
S1 = "22222222-2222-4222-8222-222222222222"
B1 = "33333333-3333-4333-8333-333333333333"
S2 = "44444444-4444-4444-8444-444444444444"
SNAPSHOT = {"id": S1, "projectId": PROJECT, "name": "golden", "osTemplate": "Debian 12", "status": "available"}


class FakeClient:
    """One instance and one snapshot; records every call; the rebuild answers status rebuilding."""

    def __init__(self, instances, backups=()):
        self.instances = dict((obj["id"], copy.deepcopy(obj)) for obj in instances)
        self.backups = list(backups)
        self.calls = []
        self.clock = None

    def get_or_none(self, path):
        self.calls.append(("GET", path))
        if path.startswith("/snapshots/"):
            return copy.deepcopy(SNAPSHOT) if path.endswith(S1) else None
        return copy.deepcopy(self.instances.get(path.rpartition("/")[2]))

    def list(self, path, params=None):
        self.calls.append(("LIST", path, dict(params or {})))
        if path.endswith("/backups"):
            return copy.deepcopy(self.backups)
        if path == "/snapshots":
            return [copy.deepcopy(SNAPSHOT)]
        return [copy.deepcopy(obj) for obj in self.instances.values()
                if all(obj.get(key) == value for key, value in (params or {}).items())]

    def patch(self, path, body):
        self.calls.append(("PATCH", path, body))
        obj = self.instances[path.rpartition("/")[2]]
        obj.update(body)
        if "protection" in body:
            obj["protection"] = dict(obj.get("protection") or {}, **body["protection"])
        return copy.deepcopy(obj)

    def post(self, path, body, idempotent=False, before_retry=None):
        self.calls.append(("POST", path, body))
        if path == "/instances":
            obj = dict(body, id=I1, status="provisioning", snapshotId=body.get("snapshotId"), backupId=None)
            obj.setdefault("osTemplate", SNAPSHOT["osTemplate"])
            self.instances[I1] = obj
            return copy.deepcopy(obj)
        obj = self.instances[path.split("/")[2]]
        obj.update(status="rebuilding", snapshotId=body.get("snapshotId"), backupId=body.get("backupId"),
                   osTemplate=body.get("osTemplate") or SNAPSHOT["osTemplate"])
        return copy.deepcopy(obj)

    def delete_if_exists(self, path):
        self.calls.append(("DELETE", path))

    def writes(self):
        return [call for call in self.calls if call[0] in ("POST", "PUT", "PATCH", "DELETE")]


class Instance(HucResourceModule):
    """An instance reduced to what its rebuild and protection need, declared as huc_instance declares them."""

    result_key = "instance"
    resource = REFERENCES["instance"]
    fields = (Field("name", identity=True, check=resource_name), OS_TEMPLATE, Protection("delete", "rebuild"))
    options = OPTIONS
    diff_fields = ("name", "os_template")
    settled = "running"
    predicted = "provisioning"


BASE_PARAMS = dict(project=PROJECT, id=None, name="web-1", os_template=None, snapshot=None, backup=None,
                   allow_rebuild=False, protection=None, state="present", wait=False)


def build(params, instances, check_mode=False, backups=()):
    params = dict(BASE_PARAMS, **params)
    module = FakeModule(params, check_mode=check_mode, diff=True)
    self = Instance.__new__(Instance)
    self.module, self.params, self.check_mode = module, module.params, check_mode
    self.result, self.before, self.after, self._deadline = {"changed": False}, None, None, None
    self.client = FakeClient(instances, backups)
    self.refs = References(self.client, PROJECT)
    self.explicitly_set = lambda option: params.get(option) is not None
    return self


def instance(**fields):
    obj = {"id": I1, "projectId": PROJECT, "name": "web-1", "status": "running", "osTemplate": "Ubuntu 24.04",
           "snapshotId": None, "backupId": None, "protection": {"delete": False, "rebuild": False}}
    obj.update(fields)
    return obj


def failure(self):
    with pytest.raises(Failed) as failed:
        self.run()
    return failed.value.result


def test_made_from_prefers_the_backup_then_the_snapshot_then_the_template():
    assert made_from(instance()) == {"osTemplate": "Ubuntu 24.04"}
    assert made_from(instance(snapshotId=S1, osTemplate="Debian 12")) == {"snapshotId": S1}
    assert made_from(instance(snapshotId=S1, backupId=B1)) == {"backupId": B1}
    assert made_from({"osTemplate": "Debian 12"}) == {"osTemplate": "Debian 12"}  # an API without the fields


def test_a_create_sends_the_template_or_the_snapshot_in_the_post_and_never_rebuilds():
    self = build({"snapshot": "golden"}, [])
    self.run()
    assert self.client.writes() == [("POST", "/instances", {"projectId": PROJECT, "name": "web-1", "snapshotId": S1})]
    assert self.result["instance"]["snapshot_id"] == S1 and self.result["instance"]["os_template"] == "Debian 12"
    self = build({"os_template": "Ubuntu 24.04"}, [])
    self.run()
    assert self.client.writes() == [("POST", "/instances", {"projectId": PROJECT, "name": "web-1",
                                                            "osTemplate": "Ubuntu 24.04"})]


def test_the_same_task_again_never_rebuilds_an_instance_made_from_a_snapshot_or_a_template():
    """The snapshot's template in osTemplate is not a difference (hetzner.hcloud #580): compared through snapshotId."""
    for params, found in (({"snapshot": "golden"}, instance(snapshotId=S1, osTemplate="Debian 12")),
                          ({"snapshot": S1}, instance(snapshotId=S1, osTemplate="Debian 12")),
                          ({"os_template": "Ubuntu 24.04"}, instance()),
                          ({"backup": B1}, instance(backupId=B1)),
                          ({"backup": "7"}, instance(backupId=7))):  # numeric ids compare as text
        self = build(params, [found])
        self.run()
        assert self.result["changed"] is False and self.client.writes() == [], params


def test_a_rebuild_is_refused_before_any_request_that_writes_unless_allowed():
    # A different os_template is ignored with a warning, as before 1.1.0 (SemVer); nothing is written.
    self = build({"os_template": "Debian 12"}, [instance()])
    self.run()
    assert self.result["changed"] is False and self.client.writes() == []
    assert self.module.warnings == ["instance web-1 was made from OS template Ubuntu 24.04; os_template Debian 12 was "
                                    "ignored: it applies at creation, or with allow_rebuild: true, which rebuilds the "
                                    "instance from it (wiping its disk)"]
    # An instance made from a snapshot, asked for a template: a rebuild, even when it is the snapshot's template.
    self = build({"os_template": "Debian 12"}, [instance(snapshotId=S1, osTemplate="Debian 12")])
    self.run()
    assert self.client.writes() == [] and "allow_rebuild: true" in self.module.warnings[0]
    # A snapshot (a new option) is refused.
    self = build({"snapshot": S2}, [instance(snapshotId=S1)])
    result = failure(self)
    assert result["failure"]["code"] == "rebuild_not_allowed" and self.client.writes() == []
    assert "wipes its disk: set allow_rebuild: true to let the module rebuild it" in result["msg"]


def test_a_rebuild_with_allow_rebuild_posts_once_and_check_mode_predicts_it():
    self = build({"snapshot": "golden", "allow_rebuild": True}, [instance()], check_mode=True)
    self.run()
    assert self.client.writes() == [] and self.result["changed"] is True
    assert self.result["instance"]["os_template"] == "Debian 12" and self.result["instance"]["snapshot_id"] == S1
    assert self.result["instance"]["status"] == "rebuilding"
    assert self.after["os_template"] == "Debian 12" and self.before["os_template"] == "Ubuntu 24.04"
    self = build({"snapshot": "golden", "allow_rebuild": True}, [instance()])
    self.run()
    assert self.client.writes() == [("POST", "/instances/%s/rebuild" % I1, {"snapshotId": S1})]
    assert self.result["instance"]["id"] == I1 and self.result["instance"]["snapshot_id"] == S1


def test_rebuild_protection_refuses_unless_the_same_task_lifts_it_first():
    protected = instance(protection={"delete": False, "rebuild": True})
    self = build({"os_template": "Debian 12", "allow_rebuild": True}, [protected])
    result = failure(self)
    assert result["failure"]["code"] == "protected" and self.client.writes() == []
    assert "set protection: {rebuild: false}" in result["msg"]
    self = build({"os_template": "Debian 12", "allow_rebuild": True, "protection": {"rebuild": False}}, [protected])
    self.run()
    assert self.client.writes() == [("PATCH", "/instances/%s" % I1, {"protection": {"delete": False, "rebuild": False}}),
                                    ("POST", "/instances/%s/rebuild" % I1, {"osTemplate": "Debian 12"})]


def test_a_backup_restore_checks_the_backup_is_the_instance_s():
    self = build({"backup": B1, "allow_rebuild": True}, [instance()], backups=[{"id": "other"}])
    result = failure(self)
    assert result["failure"]["code"] == "not_found" and "its backups: other" in result["msg"]
    assert self.client.writes() == []
    self = build({"backup": B1, "allow_rebuild": True}, [instance()], backups=[{"id": B1}])
    self.run()
    assert self.client.writes() == [("POST", "/instances/%s/rebuild" % I1, {"backupId": B1})]
    assert failure(build({"backup": B1}, []))["failure"]["code"] == "not_found"  # nothing to restore


def test_sources_are_mutually_exclusive_before_any_request():
    self = build({"os_template": "Debian 12", "snapshot": "golden"}, [instance()])
    assert "mutually exclusive" in failure(self)["msg"] and self.client.calls == []


def test_protection_compares_and_sends_only_the_flags_given():
    self = build({"protection": {"delete": True, "rebuild": None}}, [instance()])
    self.run()
    assert self.client.writes() == [("PATCH", "/instances/%s" % I1, {"protection": {"delete": True, "rebuild": False}})]
    self = build({"protection": {"delete": False, "rebuild": None}}, [instance()])
    self.run()
    assert self.result["changed"] is False and self.client.writes() == []


@pytest.mark.parametrize("check_mode", [False, True])
def test_a_protected_instance_refuses_delete_before_any_write(check_mode):
    self = build({"state": "absent"}, [instance(protection={"delete": True, "rebuild": False})], check_mode=check_mode)
    result = failure(self)
    assert result["failure"]["code"] == "protected" and result["failure"]["details"] == {"protection.delete": "is true"}
    assert "protection: {delete: false}" in result["msg"] and self.client.writes() == []


def test_prune_keeps_the_protected_and_warns():
    self = build({}, [])
    doomed = [instance(name="a"), instance(name="b", protection={"delete": True})]
    assert [obj["name"] for obj in unprotected(self, doomed, "prune")] == ["a"]
    assert self.module.warnings == ["prune skipped this instance protected against deletion (protection.delete): b; "
                                    "lift it with protection: {delete: false} to let them go"]
