"""Pure logic of the hostupcloud.cloud.huc inventory plugin: names, addresses, collisions, projects."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible.errors import AnsibleError
from ansible.plugins.loader import inventory_loader

from ansible_collections.hostupcloud.cloud.plugins.inventory.huc import (
    connect_address,
    distinct_hostnames,
    host_record,
    safe_group_name,
)

P1 = "7d3c2a4e-0b1f-4c55-9a51-2f6a1c0e8b90"
P2 = "0e5b7a1c-3d2f-4e6a-8b9c-1a2b3c4d5e6f"


@pytest.mark.parametrize("raw, safe", [
    ("huc_project_project-01", "huc_project_project_01"),
    ("huc_node_fra1-n1", "huc_node_fra1_n1"),
    ("huc_project_My Project (EU)", "huc_project_My_Project__EU_"),
    ("huc_project_caf\u00e9.example", "huc_project_caf__example"),
    ("huc_status_running", "huc_status_running"),
    ("2024-batch", "_2024_batch"),
    ("", "_"),
])
def test_group_names_are_made_safe(raw, safe):
    assert safe_group_name(raw) == safe


RECORD = {"name": "web-1", "ipv4": "100.64.0.1", "ipv6": "2001:db8::1"}


@pytest.mark.parametrize("connect_with, address", [
    (["ipv4", "ipv6"], "100.64.0.1"),
    (["ipv6", "ipv4"], "2001:db8::1"),
    (["name"], "web-1"),
    ([], None),
])
def test_connect_with_takes_the_first_source_in_order(connect_with, address):
    assert connect_address(RECORD, connect_with) == address


def test_connect_with_falls_back_over_missing_addresses():
    no_ipv4 = dict(RECORD, ipv4=None)
    assert connect_address(no_ipv4, ["ipv4", "ipv6"]) == "2001:db8::1"
    assert connect_address(dict(no_ipv4, ipv6=""), ["ipv4", "ipv6", "name"]) == "web-1"
    assert connect_address(dict(no_ipv4, ipv6=""), ["ipv4", "ipv6"]) is None


def test_host_record_maps_every_field_and_names_project_and_node():
    instance = {"id": "i1", "projectId": P1, "name": "web-1", "nodeId": "n1", "osTemplate": "Debian 12", "vcpus": 2,
                "memoryMb": 2048, "diskGb": 40, "status": "running", "ipv4": "100.64.0.1", "ipv6": "2001:db8::1",
                "ipv6Prefix": "2001:db8::/64", "sshKeyIds": ["k1"], "labels": {"role": "web"}, "createdAt": "2026-11-26T10:00:00Z",
                "updatedAt": "2026-11-26T11:00:00Z", "protection": {"delete": True, "rebuild": False}}
    record = host_record(instance, {"id": P1, "name": "production"}, {"n1": "fra1-n1"})
    assert record == {"id": "i1", "name": "web-1", "project_id": P1, "project": "production", "node_id": "n1",
                      "node": "fra1-n1", "os_template": "Debian 12", "vcpus": 2, "memory_mb": 2048, "disk_gb": 40,
                      "status": "running", "ipv4": "100.64.0.1", "ipv6": "2001:db8::1", "ipv6_prefix": "2001:db8::/64",
                      "labels": {"role": "web"}, "protection": {"delete": True, "rebuild": False},
                      "created_at": "2026-11-26T10:00:00Z"}
    # An unknown node keeps its id as the name; no labels is an empty dict.
    bare = host_record(dict(instance, nodeId="n9", labels=None), {"id": P1, "name": "production"}, {})
    assert bare["node"] == "n9" and bare["labels"] == {}
    # Without IPv6 both are null.
    no_ipv6 = host_record(dict(instance, ipv6=None, ipv6Prefix=None), {"id": P1, "name": "production"}, {})
    assert (no_ipv6["ipv6"], no_ipv6["ipv6_prefix"]) == (None, None)
    # An API without protection: null.
    assert host_record(dict(instance, protection=None), {"id": P1, "name": "production"}, {})["protection"] is None


def _host(name, project, instance_id):
    return (name, {"project": project, "id": instance_id})


def test_distinct_hostnames_are_kept():
    names, collisions = distinct_hostnames([_host("a", "p1", "1"), _host("b", "p2", "2")])
    assert names == ["a", "b"] and collisions == {}


def test_a_name_in_two_projects_gets_both_project_names():
    names, collisions = distinct_hostnames([_host("web", "prod", "1"), _host("db", "prod", "2"),
                                            _host("web", "staging env", "3")])
    assert names == ["web_prod", "db", "web_staging_env"]
    assert collisions == {"web": ["web_prod", "web_staging_env"]}


def test_a_name_twice_in_one_project_falls_back_to_instance_ids():
    names, collisions = distinct_hostnames([_host("web", "prod", "i1"), _host("web", "prod", "i2"),
                                            _host("web", "dev", "i3")])
    assert names == ["web_i1", "web_i2", "web_i3"]
    assert collisions == {"web": names}


def test_a_suffixed_name_that_is_taken_falls_back_to_instance_ids():
    names, _collisions = distinct_hostnames([_host("web", "prod", "i1"), _host("web", "dev", "i2"),
                                             _host("web_prod", "other", "i3")])
    assert names == ["web_i1", "web_i2", "web_prod"]


@pytest.fixture
def plugin():
    return inventory_loader.get("hostupcloud.cloud.huc")


class FakeClient:
    def __init__(self, projects):
        self.projects = projects
        self.calls = []

    def list(self, path, params=None):
        self.calls.append(path)
        return self.projects


PROJECTS = [{"id": P1, "name": "production"}, {"id": P2, "name": "staging"}, {"id": "p3", "name": "staging"}]


def _resolve(plugin, wanted):
    plugin.set_options(direct={"plugin": "hostupcloud.cloud.huc", "projects": wanted})
    client = FakeClient(PROJECTS)
    return plugin._projects(client), client.calls


def test_projects_by_id_only_cost_no_request(plugin):
    chosen, calls = _resolve(plugin, [P1, P2, P1])
    assert chosen == [{"id": P1, "name": P1}, {"id": P2, "name": P2}] and calls == []


def test_projects_by_name_or_id_cost_one_listing(plugin):
    chosen, calls = _resolve(plugin, ["production", "p3"])
    assert chosen == [PROJECTS[0], PROJECTS[2]] and calls == ["/projects"]
    everything, calls = _resolve(plugin, [])
    assert everything == PROJECTS and calls == ["/projects"]


def test_ambiguous_or_unknown_project_names_fail_with_the_ids(plugin):
    with pytest.raises(AnsibleError, match="projects: project name 'staging' is ambiguous: it matches %s, p3" % P2):
        _resolve(plugin, ["staging"])
    with pytest.raises(AnsibleError, match="projects: project 'nope' not found .*known: production, staging, staging"):
        _resolve(plugin, ["nope"])


@pytest.mark.parametrize("name, accepted", [
    ("huc.yml", True), ("huc.yaml", True), ("prod.huc.yml", True), ("prod.huc.yaml", True),
    ("myhuc.yml", False), ("huc.json", False), ("hosts.yml", False),
])
def test_verify_file_accepts_the_documented_names(plugin, tmp_path, name, accepted):
    path = tmp_path / name
    path.write_text("plugin: hostupcloud.cloud.huc\n")
    assert plugin.verify_file(str(path)) is accepted


class IgnoringClient:
    """An API that ignores labelSelector: every instance listing returns every instance."""

    def __init__(self):
        self.calls = []

    def list(self, path, params=None):
        self.calls.append((path, dict(params or {})))
        if path == "/nodes":
            return [{"id": "n1", "name": "fra1-n1"}]
        return [dict(id="i-%s" % name, name=name, projectId=P1, nodeId="n1", labels=labels, ipv4=None, ipv6=None)
                for name, labels in (("web-1", {"role": "web"}), ("db-1", {"role": "db"}), ("bare-1", None))]


def _fetched(plugin, monkeypatch, **options):
    from ansible.parsing.dataloader import DataLoader
    from ansible.template import Templar
    from ansible_collections.hostupcloud.cloud.plugins.inventory import huc
    client = IgnoringClient()
    monkeypatch.setattr(huc.HucClient, "from_options", classmethod(lambda cls, *args, **kwargs: client))
    plugin.set_options(direct=dict({"plugin": "hostupcloud.cloud.huc", "projects": [P1], "api_key": "huc_" + "a" * 40}, **options))
    plugin.templar, plugin._vars = Templar(loader=DataLoader()), {}
    return plugin._fetch(), client.calls


def test_label_selector_is_sent_and_applied_here_too(plugin, monkeypatch):
    records, calls = _fetched(plugin, monkeypatch, label_selector="role notin (web)")
    assert sorted(record["name"] for record in records) == ["bare-1", "db-1"]
    assert calls == [("/nodes", {}), ("/instances", {"projectId": P1, "labelSelector": "role notin (web)"})]


def test_a_bad_label_selector_fails_before_any_request(plugin, monkeypatch):
    made = []
    monkeypatch.setattr(IgnoringClient, "list", lambda self, path, params=None: made.append(path))
    with pytest.raises(AnsibleError, match=r"huc inventory: label_selector: bad term 'role web' in 'role web'"):
        _fetched(plugin, monkeypatch, label_selector="role web")
    assert made == []
