"""Fault rules: error answers, counts, seeded rates, latency, dropped connections, custom headers and raw bodies."""

import random
import time

import pytest
import requests


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
