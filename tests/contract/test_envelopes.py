"""Envelopes, error bodies, unknown routes, bad bodies, timestamps and the Date header."""

import re
from email.utils import parsedate_to_datetime
import time

ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


def test_single_object_envelope(api, emulator):
    body = api.get("/projects/" + emulator.project_id).json()
    assert list(body) == ["data"]
    assert body["data"]["id"] == emulator.project_id
    assert body["data"]["name"] == "default"
    assert ISO.match(body["data"]["createdAt"])


def test_list_envelope(api):
    body = api.get("/nodes").json()
    assert set(body) == {"data", "pagination"}
    assert body["pagination"] == {"page": 1, "perPage": 50, "total": 3, "totalPages": 1}
    assert [node["location"] for node in body["data"]] == ["fra1", "ams1", "nyc1"]
    assert set(body["data"][0]) == {"id", "name", "location", "status", "availableVcpus", "availableMemoryMb", "availableDiskGb"}


def test_catalogue(api, emulator):
    templates = api.get("/os-templates").json()["data"]
    assert {"name": "Ubuntu 24.04", "family": "ubuntu", "version": "24.04"} in templates
    assert [template["name"] for template in templates] == ["Ubuntu 24.04", "Ubuntu 22.04", "Debian 12", "Rocky Linux 9", "AlmaLinux 9"]
    node = api.get("/nodes/" + emulator.node_id).json()["data"]
    assert node["name"] == emulator.node_name == "fra1-n1"
    assert node["status"] == "online"
    assert api.get("/projects").json()["data"] == [api.get("/projects/" + emulator.project_id).json()["data"]]


def test_error_envelope_of_unknown_ids(api):
    for path in ("/projects/x", "/nodes/x", "/instances/x", "/api-keys/x", "/ssh-keys/x", "/floating-ips/x", "/volumes/x"):
        error = api.error(api.get(path), 404)
        assert error["code"] == "not_found"
        assert error["message"].endswith(" x not found")


def test_unknown_route_and_method_use_the_envelope(api):
    assert api.error(api.get("/nothing-here"), 404)["code"] == "not_found"
    assert api.error(api.request("PUT", "/instances"), 405)["code"] == "method_not_allowed"
    assert api.error(api.get("/nothing-here", key=""), 401)["code"] == "invalid_api_key"


def test_body_that_is_not_a_json_object_is_400(api):
    for data in ("{not json", "[1, 2]", '"text"', "", b"\xff\xfe"):
        response = api.post("/instances", data=data, headers={"Content-Type": "application/json"})
        assert api.error(response, 400)["code"] == "bad_request", data


def test_date_header_shows_the_emulator_clock(api, emulator):
    def shown(response):
        return parsedate_to_datetime(response.headers["Date"]).timestamp()

    assert abs(shown(api.get("/projects")) - time.time()) < 5
    emulator.advance(86400 * 3)
    assert abs(shown(api.get("/projects")) - time.time() - 86400 * 3) < 5
    assert abs(shown(api.get("/projects", key="")) - time.time() - 86400 * 3) < 5
    control = api.control("GET", "/clock")
    assert abs(shown(control) - time.time() - 86400 * 3) < 5
    assert len(api.get("/projects").raw.headers.getlist("Date")) == 1


def test_timestamps_are_utc_seconds_with_z(api):
    inst = api.create_instance()
    assert ISO.match(inst["createdAt"]) and ISO.match(inst["updatedAt"])
