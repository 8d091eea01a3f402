"""Fault rules: error answers, counts, seeded rates, latency, dropped connections, custom headers, raw bodies,
and answers lost after the server acted (afterAction)."""

import random
import time

import pytest
import requests

from tests.contract.helpers import instance_body


def test_503_count_then_normal(api, emulator):
    rule = emulator.fault(status=503, count=2, methods=["GET"], pathPrefix="/api/instances")
    assert rule["id"] and rule["remaining"] == 2
    answers = [api.get("/instances") for _attempt in range(3)]
    assert [answer.status_code for answer in answers] == [503, 503, 200]
    assert answers[0].json() == {"error": {"code": "service_unavailable", "message": "service temporarily unavailable"}}
    assert "X-RateLimit-Remaining" not in answers[0].headers
    assert answers[2].headers["X-RateLimit-Remaining"] == "59"
    log = emulator.api_requests("GET", "/api/instances")
    assert [entry.get("fault", False) for entry in log] == [True, True, False]
    assert [entry["status"] for entry in log] == [503, 503, 200]
    assert emulator.control("GET", "/faults")["faults"][0]["fired"] == 2


def test_faults_come_before_auth_and_do_nothing(api, emulator):
    emulator.fault(status=500, count=1)
    response = api.post("/instances", key="", json={})
    assert response.status_code == 500 and response.json()["error"]["code"] == "internal_error"
    assert emulator.state()["instances"] == []


@pytest.mark.parametrize("status, code", [(429, "rate_limited"), (500, "internal_error"), (502, "bad_gateway"), (504, "gateway_timeout")])
def test_codes_follow_the_status(api, emulator, status, code):
    emulator.fault(status=status, count=1)
    assert api.error(api.get("/projects"), status)["code"] == code


def test_rate_with_seed_is_deterministic(api, emulator):
    emulator.fault(status=503, rate=0.5, seed=42, pathPrefix="/api/projects")
    rng = random.Random(42)
    expected = [503 if rng.random() < 0.5 else 200 for _attempt in range(20)]
    assert [api.get("/projects").status_code for _attempt in range(20)] == expected
    assert 0 < expected.count(503) < 20


def test_rate_zero_never_fires(api, emulator):
    emulator.fault(status=503, rate=0.0)
    assert all(api.get("/projects").status_code == 200 for _attempt in range(5))


def test_methods_and_path_prefix_filter(api, emulator):
    emulator.fault(status=502, methods=["post"], pathPrefix="/api/instances")
    assert api.get("/instances").status_code == 200
    assert api.post("/api-keys", json={"name": "x", "permissions": ["read"]}).status_code == 201
    assert api.post("/instances", json={}).status_code == 502


def test_delay_only_then_the_request_proceeds(api, emulator):
    emulator.fault(status=None, delaySeconds=0.4, count=1)
    started = time.monotonic()
    response = api.get("/projects")
    assert time.monotonic() - started >= 0.4
    assert response.status_code == 200
    assert emulator.requests()[-1]["delaySeconds"] == 0.4
    assert "fault" not in emulator.requests()[-1]


def test_delay_alone_needs_no_status(api, emulator):
    rule = emulator.fault(delaySeconds=0.2, count=1)
    assert rule["status"] is None
    assert api.get("/projects").status_code == 200


def test_delay_then_error(api, emulator):
    emulator.fault(status=504, delaySeconds=0.3, count=1)
    started = time.monotonic()
    assert api.get("/projects").status_code == 504
    assert time.monotonic() - started >= 0.3


def test_client_timeout_on_delay(api, emulator):
    emulator.fault(delaySeconds=2, count=1)
    with pytest.raises(requests.exceptions.ReadTimeout):
        api.session.get(emulator.api_url + "/projects", headers={"Authorization": "Bearer " + emulator.write_key}, timeout=0.3)


def test_drop_closes_the_connection_without_an_answer(api, emulator):
    emulator.fault(drop=True, count=1)
    with pytest.raises(requests.exceptions.ConnectionError):
        api.get("/projects")
    assert api.get("/projects").status_code == 200
    dropped = emulator.requests()[0]
    assert dropped["fault"] is True and dropped["status"] is None


def test_drop_on_a_kept_alive_connection(api, emulator):
    assert api.get("/projects").status_code == 200
    emulator.fault(drop=True, count=1)
    with pytest.raises(requests.exceptions.ConnectionError):
        api.get("/projects")
    assert api.get("/projects").status_code == 200


def test_custom_headers(api, emulator):
    emulator.fault(status=429, count=1, headers={"Retry-After": "1"})
    response = api.get("/projects")
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "1"
    assert response.json()["error"]["code"] == "rate_limited"


def test_raw_body(api, emulator):
    emulator.fault(status=502, count=1, body="<html><body>Bad Gateway</body></html>")
    response = api.get("/projects")
    assert response.status_code == 502
    assert response.text == "<html><body>Bad Gateway</body></html>"
    assert response.headers["Content-Type"].startswith("text/plain")


def test_clear_and_remove(api, emulator):
    rule = emulator.fault(status=503)
    emulator.fault(status=500)
    assert api.control("DELETE", "/faults/" + rule["id"]).status_code == 204
    assert api.control("DELETE", "/faults/" + rule["id"]).status_code == 404
    assert [item["status"] for item in emulator.control("GET", "/faults")["faults"]] == [500]
    emulator.clear_faults()
    assert emulator.control("GET", "/faults")["faults"] == []
    assert api.get("/projects").status_code == 200


def test_rule_validation(api):
    for body in ({"rate": 2}, {"status": 42}, {"status": None}, {"count": -1}, {"unknown": 1}):
        assert api.control("POST", "/faults", json=body).status_code == 422, body


# -- afterAction: the request acts, then its answer is lost ----------------------------------------

def test_after_action_drop_creates_the_instance_yet_the_client_gets_no_answer(api, emulator):
    rule = emulator.fault(afterAction=True, drop=True, methods=["POST"], pathPrefix="/api/instances", count=1)
    assert rule["afterAction"] is True and rule["status"] is None
    with pytest.raises(requests.exceptions.ConnectionError):
        api.post("/instances", json=instance_body(emulator))
    instances = emulator.state()["instances"]
    assert [inst["name"] for inst in instances] == ["web-1"]
    entry = emulator.requests()[-1]
    assert entry["fault"] is True and entry["afterAction"] is True and entry["status"] is None
    # the rule is spent: the next request is answered normally
    assert api.post("/instances", json=instance_body(emulator, name="web-2")).status_code == 201
    assert "fault" not in emulator.requests()[-1]


def test_after_action_drop_with_idempotency_key_then_the_retry_replays(api, emulator):
    emulator.fault(afterAction=True, drop=True, methods=["POST"], pathPrefix="/api/instances", count=1)
    headers = {"Idempotency-Key": "lost-answer-1"}
    with pytest.raises(requests.exceptions.ConnectionError):
        api.post("/instances", json=instance_body(emulator), headers=headers)
    retry = api.post("/instances", json=instance_body(emulator), headers=headers)
    assert retry.status_code == 201, retry.text
    assert retry.headers["Idempotent-Replayed"] == "true"
    instances = emulator.state()["instances"]
    assert len(instances) == 1 and retry.json()["data"]["id"] == instances[0]["id"]
    log = emulator.api_requests("POST", "/api/instances")
    assert [(entry["status"], entry.get("fault", False), entry.get("afterAction", False)) for entry in log] == [
        (None, True, True), (201, False, False)]


def test_after_action_status_on_delete_api_key(api, emulator):
    key = api.create("/api-keys", {"name": "doomed", "permissions": ["read"]})
    emulator.fault(afterAction=True, status=504, methods=["DELETE"], pathPrefix="/api/api-keys", count=1)
    response = api.delete("/api-keys/" + key["id"])
    assert api.error(response, 504)["code"] == "gateway_timeout"
    assert "X-RateLimit-Remaining" not in response.headers
    assert key["id"] not in [item["id"] for item in emulator.state()["apiKeys"]]
    entry = emulator.requests()[-1]
    assert entry["fault"] is True and entry["afterAction"] is True and entry["status"] == 504
    assert api.error(api.delete("/api-keys/" + key["id"]), 404)["code"] == "not_found"


def test_after_action_status_keeps_the_idempotent_answer(api, emulator):
    emulator.fault(afterAction=True, status=502, methods=["POST"], pathPrefix="/api/instances", count=1)
    headers = {"Idempotency-Key": "lost-answer-2"}
    assert api.post("/instances", json=instance_body(emulator), headers=headers).status_code == 502
    retry = api.post("/instances", json=instance_body(emulator), headers=headers)
    assert retry.status_code == 201 and retry.headers["Idempotent-Replayed"] == "true"
    assert len(emulator.state()["instances"]) == 1


def test_after_action_delay_client_times_out_after_the_server_acted(api, emulator):
    emulator.fault(afterAction=True, delaySeconds=1.5, methods=["POST"], pathPrefix="/api/instances", count=1)
    with pytest.raises(requests.exceptions.ReadTimeout):
        api.session.post(emulator.api_url + "/instances", json=instance_body(emulator),
                         headers={"Authorization": "Bearer " + emulator.write_key}, timeout=0.3)
    # the instance exists while its answer is still held back
    assert [inst["name"] for inst in emulator.state()["instances"]] == ["web-1"]
    time.sleep(1.5)
    entry = emulator.requests()[-1]
    assert entry["fault"] is True and entry["afterAction"] is True and entry["delaySeconds"] == 1.5
    assert entry["status"] == 201


def test_after_action_delay_sends_the_real_answer_late(api, emulator):
    emulator.lose_answer(delaySeconds=0.4, methods=["POST"], pathPrefix="/api/instances", count=1)
    started = time.monotonic()
    response = api.post("/instances", json=instance_body(emulator))
    assert time.monotonic() - started >= 0.4
    assert response.status_code == 201 and response.json()["data"]["name"] == "web-1"
    assert response.headers["X-RateLimit-Remaining"] == "59"
    entry = emulator.requests()[-1]
    assert entry["fault"] is True and entry["afterAction"] is True and entry["status"] == 201


def test_after_action_harness_default_is_a_drop_and_filters_apply(api, emulator):
    rule = emulator.lose_answer(methods=["POST"], pathPrefix="/api/api-keys", count=1)
    assert rule["drop"] is True and rule["afterAction"] is True
    assert api.get("/api-keys").status_code == 200
    with pytest.raises(requests.exceptions.ConnectionError):
        api.post("/api-keys", json={"name": "made", "permissions": ["read"]})
    assert "made" in [item["name"] for item in emulator.state()["apiKeys"]]


def test_after_action_validation(api):
    assert api.control("POST", "/faults", json={"afterAction": "yes"}).status_code == 422
    assert api.control("POST", "/faults", json={"afterAction": True, "status": None}).status_code == 422
    assert api.control("POST", "/faults", json={"status": 503}).status_code == 201
    assert api.control("GET", "/faults").json()["faults"][0]["afterAction"] is False
