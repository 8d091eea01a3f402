"""Helpers of the emulator contract tests: a small requests client and valid request bodies."""

import base64
from datetime import datetime, timedelta, timezone

import requests

SSH_PUBLIC_KEY = "ssh-ed25519 " + base64.b64encode(b"\x00\x00\x00\x0bssh-ed25519\x00\x00\x00\x20" + bytes(range(32))).decode() + " test@example"

# every non-GET route of /api, with placeholders for ids
WRITE_ROUTES = (
    ("POST", "/instances"),
    ("PATCH", "/instances/{instance}"),
    ("DELETE", "/instances/{instance}"),
    ("POST", "/instances/{instance}/power"),
    ("PUT", "/instances/{instance}/reverse-dns"),
    ("POST", "/instances/{instance}/rebuild"),
    ("POST", "/api-keys"),
    ("DELETE", "/api-keys/{key}"),
    ("POST", "/api-keys/{key}/revoke"),
    ("POST", "/api-keys/{key}/enable"),
    ("POST", "/ssh-keys"),
    ("DELETE", "/ssh-keys/{ssh}"),
    ("POST", "/floating-ips"),
    ("PATCH", "/floating-ips/{fip}"),
    ("DELETE", "/floating-ips/{fip}"),
    ("POST", "/floating-ips/{fip}/attach"),
    ("POST", "/floating-ips/{fip}/detach"),
    ("PUT", "/floating-ips/{fip}/reverse-dns"),
    ("POST", "/volumes"),
    ("PATCH", "/volumes/{volume}"),
    ("DELETE", "/volumes/{volume}"),
    ("POST", "/volumes/{volume}/attach"),
    ("POST", "/volumes/{volume}/detach"),
    ("POST", "/firewalls"),
    ("PATCH", "/firewalls/{firewall_id}"),
    ("DELETE", "/firewalls/{firewall_id}"),
    ("POST", "/networks"),
    ("DELETE", "/networks/{network_id}"),
    ("POST", "/networks/{network_id}/attach"),
    ("POST", "/networks/{network_id}/detach"),
    ("POST", "/snapshots"),
    ("DELETE", "/snapshots/{snapshot_id}"),
)


def parse_time(text):
    """Epoch seconds of an API timestamp (2026-11-26T10:00:00Z)."""
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc).timestamp()


def emulator_time(emulator, seconds=0):
    """The API timestamp seconds after the emulator's now."""
    now = datetime.strptime(emulator.clock()["now"], "%Y-%m-%dT%H:%M:%SZ")
    return (now + timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")


def instance_body(emulator, **overrides):
    """A valid create body with the seven documented fields."""
    body = {
        "projectId": emulator.project_id,
        "name": "web-1",
        "nodeId": emulator.node_id,
        "osTemplate": emulator.os_template,
        "vcpus": 2,
        "memoryMb": 4096,
        "diskGb": 40,
    }
    body.update(overrides)
    return body


class Api:
    """requests against one emulator's /api, with the write key unless told otherwise (key="" sends none)."""

    def __init__(self, emulator):
        self.emulator = emulator
        self.session = requests.Session()
        self.session.trust_env = False

    def close(self):
        self.session.close()

    def request(self, method, path, key=None, headers=None, **kwargs):
        headers = dict(headers or {})
        token = self.emulator.write_key if key is None else key
        if token:
            headers.setdefault("Authorization", "Bearer " + token)
        return self.session.request(method, self.emulator.api_url + path, headers=headers, timeout=30, **kwargs)

    def get(self, path, **kwargs):
        return self.request("GET", path, **kwargs)

    def post(self, path, **kwargs):
        return self.request("POST", path, **kwargs)

    def patch(self, path, **kwargs):
        return self.request("PATCH", path, **kwargs)

    def put(self, path, **kwargs):
        return self.request("PUT", path, **kwargs)

    def delete(self, path, **kwargs):
        return self.request("DELETE", path, **kwargs)

    def control(self, method, path, **kwargs):
        return self.session.request(method, self.emulator.base_url + "/_emulator" + path, timeout=30, **kwargs)

    def create_instance(self, **overrides):
        """A new instance (201 checked)."""
        response = self.post("/instances", json=instance_body(self.emulator, **overrides))
        assert response.status_code == 201, response.text
        return response.json()["data"]

    def running_instance(self, **overrides):
        """A new instance that has finished provisioning."""
        inst = self.create_instance(**overrides)
        self.emulator.advance(float(self.emulator.config()["provisionSeconds"]) + 0.5)
        return self.instance(inst["id"])

    def instance(self, instance_id):
        """The instance as the API shows it now."""
        response = self.get("/instances/" + instance_id)
        assert response.status_code == 200, response.text
        return response.json()["data"]

    def status(self, instance_id):
        return self.instance(instance_id)["status"]

    def create(self, path, body):
        """POST a resource (201 checked)."""
        response = self.post(path, json=body)
        assert response.status_code == 201, response.text
        return response.json()["data"]

    def error(self, response, status):
        """The error object of an answer, after checking its status."""
        assert response.status_code == status, response.text
        return response.json()["error"]
