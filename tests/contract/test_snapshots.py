"""Snapshots [assumed]: create (creating, then available), names, the 409 cases, filters, delete, Idempotency-Key,
instances created from a snapshot."""

from tests.contract.helpers import Api, instance_body

FIELDS = {"id", "projectId", "name", "instanceId", "osTemplate", "sizeGb", "status", "labels", "createdAt"}


def snapshot_body(emulator, instance_id, **overrides):
    """A valid snapshot create body."""
    return dict({"projectId": emulator.project_id, "instanceId": instance_id, "name": "snap-1"}, **overrides)


def test_create_answers_201_creating_then_available_after_snapshot_seconds(api, emulator):
    inst = api.running_instance(diskGb=60, osTemplate="Debian 12")
    response = api.post("/snapshots", json=snapshot_body(emulator, inst["id"], labels={"role": "web"}))
    assert response.status_code == 201, response.text
    snapshot = response.json()["data"]
    assert set(snapshot) == FIELDS
    assert snapshot["status"] == "creating" and response.headers["Retry-After"] == "3"
    assert (snapshot["instanceId"], snapshot["osTemplate"], snapshot["sizeGb"], snapshot["labels"]) == (inst["id"], "Debian 12", 60, {"role": "web"})
    assert snapshot["projectId"] == emulator.project_id and snapshot["name"] == "snap-1"
    emulator.advance(2)
    assert api.get("/snapshots/" + snapshot["id"]).json()["data"]["status"] == "creating"
    emulator.advance(1.5)
    shown = api.get("/snapshots/" + snapshot["id"])
    assert shown.json()["data"] == dict(snapshot, status="available") and "Retry-After" not in shown.headers


def test_snapshot_seconds_option_and_setting(pooled_emulator):
    emulator = pooled_emulator(snapshot_seconds=10)
    api = Api(emulator)
    inst = api.running_instance()
    first = api.create("/snapshots", snapshot_body(emulator, inst["id"]))
    emulator.advance(9)
    assert api.get("/snapshots/" + first["id"]).json()["data"]["status"] == "creating"
    emulator.advance(1.5)
    assert api.get("/snapshots/" + first["id"]).json()["data"]["status"] == "available"
    assert emulator.config(snapshotSeconds=0)["snapshotSeconds"] == 0
    second = api.create("/snapshots", snapshot_body(emulator, inst["id"], name="snap-2"))
    assert api.get("/snapshots/" + second["id"]).json()["data"]["status"] == "available"
    api.close()


def test_running_and_stopped_instances_can_be_snapshotted_not_busy_ones(api, emulator):
    inst = api.create_instance()
    for status in ("provisioning", "rebuilding", "deleting"):
        emulator.set_instance(inst["id"], status=status)
        error = api.error(api.post("/snapshots", json=snapshot_body(emulator, inst["id"])), 409)
        assert error["code"] == "invalid_state" and error["details"] == {"status": status}
    for number, status in enumerate(("running", "stopped", "error")):
        emulator.set_instance(inst["id"], status=status)
        api.create("/snapshots", snapshot_body(emulator, inst["id"], name="snap-%d" % number))
    assert len(emulator.state()["snapshots"]) == 3


def test_validation_names_every_bad_field(api, emulator):
    error = api.error(api.post("/snapshots", json={"projectId": "nope", "instanceId": "nope", "name": "Bad_Name", "labels": {"a": 1},
                                                   "extra": 1}), 422)
    assert set(error["details"]) == {"projectId", "instanceId", "name", "labels", "extra"}
    error = api.error(api.post("/snapshots", json={}), 422)
    assert set(error["details"]) == {"projectId", "instanceId", "name"}


def test_instance_of_another_project_is_422(two_projects):
    emulator, api, other = two_projects
    inst = api.running_instance()
    error = api.error(api.post("/snapshots", json=snapshot_body(emulator, inst["id"], projectId=other)), 422)
    assert set(error["details"]) == {"instanceId"}


def test_names_are_unique_per_project(two_projects):
    emulator, api, other = two_projects
    inst = api.running_instance()
    elsewhere = api.running_instance(projectId=other, name="web-2")
    api.create("/snapshots", snapshot_body(emulator, inst["id"]))
    error = api.error(api.post("/snapshots", json=snapshot_body(emulator, inst["id"])), 409)
    assert error["code"] == "conflict" and "snap-1" in error["message"] and error["details"] == {"name": "is already taken in this project"}
    api.create("/snapshots", snapshot_body(emulator, elsewhere["id"], projectId=other))


def test_list_filters(two_projects):
    emulator, api, other = two_projects
    web, db = api.running_instance(), api.running_instance(name="db-1")
    elsewhere = api.running_instance(projectId=other, name="web-2")
    api.create("/snapshots", snapshot_body(emulator, web["id"], name="a", labels={"env": "prod"}))
    api.create("/snapshots", snapshot_body(emulator, db["id"], name="b", labels={"env": "dev"}))
    api.create("/snapshots", snapshot_body(emulator, elsewhere["id"], projectId=other, name="a"))

    def names(**query):
        response = api.get("/snapshots", params=query)
        assert response.status_code == 200, response.text
        return [(item["name"], item["projectId"]) for item in response.json()["data"]]

    here = emulator.project_id
    assert names() == [("a", here), ("b", here), ("a", other)]
    assert names(projectId=here) == [("a", here), ("b", here)]
    assert names(name="a") == [("a", here), ("a", other)]
    assert names(instanceId=db["id"]) == [("b", here)]
    assert names(labelSelector="env=prod") == [("a", here)]
    assert api.error(api.get("/snapshots", params={"labelSelector": "env=("}), 422)["details"].keys() == {"labelSelector"}
    assert api.error(api.get("/snapshots", params={"projectId": "nope"}), 404)["code"] == "not_found"


def test_delete_in_any_status_and_404_after(api, emulator):
    inst = api.running_instance()
    snapshot = api.create("/snapshots", snapshot_body(emulator, inst["id"]))
    assert api.delete("/snapshots/" + snapshot["id"]).status_code == 204
    assert api.error(api.get("/snapshots/" + snapshot["id"]), 404)["message"] == "snapshot %s not found" % snapshot["id"]
    assert api.error(api.delete("/snapshots/" + snapshot["id"]), 404)["code"] == "not_found"


def test_a_snapshot_outlives_its_instance(api, emulator):
    inst = api.running_instance()
    snapshot = api.create("/snapshots", snapshot_body(emulator, inst["id"]))
    assert api.delete("/instances/" + inst["id"]).status_code == 202
    emulator.advance(10)
    assert api.get("/instances/" + inst["id"]).status_code == 404
    shown = api.get("/snapshots/" + snapshot["id"]).json()["data"]
    assert shown["instanceId"] == inst["id"] and shown["status"] == "available"


def test_idempotency_key_creates_once(api, emulator):
    inst = api.running_instance()
    headers = {"Idempotency-Key": "snap-once"}
    first = api.post("/snapshots", json=snapshot_body(emulator, inst["id"]), headers=headers)
    second = api.post("/snapshots", json=snapshot_body(emulator, inst["id"]), headers=headers)
    assert first.status_code == second.status_code == 201
    assert second.json() == first.json() and second.headers["Idempotent-Replayed"] == "true"
    assert len(emulator.state()["snapshots"]) == 1


def test_lost_answer_then_retry_with_the_key_gives_the_one_snapshot(api, emulator):
    inst = api.running_instance()
    emulator.lose_answer(methods=["POST"], pathPrefix="/api/snapshots", count=1, status=503)
    headers = {"Idempotency-Key": "snap-lost"}
    assert api.post("/snapshots", json=snapshot_body(emulator, inst["id"]), headers=headers).status_code == 503
    retry = api.post("/snapshots", json=snapshot_body(emulator, inst["id"]), headers=headers)
    assert retry.status_code == 201 and retry.headers["Idempotent-Replayed"] == "true"
    assert [item["id"] for item in emulator.state()["snapshots"]] == [retry.json()["data"]["id"]]


def test_create_an_instance_from_a_snapshot(api, emulator):
    source = api.running_instance(osTemplate="Rocky Linux 9", diskGb=30)
    snapshot = api.create("/snapshots", snapshot_body(emulator, source["id"]))
    body = instance_body(emulator, name="copy", diskGb=30, snapshotId=snapshot["id"])
    del body["osTemplate"]
    error = api.error(api.post("/instances", json=body), 409)
    assert error["code"] == "invalid_state" and error["details"] == {"snapshotId": snapshot["id"], "status": "creating"}
    emulator.advance(3.5)
    copy = api.create("/instances", body)
    assert (copy["osTemplate"], copy["snapshotId"], copy["backupId"], copy["status"]) == ("Rocky Linux 9", snapshot["id"], None, "provisioning")
    assert api.create_instance(name="plain")["snapshotId"] is None


def test_create_takes_exactly_one_of_os_template_and_snapshot(api, emulator):
    source = api.running_instance(diskGb=40)
    snapshot = api.create("/snapshots", snapshot_body(emulator, source["id"]))
    emulator.advance(3.5)
    body = instance_body(emulator, name="copy", snapshotId=snapshot["id"])
    assert api.error(api.post("/instances", json=body), 422)["details"] == {"snapshotId": "give exactly one of osTemplate, snapshotId"}
    del body["osTemplate"]
    body.pop("snapshotId")
    assert api.error(api.post("/instances", json=body), 422)["details"] == {"osTemplate": "is required (or snapshotId)"}
    small = dict(body, snapshotId=snapshot["id"], diskGb=20)
    assert "at least 40 GB" in api.error(api.post("/instances", json=small), 422)["details"]["snapshotId"]
    unknown = dict(body, snapshotId="no-such-snapshot")
    assert api.error(api.post("/instances", json=unknown), 422)["details"] == {"snapshotId": "unknown snapshot no-such-snapshot in this project"}
    assert not [inst for inst in emulator.state()["instances"] if inst["name"] == "copy"]


def test_snapshot_of_another_project_is_unknown_at_create(two_projects):
    emulator, api, other = two_projects
    source = api.running_instance(projectId=other)
    snapshot = api.create("/snapshots", snapshot_body(emulator, source["id"], projectId=other))
    emulator.advance(3.5)
    body = instance_body(emulator, name="copy", snapshotId=snapshot["id"])
    del body["osTemplate"]
    assert set(api.error(api.post("/instances", json=body), 422)["details"]) == {"snapshotId"}
