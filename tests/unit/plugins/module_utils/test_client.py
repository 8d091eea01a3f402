"""Unit tests for the pure logic of the API client (no network)."""

import json
import os
import re

import pytest

from ansible_collections.hostupcloud.cloud.plugins.module_utils import _client, _rate
from ansible_collections.hostupcloud.cloud.plugins.module_utils._client import (
    HucApiError,
    HucClient,
    camel_to_snake,
    looks_like_id,
    snake_to_camel,
    to_snake,
)
from ansible_collections.hostupcloud.cloud.plugins.module_utils._errors import mask_secrets
from ansible_collections.hostupcloud.cloud.plugins.module_utils._module import POWER
from ansible_collections.hostupcloud.cloud.plugins.module_utils._version import COLLECTION_VERSION

SECRET = "huc_" + "Ab3dEfGhIjKlMnOpQrStUvWxYz0123456789abcd"


def test_mask_keeps_only_the_prefix():
    text = "Bearer %s failed for %s" % (SECRET, SECRET)
    masked = mask_secrets(text)
    assert SECRET not in masked
    assert masked.count("huc_Ab3d\u2026") == 2


def test_error_text_never_carries_a_key():
    error = HucApiError("bad key %s" % SECRET, status=401, code="something_else")
    assert SECRET not in str(error)
    assert SECRET not in repr(error.failure())


@pytest.mark.parametrize("camel,snake", [("memoryMb", "memory_mb"), ("sshKeyIds", "ssh_key_ids"),
                                         ("ipv4", "ipv4"), ("createdAt", "created_at"), ("id", "id")])
def test_case_conversion_round_trip(camel, snake):
    assert camel_to_snake(camel) == snake
    assert snake_to_camel(snake) == camel


def test_to_snake_keeps_label_keys():
    obj = {"memoryMb": 512, "labels": {"myLabel": "x"}, "nested": [{"diskGb": 10}]}
    assert to_snake(obj) == {"memory_mb": 512, "labels": {"myLabel": "x"}, "nested": [{"disk_gb": 10}]}


def test_uuid_shape_is_an_id_and_names_are_not():
    assert looks_like_id("7d3c2a4e-0b1f-4c55-9a51-2f6a1c0e8b90")
    assert not looks_like_id("production")
    assert not looks_like_id("7d3c2a4e")
    # A trailing newline would reach a path: "$" let it through, "\Z" does not.
    assert not looks_like_id("7d3c2a4e-0b1f-4c55-9a51-2f6a1c0e8b90\n")


@pytest.mark.parametrize("url", ["http://api.example.com/api", "http://10.0.0.5:8080/api"])
def test_plain_http_refused_for_remote_hosts(url):
    with pytest.raises(HucApiError) as info:
        HucClient(SECRET, url)
    assert info.value.code == "insecure_api_url"
    assert SECRET not in str(info.value)


@pytest.mark.parametrize("url", ["http://127.0.0.1:8080/api", "http://localhost:1/api", "http://[::1]:5/api",
                                 "https://console.hostupcloud.com/api"])
def test_loopback_http_and_https_accepted(url):
    assert HucClient(SECRET, url).api_url == url.rstrip("/")


def test_missing_key_is_a_clear_error():
    with pytest.raises(HucApiError) as info:
        HucClient("", "https://console.hostupcloud.com/api")
    assert "HUC_API_KEY" in str(info.value)


def test_check_mode_client_refuses_writes_before_sending():
    client = HucClient(SECRET, "http://127.0.0.1:9/api", read_only=True)
    with pytest.raises(HucApiError) as info:
        client.post("/instances", {"name": "x"})
    assert info.value.code == "check_mode_write"
    assert client.request_count == 0


def test_describe_names_options_for_api_fields():
    error = HucApiError("invalid", status=422, code="validation_error",
                        details={"memoryMb": "must be a multiple of 512", "nodeId": "unknown node"})
    text = error.describe({"nodeId": "node"})
    assert "memory_mb: must be a multiple of 512" in text
    assert "node: unknown node" in text


def test_describe_read_only_key():
    text = HucApiError("forbidden", status=403, code="forbidden", method="POST", path="/instances").describe()
    assert "Read permission only" in text and "needs Write" in text


def test_poll_intervals_grow_and_stop_at_the_deadline():
    steps = list(POWER.intervals(20))
    assert steps == [2.0, 4.0, 8.0, 6.0]
    assert max(POWER.intervals(600)) == 30.0
    assert len(list(POWER.intervals(300))) == 13


def collection_version():
    """The version the collection declares: galaxy.yml in a checkout, MANIFEST.json in a built or installed copy."""
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__))))))
    galaxy_yml = os.path.join(root, "galaxy.yml")
    manifest = os.path.join(root, "MANIFEST.json")
    if os.path.exists(galaxy_yml):
        with open(galaxy_yml) as handle:
            return re.search(r"^version:\s*(\S+)", handle.read(), re.M).group(1)
    if os.path.exists(manifest):
        with open(manifest) as handle:
            return json.load(handle)["collection_info"]["version"]
    pytest.skip("neither galaxy.yml (a checkout) nor MANIFEST.json (a built collection) in %s" % root)


def test_version_matches_galaxy_yml():
    assert COLLECTION_VERSION == collection_version()


def test_user_agent_carries_the_version():
    client = HucClient(SECRET, "http://127.0.0.1:9/api")
    assert ("hostupcloud.cloud/%s" % COLLECTION_VERSION) in client.session.headers["User-Agent"]
    assert _client.HAS_REQUESTS


@pytest.mark.parametrize("timeout,shown", [(0, "got 0"), (-1, "got -1"), (-0.5, "got -0.5"), (0.0, "got 0.0"),
                                           ("30", "got '30'"), ("abc", "got 'abc'"), (None, "got None"),
                                           (True, "got True"), (float("nan"), "got nan"),
                                           (float("inf"), "got inf"), ((5, 30), "got (5, 30)")])
def test_bad_api_timeout_is_refused_naming_the_option(timeout, shown):
    with pytest.raises(HucApiError) as info:
        HucClient(SECRET, "http://127.0.0.1:9/api", timeout=timeout)
    assert info.value.code == "invalid_api_timeout"
    assert str(info.value).startswith("api_timeout must be a number of seconds greater than 0, ")
    assert shown in str(info.value)
    assert info.value.status is None


@pytest.mark.parametrize("timeout", [1, 30, 0.25, 2.5])
def test_positive_api_timeout_is_kept(timeout):
    assert HucClient(SECRET, "http://127.0.0.1:9/api", timeout=timeout).timeout == timeout


@pytest.mark.parametrize("url", ["http://[::1", "http://[::1/api", "https://[zz::1]/api", "http://127.0.0.1:abc/api",
                                 "http://127.0.0.1:99999/api", "https://console.hostupcloud.com:-1/api"])
def test_malformed_api_url_is_refused_naming_the_option(url):
    with pytest.raises(HucApiError) as info:
        HucClient(SECRET, url)
    assert info.value.code == "invalid_api_url"
    assert str(info.value).startswith("api_url is not a valid URL: %r" % url)
    assert SECRET not in str(info.value)


@pytest.mark.parametrize("url", [42, ["http://127.0.0.1:9/api"]])
def test_api_url_that_is_not_a_string_is_refused(url):
    with pytest.raises(HucApiError) as info:
        HucClient(SECRET, url)
    assert info.value.code == "invalid_api_url" and "api_url" in str(info.value)


OPTIONS = dict(api_key=SECRET, api_url="http://127.0.0.1:9/api/", api_timeout=7, validate_certs=False, api_retries=2,
               rate_limit_timeout=40, rate_limit=0, rate_limit_shared=False)


def test_from_options_takes_the_standard_api_options():
    clock = _rate.Clock()
    warnings = []
    client = HucClient.from_options(OPTIONS, user_agent_extra="ansible-module/huc_x", read_only=True,
                                    warn=warnings.append, clock=clock)
    assert (client.api_url, client.timeout, client.validate_certs, client.retries) == ("http://127.0.0.1:9/api", 7, False, 2)
    assert (client.rate_limit_timeout, client.rate_limit, client.read_only) == (40.0, 0, True)
    assert client.clock is clock and client.budget.clock is clock and client.budget.bucket is None
    assert client.session.headers["User-Agent"].endswith(" ansible-module/huc_x")


def test_from_options_defaults_and_refusals_are_the_clients():
    client = HucClient.from_options({"api_key": SECRET})
    assert client.api_url == _client.DEFAULT_API_URL and client.clock is _rate.SYSTEM_CLOCK
    assert (client.timeout, client.retries, client.rate_limit, client.rate_limit_timeout) == (30, 5, 60, 300.0)
    with pytest.raises(HucApiError) as info:
        HucClient.from_options(dict(OPTIONS, api_key=None))
    assert info.value.code == "missing_api_key"
    with pytest.raises(HucApiError) as info:
        HucClient.from_options(dict(OPTIONS, rate_limit=-1))
    assert info.value.code == "invalid_rate_limit"


def test_with_key_is_the_same_client_for_another_key():
    other_key = "huc_" + "Zz9y" * 10
    clock = _rate.Clock()
    client = HucClient.from_options(OPTIONS, user_agent_extra="ansible-module/huc_api_key", read_only=True, clock=clock)
    other = client.with_key(other_key)
    assert other.session.headers["Authorization"] == "Bearer %s" % other_key
    assert other.session.headers["User-Agent"] == client.session.headers["User-Agent"]
    for attribute in ("api_url", "timeout", "validate_certs", "retries", "rate_limit_timeout", "rate_limit", "read_only",
                      "clock"):
        assert getattr(other, attribute) == getattr(client, attribute)
    assert client.session.headers["Authorization"] == "Bearer %s" % SECRET


class Answer:
    """A requests.Response stand-in for _error."""

    def __init__(self, status, body):
        self.status_code, self.reason, self.body = status, "Not Found", body
        self.text = json.dumps(body)

    def json(self):
        return self.body


def test_a_missing_listing_hints_at_the_api_url():
    """No route for a listing means the URL is wrong (most often without /api); a missing object is only missing."""
    client = HucClient(SECRET, "http://127.0.0.1:8080")
    error = client._error(Answer(404, {"error": {"code": "not_found", "message": "no route for GET /projects"}}),
                          "GET", "/projects")
    assert str(error) == ("not found: the API at http://127.0.0.1:8080 has no GET /projects (404): api_url must be "
                          "the API's base URL, which usually ends in /api (GET /projects)")
    gone = client._error(Answer(404, {"error": {"code": "not_found", "message": "instance x not found"}}),
                         "GET", "/instances/x")
    assert str(gone) == "not found: instance x not found (GET /instances/x)"


def test_pages_follow_total_pages_and_stop_on_a_bare_array_or_an_empty_page():
    client = HucClient(SECRET, "http://127.0.0.1:9/api")
    sent = []

    def script(*answers):
        # Each answer stands for itself: the scripted body is what _decode gives for it.
        def exchange(method, path, params=None, *_args, **_kwargs):
            sent.append(params)
            return answers[len(sent) - 1], None
        client.exchange = exchange
        client._decode = lambda response, envelope, method, path: response

    def page(items, total):
        return {"data": items, "pagination": {"totalPages": total}}

    script(page([1, 2], 3), page([3, 4], 3), page([5], 3))
    assert client.list("/x", {"perPage": 2, "name": "n"}) == [1, 2, 3, 4, 5]
    assert sent == [{"perPage": 2, "name": "n", "page": page_number} for page_number in (1, 2, 3)]
    for answers, items in (([[1, 2]], [1, 2]), ([page([], 5)], []), ([{"data": None}], []), ([page([1], None)], [1])):
        del sent[:]
        script(*answers)
        assert client.list("/x") == items and len(sent) == 1
    del sent[:]
    script({"data": {"not": "a list"}})
    with pytest.raises(HucApiError) as info:
        client.list("/x")
    assert info.value.code == "invalid_response"


def test_check_mode_client_sends_head():
    client = HucClient(SECRET, "http://127.0.0.1:9/api", read_only=True, retries=0)
    with pytest.raises(HucApiError) as info:
        client.exchange("HEAD", "/projects")
    assert info.value.code == "network_error" and client.request_count == 1
