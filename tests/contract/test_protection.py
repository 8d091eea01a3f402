"""Protection [assumed]: instances {delete, rebuild}, volumes and floating IPs {delete}; 409 protected before any write."""

import pytest

from tests.contract.helpers import instance_body


def volume(api, emulator, **extra):
    return api.create("/volumes", dict({"projectId": emulator.project_id, "name": "data", "sizeGb": 10, "nodeId": emulator.node_id}, **extra))


def floating_ip(api, emulator, **extra):
    return api.create("/floating-ips", dict({"projectId": emulator.project_id, "nodeId": emulator.node_id}, **extra))


def test_instance_protection_at_create_either_key_alone(api):
    assert api.create_instance(protection={"delete": True})["protection"] == {"delete": True, "rebuild": False}
    assert api.create_instance(name="web-2", protection={"rebuild": True})["protection"] == {"delete": False, "rebuild": True}
    assert api.create_instance(name="web-3", protection={})["protection"] == {"delete": False, "rebuild": False}


def test_protected_instance_refuses_delete_with_details(api, emulator):
    inst = api.running_instance(protection={"delete": True})
    error = api.error(api.delete("/instances/" + inst["id"]), 409)
    assert error["code"] == "protected" and error["details"] == {"protection.delete": "is true"}
    assert "protection.delete" in error["message"] and "false" in error["message"]
    assert api.status(inst["id"]) == "running"
    emulator.advance(2)
    lifted = api.patch("/instances/" + inst["id"], json={"protection": {"delete": False}}).json()["data"]
    assert lifted["protection"] == {"delete": False, "rebuild": False} and lifted["updatedAt"] > inst["updatedAt"]
    assert api.delete("/instances/" + inst["id"]).status_code == 202


def test_protected_instance_refuses_rebuild_before_its_state(api, emulator):
    inst = api.running_instance(protection={"rebuild": True})
    error = api.error(api.post("/instances/%s/rebuild" % inst["id"], json={"osTemplate": "Debian 12"}), 409)
    assert error["code"] == "protected" and error["details"] == {"protection.rebuild": "is true"}
    emulator.set_instance(inst["id"], status="starting")
    assert api.error(api.post("/instances/%s/rebuild" % inst["id"], json={"osTemplate": "Debian 12"}), 409)["code"] == "protected"
    emulator.set_instance(inst["id"], status="running")
    assert api.delete("/instances/" + inst["id"]).status_code == 202  # rebuild protection does not guard deletion


def test_patch_one_flag_keeps_the_other_and_same_value_is_no_change(api, emulator):
    inst = api.running_instance(protection={"delete": True})
    emulator.advance(5)
    same = api.patch("/instances/" + inst["id"], json={"protection": {"delete": True}}).json()["data"]
    assert same["updatedAt"] == inst["updatedAt"]
    both = api.patch("/instances/" + inst["id"], json={"protection": {"rebuild": True}}).json()["data"]
    assert both["protection"] == {"delete": True, "rebuild": True}


@pytest.mark.parametrize("value, detail", [
    (None, "must be an object"), ({"delete": None}, "delete: must be a boolean"), ({"delete": "yes"}, "delete: must be a boolean"),
    ({"other": True}, "other: is not a known field"), (True, "must be an object"),
])
def test_bad_protection_is_422(api, value, detail):
    inst = api.create_instance()
    error = api.error(api.patch("/instances/" + inst["id"], json={"protection": value}), 422)
    assert error["details"] == {"protection": detail}
    if value is not None:
        body = instance_body(api.emulator, name="web-9", protection=value)
        assert api.error(api.post("/instances", json=body), 422)["details"] == {"protection": detail}


def test_volume_protection(api, emulator):
    record = volume(api, emulator, protection={"delete": True})
    assert record["protection"] == {"delete": True}
    assert volume(api, emulator, name="plain")["protection"] == {"delete": False}
    error = api.error(api.delete("/volumes/" + record["id"]), 409)
    assert error["code"] == "protected" and error["details"] == {"protection.delete": "is true"}
    assert set(api.error(api.patch("/volumes/" + record["id"], json={"protection": {"rebuild": True}}), 422)["details"]) == {"protection"}
    changed = api.patch("/volumes/" + record["id"], json={"protection": {"delete": False}, "sizeGb": 12}).json()["data"]
    assert changed["protection"] == {"delete": False} and changed["sizeGb"] == 12
    assert api.delete("/volumes/" + record["id"]).status_code == 204


def test_floating_ip_protection(api, emulator):
    record = floating_ip(api, emulator, protection={"delete": True})
    assert record["protection"] == {"delete": True}
    assert floating_ip(api, emulator)["protection"] == {"delete": False}
    error = api.error(api.delete("/floating-ips/" + record["id"]), 409)
    assert error["code"] == "protected" and error["details"] == {"protection.delete": "is true"}
    assert api.patch("/floating-ips/" + record["id"], json={"protection": {"delete": False}}).json()["data"]["protection"] == {"delete": False}
    assert set(api.error(api.patch("/floating-ips/" + record["id"], json={"labels": {}}), 422)["details"]) == {"labels"}
    assert api.error(api.patch("/floating-ips/no-such-ip", json={"protection": {"delete": True}}), 404)["code"] == "not_found"
    assert api.delete("/floating-ips/" + record["id"]).status_code == 204


def test_protected_comes_before_attached(api, emulator):
    inst = api.running_instance()
    for path, record in (("/volumes/", volume(api, emulator, protection={"delete": True})),
                         ("/floating-ips/", floating_ip(api, emulator, protection={"delete": True}))):
        api.post(path + record["id"] + "/attach", json={"instanceId": inst["id"]})
        assert api.error(api.delete(path + record["id"]), 409)["code"] == "protected"
        api.patch(path + record["id"], json={"protection": {"delete": False}})
        assert api.error(api.delete(path + record["id"]), 409)["code"] == "conflict"
