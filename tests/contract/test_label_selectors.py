"""labelSelector [assumed] on the lists of instances and floating IPs: every form, and 422 on a bad selector."""

import pytest

LABELS = {"web": {"role": "web", "env": "prod"}, "db": {"role": "db", "env": "test"}, "bare": {}}


@pytest.fixture
def labelled(api):
    for name, labels in LABELS.items():
        api.create_instance(name=name, labels=labels)
    return api


def names(api, selector, path="/instances"):
    answer = api.get(path, params={"labelSelector": selector})
    assert answer.status_code == 200, answer.text
    return sorted(item.get("name") or item["labels"].get("name") for item in answer.json()["data"])


@pytest.mark.parametrize("selector, expected", [
    ("role=web", ["web"]),
    ("role==web", ["web"]),
    ("role!=web", ["bare", "db"]),
    ("role", ["db", "web"]),
    ("!role", ["bare"]),
    ("role in (web, db)", ["db", "web"]),
    ("role notin (web)", ["bare", "db"]),
    ("role in (web,db),env notin (prod)", ["db"]),
    ("role=web,env=test", []),
])
def test_instances_by_selector(labelled, selector, expected):
    assert names(labelled, selector) == expected


def test_floating_ips_by_selector(api, emulator):
    for name, labels in LABELS.items():
        api.create("/floating-ips", {"projectId": emulator.project_id, "nodeId": emulator.node_id, "labels": dict(labels, name=name)})
    assert names(api, "role notin (web), name", "/floating-ips") == ["bare", "db"]
    assert names(api, "!role", "/floating-ips") == ["bare"]


@pytest.mark.parametrize("selector", ["", "role=web,", "role in (web", "role in ()", "role web", "=web", "role<3", "k" * 64, "role in web"])
def test_bad_selector_is_422(api, selector):
    for path in ("/instances", "/floating-ips"):
        error = api.error(api.get(path, params={"labelSelector": selector}), 422)
        assert error["code"] == "validation_error" and list(error["details"]) == ["labelSelector"]
