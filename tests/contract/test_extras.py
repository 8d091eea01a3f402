"""SSH keys, floating IPs and volumes: list with projectId, create, validation, 409 names, attach/detach, grow, delete."""

from tests.contract.helpers import SSH_PUBLIC_KEY


def test_ssh_keys(two_projects):
    emulator, api, other = two_projects
    key = api.create("/ssh-keys", {"projectId": emulator.project_id, "name": "deploy key", "publicKey": SSH_PUBLIC_KEY})
    assert set(key) == {"id", "projectId", "name", "publicKey", "fingerprint", "createdAt"}
    assert key["fingerprint"].startswith("SHA256:") and key["publicKey"] == SSH_PUBLIC_KEY
    error = api.error(api.post("/ssh-keys", json={"projectId": emulator.project_id, "name": "deploy key", "publicKey": SSH_PUBLIC_KEY}), 409)
    assert error["code"] == "conflict"
    api.create("/ssh-keys", {"projectId": other, "name": "deploy key", "publicKey": SSH_PUBLIC_KEY})
    assert [item["id"] for item in api.get("/ssh-keys", params={"projectId": emulator.project_id}).json()["data"]] == [key["id"]]
    assert len(api.get("/ssh-keys", params={"name": "deploy key"}).json()["data"]) == 2
    assert api.get("/ssh-keys", params={"projectId": "nope"}).status_code == 404
    assert api.get("/ssh-keys/" + key["id"]).json()["data"] == key
    assert api.delete("/ssh-keys/" + key["id"]).status_code == 204
    assert api.get("/ssh-keys/" + key["id"]).status_code == 404


def test_ssh_key_validation(api, emulator):
    bad = {"projectId": "nope", "name": "", "publicKey": "ssh-rsa not*base64"}
    assert set(api.error(api.post("/ssh-keys", json=bad), 422)["details"]) == {"projectId", "name", "publicKey"}
    assert list(api.error(api.post("/ssh-keys", json={"projectId": emulator.project_id, "name": "k", "publicKey": "hello"}), 422)["details"]) == ["publicKey"]


def test_floating_ips(two_projects):
    emulator, api, other = two_projects
    fip = api.create("/floating-ips", {"projectId": emulator.project_id, "nodeId": emulator.node_id})
    assert set(fip) == {"id", "projectId", "address", "nodeId", "instanceId", "reverseDns", "labels", "createdAt",
                        "protection"}
    assert fip["address"] == "203.0.113.1" and fip["instanceId"] is None
    second = api.create("/floating-ips", {"projectId": emulator.project_id, "nodeId": emulator.node_id})
    assert second["address"] == "203.0.113.2"
    inst = api.create_instance()
    attached = api.post("/floating-ips/%s/attach" % fip["id"], json={"instanceId": inst["id"]}).json()["data"]
    assert attached["instanceId"] == inst["id"]
    assert api.post("/floating-ips/%s/attach" % fip["id"], json={"instanceId": inst["id"]}).status_code == 200
    other_inst = api.create_instance(name="web-2")
    assert api.error(api.post("/floating-ips/%s/attach" % fip["id"], json={"instanceId": other_inst["id"]}), 409)["code"] == "conflict"
    assert api.get("/floating-ips", params={"instanceId": inst["id"]}).json()["data"][0]["id"] == fip["id"]
    assert api.error(api.delete("/floating-ips/" + fip["id"]), 409)["code"] == "conflict"
    for _attempt in range(2):
        assert api.post("/floating-ips/%s/detach" % fip["id"]).json()["data"]["instanceId"] is None
    assert api.delete("/floating-ips/" + fip["id"]).status_code == 204
    assert api.get("/floating-ips", params={"projectId": other}).json()["data"] == []


def test_attach_checks_project_and_node(two_projects):
    emulator, api, other = two_projects
    nodes = [node["id"] for node in api.get("/nodes").json()["data"]]
    fip = api.create("/floating-ips", {"projectId": emulator.project_id, "nodeId": emulator.node_id})
    foreign = api.create_instance(projectId=other)
    elsewhere = api.create_instance(name="far", nodeId=nodes[1])
    for inst in (foreign, elsewhere):
        assert list(api.error(api.post("/floating-ips/%s/attach" % fip["id"], json={"instanceId": inst["id"]}), 422)["details"]) == ["instanceId"]
    assert list(api.error(api.post("/floating-ips/%s/attach" % fip["id"], json={"instanceId": "nope"}), 422)["details"]) == ["instanceId"]
    assert set(api.error(api.post("/floating-ips", json={"projectId": "x", "nodeId": "y"}), 422)["details"]) == {"projectId", "nodeId"}


def test_volumes(api, emulator):
    body = {"projectId": emulator.project_id, "name": "data", "sizeGb": 20, "nodeId": emulator.node_id}
    volume = api.create("/volumes", body)
    assert set(volume) == {"id", "projectId", "name", "sizeGb", "nodeId", "instanceId", "status", "createdAt", "protection"}
    assert volume["status"] == "available"
    assert api.error(api.post("/volumes", json=body), 409)["code"] == "conflict"
    assert list(api.error(api.patch("/volumes/" + volume["id"], json={"sizeGb": 10}), 422)["details"]) == ["sizeGb"]
    assert api.patch("/volumes/" + volume["id"], json={"sizeGb": 50}).json()["data"]["sizeGb"] == 50
    inst = api.create_instance()
    attached = api.post("/volumes/%s/attach" % volume["id"], json={"instanceId": inst["id"]}).json()["data"]
    assert (attached["status"], attached["instanceId"]) == ("attached", inst["id"])
    assert api.error(api.delete("/volumes/" + volume["id"]), 409)["code"] == "conflict"
    detached = api.post("/volumes/%s/detach" % volume["id"]).json()["data"]
    assert (detached["status"], detached["instanceId"]) == ("available", None)
    assert api.get("/volumes", params={"name": "data"}).json()["data"][0]["id"] == volume["id"]
    assert api.delete("/volumes/" + volume["id"]).status_code == 204


def test_volume_validation(api, emulator):
    bad = {"projectId": emulator.project_id, "name": "Data!", "sizeGb": 0, "nodeId": "x", "extra": True}
    assert set(api.error(api.post("/volumes", json=bad), 422)["details"]) == {"name", "sizeGb", "nodeId", "extra"}


def test_deleting_an_instance_detaches_its_ip_and_volumes(api, emulator):
    inst = api.running_instance()
    fip = api.create("/floating-ips", {"projectId": emulator.project_id, "nodeId": emulator.node_id})
    volume = api.create("/volumes", {"projectId": emulator.project_id, "name": "data", "sizeGb": 20, "nodeId": emulator.node_id})
    api.post("/floating-ips/%s/attach" % fip["id"], json={"instanceId": inst["id"]})
    api.post("/volumes/%s/attach" % volume["id"], json={"instanceId": inst["id"]})
    api.delete("/instances/" + inst["id"])
    assert api.post("/floating-ips/%s/attach" % fip["id"], json={"instanceId": inst["id"]}).status_code == 409
    emulator.advance(3)
    assert api.get("/floating-ips/" + fip["id"]).json()["data"]["instanceId"] is None
    assert api.get("/volumes/" + volume["id"]).json()["data"]["status"] == "available"
