"""60 requests per minute per key, sliding window on the emulator clock; Retry-After and X-RateLimit-* headers."""

import time

from tests.contract.helpers import Api


def test_61st_request_in_a_window_is_429_with_retry_after(api, emulator):
    for number in range(60):
        response = api.get("/projects")
        assert response.status_code == 200
        assert response.headers["X-RateLimit-Limit"] == "60"
        assert response.headers["X-RateLimit-Remaining"] == str(59 - number)
    response = api.get("/projects")
    error = api.error(response, 429)
    assert error["code"] == "rate_limited"
    retry_after = int(response.headers["Retry-After"])
    assert 1 <= retry_after <= 60
    assert response.headers["X-RateLimit-Remaining"] == "0"
    emulator.advance(retry_after)
    assert api.get("/projects").status_code == 200


def test_rejected_requests_do_not_count_and_the_window_slides(pooled_emulator):
    emulator = pooled_emulator(rate_limit=3)
    api = Api(emulator)
    assert api.get("/projects").status_code == 200
    assert api.get("/projects").status_code == 200
    emulator.advance(30)
    assert api.get("/projects").headers["X-RateLimit-Remaining"] == "0"
    for _attempt in range(3):
        refused = api.get("/projects")
        assert refused.status_code == 429
    assert refused.headers["Retry-After"] in ("29", "30")
    emulator.advance(31)
    first = api.get("/projects")
    assert first.status_code == 200
    assert first.headers["X-RateLimit-Remaining"] == "1"
    assert api.get("/projects").status_code == 200
    assert api.get("/projects").status_code == 429
    api.close()


def test_reset_header_is_when_the_oldest_request_leaves_the_window(api, emulator):
    response = api.get("/projects")
    reset = int(response.headers["X-RateLimit-Reset"])
    clock_now = time.time() + emulator.clock()["offsetSeconds"]
    assert clock_now + 58 <= reset <= clock_now + 61


def test_limits_are_per_key(api, emulator):
    emulator.config(rateLimit=2)
    for _attempt in range(2):
        assert api.get("/projects").status_code == 200
    assert api.get("/projects").status_code == 429
    assert api.get("/projects", key=emulator.read_key).status_code == 200


def test_every_authenticated_answer_carries_the_headers(api, emulator):
    emulator.config(rateLimit=3)
    answers = [
        api.get("/instances/nope"),
        api.post("/instances", json={}),
        api.post("/instances", key=emulator.read_key, json={}),
        api.get("/no-such-route"),
    ]
    assert [answer.status_code for answer in answers] == [404, 422, 403, 404]
    answers.append(api.get("/projects"))
    assert answers[-1].status_code == 429
    for answer in answers:
        for header in ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"):
            assert int(answer.headers[header]) >= 0, (answer.status_code, header)


def test_401_does_not_count(api, emulator):
    emulator.config(rateLimit=1)
    for _attempt in range(3):
        assert api.get("/projects", key="huc_unknown").status_code == 401
    assert api.get("/projects").status_code == 200


def test_limit_and_window_follow_the_config(api, emulator):
    emulator.config(rateLimit=2, rateWindow=10)
    assert [api.get("/projects").status_code for _attempt in range(3)] == [200, 200, 429]
    emulator.advance(10)
    assert api.get("/projects").status_code == 200
