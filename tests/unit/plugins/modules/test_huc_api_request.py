"""huc_api_request's pure parts: the path it sends, the query as the wire reads it, secrets masked, rate limit headers."""

import pytest

from ansible_collections.hostupcloud.cloud.plugins.modules.huc_api_request import checked_path, masked, rate_limit, wire_query

SECRET = "huc_" + "a1B2" * 10


@pytest.mark.parametrize("given, sent", [
    ("/instances", "/instances"),
    ("instances", "/instances"),
    ("  /ssh-keys/abc  ", "/ssh-keys/abc"),
    ("/instances/abc/power", "/instances/abc/power"),
])
def test_paths_sent(given, sent):
    assert checked_path(given) == (sent, None)


@pytest.mark.parametrize("given, reason", [
    ("https://example.com/api/projects", "not a URL"),
    ("//example.com/projects", "not a URL"),
    ("/instances?projectId=1", "query"),
    ("/instances#top", "query"),
    ("/projects/../api-keys", "'..'"),
    ("/projects/a b", "spaces"),
    ("/projects/\x00", "control"),
])
def test_paths_refused(given, reason):
    path, problem = checked_path(given)
    assert path is None and reason in problem


def test_wire_query_lowercases_booleans_and_keeps_lists():
    assert wire_query({"a": True, "b": False, "c": [1, True], "d": "x", "e": 2}) == {
        "a": "true", "b": "false", "c": [1, "true"], "d": "x", "e": 2}
    assert wire_query(None) == {}


def test_whole_secrets_are_masked_at_every_level_and_prefixes_are_not():
    found = []
    value = {"data": {"key": SECRET, "prefix": "huc_a1B2", "nested": [{"note": "new key " + SECRET}]}}
    out = masked(value, found)
    assert SECRET not in str(out) and len(found) == 2
    assert out["data"]["prefix"] == "huc_a1B2"
    assert out["data"]["key"] == "huc_a1B2\u2026"
    assert masked([1, None, "plain"], []) == [1, None, "plain"]


def test_rate_limit_headers_as_numbers_or_none():
    assert rate_limit({"X-RateLimit-Limit": "60", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "1796520000"}) == {
        "limit": 60, "remaining": 0, "reset": 1796520000}
    assert rate_limit({"X-RateLimit-Limit": "soon"}) == {"limit": None, "remaining": None, "reset": None}
