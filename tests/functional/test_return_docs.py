"""RETURN documentation against real results: every key a module returns is documented, and
every key documented as returned always is there, at every level of nesting."""

import base64
import importlib
import json
import struct

import pytest
import yaml

from tests.emulator.harness import make_instances

STANDARD = {"changed", "failed", "diff", "invocation", "msg", "warnings", "deprecations", "skipped",
            "skip_reason", "_ansible_no_log", "exception", "censored"}
# An ed25519 public key (the wire format: type, then the 32-byte key), well-formed for the API.
PUBLIC_KEY = "ssh-ed25519 " + base64.b64encode(
    struct.pack(">I", 11) + b"ssh-ed25519" + struct.pack(">I", 32) + bytes(range(32))).decode() + " docs@example"
MODULES = ["huc_project_info", "huc_node_info", "huc_os_template_info", "huc_instance", "huc_instance_info",
           "huc_power", "huc_api_key", "huc_api_key_info", "huc_volume", "huc_volume_info", "huc_floating_ip",
           "huc_floating_ip_info", "huc_ssh_key", "huc_ssh_key_info",
           "huc_firewall", "huc_firewall_info", "huc_private_network", "huc_private_network_info", "huc_api_request",
           "huc_fleet", "huc_snapshot", "huc_snapshot_info", "huc_backup_info"]


def documented(module):
    mod = importlib.import_module("ansible_collections.hostupcloud.cloud.plugins.modules.%s" % module)
    return yaml.safe_load(mod.RETURN) or {}


def mismatches(docs, value, path=""):
    """Where the keys of value and the documented keys disagree, as readable strings."""
    found = []
    if not isinstance(value, dict):
        return found
    for key in set(value) - set(docs) - (STANDARD if not path else set()):
        found.append("%s%s returned but not documented" % (path, key))
    for key, spec in docs.items():
        always = spec.get("returned") == "always"
        if key not in value:
            if always:
                found.append("%s%s documented as always returned but missing" % (path, key))
            continue
        contains = spec.get("contains")
        if contains and value[key] is not None:
            items = value[key] if spec.get("type") == "list" else [value[key]]
            for index, item in enumerate(items[:3]):
                found.extend(mismatches(contains, item, "%s%s[%d]." % (path, key, index)))
    return found


def every_module_tasks(node, os_template, instance, dump):
    """The every-module playbook: each module once, in the default project; the instance (an id) is running, node
    and os_template name where doc-2 goes, dump is where huc_api_key's registered result is written."""
    return [
        {"name": "huc_project_info", "hostupcloud.cloud.huc_project_info": {}},
        {"name": "huc_node_info", "hostupcloud.cloud.huc_node_info": {}},
        {"name": "huc_os_template_info", "hostupcloud.cloud.huc_os_template_info": {}},
        {"name": "huc_instance", "hostupcloud.cloud.huc_instance": {
            "name": "doc-2", "node": node, "os_template": os_template, "vcpus": 1,
            "memory_mb": 1024, "disk_gb": 20, "labels": {"a": "b"}, "wait": False}},
        {"name": "huc_instance_info", "hostupcloud.cloud.huc_instance_info": {}},
        {"name": "huc_volume", "hostupcloud.cloud.huc_volume": {"name": "data", "size_gb": 10, "instance": instance}},
        {"name": "huc_volume_info", "hostupcloud.cloud.huc_volume_info": {}},
        {"name": "huc_snapshot", "hostupcloud.cloud.huc_snapshot": {"name": "snap", "instance": instance, "labels": {"a": "b"},
                                                                    "wait": False}},
        {"name": "huc_snapshot_info", "hostupcloud.cloud.huc_snapshot_info": {}},
        {"name": "huc_backup_info", "hostupcloud.cloud.huc_backup_info": {"instance": instance}},
        {"name": "huc_floating_ip", "hostupcloud.cloud.huc_floating_ip": {"instance": instance}},
        {"name": "huc_floating_ip_info", "hostupcloud.cloud.huc_floating_ip_info": {}},
        {"name": "huc_ssh_key", "hostupcloud.cloud.huc_ssh_key": {"name": "deploy", "public_key": PUBLIC_KEY}},
        {"name": "huc_ssh_key_info", "hostupcloud.cloud.huc_ssh_key_info": {}},
        {"name": "huc_firewall", "hostupcloud.cloud.huc_firewall": {
            "name": "web", "rules": [{"protocol": "tcp", "port": 22, "sources": ["10.0.0.0/8"]}],
            "instances": [instance]}},
        {"name": "huc_firewall_info", "hostupcloud.cloud.huc_firewall_info": {}},
        {"name": "huc_private_network", "hostupcloud.cloud.huc_private_network": {
            "name": "backend", "cidr": "10.10.0.0/24", "instances": [instance]}},
        {"name": "huc_private_network_info", "hostupcloud.cloud.huc_private_network_info": {}},
        {"name": "huc_power", "hostupcloud.cloud.huc_power": {"id": instance, "state": "stopped",
                                                              "graceful": False, "wait": False}},
        {"name": "huc_api_key", "hostupcloud.cloud.huc_api_key": {"name": "docs", "permissions": ["read"],
                                                                  "expires_in_days": 3}, "register": "key"},
        {"name": "dump", "ansible.builtin.copy": {"content": "{{ key | to_json }}", "dest": str(dump), "mode": "0600"},
         "no_log": True},
        {"name": "huc_api_key_info", "hostupcloud.cloud.huc_api_key_info": {}},
        {"name": "huc_api_request", "hostupcloud.cloud.huc_api_request": {"path": "/projects", "all_pages": True}},
        {"name": "huc_fleet", "hostupcloud.cloud.huc_fleet": {"fleet": "docs", "wait": False, "instances": [{
            "name": "doc-3", "node": node, "os_template": os_template, "vcpus": 1, "memory_mb": 1024, "disk_gb": 20}]}},
    ]


def test_return_docs_match_real_results(play, emulator, tmp_path):
    ids = make_instances(emulator, ["doc-1"])
    emulator.make_backup(ids["doc-1"])  # huc_backup_info has one to return
    # huc_api_key results that carry a secret are censored before any callback sees them, so
    # the registered variable is written to a file (without logging it) and read from there.
    dump = tmp_path / "api_key.json"
    run = play(every_module_tasks(emulator.node_id, emulator.os_template, ids["doc-1"], dump), env={"HUC_PROJECT": emulator.project_id})
    assert run.rc == 0, run
    problems = []
    for module in MODULES:
        result = json.loads(dump.read_text()) if module == "huc_api_key" else run.task(module)
        problems.extend("%s: %s" % (module, p) for p in mismatches(documented(module), result))
    assert problems == []


def test_every_module_is_covered():
    import os
    from tests.functional.playbook import ROOT
    modules = sorted(name[:-3] for name in os.listdir(os.path.join(ROOT, "plugins", "modules")) if name.endswith(".py"))
    assert modules == sorted(MODULES)


@pytest.mark.parametrize("module", MODULES)
def test_return_docs_are_complete(module):
    """Every documented return value says what it is, when it is returned, and its type."""
    def check(docs, path):
        for key, spec in docs.items():
            for field in ("description", "returned", "type"):
                assert spec.get(field), "%s: %s%s lacks %s" % (module, path, key, field)
            check(spec.get("contains") or {}, path + key + ".")
    check(documented(module), "")


def test_mismatches_sees_keys_missing_at_every_level():
    """The checker itself: a key documented as always returned is missed in nested lists and dicts too."""
    docs = {"items": {"returned": "always", "type": "list", "contains": {
        "id": {"returned": "always", "type": "str"},
        "inner": {"returned": "always", "type": "dict", "contains": {"deep": {"returned": "always", "type": "str"}}}}}}
    assert mismatches(docs, {"items": [{"id": "a", "inner": {"deep": "x"}}]}) == []
    assert mismatches(docs, {"items": [{"inner": {}}, {"id": "b", "inner": {"deep": "x", "odd": 1}}]}) == [
        "items[0].id documented as always returned but missing",
        "items[0].inner[0].deep documented as always returned but missing",
        "items[1].inner[0].odd returned but not documented"]
