"""Instances: create (201 provisioning, then running), validation, names, filters, PATCH rules, DELETE."""

from tests.contract.helpers import SSH_PUBLIC_KEY, Api, instance_body

FIELDS = {"id", "projectId", "name", "nodeId", "osTemplate", "vcpus", "memoryMb", "diskGb", "status", "ipv4", "ipv6",
          "ipv6Prefix", "reverseDns", "sshKeyIds", "labels", "createdAt", "updatedAt", "snapshotId", "backupId", "backups", "protection"}


def test_create_answers_201_provisioning_with_every_field(api, emulator):
    inst = api.create_instance(labels={"role": "web"})
    assert set(inst) == FIELDS
    assert inst["status"] == "provisioning"
    assert inst["projectId"] == emulator.project_id and inst["nodeId"] == emulator.node_id
    assert (inst["vcpus"], inst["memoryMb"], inst["diskGb"], inst["osTemplate"]) == (2, 4096, 40, "Ubuntu 24.04")
    # IPv6 is off unless asked for at creation (test_networking_ipv6.py has the instances with it).
    assert inst["ipv4"].startswith("100.") and inst["ipv6"] is None and inst["ipv6Prefix"] is None
    assert inst["reverseDns"] == {inst["ipv4"]: None}
    assert inst["labels"] == {"role": "web"} and inst["sshKeyIds"] == []
    assert inst["createdAt"] == inst["updatedAt"]
    assert api.instance(inst["id"]) == inst


def test_provisioning_turns_running_after_provision_seconds(api, emulator):
    inst = api.create_instance()
    emulator.advance(4)
    assert api.status(inst["id"]) == "provisioning"
    emulator.advance(1.5)
    shown = api.instance(inst["id"])
    assert shown["status"] == "running"
    assert shown["updatedAt"] > inst["updatedAt"]


def test_provision_seconds_option(pooled_emulator):
    emulator = pooled_emulator(provision_seconds=30)
    api = Api(emulator)
    inst = api.create_instance()
    emulator.advance(29)
    assert api.status(inst["id"]) == "provisioning"
    emulator.advance(1.5)
    assert api.status(inst["id"]) == "running"
    api.close()


def test_every_bad_field_is_named_at_once(api):
    body = {
        "projectId": "no-such-project",
        "name": "Bad_Name",
        "nodeId": "no-such-node",
        "osTemplate": "Windows 95",
        "vcpus": 65,
        "memoryMb": 1000,
        "diskGb": 5,
        "sshKeyIds": ["no-such-key"],
        "labels": {"role": 1},
        "userData": "x" * (64 * 1024 + 1),
    }
    error = api.error(api.post("/instances", json=body), 422)
    assert error["code"] == "validation_error"
    assert set(error["details"]) == set(body)
    assert error["details"]["vcpus"] == "must be between 1 and 64"
    assert not api.get("/instances").json()["data"]


def test_missing_required_fields_are_named(api):
    error = api.error(api.post("/instances", json={"name": "web"}), 422)
    assert set(error["details"]) == {"projectId", "nodeId", "osTemplate", "vcpus", "memoryMb", "diskGb"}
    assert error["details"]["vcpus"] == "is required"


BAD_VALUES = [
    ("name", "1starts-with-digit"), ("name", "a" * 64), ("name", ""), ("name", 7),
    ("vcpus", 0), ("vcpus", "2"), ("vcpus", 2.5), ("vcpus", True),
    ("memoryMb", 256), ("memoryMb", 262144 + 512), ("memoryMb", 1536 + 1),
    ("diskGb", 9), ("diskGb", 4097),
    ("labels", {"": "x"}), ("labels", ["a"]), ("sshKeyIds", "abc"), ("userData", 5), ("unknownField", 1),
]

GOOD_VALUES = [("name", "a" * 63), ("vcpus", 64), ("memoryMb", 512), ("memoryMb", 262144), ("diskGb", 10), ("diskGb", 4096),
               ("userData", "#cloud-config\n"), ("labels", {"k" * 63: "v"}), ("sshKeyIds", []), ("labels", None)]


def test_each_bad_value_is_named(api, emulator):
    for field, value in BAD_VALUES:
        error = api.error(api.post("/instances", json=instance_body(emulator, **{field: value})), 422)
        assert list(error["details"]) == [field], (field, value)


def test_limits_are_inclusive(api, emulator):
    for number, (field, value) in enumerate(GOOD_VALUES):
        body = instance_body(emulator, name="web-%d" % number)
        body[field] = value
        assert api.post("/instances", json=body).status_code == 201, (field, value)


def test_ssh_keys_must_belong_to_the_project(pooled_emulator):
    emulator = pooled_emulator(seed_projects=1)
    api = Api(emulator)
    other = [project for project in api.get("/projects").json()["data"] if project["name"] == "project-01"][0]
    mine = api.create("/ssh-keys", {"projectId": emulator.project_id, "name": "mine", "publicKey": SSH_PUBLIC_KEY})
    theirs = api.create("/ssh-keys", {"projectId": other["id"], "name": "theirs", "publicKey": SSH_PUBLIC_KEY})
    inst = api.create_instance(sshKeyIds=[mine["id"]])
    assert inst["sshKeyIds"] == [mine["id"]]
    error = api.error(api.post("/instances", json=instance_body(emulator, name="web-2", sshKeyIds=[theirs["id"]])), 422)
    assert list(error["details"]) == ["sshKeyIds"]
    api.close()


def test_taken_name_is_409_conflict_but_free_in_another_project(pooled_emulator):
    emulator = pooled_emulator(seed_projects=1)
    api = Api(emulator)
    api.create_instance(name="web")
    error = api.error(api.post("/instances", json=instance_body(emulator, name="web")), 409)
    assert error["code"] == "conflict" and "web" in error["message"]
    other = [project for project in api.get("/projects").json()["data"] if project["name"] == "project-01"][0]
    assert api.post("/instances", json=instance_body(emulator, name="web", projectId=other["id"])).status_code == 201
    api.close()


def test_list_filters(api, emulator):
    web = api.create_instance(name="web")
    api.create_instance(name="db")
    emulator.advance(6)
    api.post("/instances/%s/power" % web["id"], json={"action": "stop"})
    emulator.advance(3)
    by_project = api.get("/instances", params={"projectId": emulator.project_id}).json()
    assert by_project["pagination"]["total"] == 2
    assert [inst["name"] for inst in api.get("/instances", params={"name": "db"}).json()["data"]] == ["db"]
    assert api.get("/instances", params={"name": "nope"}).json()["data"] == []
    assert [inst["name"] for inst in api.get("/instances", params={"status": "stopped"}).json()["data"]] == ["web"]
    assert api.error(api.get("/instances", params={"status": "sleeping"}), 422)["details"].keys() == {"status"}


def test_unknown_project_filter_is_404(api):
    error = api.error(api.get("/instances", params={"projectId": "no-such-project"}), 404)
    assert error["code"] == "not_found" and "project" in error["message"]


def test_patch_name_and_labels_any_time(api):
    inst = api.create_instance(labels={"a": "1", "b": "2"})
    response = api.patch("/instances/" + inst["id"], json={"name": "renamed", "labels": {"c": "3"}})
    assert response.status_code == 200
    changed = response.json()["data"]
    assert changed["name"] == "renamed" and changed["labels"] == {"c": "3"} and changed["status"] == "provisioning"


def test_patch_updated_at_changes_only_on_a_real_change(api, emulator):
    inst = api.create_instance(name="web")
    emulator.advance(10)
    same = api.patch("/instances/" + inst["id"], json={"name": "web", "labels": {}}).json()["data"]
    assert same["updatedAt"] == api.instance(inst["id"])["updatedAt"]
    before = same["updatedAt"]
    emulator.advance(10)
    changed = api.patch("/instances/" + inst["id"], json={"labels": {"x": "y"}}).json()["data"]
    assert changed["updatedAt"] > before


def test_patch_sizing_only_while_stopped(api, emulator):
    inst = api.running_instance()
    error = api.error(api.patch("/instances/" + inst["id"], json={"vcpus": 4, "memoryMb": 8192}), 409)
    assert error["code"] == "instance_not_stopped"
    assert set(error["details"]) == {"vcpus", "memoryMb"}
    api.post("/instances/%s/power" % inst["id"], json={"action": "stop"})
    assert api.error(api.patch("/instances/" + inst["id"], json={"vcpus": 4}), 409)["code"] == "instance_not_stopped"
    emulator.advance(2.5)
    changed = api.patch("/instances/" + inst["id"], json={"vcpus": 4, "memoryMb": 8192}).json()["data"]
    assert (changed["vcpus"], changed["memoryMb"], changed["status"]) == (4, 8192, "stopped")


def test_patch_same_sizing_while_running_is_not_a_change(api):
    inst = api.running_instance()
    assert api.patch("/instances/" + inst["id"], json={"vcpus": inst["vcpus"]}).status_code == 200


def test_patch_disk_only_grows_in_any_state(api):
    inst = api.running_instance()
    error = api.error(api.patch("/instances/" + inst["id"], json={"diskGb": 20}), 422)
    assert list(error["details"]) == ["diskGb"]
    assert api.patch("/instances/" + inst["id"], json={"diskGb": 80}).json()["data"]["diskGb"] == 80


def test_patch_validates_fields_and_refuses_nulls(api):
    inst = api.create_instance()
    error = api.error(api.patch("/instances/" + inst["id"], json={"name": "BAD", "vcpus": 0, "labels": None, "status": "running"}), 422)
    assert set(error["details"]) == {"name", "vcpus", "labels", "status"}


def test_patch_to_a_taken_name_is_409(api):
    api.create_instance(name="one")
    two = api.create_instance(name="two")
    assert api.error(api.patch("/instances/" + two["id"], json={"name": "one"}), 409)["code"] == "conflict"


def test_delete_is_202_deleting_then_404(api, emulator):
    inst = api.running_instance()
    response = api.delete("/instances/" + inst["id"])
    assert response.status_code == 202
    assert response.json()["data"]["status"] == "deleting"
    again = api.delete("/instances/" + inst["id"])
    assert again.status_code == 202 and again.json()["data"] == response.json()["data"]
    assert api.error(api.patch("/instances/" + inst["id"], json={"name": "x"}), 409)["code"] == "invalid_state"
    emulator.advance(1)
    assert api.status(inst["id"]) == "deleting"
    emulator.advance(1.5)
    assert api.error(api.get("/instances/" + inst["id"]), 404)["code"] == "not_found"
    assert api.get("/instances").json()["data"] == []
    assert api.error(api.delete("/instances/" + inst["id"]), 404)["code"] == "not_found"


def test_delete_while_provisioning(api, emulator):
    inst = api.create_instance()
    assert api.delete("/instances/" + inst["id"]).json()["data"]["status"] == "deleting"
    emulator.advance(10)
    assert api.get("/instances/" + inst["id"]).status_code == 404
