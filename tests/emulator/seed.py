"""The initial data of the emulator: project "default", the node catalogue, OS templates, bootstrap keys, seeded instances."""

from typing import Any, Dict, Tuple

from .records import NODES, OS_TEMPLATES, api_key_record, iso, new_id, next_ipv4, next_ipv6

ROLES = ("web", "db", "cache")
ENVS = ("prod", "staging")
SIZES = ((1, 1024, 20), (2, 2048, 40), (4, 4096, 80))


def project_record(name: str, created: float) -> Dict[str, Any]:
    """A project."""
    return {"id": new_id(), "name": name, "createdAt": iso(created), "_t": created}


def node_records(created: float) -> Dict[str, Dict[str, Any]]:
    """The node catalogue, in catalogue order."""
    nodes = {}
    for index, spec in enumerate(NODES):
        node = dict({"id": new_id()}, **spec)
        node.update(status="online", _t=created + index)
        nodes[node["id"]] = node
    return nodes


def instance_record(data: Dict[str, Any], spec: Dict[str, Any], status: str, created: float) -> Dict[str, Any]:
    """A new instance with its addresses; spec holds the API fields given at creation."""
    return {
        "id": new_id(),
        "projectId": spec["projectId"],
        "name": spec["name"],
        "nodeId": spec["nodeId"],
        "osTemplate": spec["osTemplate"],
        "vcpus": spec["vcpus"],
        "memoryMb": spec["memoryMb"],
        "diskGb": spec["diskGb"],
        "status": status,
        "ipv4": next_ipv4(data),
        "ipv6": next_ipv6(data),
        "sshKeyIds": list(spec.get("sshKeyIds") or []),
        "labels": dict(spec.get("labels") or {}),
        "createdAt": iso(created),
        "updatedAt": iso(created),
        "_t": created,
        "_transition": None,
        "_ignoreShutdown": False,
        "_userData": spec.get("userData"),
    }


def seeded_spec(index: int, project_id: str, node_id: str) -> Dict[str, Any]:
    """The fields of the index-th (1-based) seeded instance."""
    role = ROLES[(index - 1) % len(ROLES)]
    vcpus, memory, disk = SIZES[(index - 1) % len(SIZES)]
    return {
        "projectId": project_id,
        "name": "%s-%04d" % (role, index),
        "nodeId": node_id,
        "osTemplate": OS_TEMPLATES[(index - 1) % len(OS_TEMPLATES)]["name"],
        "vcpus": vcpus,
        "memoryMb": memory,
        "diskGb": disk,
        "labels": {"role": role, "env": ENVS[((index - 1) // len(ROLES)) % len(ENVS)]},
    }


def seed_instances(data: Dict[str, Any], project_ids: list, count: int, now: float) -> None:
    """count running instances, round-robin over the projects and the nodes, created one second apart in the past."""
    node_ids = list(data["nodes"])
    for index in range(1, count + 1):
        spec = seeded_spec(index, project_ids[(index - 1) % len(project_ids)], node_ids[(index - 1) % len(node_ids)])
        record = instance_record(data, spec, "running", now - (count - index) - 1)
        data["instances"][record["id"]] = record


def build(now: float, projects: int = 0, instances: int = 0) -> Tuple[Dict[str, Any], Dict[str, Any]]:
    """The initial data and the bootstrap facts (with the two key secrets)."""
    start = now - instances - 100
    default = project_record("default", start)
    data = {
        "projects": {default["id"]: default},
        "nodes": node_records(start),
        "osTemplates": [dict(template) for template in OS_TEMPLATES],
        "apiKeys": {},
        "instances": {},
        "sshKeys": {},
        "floatingIps": {},
        "volumes": {},
        "counters": {},
    }
    for number in range(1, projects + 1):
        project = project_record("project-%02d" % number, start + number)
        data["projects"][project["id"]] = project
    write_key, write_secret = api_key_record("bootstrap-write", ["read", "write"], None, start)
    read_key, read_secret = api_key_record("bootstrap-read", ["read"], None, start + 1)
    for key in (write_key, read_key):
        data["apiKeys"][key["id"]] = key
    seeded_projects = [pid for pid, project in data["projects"].items() if project["name"] != "default"] or [default["id"]]
    seed_instances(data, seeded_projects, instances, now)
    node = next(iter(data["nodes"].values()))
    bootstrap = {
        "write_key": write_secret,
        "read_key": read_secret,
        "project_id": default["id"],
        "project_name": default["name"],
        "node_id": node["id"],
        "node_name": node["name"],
        "os_template": OS_TEMPLATES[0]["name"],
    }
    return data, bootstrap
