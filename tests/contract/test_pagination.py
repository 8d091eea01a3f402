"""page (1-based) and perPage (default 50, at most 100) on every list."""

import pytest

from tests.contract.helpers import Api


@pytest.fixture
def seeded(pooled_emulator):
    emulator = pooled_emulator(seed_projects=1, seed_instances=250)
    client = Api(emulator)
    yield emulator, client
    client.close()


def test_250_instances_in_3_pages_of_100(seeded):
    _emulator, api = seeded
    seen = []
    for page, size in ((1, 100), (2, 100), (3, 50)):
        body = api.get("/instances", params={"page": page, "perPage": 100}).json()
        assert body["pagination"] == {"page": page, "perPage": 100, "total": 250, "totalPages": 3}
        assert len(body["data"]) == size
        seen += [inst["id"] for inst in body["data"]]
    assert len(set(seen)) == 250
    assert api.get("/instances", params={"page": 4, "perPage": 100}).json()["data"] == []


def test_order_is_creation_order_and_stable(seeded):
    _emulator, api = seeded
    first = api.get("/instances", params={"perPage": 100}).json()["data"]
    again = api.get("/instances", params={"perPage": 100}).json()["data"]
    assert [inst["id"] for inst in first] == [inst["id"] for inst in again]
    assert [inst["name"][-4:] for inst in first[:3]] == ["0001", "0002", "0003"]
    assert [inst["createdAt"] for inst in first] == sorted(inst["createdAt"] for inst in first)


def test_default_page_size_is_50(seeded):
    _emulator, api = seeded
    body = api.get("/instances").json()
    assert len(body["data"]) == 50
    assert body["pagination"] == {"page": 1, "perPage": 50, "total": 250, "totalPages": 5}


def test_out_of_range_pagination_is_422_naming_the_field(api):
    cases = [({"perPage": 101}, "perPage"), ({"perPage": 0}, "perPage"), ({"perPage": "many"}, "perPage"), ({"page": 0}, "page"), ({"page": -1}, "page")]
    for params, field in cases:
        error = api.error(api.get("/instances", params=params), 422)
        assert error["code"] == "validation_error"
        assert list(error["details"]) == [field], params


def test_both_bad_pagination_fields_are_named(api):
    error = api.error(api.get("/projects", params={"page": 0, "perPage": 101}), 422)
    assert set(error["details"]) == {"page", "perPage"}


def test_every_list_is_paginated(api):
    for path in ("/projects", "/nodes", "/os-templates", "/instances", "/api-keys", "/ssh-keys", "/floating-ips", "/volumes"):
        body = api.get(path, params={"perPage": 1}).json()
        assert body["pagination"]["perPage"] == 1, path
        assert len(body["data"]) <= 1, path
    body = api.get("/os-templates", params={"perPage": 2, "page": 3}).json()
    assert body["pagination"] == {"page": 3, "perPage": 2, "total": 5, "totalPages": 3}
    assert len(body["data"]) == 1
    assert api.get("/volumes").json()["pagination"]["totalPages"] == 0
