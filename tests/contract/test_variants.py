"""Variants (--variant NAME): each one changes the wire as stated, and the default emulator does not."""

import re

import pytest

from tests.emulator.__main__ import parse_args
from tests.emulator.harness import NO_KEY, make_instances

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
ISO_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
ISO_OFFSET = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000\+00:00$")
PUBLIC_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl variants"


def variant(pooled_emulator, *names, **options):
    """A pooled emulator with these variants, in its initial state."""
    return pooled_emulator(variants=tuple(names), **options)


def rate_headers(headers):
    return sorted(name for name in headers if name.startswith("x-ratelimit-"))


def instances(emulator, **query):
    return emulator.call("GET", "/instances", query=dict(query, projectId=emulator.project_id))


def test_the_default_emulator_keeps_the_assumed_wire(pooled_emulator):
    """No variant: the envelopes, pagination, rate headers, error envelope, UUIDs and timestamps of the contract."""
    emulator = pooled_emulator(seed_instances=3)
    assert "variants" not in emulator.bootstrap
    status, headers, body = instances(emulator, perPage=2)
    assert status == 200 and set(body) == {"data", "pagination"} and len(body["data"]) == 2
    assert body["pagination"] == {"page": 1, "perPage": 2, "total": 3, "totalPages": 2}
    assert rate_headers(headers) == ["x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset"]
    item = body["data"][0]
    assert UUID.match(item["id"]) and UUID.match(item["projectId"]) and ISO_Z.match(item["createdAt"])
    assert instances(emulator)[2]["pagination"]["perPage"] == 50
    assert instances(emulator, perPage=100)[2]["pagination"]["perPage"] == 100
    status, _headers, body = emulator.call("GET", "/projects/" + emulator.project_id)
    assert status == 200 and set(body) == {"data"} and body["data"]["id"] == emulator.project_id
    status, headers, body = emulator.call("GET", "/projects/nope")
    assert status == 404 and headers["content-type"] == "application/json" and body["error"]["code"] == "not_found"


def test_the_default_app_has_no_variant_layer():
    """Byte for byte unchanged: without variants the translation layer is not there at all."""
    from tests.emulator.app import create_app
    from tests.emulator.gateway import Gateway
    from tests.emulator.state import Store
    from tests.emulator.variants import Variants
    settings = {"rateLimit": 60, "rateWindow": 60.0, "provisionSeconds": 5.0, "transitionSeconds": 2.0, "clockStepSeconds": 0.0}
    plain = create_app(Store(dict(settings)))
    assert isinstance(plain, Gateway) and not isinstance(plain, Variants)
    assert isinstance(create_app(Store(dict(settings)), ["bare-lists"]), Variants)


def test_the_command_line_takes_repeated_and_comma_separated_names(capsys):
    assert parse_args(["--variant", "bare-lists,numeric-ids", "--variant", "plain-errors", "--variant", "bare-lists"]).variant == [
        "bare-lists", "numeric-ids", "plain-errors"]
    assert parse_args([]).variant == []
    with pytest.raises(SystemExit) as exited:
        parse_args(["--variant", "bare-list"])
    assert exited.value.code == 2 and "unknown variant 'bare-list'" in capsys.readouterr().err


def test_bare_lists_answer_every_matching_item_as_an_array(pooled_emulator):
    emulator = variant(pooled_emulator, "bare-lists", seed_instances=120)
    assert emulator.bootstrap["variants"] == ["bare-lists"]
    emulator.clear_requests()
    status, headers, body = instances(emulator, page=2, perPage=500)  # ignored, even out of range
    assert status == 200 and isinstance(body, list) and len(body) == 120
    assert [item["name"] for item in body[:2]] == ["web-0001", "db-0002"] and body[-1]["name"] == "cache-0120"
    assert rate_headers(headers) and int(headers["x-ratelimit-remaining"]) == 59  # one request, counted once
    assert [(entry["path"], entry["query"]) for entry in emulator.requests()] == [
        ("/api/instances", "page=2&perPage=500&projectId=" + emulator.project_id)]
    assert emulator.call("GET", "/instances", query={"projectId": emulator.project_id, "name": "db-0002"})[2][0]["name"] == "db-0002"
    status, _headers, body = emulator.call("GET", "/projects/" + emulator.project_id)
    assert set(body) == {"data"}  # objects keep their envelope


def test_bare_objects_drop_the_data_envelope_of_single_objects(pooled_emulator):
    emulator = variant(pooled_emulator, "bare-objects")
    status, _headers, body = emulator.call("GET", "/projects/" + emulator.project_id)
    assert status == 200 and body["id"] == emulator.project_id and "data" not in body
    status, _headers, body = emulator.call("POST", "/ssh-keys", body={"projectId": emulator.project_id, "name": "k", "publicKey": PUBLIC_KEY})
    assert status == 201 and body["name"] == "k" and "data" not in body
    status, _headers, body = emulator.call("POST", "/api-keys", body={"name": "x", "permissions": ["read"]})
    assert status == 201 and body["key"].startswith("huc_")
    assert set(emulator.call("GET", "/projects")[2]) == {"data", "pagination"}  # lists keep theirs
    assert emulator.call("GET", "/projects/nope")[2]["error"]["code"] == "not_found"  # so do errors


def test_no_rate_headers_on_any_answer_and_a_429_keeps_retry_after(pooled_emulator):
    emulator = variant(pooled_emulator, "no-rate-headers", rate_limit=2)
    for _attempt in range(2):
        status, headers, _body = emulator.call("GET", "/projects")
        assert status == 200 and rate_headers(headers) == []
    status, headers, body = emulator.call("GET", "/projects")
    assert status == 429 and rate_headers(headers) == [] and int(headers["retry-after"]) >= 1
    assert body["error"]["code"] == "rate_limited"


def test_other_pagination_moves_the_pagination_object_under_meta(pooled_emulator):
    emulator = variant(pooled_emulator, "other-pagination", seed_instances=3)
    status, _headers, body = instances(emulator, perPage=2)
    assert status == 200 and set(body) == {"data", "meta"} and len(body["data"]) == 2
    assert body["meta"] == {"page": 1, "perPage": 2, "total": 3, "totalPages": 2}
    assert set(emulator.call("GET", "/projects/" + emulator.project_id)[2]) == {"data"}


def test_per_page_25_caps_the_page_size(pooled_emulator):
    emulator = variant(pooled_emulator, "per-page-25", seed_instances=30)
    for asked in ({}, {"perPage": 26}, {"perPage": 100}, {"perPage": 500}):
        status, _headers, body = instances(emulator, **asked)
        assert status == 200 and len(body["data"]) == 25, asked
        assert body["pagination"] == {"page": 1, "perPage": 25, "total": 30, "totalPages": 2}, asked
    body = instances(emulator, page=2, perPage=100)[2]
    assert len(body["data"]) == 5 and body["pagination"]["page"] == 2
    assert instances(emulator, perPage=10)[2]["pagination"] == {"page": 1, "perPage": 10, "total": 30, "totalPages": 3}
    assert instances(emulator, perPage=0)[0] == 422


def test_numeric_ids_both_ways(pooled_emulator):
    emulator = variant(pooled_emulator, "numeric-ids", seed_instances=2)
    projects = emulator.call("GET", "/projects")[2]["data"]
    project = projects[0]["id"]
    assert isinstance(project, int) and project > 0
    status, _headers, body = emulator.call("GET", "/instances", query={"projectId": project})
    assert status == 200 and len(body["data"]) == 2
    first = body["data"][0]
    assert all(isinstance(first[name], int) for name in ("id", "projectId", "nodeId")) and first["projectId"] == project
    assert emulator.call("GET", "/instances/%d" % first["id"])[2]["data"]["name"] == first["name"]  # a path
    assert emulator.requests()[-1]["path"] == "/api/instances/%d" % first["id"]  # the log shows the wire
    status, _headers, key = emulator.call("POST", "/ssh-keys", body={"projectId": project, "name": "k", "publicKey": PUBLIC_KEY})
    assert status == 201 and isinstance(key["data"]["id"], int)
    status, _headers, body = emulator.call("POST", "/firewalls", body={"projectId": project, "name": "web", "instanceIds": [first["id"]]})
    assert status == 201 and body["data"]["instanceIds"] == [first["id"]]  # a list of ids in a body
    status, _headers, body = emulator.call("GET", "/instances/999999")
    assert status == 404 and "999999" in body["error"]["message"]
    status, _headers, body = emulator.call("GET", "/projects/%d" % first["id"])  # an instance's number is no project's
    assert status == 404 and body["error"]["message"] == "project %d not found" % first["id"]  # no UUID in messages either
    emulator.reset()  # the mapping is the emulator's: the same objects keep their numbers
    assert emulator.call("GET", "/projects")[2]["data"][0]["id"] == project
    assert emulator.requests()[-1]["path"] == "/api/projects"
    ids = make_instances(emulator, ["num-1"])
    assert isinstance(ids["num-1"], int)


def test_plain_errors_are_text_with_a_reason_line(pooled_emulator):
    emulator = variant(pooled_emulator, "plain-errors")
    status, headers, body = emulator.call("GET", "/projects/nope")
    assert (status, headers["content-type"], body) == (404, "text/plain; charset=utf-8", "404 Not Found\n")
    assert headers["content-length"] == str(len(body)) and rate_headers(headers)
    status, headers, body = emulator.call("GET", "/projects", key=NO_KEY)
    assert (status, body) == (401, "401 Unauthorized\n") and headers["www-authenticate"] == "Bearer"
    status, _headers, body = emulator.call("POST", "/ssh-keys", body={"projectId": emulator.project_id})
    assert (status, body) == (422, "422 Unprocessable Entity\n")
    assert emulator.call("GET", "/projects")[2]["data"][0]["name"] == "default"  # success answers are unchanged


def test_offset_timestamps_everywhere_and_any_form_accepted(pooled_emulator):
    emulator = variant(pooled_emulator, "offset-timestamps", seed_instances=1)
    item = instances(emulator)[2]["data"][0]
    assert ISO_OFFSET.match(item["createdAt"]) and ISO_OFFSET.match(item["updatedAt"])
    status, _headers, body = emulator.call("POST", "/api-keys", body={"name": "x", "permissions": ["read"], "expiresAt": "2099-01-01T00:00:00Z"})
    assert status == 201 and body["data"]["expiresAt"] == "2099-01-01T00:00:00.000+00:00"
    offset = {"name": "y", "permissions": ["read"], "expiresAt": "2099-01-01T01:00:00.000+01:00"}
    status, _headers, body = emulator.call("POST", "/api-keys", body=offset)
    assert status == 201 and body["data"]["expiresAt"] == "2099-01-01T00:00:00.000+00:00"


def test_variants_combine(pooled_emulator):
    emulator = variant(pooled_emulator, "bare-lists", "bare-objects", "numeric-ids", "offset-timestamps")
    projects = emulator.call("GET", "/projects")[2]
    assert isinstance(projects, list) and isinstance(projects[0]["id"], int) and ISO_OFFSET.match(projects[0]["createdAt"])
    one = emulator.call("GET", "/projects/%d" % projects[0]["id"])[2]
    assert one == projects[0]


def test_faults_pass_through_the_layer(pooled_emulator):
    """A dropped connection is still dropped (the gateway reaches the server's transport through the layer); an
    injected error is reshaped like any other."""
    emulator = variant(pooled_emulator, "plain-errors", "no-rate-headers")
    emulator.fault(drop=True, count=1)
    with pytest.raises(Exception):
        emulator.call("GET", "/projects")
    emulator.lose_answer(count=1, methods=["POST"])
    with pytest.raises(Exception):
        emulator.call("POST", "/ssh-keys", body={"projectId": emulator.project_id, "name": "k", "publicKey": PUBLIC_KEY})
    assert [entry["status"] for entry in emulator.requests()] == [None, None]
    assert emulator.call("GET", "/ssh-keys", query={"projectId": emulator.project_id})[2]["data"][0]["name"] == "k"  # it acted
    emulator.fault(status=503, count=1, headers={"Retry-After": "1"})
    status, headers, body = emulator.call("GET", "/projects")
    assert (status, body, headers["retry-after"]) == (503, "503 Service Unavailable\n", "1")


def test_a_head_tells_the_length_of_the_reshaped_get(pooled_emulator):
    emulator = variant(pooled_emulator, "bare-objects", "plain-errors")
    path = "/projects/" + emulator.project_id
    _status, get_headers, _body = emulator.call("GET", path)
    status, headers, body = emulator.call("HEAD", path)
    assert (status, body, headers["content-length"]) == (200, None, get_headers["content-length"])
    status, headers, body = emulator.call("HEAD", "/projects/nope")
    assert (status, body, headers["content-type"], headers["content-length"]) == (404, None, "text/plain; charset=utf-8", "14")
    assert [entry["method"] for entry in emulator.requests()] == ["GET", "HEAD", "HEAD"]
