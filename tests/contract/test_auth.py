"""Keys and permissions: 401 codes for missing, unknown, revoked, expired keys; 403 for a read-only key on writes."""

from tests.contract.helpers import SSH_PUBLIC_KEY, WRITE_ROUTES, Api, emulator_time, instance_body, parse_time

WRITE_REFUSED = "this API key has the Read permission only; Write is required"


def test_missing_key_is_401_invalid_api_key(api):
    response = api.get("/instances", key="")
    assert api.error(response, 401)["code"] == "invalid_api_key"
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert "X-RateLimit-Limit" not in response.headers


def test_malformed_header_and_unknown_key_are_401_invalid_api_key(api):
    assert api.error(api.get("/projects", headers={"Authorization": "Token abc"}, key=""), 401)["code"] == "invalid_api_key"
    assert api.error(api.get("/projects", key="huc_" + "x" * 40), 401)["code"] == "invalid_api_key"


def test_revoked_key_is_401_api_key_revoked_until_enabled(api, emulator):
    key = emulator.create_key(name="ci", permissions=["read"])
    assert api.get("/projects", key=key["key"]).status_code == 200
    assert api.post("/api-keys/%s/revoke" % key["id"]).json()["data"]["status"] == "revoked"
    assert api.error(api.get("/projects", key=key["key"]), 401)["code"] == "api_key_revoked"
    assert api.post("/api-keys/%s/enable" % key["id"]).json()["data"]["status"] == "active"
    assert api.get("/projects", key=key["key"]).status_code == 200


def test_key_created_revoked_through_control_is_refused(api, emulator):
    key = emulator.create_key(name="old", permissions=["read", "write"], status="revoked")
    assert api.error(api.get("/projects", key=key["key"]), 401)["code"] == "api_key_revoked"


def test_key_expires_when_the_clock_passes_expires_at(api, emulator):
    response = api.post("/api-keys", json={"name": "short", "permissions": ["read"], "expiresAt": emulator_time(emulator, 3600)})
    secret = response.json()["data"]["key"]
    assert api.get("/projects", key=secret).status_code == 200
    emulator.advance(3598)
    assert api.get("/projects", key=secret).status_code == 200
    emulator.advance(3)
    error = api.error(api.get("/projects", key=secret), 401)
    assert error["code"] == "api_key_expired"
    assert secret not in error["message"]


def test_key_with_past_expiry_from_control_is_401_api_key_expired(api, emulator):
    key = emulator.create_key(name="gone", permissions=["read"], expiresAt="2020-01-01T00:00:00Z")
    assert api.error(api.get("/projects", key=key["key"]), 401)["code"] == "api_key_expired"


def test_deleted_key_is_401_invalid_api_key(api, emulator):
    key = emulator.create_key(name="tmp", permissions=["read", "write"])
    assert api.delete("/api-keys/" + key["id"], key=key["key"]).status_code == 204
    assert api.error(api.get("/projects", key=key["key"]), 401)["code"] == "invalid_api_key"


def test_read_key_reads_everything(api, emulator):
    read = emulator.read_key
    for path in ("/projects", "/projects/" + emulator.project_id, "/nodes", "/nodes/" + emulator.node_id, "/os-templates",
                 "/instances", "/api-keys", "/ssh-keys", "/floating-ips", "/volumes"):
        assert api.get(path, key=read).status_code == 200, path


def _setup_resources(api, emulator):
    inst = api.create_instance()
    ssh = api.create("/ssh-keys", {"projectId": emulator.project_id, "name": "deploy", "publicKey": SSH_PUBLIC_KEY})
    fip = api.create("/floating-ips", {"projectId": emulator.project_id, "nodeId": emulator.node_id})
    volume = api.create("/volumes", {"projectId": emulator.project_id, "name": "data", "sizeGb": 10, "nodeId": emulator.node_id})
    key = emulator.create_key(name="victim", permissions=["read"])
    firewall = api.create("/firewalls", {"projectId": emulator.project_id, "name": "fw"})
    network = api.create("/networks", {"projectId": emulator.project_id, "name": "net", "cidr": "10.9.0.0/24"})
    emulator.set_instance(inst["id"], status="running")
    snapshot = api.create("/snapshots", {"projectId": emulator.project_id, "instanceId": inst["id"], "name": "snap"})
    return {"instance": inst["id"], "ssh": ssh["id"], "fip": fip["id"], "volume": volume["id"], "key": key["id"],
            "firewall_id": firewall["id"], "network_id": network["id"], "snapshot_id": snapshot["id"]}


def test_read_only_key_gets_403_on_every_write_route(api, emulator):
    ids = _setup_resources(api, emulator)
    before = emulator.state()
    bodies = {"/instances": instance_body(emulator, name="other"), "/api-keys": {"name": "x", "permissions": ["read"]}}
    for method, template in WRITE_ROUTES:
        path = template.format(**ids)
        response = api.request(method, path, key=emulator.read_key, json=bodies.get(path, {"action": "stop", "instanceId": ids["instance"]}))
        error = api.error(response, 403)
        assert error == {"code": "forbidden", "message": WRITE_REFUSED}, (method, path)
        assert "X-RateLimit-Remaining" in response.headers
    after = emulator.state()
    for kind in ("instances", "apiKeys", "sshKeys", "floatingIps", "volumes", "firewalls", "networks", "snapshots", "backups"):
        assert [dict(item, lastUsedAt=None) for item in after[kind]] == [dict(item, lastUsedAt=None) for item in before[kind]], kind


def test_write_routes_list_covers_the_openapi_document(api):
    document = api.control("GET", "/openapi.json").json()
    documented = set()
    for path, operations in document["paths"].items():
        if path.startswith("/api/"):
            documented.update((method.upper(), path[len("/api"):]) for method in operations if method != "get")
    normalized = {(method, path.replace("{instance}", "{instance_id}").replace("{key}", "{key_id}").replace("{ssh}", "{key_id}")
                   .replace("{fip}", "{ip_id}").replace("{volume}", "{volume_id}")) for method, path in WRITE_ROUTES}
    assert normalized == documented


def test_last_used_at_follows_each_authenticated_request(api, emulator):
    key = emulator.create_key(name="watch", permissions=["read"])
    assert key["lastUsedAt"] is None
    emulator.advance(100)
    api.get("/projects", key=key["key"])
    shown = api.get("/api-keys/" + key["id"]).json()["data"]
    assert parse_time(shown["lastUsedAt"]) - parse_time(key["createdAt"]) >= 100


def test_key_belongs_to_the_account_not_a_project(pooled_emulator):
    emulator = pooled_emulator(seed_projects=2)
    client = Api(emulator)
    projects = client.get("/projects").json()["data"]
    assert len(projects) == 3
    for project in projects:
        assert client.get("/instances", params={"projectId": project["id"]}, key=emulator.read_key).status_code == 200
    client.close()
