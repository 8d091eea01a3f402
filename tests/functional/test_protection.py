"""Protection through ansible-playbook against the emulator: a protected instance, volume or floating IP refuses its
delete before any write, in a real run and in check mode alike, saying how to lift it; lifted, it goes; huc_fleet's
prune and the instances role's prune skip a protected instance with a warning. One playbook per test."""

import pytest

from tests.emulator.harness import make_instances
from tests.functional.playbook import run_playbook
from tests.functional.steps import keyed_run, refused_in_one_run, steps

task, failing, checked = steps("hostupcloud.cloud.huc_instance")
INSTANCES = "/api/instances"


@pytest.fixture
def emulator(emulator_factory):
    return emulator_factory(provision_seconds=0.5, transition_seconds=0.5)


def writes_of(log):
    return [(method, path) for method, path, _query in log if method != "GET"]


def names(emulator, kind="instances"):
    return sorted(obj.get("name") or obj.get("address") for obj in emulator.state()[kind])


def test_a_protected_instance_refuses_delete_in_a_real_run_and_in_check_mode(emulator):
    ids = make_instances(emulator, ["web-1"])
    at = dict(project=emulator.project_id, name="web-1")
    emulator.clear_requests()
    run, logs = refused_in_one_run(emulator, failing, {
        "delete": (dict(at, state="absent"), "instance web-1 is protected against deletion (protection.delete is "
                                             "true): lift it first with a task that sets protection: {delete: false} "
                                             "(state: present), then delete it"),
        "delete by id": (dict(id=ids["web-1"], state="absent"), "is protected against deletion"),
    }, setup=[checked("check protect", dict(at, protection={"delete": True})),
              task("protect", dict(at, protection={"delete": True})),
              task("protect again", dict(at, protection={"delete": True}))],
        alone=[task("lift", dict(at, protection={"delete": False})),
               task("delete lifted", dict(at, state="absent", wait=False))])
    path = "%s/%s" % (INSTANCES, ids["web-1"])
    assert run.task("check protect")["instance"]["protection"] == {"delete": True, "rebuild": False}
    assert writes_of(logs["check protect"]) == []
    assert run.task("protect")["instance"]["protection"] == {"delete": True, "rebuild": False}
    assert writes_of(logs["protect"]) == [("PATCH", path)]
    assert run.task("protect again")["changed"] is False and len(logs["protect again"]) == 1
    assert run.task("delete")["failure"]["details"] == {"protection.delete": "is true"}
    assert run.task("delete")["failure"]["code"] == "protected"
    # The refusals cost the lookup only; once lifted, the delete goes through.
    assert [(m, p) for m, p, _q in logs["delete"]] == [("GET", INSTANCES)]
    assert writes_of(logs["lift"]) == [("PATCH", path)] and writes_of(logs["delete lifted"]) == [("DELETE", path)]
    assert run.status("delete") == "failed" and run.task("lift")["instance"]["protection"]["delete"] is False


def test_protected_volume_and_floating_ip_refuse_delete_even_with_force(emulator):
    ids = make_instances(emulator, ["web-1"])
    volume = dict(project=emulator.project_id, name="data")
    emulator.clear_requests()
    tasks = [
        task("volume", dict(volume, size_gb=10, instance=ids["web-1"], protection={"delete": True}),
             "hostupcloud.cloud.huc_volume"),
        task("volume again", dict(volume, size_gb=10, protection={"delete": True}), "hostupcloud.cloud.huc_volume"),
        task("fip", dict(project=emulator.project_id, instance=ids["web-1"], protection={"delete": True}),
             "hostupcloud.cloud.huc_floating_ip"),
        failing("volume delete", dict(volume, state="absent", force=True), "hostupcloud.cloud.huc_volume"),
        dict(failing("check volume delete", dict(volume, state="absent", force=True), "hostupcloud.cloud.huc_volume"),
             check_mode=True),
        failing("fip release", dict(project=emulator.project_id, instance=ids["web-1"], state="absent", force=True),
                "hostupcloud.cloud.huc_floating_ip"),
        dict(failing("check fip release", dict(project=emulator.project_id, instance=ids["web-1"], state="absent",
                                               force=True), "hostupcloud.cloud.huc_floating_ip"), check_mode=True),
        task("fip lift", dict(project=emulator.project_id, instance=ids["web-1"], protection={"delete": False}),
             "hostupcloud.cloud.huc_floating_ip"),
        task("fip release lifted", dict(project=emulator.project_id, instance=ids["web-1"], state="absent",
                                        force=True), "hostupcloud.cloud.huc_floating_ip"),
    ]
    run, logs, _keys = keyed_run(emulator, tasks)
    made = run.task("volume")["volume"]
    assert made["protection"] == {"delete": True} and made["instance_id"] == ids["web-1"]
    assert ("POST", "/api/volumes") in writes_of(logs["volume"])
    assert run.task("volume again")["changed"] is False and writes_of(logs["volume again"]) == []
    assert run.task("fip")["floating_ip"]["protection"] == {"delete": True}
    for name, kind in (("volume delete", "volume"), ("check volume delete", "volume"), ("fip release", "floating IP"),
                       ("check fip release", "floating IP")):
        assert run.status(name) == "failed" and run.task(name)["failure"]["code"] == "protected", name
        assert run.task(name)["msg"].startswith("%s " % kind) and "protection: {delete: false}" in run.task(name)["msg"]
        assert writes_of(logs[name]) == [], (name, logs[name])
    assert names(emulator, "volumes") == ["data"]
    fip = run.task("fip")["floating_ip"]
    assert writes_of(logs["fip lift"]) == [("PATCH", "/api/floating-ips/%s" % fip["id"])]
    assert ("DELETE", "/api/floating-ips/%s" % fip["id"]) in writes_of(logs["fip release lifted"])
    assert all(f["id"] != fip["id"] for f in emulator.state()["floatingIps"])


def test_fleet_prune_and_the_instances_role_prune_skip_protected_instances_with_a_warning(emulator):
    node, size = emulator.node_id, dict(vcpus=1, memory_mb=1024, disk_gb=20)
    fleet = dict(project=emulator.project_id, fleet="web", defaults=dict(size, node=node, os_template=emulator.os_template))
    role = {"name": "role", "ansible.builtin.include_role": {"name": "hostupcloud.cloud.instances"},
            "vars": {"instances_project": emulator.project_id, "instances_managed_by": "old", "instances_prune": True,
                     "instances_list": []}}
    # Two instances of the instances role made before 1.1.0 (managed-by only): the role prunes those itself.
    for name in ("old-1", "old-2"):
        status, _headers, body = emulator.call("POST", "/instances", body={
            "projectId": emulator.project_id, "name": name, "nodeId": node, "osTemplate": emulator.os_template,
            "vcpus": 1, "memoryMb": 1024, "diskGb": 20, "labels": {"managed-by": "old"},
            "protection": {"delete": name == "old-2"}})
        assert status == 201, body
    fleet_task = "hostupcloud.cloud.huc_fleet"
    project = {"instances_project": emulator.project_id, "instances_managed_by": "new"}
    protected = dict(size, name="new-1", node=node, os_template=emulator.os_template, protection={"delete": True})
    run = run_playbook([
        task("make", dict(fleet, instances=[{"name": "web-1"}, {"name": "web-2", "protection": {"delete": True}},
                                            {"name": "web-3"}]), fleet_task),
        dict(task("check prune", dict(fleet, instances=[], prune=True), fleet_task), check_mode=True),
        task("prune", dict(fleet, instances=[], prune=True), fleet_task),
        role,
        dict(role, name="role protects", vars=dict(project, instances_list=[protected])),
        dict(role, name="role prunes", vars=dict(project, instances_prune=True, instances_list=[])),
    ], emulator=emulator)
    assert run.rc == 0, [(r["task"], r["result"].get("msg")) for r in run.records]
    assert run.task("make")["instances"][1]["protection"] == {"delete": True, "rebuild": False}
    warning = ("prune skipped this instance protected against deletion (protection.delete): web-2; lift it with "
               "protection: {delete: false} to let them go")
    for name in ("check prune", "prune"):
        assert warning in run.task(name)["warnings"], run.task(name)
        assert [obj["name"] for obj in run.task(name)["pruned"]] == ["web-1", "web-3"], name
    assert "prune skipped this instance protected against deletion (protection.delete): old-2;" in run.output
    # The role passes an item's protection to huc_fleet, whose prune then skips it.
    assert "prune skipped this instance protected against deletion (protection.delete): new-1;" in run.output
    assert names(emulator) == ["new-1", "old-2", "web-2"]
