"""Idempotency-Key on POST: a repeat returns the first answer and creates nothing; another body is 422."""

import json

from tests.contract.helpers import instance_body


def test_repeat_returns_the_first_answer_and_creates_once(api, emulator):
    headers = {"Idempotency-Key": "create-web-1"}
    first = api.post("/instances", json=instance_body(emulator), headers=headers)
    emulator.advance(30)
    second = api.post("/instances", json=instance_body(emulator), headers=headers)
    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    assert second.json()["data"]["status"] == "provisioning"
    assert second.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert len(emulator.state()["instances"]) == 1
    assert [entry["idempotencyKey"] for entry in emulator.api_requests("POST")] == ["create-web-1", "create-web-1"]


def test_key_order_and_spacing_do_not_make_another_request(api, emulator):
    headers = {"Idempotency-Key": "k1", "Content-Type": "application/json"}
    body = instance_body(emulator)
    assert api.post("/instances", json=body, headers=headers).status_code == 201
    reordered = "{\n" + ",\n".join('"%s": %s' % (name, json.dumps(value)) for name, value in reversed(list(body.items()))) + "\n}"
    assert api.post("/instances", data=reordered, headers=headers).status_code == 201
    assert len(emulator.state()["instances"]) == 1


def test_repeat_with_another_body_is_422_idempotency_key_reused(api, emulator):
    headers = {"Idempotency-Key": "k2"}
    assert api.post("/instances", json=instance_body(emulator), headers=headers).status_code == 201
    error = api.error(api.post("/instances", json=instance_body(emulator, name="other"), headers=headers), 422)
    assert error["code"] == "idempotency_key_reused"
    assert api.error(api.post("/api-keys", json={"name": "x", "permissions": ["read"]}, headers=headers), 422)["code"] == "idempotency_key_reused"
    assert len(emulator.state()["instances"]) == 1


def test_errors_are_replayed_too(api, emulator):
    inst = api.running_instance()
    headers = {"Idempotency-Key": "power-1"}
    first = api.post("/instances/%s/power" % inst["id"], json={"action": "stop"}, headers=headers)
    assert first.status_code == 202
    emulator.advance(5)
    assert api.status(inst["id"]) == "stopped"
    again = api.post("/instances/%s/power" % inst["id"], json={"action": "stop"}, headers=headers)
    assert (again.status_code, again.json()) == (202, first.json())
    plain = api.post("/instances/%s/power" % inst["id"], json={"action": "stop"})
    assert api.error(plain, 409)["code"] == "invalid_state"


def test_keys_are_per_api_key(api, emulator):
    other = emulator.create_key(name="other", permissions=["read", "write"])
    headers = {"Idempotency-Key": "same"}
    assert api.post("/instances", json=instance_body(emulator, name="a"), headers=headers).status_code == 201
    assert api.post("/instances", json=instance_body(emulator, name="b"), headers=headers, key=other["key"]).status_code == 201
    assert len(emulator.state()["instances"]) == 2


def test_without_the_header_a_repeat_creates_again(api, emulator):
    assert api.post("/instances", json=instance_body(emulator)).status_code == 201
    assert api.error(api.post("/instances", json=instance_body(emulator)), 409)["code"] == "conflict"


def test_faulted_request_does_not_use_up_the_key(api, emulator):
    emulator.fault(status=503, count=1, methods=["POST"])
    headers = {"Idempotency-Key": "retry-me"}
    assert api.post("/instances", json=instance_body(emulator), headers=headers).status_code == 503
    assert api.post("/instances", json=instance_body(emulator), headers=headers).status_code == 201
    assert api.post("/instances", json=instance_body(emulator), headers=headers).status_code == 201
    assert len(emulator.state()["instances"]) == 1
