"""Rebuild and backups [assumed]: the rebuild action (rebuilding, then running; what it keeps), its sources
(template, snapshot, backup), the backups field, daily backups and their listing."""

import json

import pytest

from tests.contract.helpers import Api
from tests.emulator.harness import Emulator

DAY = 86400


def rebuild(api, instance_id, **body):
    return api.post("/instances/%s/rebuild" % instance_id, json=body)


def snapshot_of(api, emulator, instance_id, name="snap-1"):
    """An available snapshot of the instance."""
    snapshot = api.create("/snapshots", {"projectId": emulator.project_id, "instanceId": instance_id, "name": name})
    emulator.advance(3.5)
    return snapshot


def test_new_instance_fields_and_their_defaults(api):
    inst = api.create_instance()
    assert (inst["snapshotId"], inst["backupId"], inst["backups"], inst["protection"]) == (None, None, False, {"delete": False, "rebuild": False})


def test_seeded_instances_have_the_new_fields(pooled_emulator):
    emulator = pooled_emulator(seed_instances=2)
    api = Api(emulator)
    for inst in api.get("/instances").json()["data"]:
        assert (inst["snapshotId"], inst["backupId"], inst["backups"], inst["protection"]) == (None, None, False, {"delete": False, "rebuild": False})
    api.close()


def test_rebuild_from_a_template_keeps_everything_but_the_disk(api, emulator):
    inst = api.running_instance(labels={"role": "web"}, ipv6=True)
    volume = api.create("/volumes", {"projectId": emulator.project_id, "name": "data", "sizeGb": 10, "nodeId": emulator.node_id})
    api.post("/volumes/%s/attach" % volume["id"], json={"instanceId": inst["id"]})
    fip = api.create("/floating-ips", {"projectId": emulator.project_id, "nodeId": emulator.node_id})
    api.post("/floating-ips/%s/attach" % fip["id"], json={"instanceId": inst["id"]})
    emulator.advance(10)
    response = rebuild(api, inst["id"], osTemplate="Debian 12")
    assert response.status_code == 202, response.text
    assert response.headers["Retry-After"] == "5"
    shown = response.json()["data"]
    assert shown["status"] == "rebuilding" and shown["osTemplate"] == "Debian 12" and shown["updatedAt"] > inst["updatedAt"]
    kept = ("id", "ipv4", "ipv6", "ipv6Prefix", "reverseDns", "labels", "vcpus", "memoryMb", "diskGb", "createdAt", "protection", "backups")
    assert {name: shown[name] for name in kept} == {name: inst[name] for name in kept}
    emulator.advance(4)
    assert api.status(inst["id"]) == "rebuilding"
    emulator.advance(1.5)
    assert api.status(inst["id"]) == "running"
    assert api.get("/volumes/" + volume["id"]).json()["data"]["instanceId"] == inst["id"]
    assert api.get("/floating-ips/" + fip["id"]).json()["data"]["instanceId"] == inst["id"]


def test_rebuild_from_stopped_and_from_a_snapshot(api, emulator):
    source = api.running_instance(osTemplate="AlmaLinux 9", diskGb=30, name="source")
    snapshot = snapshot_of(api, emulator, source["id"])
    inst = api.running_instance(diskGb=30)
    emulator.set_instance(inst["id"], status="stopped")
    shown = rebuild(api, inst["id"], snapshotId=snapshot["id"]).json()["data"]
    assert (shown["status"], shown["osTemplate"], shown["snapshotId"], shown["backupId"]) == ("rebuilding", "AlmaLinux 9", snapshot["id"], None)
    emulator.advance(5.5)
    assert api.status(inst["id"]) == "running"
    back = rebuild(api, inst["id"], osTemplate="Ubuntu 24.04").json()["data"]
    assert (back["osTemplate"], back["snapshotId"], back["backupId"]) == ("Ubuntu 24.04", None, None)


@pytest.mark.parametrize("status", ["provisioning", "stopping", "starting", "rebooting", "rebuilding", "deleting", "error"])
def test_rebuild_only_from_running_or_stopped(api, emulator, status):
    inst = api.create_instance()
    emulator.set_instance(inst["id"], status=status)
    error = api.error(rebuild(api, inst["id"], osTemplate="Debian 12"), 409)
    assert error["code"] == "invalid_state" and error["details"] == {"status": status}


def test_rebuild_body_takes_exactly_one_known_source(two_projects):
    emulator, api, other = two_projects
    inst = api.running_instance(diskGb=20)
    big = api.running_instance(diskGb=50, name="big")
    elsewhere = api.running_instance(projectId=other, name="far")
    big_snapshot = snapshot_of(api, emulator, big["id"])
    far_snapshot = api.create("/snapshots", {"projectId": other, "instanceId": elsewhere["id"], "name": "far"})
    other_backup = emulator.make_backup(big["id"])
    assert api.error(rebuild(api, inst["id"]), 422)["details"] == {"osTemplate": "is required (or snapshotId or backupId)"}
    both = api.error(rebuild(api, inst["id"], osTemplate="Debian 12", snapshotId=big_snapshot["id"]), 422)
    assert both["details"] == {"snapshotId": "give exactly one of osTemplate, snapshotId, backupId"}
    assert set(api.error(rebuild(api, inst["id"], osTemplate="Windows 95"), 422)["details"]) == {"osTemplate"}
    assert "at least 50 GB" in api.error(rebuild(api, inst["id"], snapshotId=big_snapshot["id"]), 422)["details"]["snapshotId"]
    assert "unknown snapshot" in api.error(rebuild(api, inst["id"], snapshotId=far_snapshot["id"]), 422)["details"]["snapshotId"]
    assert "unknown backup" in api.error(rebuild(api, inst["id"], backupId=other_backup["id"]), 422)["details"]["backupId"]
    assert set(api.error(rebuild(api, inst["id"], osTemplate="Debian 12", extra=1), 422)["details"]) == {"extra"}
    assert api.error(rebuild(api, "no-such-instance", osTemplate="Debian 12"), 404)["code"] == "not_found"
    assert api.status(inst["id"]) == "running"


def test_rebuild_from_a_snapshot_still_creating_is_409(api, emulator):
    inst = api.running_instance()
    snapshot = api.create("/snapshots", {"projectId": emulator.project_id, "instanceId": inst["id"], "name": "fresh"})
    error = api.error(rebuild(api, inst["id"], snapshotId=snapshot["id"]), 409)
    assert error["code"] == "invalid_state" and error["details"] == {"snapshotId": snapshot["id"], "status": "creating"}


@pytest.mark.parametrize("action", ["start", "stop", "shutdown", "reboot"])
def test_power_actions_while_rebuilding_are_409(api, emulator, action):
    inst = api.running_instance()
    rebuild(api, inst["id"], osTemplate="Debian 12")
    error = api.error(api.post("/instances/%s/power" % inst["id"], json={"action": action}), 409)
    assert error["code"] == "invalid_state" and error["details"] == {"action": action, "status": "rebuilding"}


def test_delete_while_rebuilding_is_allowed(api, emulator):
    inst = api.running_instance()
    rebuild(api, inst["id"], osTemplate="Debian 12")
    assert api.delete("/instances/" + inst["id"]).json()["data"]["status"] == "deleting"


def test_status_filter_knows_rebuilding(api, emulator):
    inst = api.running_instance()
    rebuild(api, inst["id"], osTemplate="Debian 12")
    assert [item["id"] for item in api.get("/instances", params={"status": "rebuilding"}).json()["data"]] == [inst["id"]]


def test_backups_are_daily_while_on_and_kept_seven(api, emulator):
    inst = api.running_instance(backups=True, diskGb=25)
    assert api.get("/instances/%s/backups" % inst["id"]).json()["data"] == []
    emulator.advance(DAY)
    backups = api.get("/instances/%s/backups" % inst["id"]).json()["data"]
    assert [set(item) for item in backups] == [{"id", "instanceId", "sizeGb", "status", "createdAt"}]
    assert (backups[0]["instanceId"], backups[0]["sizeGb"], backups[0]["status"]) == (inst["id"], 25, "available")
    emulator.advance(30 * DAY)
    listing = api.get("/instances/%s/backups" % inst["id"]).json()
    assert listing["pagination"]["total"] == 7
    times = [item["createdAt"] for item in listing["data"]]
    assert times == sorted(times) and len(set(times)) == 7


def test_backups_switch_by_patch_and_stay_when_off(api, emulator):
    inst = api.running_instance()
    emulator.advance(2 * DAY)
    assert api.get("/instances/%s/backups" % inst["id"]).json()["data"] == []
    shown = api.patch("/instances/" + inst["id"], json={"backups": True}).json()["data"]
    assert shown["backups"] is True and shown["updatedAt"] > inst["updatedAt"]
    emulator.advance(DAY + 1)
    assert api.patch("/instances/" + inst["id"], json={"backups": False}).json()["data"]["backups"] is False
    emulator.advance(3 * DAY)
    assert len(api.get("/instances/%s/backups" % inst["id"]).json()["data"]) == 1
    assert set(api.error(api.patch("/instances/" + inst["id"], json={"backups": None}), 422)["details"]) == {"backups"}
    assert set(api.error(api.patch("/instances/" + inst["id"], json={"backups": "yes"}), 422)["details"]) == {"backups"}


def test_restore_from_a_backup(api, emulator):
    inst = api.running_instance(osTemplate="Debian 12")
    backup = emulator.make_backup(inst["id"])
    assert rebuild(api, inst["id"], osTemplate="Ubuntu 22.04").status_code == 202
    emulator.advance(5.5)
    shown = rebuild(api, inst["id"], backupId=backup["id"]).json()["data"]
    assert (shown["status"], shown["osTemplate"], shown["snapshotId"], shown["backupId"]) == ("rebuilding", "Debian 12", None, backup["id"])


def test_backups_go_with_their_instance(api, emulator):
    inst = api.running_instance()
    emulator.make_backup(inst["id"])
    api.delete("/instances/" + inst["id"])
    emulator.advance(10)
    assert emulator.state()["backups"] == []
    assert api.error(api.get("/instances/%s/backups" % inst["id"]), 404)["code"] == "not_found"


def test_make_backup_control_route(api, emulator):
    inst = api.running_instance()
    backup = emulator.make_backup(inst["id"])
    assert backup["instanceId"] == inst["id"] and backup["status"] == "available"
    assert api.get("/instances/%s/backups" % inst["id"]).json()["data"] == [backup]
    assert api.control("POST", "/instances/no-such-instance/backups").status_code == 404


def test_numeric_ids_reach_the_new_routes(pooled_emulator):
    emulator = pooled_emulator(variants=("numeric-ids",))
    api = Api(emulator)
    inst = api.create_instance()
    assert isinstance(inst["id"], int)
    emulator.advance(5.5)
    snapshot = api.create("/snapshots", {"projectId": emulator.project_id, "instanceId": inst["id"], "name": "snap-1"})
    assert isinstance(snapshot["id"], int) and snapshot["instanceId"] == inst["id"]
    emulator.advance(3.5)
    uuid = emulator.state()["instances"][0]["id"]
    emulator.make_backup(uuid)
    backups = api.get("/instances/%d/backups" % inst["id"]).json()["data"]
    assert [item["instanceId"] for item in backups] == [inst["id"]] and isinstance(backups[0]["id"], int)
    shown = rebuild(api, inst["id"], snapshotId=snapshot["id"]).json()["data"]
    assert shown["snapshotId"] == snapshot["id"]
    emulator.advance(5.5)
    assert rebuild(api, inst["id"], backupId=backups[0]["id"]).json()["data"]["backupId"] == backups[0]["id"]
    assert api.get("/snapshots", params={"instanceId": inst["id"]}).json()["data"][0]["id"] == snapshot["id"]
    api.close()


def test_a_state_file_from_before_issue_28_loads_with_the_defaults(tmp_path):
    path = tmp_path / "state.json"
    with Emulator(state_file=path, seed_instances=1) as first:
        first_api = Api(first)
        inst = first_api.running_instance()
        volume = first_api.create("/volumes", {"projectId": first.project_id, "name": "data", "sizeGb": 10, "nodeId": first.node_id})
        first_api.close()
    state = json.loads(path.read_text())
    for kind in ("snapshots", "backups"):
        del state["data"][kind]
    for record in state["data"]["instances"].values():
        for name in ("snapshotId", "backupId", "backups", "protection", "_backupsFrom"):
            del record[name]
    for record in state["data"]["volumes"].values():
        del record["protection"]
    path.write_text(json.dumps(state))
    with Emulator(state_file=path) as second:
        api = Api(second)
        shown = api.instance(inst["id"])
        assert (shown["snapshotId"], shown["backupId"], shown["backups"], shown["protection"]) == (None, None, False, {"delete": False, "rebuild": False})
        assert api.get("/volumes/" + volume["id"]).json()["data"]["protection"] == {"delete": False}
        assert api.get("/snapshots").json()["data"] == [] and api.get("/instances/%s/backups" % inst["id"]).json()["data"] == []
        api.close()
