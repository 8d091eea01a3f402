"""The shared API client against the emulator over real HTTP, driven by its fault controls.

Waits go through an injected clock whose sleep advances the emulator's clock instead of the wall
clock, so rate-limit windows and Retry-After are honoured deterministically and instantly.
"""

import time

import pytest

from ansible_collections.hostupcloud.cloud.plugins.module_utils._client import HucApiError, HucClient
from ansible_collections.hostupcloud.cloud.plugins.module_utils._rate import Clock


class EmulatorClock(Clock):
    """A clock whose sleep moves the emulator's clock: the client waits, the test does not.

    Its own time moves with it (the wall clock plus what was slept), so the budget sees the waits pass.
    """

    def __init__(self, emulator):
        self.emulator = emulator
        self.slept = []

    def now(self):
        return time.time() + sum(self.slept)

    def sleep(self, seconds):
        self.slept.append(seconds)
        self.emulator.advance(seconds)


# The client's own defaults, as the modules' argument spec has them.
DEFAULTS = dict(api_timeout=30, validate_certs=True, api_retries=5, rate_limit_timeout=300, rate_limit=60,
                rate_limit_shared=True)


def client_for(emulator, key=None, **options):
    clock = EmulatorClock(emulator)
    options = dict(DEFAULTS, api_key=key or emulator.write_key, api_url=emulator.api_url, **options)
    return HucClient.from_options(options, clock=clock), clock


def api_log(emulator, path_prefix="/api"):
    return [r for r in emulator.requests() if r["path"].startswith(path_prefix)]


def test_429_with_retry_after_is_waited_out(emulator):
    emulator.fault(status=429, count=2, headers={"Retry-After": "3"}, pathPrefix="/api/projects")
    client, sleep = client_for(emulator)
    projects = client.list("/projects")
    assert [p["name"] for p in projects] == ["default"]
    assert sleep.slept == [3.0, 3.0]
    assert [r["status"] for r in api_log(emulator)] == [429, 429, 200]


def test_429_without_retry_after_backs_off_then_succeeds(emulator):
    emulator.fault(status=429, count=2, pathPrefix="/api/projects")
    client, sleep = client_for(emulator)
    assert client.list("/projects")
    assert len(sleep.slept) == 2 and all(s > 0 for s in sleep.slept)
    assert sleep.slept[1] >= 1.0  # the second wait comes from a longer backoff step


def test_real_rate_limit_is_waited_out(emulator_factory):
    """Without pacing (rate_limit=0) the client runs into the limit and waits out its 429s."""
    emulator = emulator_factory(rate_limit=5, rate_window=60)
    client, sleep = client_for(emulator, rate_limit=0)
    for _request in range(12):
        client.get("/projects")
    statuses = [r["status"] for r in api_log(emulator)]
    assert statuses.count(200) == 12
    assert statuses.count(429) >= 2
    assert sleep.slept and client.rate_waited <= 130


def test_the_server_signals_pace_the_budget_before_any_429(emulator_factory):
    """X-RateLimit-Remaining reaching 0 pauses until X-RateLimit-Reset: the same 12 requests, no 429."""
    emulator = emulator_factory(rate_limit=5, rate_window=60)
    client, sleep = client_for(emulator)
    for _request in range(12):
        client.get("/projects")
    assert [r["status"] for r in api_log(emulator)] == [200] * 12
    waits = [s for s in sleep.slept if s >= 1]  # (and a few milliseconds of rounding)
    assert len(waits) == 2 and all(55 <= s <= 62 for s in waits) and sum(sleep.slept) < 130, sleep.slept
    assert client.rate_waited == 0  # no 429 had to be waited out


def test_429_past_rate_limit_timeout_fails_clearly_naming_the_configured_rate(emulator):
    """Both cases under one endless 429 with Retry-After 20."""
    # Past rate_limit_timeout: a clear failure.
    emulator.fault(status=429, headers={"Retry-After": "20"}, pathPrefix="/api/projects")
    client, sleep = client_for(emulator, rate_limit_timeout=50)
    with pytest.raises(HucApiError) as info:
        client.get("/projects")
    assert info.value.status == 429
    assert "rate limit still exceeded after waiting 40 seconds" in str(info.value)
    assert "rate_limit 60 requests a minute per key" in str(info.value)
    assert sleep.slept == [20.0, 20.0]

    # The give-up names the configured rate (the same endless 429).
    for rate, shown in ((25, "rate_limit 25 requests a minute per key"), (0, "rate_limit 0: pacing off")):
        client, _sleep = client_for(emulator, rate_limit_timeout=10, rate_limit=rate)
        with pytest.raises(HucApiError) as info:
            client.get("/projects")
        assert info.value.code == "rate_limited" and shown in str(info.value) and "60" not in str(info.value)


def test_get_or_none_and_delete_if_exists_take_404_as_gone(emulator):
    client, _sleep = client_for(emulator)
    key = client.post("/api-keys", {"name": "to-delete", "permissions": ["read"]})
    assert client.get_or_none("/api-keys/%s" % key["id"])["name"] == "to-delete"
    assert client.delete_if_exists("/api-keys/%s" % key["id"], gone=False) is None  # deleted now: the empty answer
    assert client.delete_if_exists("/api-keys/%s" % key["id"], gone=False) is False  # gone already
    assert client.delete_if_exists("/api-keys/%s" % key["id"]) is None
    assert client.get_or_none("/api-keys/%s" % key["id"]) is None
    emulator.fault(status=500, methods=["DELETE"], count=1)
    with pytest.raises(HucApiError) as info:
        client_for(emulator, api_retries=0)[0].delete_if_exists("/api-keys/%s" % key["id"])
    assert info.value.status == 500


def test_get_retries_and_their_limits(emulator):
    """GET retries on one emulator, each case after the previous one's faults and requests are cleared."""
    # 503 twice, then success.
    emulator.fault(status=503, count=2, methods=["GET"])
    client, sleep = client_for(emulator)
    assert client.get("/projects")
    assert [r["status"] for r in api_log(emulator)] == [503, 503, 200]
    assert len(sleep.slept) == 2

    # 503 past the retries fails naming the attempts.
    emulator.clear_faults()
    emulator.clear_requests()
    emulator.fault(status=503, methods=["GET"])
    client, _sleep = client_for(emulator, api_retries=2)
    with pytest.raises(HucApiError) as info:
        client.get("/projects")
    assert info.value.status == 503
    assert "after 2 retries" in str(info.value)
    assert len(api_log(emulator)) == 3

    # A dropped connection on a GET is retried.
    emulator.clear_faults()
    emulator.clear_requests()
    emulator.fault(drop=True, count=1, methods=["GET"])
    client, _sleep = client_for(emulator)
    assert client.get("/projects")
    assert len(api_log(emulator)) == 2

    # A single 500 on a GET is retried.
    emulator.clear_faults()
    emulator.clear_requests()
    emulator.fault(status=500, count=1, methods=["GET"], pathPrefix="/api/projects")
    client, sleep = client_for(emulator)
    assert [p["name"] for p in client.list("/projects")] == ["default"]
    assert [(r["method"], r["path"], r["status"]) for r in api_log(emulator)] == [
        ("GET", "/api/projects", 500), ("GET", "/api/projects", 200)]
    assert len(sleep.slept) == 1

    # 500 past the retries fails naming the attempts.
    emulator.clear_faults()
    emulator.clear_requests()
    emulator.fault(status=500, methods=["GET"], pathPrefix="/api/projects")
    client, _sleep = client_for(emulator, api_retries=2)
    with pytest.raises(HucApiError) as info:
        client.get("/projects")
    assert info.value.status == 500 and "after 2 retries" in str(info.value)
    assert len(api_log(emulator)) == 3


def test_post_retries_with_and_without_idempotency_key(emulator):
    """POST retries on one emulator, each case after the previous one's faults and requests are cleared."""
    # A 500 on a POST with an idempotency key is retried after a lookup.
    emulator.fault(status=500, methods=["POST"], pathPrefix="/api/api-keys", count=1)
    client, sleep = client_for(emulator)
    lookups = []
    key = client.post("/api-keys", {"name": "after-500", "permissions": ["read"]}, idempotent=True,
                      before_retry=lambda: lookups.append(1))
    assert key["name"] == "after-500"
    assert lookups == [1] and len(sleep.slept) == 1
    posts = [r for r in api_log(emulator) if r["method"] == "POST"]
    assert [r["status"] for r in posts] == [500, 201]
    assert posts[0]["idempotencyKey"] and posts[0]["idempotencyKey"] == posts[1]["idempotencyKey"]
    assert len([k for k in emulator.state()["apiKeys"] if k["name"] == "after-500"]) == 1

    # A 500 on a POST with an idempotency key returns what the lookup found.
    emulator.clear_faults()
    emulator.clear_requests()
    emulator.fault(status=500, methods=["POST"], pathPrefix="/api/api-keys", count=1)
    client, _sleep = client_for(emulator)
    found = {"id": "looked-up"}
    result = client.post("/api-keys", {"name": "x", "permissions": ["read"]}, idempotent=True,
                         before_retry=lambda: found)
    assert result is found
    assert len([r for r in api_log(emulator) if r["method"] == "POST"]) == 1

    # A POST without an idempotency key is never retried.
    emulator.clear_faults()
    emulator.clear_requests()
    for rule in ({"status": 500}, {"status": 503}, {"drop": True}):
        emulator.clear_requests()
        emulator.fault(methods=["POST"], count=1, **rule)
        client, sleep = client_for(emulator)
        with pytest.raises(HucApiError):
            client.post("/api-keys", {"name": "once", "permissions": ["read"]})
        posts = [r for r in api_log(emulator) if r["method"] == "POST"]
        assert len(posts) == 1 and not sleep.slept
    assert not [k for k in emulator.state()["apiKeys"] if k["name"] == "once"]

    # A POST with an idempotency key is retried and creates once.
    emulator.clear_faults()
    emulator.clear_requests()
    emulator.fault(status=503, methods=["POST"], count=1)
    client, _sleep = client_for(emulator)
    key = client.post("/api-keys", {"name": "retried", "permissions": ["read"]}, idempotent=True)
    assert key["name"] == "retried"
    posts = [r for r in api_log(emulator) if r["method"] == "POST"]
    assert len(posts) == 2 and posts[0]["idempotencyKey"] == posts[1]["idempotencyKey"]
    assert len([k for k in emulator.state()["apiKeys"] if k["name"] == "retried"]) == 1

    # A POST retry looks up before sending again.
    emulator.clear_faults()
    emulator.clear_requests()
    emulator.fault(drop=True, methods=["POST"], count=1)
    client, _sleep = client_for(emulator)
    found = {"id": "looked-up"}
    result = client.post("/api-keys", {"name": "x", "permissions": ["read"]}, idempotent=True,
                         before_retry=lambda: found)
    assert result is found
    assert len([r for r in api_log(emulator) if r["method"] == "POST"]) == 1


def test_250_items_in_3_requests(emulator_factory):
    emulator = emulator_factory(seed_projects=1, seed_instances=250)
    project = [p for p in emulator.state()["projects"] if p["name"] != "default"][0]
    client, _sleep = client_for(emulator)
    instances = client.list("/instances", {"projectId": project["id"]})
    assert len(instances) == 250 and len(set(i["id"] for i in instances)) == 250
    assert len(api_log(emulator)) == 3


def _error(emulator, method, path, key=None, body=None):
    client, _sleep = client_for(emulator, key=key, api_retries=0)
    with pytest.raises(HucApiError) as info:
        client.request(method, path, body=body)
    return info.value


def test_error_messages_in_user_terms_conflict_and_non_json_body(emulator):
    cases = [
        (_error(emulator, "GET", "/projects", key="huc_" + "x" * 40), 401, "not accepted (invalid_api_key)"),
        (_error(emulator, "POST", "/api-keys", key=emulator.read_key, body={"name": "n", "permissions": ["read"]}),
         403, "Read permission only; this task needs Write"),
        (_error(emulator, "GET", "/instances/7d3c2a4e-0b1f-4c55-9a51-2f6a1c0e8b90"), 404, "not found"),
        (_error(emulator, "POST", "/instances", body={"projectId": emulator.project_id, "name": "x", "vcpus": 0}),
         422, "vcpus:"),
    ]
    for error, status, text in cases:
        assert error.status == status and text in str(error), str(error)
        assert error.method and error.path

    # A conflict names the taken name.
    client, _sleep = client_for(emulator)
    body = {"projectId": emulator.project_id, "name": "dup", "nodeId": emulator.node_id,
            "osTemplate": emulator.os_template, "vcpus": 1, "memoryMb": 1024, "diskGb": 20}
    client.post("/instances", body)
    error = _error(emulator, "POST", "/instances", body=body)
    assert error.status == 409 and "dup" in str(error)

    # A non-JSON error body is reported with its status.
    emulator.fault(status=500, count=1, body="<html>upstream exploded</html>")
    error = _error(emulator, "GET", "/projects")
    assert error.status == 500 and "500" in str(error) and "upstream exploded" in str(error)


def test_revoked_and_expired_keys(emulator):
    revoked = emulator.create_key(name="r", permissions=["read"], status="revoked")
    error = _error(emulator, "GET", "/projects", key=revoked["key"])
    assert error.code == "api_key_revoked" and "revoked" in str(error)
    expiring = emulator.create_key(name="e", permissions=["read"], expiresAt="2099-01-01T00:00:00Z")
    client, _sleep = client_for(emulator, key=expiring["key"])
    assert client.get("/projects")
    emulator.advance(80 * 365 * 86400)
    error = _error(emulator, "GET", "/projects", key=expiring["key"])
    assert error.code == "api_key_expired" and "expired" in str(error)
    for key in (revoked["key"], expiring["key"]):
        assert key not in str(error) and key not in repr(error.failure())


def test_list_shapes_null_data_or_pagination_and_data_not_a_list(emulator):
    """One emulator, one answer shape after another (each a one-time fault on the listing)."""
    def answer(body):
        emulator.clear_requests()
        emulator.fault(status=200, count=1, methods=["GET"], pathPrefix="/api/projects", body=body,
                       headers={"Content-Type": "application/json"})
        return client_for(emulator)[0]

    # Null data or pagination: an empty list.
    for body in ('{"data": null}', '{"data": null, "pagination": null}', '{"data": [], "pagination": null}'):
        client = answer(body)
        assert client.list("/projects") == [], body
        assert [r["status"] for r in api_log(emulator)] == [200], body

    # Null pagination keeps the page.
    client = answer('{"data": [{"id": "p1", "name": "one"}], "pagination": null}')
    assert client.list("/projects") == [{"id": "p1", "name": "one"}]
    assert len(api_log(emulator)) == 1

    # Data that is not a list fails clearly.
    client = answer('{"data": {"id": "p1"}}')
    with pytest.raises(HucApiError) as info:
        client.list("/projects")
    assert info.value.code == "invalid_response" and "/projects" in str(info.value)
