"""The initial data of the emulator: project "default", the node catalogue, OS templates, bootstrap keys, seeded instances."""

import re
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, Union

from .records import NODES, OS_TEMPLATES, api_key_record, ipv6_prefix, iso, new_id, next_ipv4, next_ipv6

PROJECT_NAME = re.compile(r"^[a-z][a-z0-9-]{0,62}$")

ROLES = ("web", "db", "cache")
ENVS = ("prod", "staging")
SIZES = ((1, 1024, 20), (2, 2048, 40), (4, 4096, 80))
DEFAULT_PROTECTION = {"delete": False, "rebuild": False}


def project_record(name: str, created: float) -> Dict[str, Any]:
    """A project."""
    return {"id": new_id(), "name": name, "createdAt": iso(created), "_t": created}


def parse_seed_projects(text: str) -> Union[int, List[str]]:
    """--seed-projects: a count P (project-01..project-P) or comma-separated project names; ValueError when bad."""
    text = text.strip()
    if re.match(r"^[+-]?[0-9]+$", text):
        count = int(text)
        if count < 0:
            raise ValueError("a count of projects must be >= 0")
        return count
    names = [name.strip() for name in text.split(",")]
    bad = [name for name in names if not PROJECT_NAME.match(name)]
    if bad:
        raise ValueError("project name %r must be 1-63 characters of a-z, 0-9 and '-', starting with a letter" % bad[0])
    if "default" in names:
        raise ValueError("project default always exists: list only the others")
    twice = sorted(set(name for name in names if names.count(name) > 1))
    if twice:
        raise ValueError("project name %r is given twice" % twice[0])
    return names


def seed_project_names(projects: Union[int, str, Sequence[str]]) -> List[str]:
    """The names of the projects seeded besides default: project-01..project-P for a count, else the names."""
    if isinstance(projects, str):
        projects = parse_seed_projects(projects)
    if isinstance(projects, int):
        return ["project-%02d" % number for number in range(1, projects + 1)]
    return list(projects)


def node_records(created: float) -> Dict[str, Dict[str, Any]]:
    """The node catalogue, in catalogue order."""
    nodes = {}
    for index, spec in enumerate(NODES):
        node = dict({"id": new_id()}, **spec)
        node.update(status="online", _t=created + index)
        nodes[node["id"]] = node
    return nodes


NextAddress = Callable[[Dict[str, Any]], Optional[str]]


def instance_record(data: Dict[str, Any], spec: Dict[str, Any], status: str, created: float, next_address: NextAddress = next_ipv4) -> Dict[str, Any]:
    """A new instance with its addresses; spec holds the API fields given at creation (IPv6 only with ipv6: true).
    next_address(data) gives its IPv4 address (a loopback one in reachable mode)."""
    ipv4 = next_address(data)
    ipv6 = next_ipv6(data) if spec.get("ipv6") else None
    return {
        "id": new_id(),
        "projectId": spec["projectId"],
        "name": spec["name"],
        "nodeId": spec["nodeId"],
        "osTemplate": spec["osTemplate"],
        "snapshotId": spec.get("snapshotId"),
        "backupId": None,
        "backups": bool(spec.get("backups")),
        "protection": dict(DEFAULT_PROTECTION, **(spec.get("protection") or {})),
        "vcpus": spec["vcpus"],
        "memoryMb": spec["memoryMb"],
        "diskGb": spec["diskGb"],
        "status": status,
        "ipv4": ipv4,
        "ipv6": ipv6,
        "ipv6Prefix": ipv6_prefix(ipv6) if ipv6 else None,
        "reverseDns": dict([(ipv4, None)] + ([(ipv6, None)] if ipv6 else [])),
        "sshKeyIds": list(spec.get("sshKeyIds") or []),
        "labels": dict(spec.get("labels") or {}),
        "createdAt": iso(created),
        "updatedAt": iso(created),
        "_t": created,
        "_transition": None,
        "_ignoreShutdown": False,
        "_userData": spec.get("userData"),
        "_backupsFrom": created if spec.get("backups") else None,
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
        "ipv6": index % 2 == 1,  # odd ones have IPv6, even ones not: both kinds exist
    }


def seed_instances(data: Dict[str, Any], project_ids: list, count: int, now: float, next_address: NextAddress = next_ipv4) -> None:
    """count running instances, round-robin over the projects and the nodes, created one second apart in the past."""
    node_ids = list(data["nodes"])
    for index in range(1, count + 1):
        spec = seeded_spec(index, project_ids[(index - 1) % len(project_ids)], node_ids[(index - 1) % len(node_ids)])
        record = instance_record(data, spec, "running", now - (count - index) - 1, next_address)
        data["instances"][record["id"]] = record


def build(now: float, projects: Union[int, str, Sequence[str]] = 0, instances: int = 0,
          next_address: NextAddress = next_ipv4) -> Tuple[Dict[str, Any], Dict[str, Any]]:
    """The initial data and the bootstrap facts (with the two key secrets).

    projects: a count P (project-01..project-P) or project names, seeded besides default; next_address as for instance_record.
    """
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
        "firewalls": {},
        "networks": {},
        "snapshots": {},
        "backups": {},
        "counters": {},
    }
    for number, name in enumerate(seed_project_names(projects), start=1):
        project = project_record(name, start + number)
        data["projects"][project["id"]] = project
    write_key, write_secret = api_key_record("bootstrap-write", ["read", "write"], None, start)
    read_key, read_secret = api_key_record("bootstrap-read", ["read"], None, start + 1)
    for key in (write_key, read_key):
        data["apiKeys"][key["id"]] = key
    seeded_projects = [pid for pid, project in data["projects"].items() if project["name"] != "default"] or [default["id"]]
    seed_instances(data, seeded_projects, instances, now, next_address)
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
