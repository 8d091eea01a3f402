"""The three curl examples of the provider's API key page, replayed as written (only host, key and ids filled in)."""

import json
import shutil
import subprocess

import pytest

DOC_HOST = "https://console.hostupcloud.com"
DOC_KEY = "huc_abc123..."

LIST = ["curl", "-s", "-H", "Authorization: Bearer huc_abc123...",
        "https://console.hostupcloud.com/api/instances?projectId=YOUR_PROJECT_ID"]

CREATE_BODY = """{
"projectId": "your-project-id",
"name": "my-server",
"nodeId": "node-id",
"osTemplate": "Ubuntu 24.04",
"vcpus": 2,
"memoryMb": 4096,
"diskGb": 40
}"""
CREATE = ["curl", "-X", "POST", "-H", "Authorization: Bearer huc_abc123...", "-H", "Content-Type: application/json",
          "-d", CREATE_BODY, "https://console.hostupcloud.com/api/instances"]

STOP = ["curl", "-X", "POST", "-H", "Authorization: Bearer huc_abc123...", "-H", "Content-Type: application/json",
        "-d", '{"action": "stop"}', "https://console.hostupcloud.com/api/instances/INSTANCE_ID/power"]

pytestmark = pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")


def replay(emulator, command, **placeholders):
    """Run a documented curl command against the emulator; its output parsed as JSON."""
    replacements = dict(placeholders)
    replacements[DOC_HOST] = emulator.base_url
    replacements[DOC_KEY] = emulator.write_key
    args = []
    for arg in command:
        for old, new in replacements.items():
            arg = arg.replace(old, new)
        args.append(arg)
    result = subprocess.run(args + ["--noproxy", "*"], capture_output=True, text=True, timeout=30, check=True)
    return json.loads(result.stdout)


def test_list_instances_by_project(emulator):
    body = replay(emulator, LIST, YOUR_PROJECT_ID=emulator.project_id)
    assert body == {"data": [], "pagination": {"page": 1, "perPage": 50, "total": 0, "totalPages": 0}}
    entry = emulator.requests()[-1]
    assert (entry["method"], entry["path"], entry["query"], entry["status"]) == ("GET", "/api/instances", "projectId=" + emulator.project_id, 200)


def test_create_with_the_seven_documented_fields(emulator):
    body = replay(emulator, CREATE, **{"your-project-id": emulator.project_id, '"node-id"': '"%s"' % emulator.node_id})
    inst = body["data"]
    assert (inst["name"], inst["osTemplate"], inst["vcpus"], inst["memoryMb"], inst["diskGb"]) == ("my-server", "Ubuntu 24.04", 2, 4096, 40)
    assert inst["status"] == "provisioning"
    entry = emulator.requests()[-1]
    assert (entry["method"], entry["path"], entry["status"]) == ("POST", "/api/instances", 201)
    emulator.advance(5.5)
    assert emulator.state()["instances"][0]["status"] == "running"


def test_power_stop(emulator):
    replay(emulator, CREATE, **{"your-project-id": emulator.project_id, '"node-id"': '"%s"' % emulator.node_id})
    instance_id = emulator.state()["instances"][0]["id"]
    emulator.advance(5.5)
    body = replay(emulator, STOP, INSTANCE_ID=instance_id)
    assert body["data"]["status"] == "stopping"
    entry = emulator.requests()[-1]
    assert (entry["method"], entry["path"], entry["status"]) == ("POST", "/api/instances/%s/power" % instance_id, 202)
    emulator.advance(2.5)
    assert emulator.state()["instances"][0]["status"] == "stopped"
