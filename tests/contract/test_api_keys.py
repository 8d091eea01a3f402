"""API keys: the secret once, hashes only, write implies read, revoke/enable, delete, validation, duplicate names."""

import hashlib
import json
import re

from tests.contract.helpers import emulator_time

FIELDS = {"id", "name", "prefix", "permissions", "status", "expiresAt", "createdAt", "lastUsedAt"}
SECRET = re.compile(r"^huc_[A-Za-z0-9]{40}$")


def test_secret_is_returned_once_and_never_listed(api):
    response = api.post("/api-keys", json={"name": "CI/CD Pipeline", "permissions": ["read", "write"]})
    assert response.status_code == 201
    created = response.json()["data"]
    assert set(created) == FIELDS | {"key"}
    secret = created["key"]
    assert SECRET.match(secret)
    assert created["prefix"] == secret[:8]
    assert created["status"] == "active" and created["expiresAt"] is None and created["lastUsedAt"] is None
    listed = api.get("/api-keys").json()["data"]
    assert [key["name"] for key in listed] == ["bootstrap-write", "bootstrap-read", "CI/CD Pipeline"]
    shown = api.get("/api-keys/" + created["id"]).json()["data"]
    assert set(shown) == FIELDS
    for text in (api.get("/api-keys").text, api.get("/api-keys/" + created["id"]).text):
        assert secret not in text and secret[8:] not in text
    assert api.get("/projects", key=secret).status_code == 200


def test_state_dump_holds_no_secret_nor_hash(api, emulator):
    secret = api.post("/api-keys", json={"name": "x", "permissions": ["read"]}).json()["data"]["key"]
    dump = json.dumps(emulator.state())
    for value in (secret, emulator.write_key, emulator.read_key):
        assert value not in dump
        assert hashlib.sha256(value.encode()).hexdigest() not in dump
    assert set(emulator.state()["apiKeys"][0]) == FIELDS


def test_write_implies_read(api):
    created = api.post("/api-keys", json={"name": "w", "permissions": ["write"]}).json()["data"]
    assert created["permissions"] == ["read", "write"]
    assert api.get("/projects", key=created["key"]).status_code == 200
    assert api.post("/api-keys", key=created["key"], json={"name": "z", "permissions": ["read"]}).status_code == 201
    read = api.post("/api-keys", json={"name": "r", "permissions": ["read", "read"]}).json()["data"]
    assert read["permissions"] == ["read"]


def test_names_need_not_be_unique(api):
    first = api.post("/api-keys", json={"name": "deploy", "permissions": ["read"]}).json()["data"]
    second = api.post("/api-keys", json={"name": "deploy", "permissions": ["read"]}).json()["data"]
    assert first["id"] != second["id"]
    assert [key["id"] for key in api.get("/api-keys").json()["data"] if key["name"] == "deploy"] == [first["id"], second["id"]]


def test_validation(api, emulator):
    error = api.error(api.post("/api-keys", json={"name": "", "permissions": [], "expiresAt": "2001-01-01T00:00:00Z"}), 422)
    assert set(error["details"]) == {"name", "permissions", "expiresAt"}
    cases = [
        ({"name": "x" * 101, "permissions": ["read"]}, "name"),
        ({"name": "x", "permissions": ["admin"]}, "permissions"),
        ({"name": "x", "permissions": "read"}, "permissions"),
        ({"name": "x", "permissions": ["read"], "expiresAt": "tomorrow"}, "expiresAt"),
        ({"name": "x", "permissions": ["read"], "expiresAt": emulator_time(emulator, -5)}, "expiresAt"),
        ({"permissions": ["read"]}, "name"),
        ({"name": "x"}, "permissions"),
    ]
    for body, field in cases:
        assert list(api.error(api.post("/api-keys", json=body), 422)["details"]) == [field], body
    assert len(api.get("/api-keys").json()["data"]) == 2


def test_expiry_is_kept_in_utc_seconds(api, emulator):
    wanted = emulator_time(emulator, 86400)
    created = api.post("/api-keys", json={"name": "x", "permissions": ["read"], "expiresAt": wanted}).json()["data"]
    assert created["expiresAt"] == wanted
    offset = wanted.replace("Z", "+02:00")
    shifted = api.post("/api-keys", json={"name": "y", "permissions": ["read"], "expiresAt": offset}).json()["data"]
    hour = int(wanted[11:13])
    assert shifted["expiresAt"][11:13] == "%02d" % ((hour - 2) % 24)


def test_revoke_and_enable_are_idempotent(api, emulator):
    key = emulator.create_key(name="k", permissions=["read"])
    for _attempt in range(2):
        revoked = api.post("/api-keys/%s/revoke" % key["id"])
        assert revoked.status_code == 200 and revoked.json()["data"]["status"] == "revoked"
        assert "key" not in revoked.json()["data"]
    for _attempt in range(2):
        assert api.post("/api-keys/%s/enable" % key["id"]).json()["data"]["status"] == "active"
    assert api.error(api.post("/api-keys/nope/revoke"), 404)["code"] == "not_found"


def test_delete_is_204_without_body_then_404(api, emulator):
    key = emulator.create_key(name="k", permissions=["read"])
    response = api.delete("/api-keys/" + key["id"])
    assert response.status_code == 204 and response.content == b""
    assert api.get("/api-keys/" + key["id"]).status_code == 404
    assert api.delete("/api-keys/" + key["id"]).status_code == 404


def test_a_key_can_revoke_itself(api, emulator):
    key = emulator.create_key(name="self", permissions=["read", "write"])
    assert api.post("/api-keys/%s/revoke" % key["id"], key=key["key"]).status_code == 200
    assert api.get("/projects", key=key["key"]).status_code == 401


def test_fields_cannot_change(api, emulator):
    key = emulator.create_key(name="k", permissions=["read"])
    assert api.patch("/api-keys/" + key["id"], json={"name": "other"}).status_code == 405
