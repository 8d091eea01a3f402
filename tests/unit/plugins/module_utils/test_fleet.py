"""Unit tests of the pure logic of huc_fleet (_fleet.py): items and defaults, the checks before any request, what
prune picks, and the one declaration of an instance's options that huc_instance and the fleet's items share."""

import copy

import pytest

from ansible_collections.hostupcloud.cloud.plugins.module_utils._fleet import (
    FLEET_LABEL, HucFleetModule, doomed, item_errors, item_options, merge, problems, settling)
from ansible_collections.hostupcloud.cloud.plugins.module_utils._instances import ITEM_FIELDS
from ansible_collections.hostupcloud.cloud.plugins.module_utils._rebuild import OS_TEMPLATE
from ansible_collections.hostupcloud.cloud.plugins.module_utils._references import References
from ansible_collections.hostupcloud.cloud.plugins.modules.huc_instance import HucInstance
from ansible_collections.hostupcloud.cloud.tests.unit.plugins.module_utils.fakes import Failed, FakeClock, FakeModule

PROJECT = "7d3c2a4e-0b1f-4c55-9a51-2f6a1c0e8b90"


def test_huc_instance_declares_a_fleet_item_s_options_by_the_same_fields():
    """One declaration of what describes an instance: huc_instance's fields are ITEM_FIELDS and its own extras.

    Only os_template differs: huc_instance writes it through Rebuild (a snapshot instead at creation, a rebuild later);
    a fleet item's is creation-only."""
    own = HucInstance.fields[:len(ITEM_FIELDS)]
    assert [field.option for field in own] == [field.option for field in ITEM_FIELDS]
    assert [field for field in own if field not in ITEM_FIELDS] == [OS_TEMPLATE]
    assert [field.option for field in HucInstance.fields[len(ITEM_FIELDS):]] == ["reverse_dns", "restore_power"]


def test_item_options_require_a_name_and_defaults_have_none():
    items, defaults = item_options(True), item_options(False)
    assert items["name"] == {"type": "str", "required": True}
    assert "name" not in defaults and set(items) - set(defaults) == {"name"}
    assert items["memory_mb"] == defaults["memory_mb"] == {"type": "int"}
    assert items["ssh_keys"] == {"type": "list", "elements": "str", "no_log": False}


def test_an_item_overrides_defaults_only_where_it_sets_an_option():
    defaults = {"vcpus": 1, "memory_mb": 512, "labels": {"role": "web"}, "node": None}
    assert merge(defaults, {"name": "a", "vcpus": None, "memory_mb": 1024, "labels": {}}) == {
        "name": "a", "vcpus": 1, "memory_mb": 1024, "labels": {}}
    assert merge(None, {"name": "a", "node": None}) == {"name": "a"}


def test_problems_name_the_item_by_index_and_name_and_find_duplicates():
    items = [{"name": "web-1"}, {"name": "web-2", "memory_mb": 1000}, {"name": "web-1", "disk_gb": 5}, {"name": "Bad_1"}]
    found = problems(ITEM_FIELDS, items, "web")
    assert found[0].startswith("instances[1].memory_mb (web-2): ")
    assert "instances[2]: name web-1 is given twice (also instances[0])" in found
    assert any(text.startswith("instances[2].disk_gb (web-1): ") for text in found)
    assert any(text.startswith("instances[3].name (Bad_1): ") for text in found)
    assert problems(ITEM_FIELDS, [{"name": "web-1", "vcpus": 2}], "web") == []
    assert problems(ITEM_FIELDS, [{"name": None}], "web") == ["instances[0].name: is required"]
    assert problems(ITEM_FIELDS, [], "") == ["fleet: must not be empty"]
    assert problems(ITEM_FIELDS, [], "x" * 256)[0].startswith("fleet: ")


def test_prune_picks_only_unlisted_instances_carrying_the_fleets_label():
    listing = [
        {"name": "web-1", "labels": {FLEET_LABEL: "web"}},
        {"name": "web-2", "labels": {FLEET_LABEL: "web", "role": "web"}},
        {"name": "web-3", "labels": {"role": "web"}},  # no fleet label: never
        {"name": "web-4", "labels": {FLEET_LABEL: "other"}},  # another fleet's: never
        {"name": "web-5", "labels": None},
        {"name": "web-6"},
    ]
    assert [obj["name"] for obj in doomed(listing, "web", {"web-1"})] == ["web-2"]
    assert doomed(listing, "web", {"web-1", "web-2"}) == []
    assert [obj["name"] for obj in doomed(listing, "web", set())] == ["web-1", "web-2"]


def test_the_wait_watches_transitions_only():
    objs = [{"status": status} for status in ("provisioning", "running", "stopped", "starting", "stopping", "error")]
    assert [obj["status"] for obj in settling(objs)] == ["provisioning", "starting", "stopping"]


def test_the_options_of_the_module():
    spec = HucFleetModule.argument_spec()
    assert spec["fleet"] == {"type": "str", "required": True}
    assert spec["instances"]["type"] == "list" and spec["instances"]["elements"] == "dict"
    assert spec["instances"]["options"] == item_options(True) and spec["defaults"]["options"] == item_options(False)
    assert spec["prune"] == {"type": "bool", "default": False}
    assert spec["wait"] == {"type": "bool", "default": True} and spec["wait_timeout"] == {"type": "int", "default": 600}
    assert "project" in spec and "id" not in spec and "state" not in spec


class ListingClient:
    """Answers each listing of the project with the next of listings (the last one again once they run out)."""

    def __init__(self, listings):
        self.listings = list(listings)
        self.calls = 0
        self.clock = FakeClock()
        self.retry_hint = None

    def list(self, path, params=None):
        self.calls += 1
        return copy.deepcopy(self.listings[min(self.calls, len(self.listings)) - 1])


def fleet_module(listings, wait_timeout=600):
    module = FakeModule(dict(project=PROJECT, fleet="web", wait=True, wait_timeout=wait_timeout, prune=True))
    self = HucFleetModule.__new__(HucFleetModule)
    self.module, self.params, self.check_mode = module, module.params, False
    self.result, self.before, self.after, self._deadline = {"changed": False}, None, None, None
    self.client = ListingClient(listings)
    self.refs = References(self.client, PROJECT)
    return self


def vm(number, status):
    return {"id": "id-%d" % number, "name": "web-%d" % number, "status": status}


def test_one_listing_per_poll_watches_the_new_and_the_pruned_together():
    listings = [[vm(1, "provisioning"), vm(2, "running"), vm(3, "deleting")],
                [vm(1, "running"), vm(2, "running"), vm(3, "deleting")],
                [vm(1, "running"), vm(2, "running")]]
    self = fleet_module(listings)
    objs = self.wait_settled([vm(1, "provisioning"), vm(2, "running")], [vm(3, "running")])
    assert [obj["status"] for obj in objs] == ["running", "running"]
    assert self.client.calls == 3  # one listing per poll, for all of them


def test_an_instance_entering_error_fails_the_wait_naming_it():
    self = fleet_module([[vm(1, "running"), vm(2, "error")]])
    with pytest.raises(Failed) as failed:
        self.wait_settled([vm(1, "provisioning"), vm(2, "provisioning")], [])
    assert "web-2 (error)" in failed.value.result["msg"] and "web-1" not in failed.value.result["msg"]
    assert failed.value.result["failure"]["code"] == "wait_failed"


def test_a_wait_out_of_time_names_what_is_still_pending():
    self = fleet_module([[vm(1, "provisioning"), vm(2, "running"), vm(3, "deleting")]], wait_timeout=20)
    with pytest.raises(Failed) as failed:
        self.wait_settled([vm(1, "provisioning"), vm(2, "provisioning")], [vm(3, "running")])
    assert "still pending: web-1, web-3" in failed.value.result["msg"]
    assert failed.value.result["failure"]["code"] == "wait_timeout"
    assert self.client.clock.time - 1000.0 == 20  # never past wait_timeout


def test_nothing_to_wait_for_costs_no_request():
    self = fleet_module([])
    assert self.wait_settled([vm(1, "running"), vm(2, "stopped")], []) == [vm(1, "running"), vm(2, "stopped")]
    assert self.client.calls == 0


def test_item_errors_name_the_item_ansible_would_refuse():
    params = {"defaults": {"vcpus": "x", "name": "no"}, "instances": [
        {"name": "web-1"}, {"name": "web-2", "colour": "red"}, {"memory_mb": "lots"}, "not a dict"]}
    found = item_errors(params)
    assert any(text.startswith("defaults: unsupported option name.") for text in found), found
    assert any(text.startswith("defaults: argument 'vcpus' is of type str") for text in found), found
    assert any(text.startswith("instances[1] (web-2): unsupported option colour.") for text in found), found
    assert "instances[2]: missing required arguments: name" in found
    assert any(text.startswith("instances[2]: argument 'memory_mb' is of type str") for text in found), found
    assert not any(text.startswith(("instances[0]", "instances[3]")) for text in found), found
    assert item_errors({"instances": [{"name": "web-1", "vcpus": "2"}], "defaults": None}) == []
    assert item_errors({}) == []
