"""huc_instance_info, huc_node_info and huc_os_template_info through ansible-playbook (check mode, read key)."""

import json
from urllib.parse import parse_qsl

from tests.functional.playbook import run_playbook

UNKNOWN_ID = "7d3c2a4e-0b1f-4c55-9a51-2f6a1c0e8b90"
INSTANCE_KEYS = ["backup_id", "backups", "created_at", "disk_gb", "id", "ipv4", "ipv6", "ipv6_prefix", "labels", "memory_mb",
                 "name", "node_id", "os_template", "project_id", "protection", "reverse_dns", "snapshot_id", "ssh_key_ids",
                 "status", "updated_at", "vcpus"]


def info(module, title, **args):
    return {"name": title, "hostupcloud.cloud.%s" % module: args}


def log_of(emulator):
    return [(r["method"], r["path"], dict(parse_qsl(r["query"]))) for r in emulator.requests()]


def test_instance_info_reads_every_page_and_filters(emulator_factory):
    """120 instances in project-01 (two pages of 100), filters, lookups by id; read key, check mode."""
    emulator = emulator_factory(seed_projects=1, seed_instances=120)
    project_id = [p["id"] for p in emulator.state()["projects"] if p["name"] == "project-01"][0]
    first = [i for i in emulator.state()["instances"] if i["name"] == "web-0001"][0]
    emulator.set_instance(first["id"], status="stopped")
    run = run_playbook([
        info("huc_instance_info", "all", project="project-01"),
        info("huc_instance_info", "web prod", project=project_id, labels={"role": "web", "env": "prod"}),
        info("huc_instance_info", "stopped", project=project_id, status="stopped"),
        info("huc_instance_info", "by name", project=project_id, name="db-0002", status="running"),
        info("huc_instance_info", "by id", id=first["id"]),
        info("huc_instance_info", "by id, other status", id=first["id"], status="running"),
        info("huc_instance_info", "unknown id", id=UNKNOWN_ID),
        info("huc_instance_info", "no match", project="default", name="web-0001"),
    ], emulator=emulator, key=emulator.read_key, args=["--check"])
    assert run.rc == 0, run
    everything = run.task("all")["instances"]
    assert len(everything) == 120 and len(set(i["id"] for i in everything)) == 120
    assert all(sorted(i) == INSTANCE_KEYS for i in everything)
    assert everything[0]["name"] == "web-0001" and everything[0]["status"] == "stopped"
    web_prod = run.task("web prod")["instances"]
    assert len(web_prod) == 20 and all(i["labels"] == {"role": "web", "env": "prod"} for i in web_prod)
    assert [i["id"] for i in run.task("stopped")["instances"]] == [first["id"]]
    assert [i["name"] for i in run.task("by name")["instances"]] == ["db-0002"]
    assert [i["id"] for i in run.task("by id")["instances"]] == [first["id"]]
    assert run.task("by id")["instances"][0]["project_id"] == project_id
    for name in ("by id, other status", "unknown id", "no match"):
        assert run.task(name)["instances"] == [], name
    assert all(not r["changed"] for r in [rec["result"] for rec in run.records])

    page = {"perPage": "100"}
    assert log_of(emulator) == [
        ("GET", "/api/projects", dict(page, page="1")),
        ("GET", "/api/instances", dict(page, page="1", projectId=project_id)),
        ("GET", "/api/instances", dict(page, page="2", projectId=project_id)),
        ("GET", "/api/instances", dict(page, page="1", projectId=project_id)),
        ("GET", "/api/instances", dict(page, page="2", projectId=project_id)),
        ("GET", "/api/instances", dict(page, page="1", projectId=project_id, status="stopped")),
        ("GET", "/api/instances", dict(page, page="1", projectId=project_id, name="db-0002", status="running")),
        ("GET", "/api/instances/" + first["id"], {}),
        ("GET", "/api/instances/" + first["id"], {}),
        ("GET", "/api/instances/" + UNKNOWN_ID, {}),
        ("GET", "/api/projects", dict(page, page="1")),
        ("GET", "/api/instances", dict(page, page="1", projectId=emulator.project_id, name="web-0001")),
    ]


def test_client_side_filters_and_node_and_os_template_info(play, emulator):
    """If the API ignored the name and status filters, huc_instance_info still returns only what matches;
    and huc_node_info, huc_os_template_info. One playbook, read key, check mode: the node and template
    tasks come first, so the first ten requests are theirs."""
    for name in ("web-1", "web-2"):
        status, _headers, body = emulator.call("POST", "/instances", body={
            "projectId": emulator.project_id, "name": name, "nodeId": emulator.node_id,
            "osTemplate": emulator.os_template, "vcpus": 1, "memoryMb": 512, "diskGb": 10})
        assert status == 201, body
    listing = emulator.call("GET", "/instances", query={"projectId": emulator.project_id})[2]
    emulator.fault(status=200, methods=["GET"], pathPrefix="/api/instances", headers={"Content-Type": "application/json"},
                   body=json.dumps(listing))
    emulator.clear_requests()
    run = play([
        info("huc_node_info", "nodes"),
        info("huc_node_info", "node by name", name=emulator.node_name),
        info("huc_node_info", "node by id", name=emulator.node_id),
        info("huc_node_info", "id filter", id=emulator.node_id),
        info("huc_node_info", "unknown id", id="7d3c2a4e-0b1f-4c55-9a51-2f6a1c0e8b90"),
        info("huc_node_info", "location", location="ams1"),
        info("huc_os_template_info", "templates"),
        info("huc_os_template_info", "ubuntu", family="ubuntu"),
        info("huc_os_template_info", "template by name", name="Debian 12"),
        info("huc_os_template_info", "none", name="Windows 95"),
        info("huc_instance_info", "web-2", project=emulator.project_id, name="web-2", status="provisioning"),
        info("huc_instance_info", "running", project=emulator.project_id, status="running"),
    ], key=emulator.read_key, args=["--check"])
    assert run.rc == 0, run
    # The API ignored the filters: the module filtered client side.
    assert [i["name"] for i in run.task("web-2")["instances"]] == ["web-2"]
    assert run.task("running")["instances"] == []

    nodes = run.task("nodes")["nodes"]
    assert [n["name"] for n in nodes] == ["fra1-n1", "ams1-n1", "nyc1-n1"]
    assert nodes[0] == {"id": emulator.node_id, "name": "fra1-n1", "location": "fra1", "status": "online",
                        "available_vcpus": 128, "available_memory_mb": 524288, "available_disk_gb": 16384}
    assert run.task("node by name")["nodes"] == run.task("node by id")["nodes"] == run.task("id filter")["nodes"] == [nodes[0]]
    assert run.task("unknown id")["nodes"] == []
    assert [n["name"] for n in run.task("location")["nodes"]] == ["ams1-n1"]
    templates = run.task("templates")["os_templates"]
    assert templates[0] == {"name": "Ubuntu 24.04", "family": "ubuntu", "version": "24.04"} and len(templates) == 5
    assert [t["name"] for t in run.task("ubuntu")["os_templates"]] == ["Ubuntu 24.04", "Ubuntu 22.04"]
    assert run.task("template by name")["os_templates"] == [{"name": "Debian 12", "family": "debian", "version": "12"}]
    assert run.task("none")["os_templates"] == []
    requests = emulator.requests()
    assert [r["path"] for r in requests][:10] == ["/api/nodes"] * 6 + ["/api/os-templates"] * 4
    assert not any(r["path"] in ("/api/nodes", "/api/os-templates") for r in requests[10:])
    assert all(r["method"] == "GET" and r["keyPrefix"] == emulator.read_key[:8] for r in requests[:10])
