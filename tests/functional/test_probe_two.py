"""Issue 23, second probe: the defects of the driver's own, each through ansible-playbook against the emulator.

4: every reference is checked before the first write; 5: a failure after a write reports changed;
10: an id never reaches a path unchecked.
"""

from tests.emulator.harness import make_instances
from tests.functional.playbook import run_playbook
from tests.functional.steps import calls, steps, writes

NETWORK = "hostupcloud.cloud.huc_private_network"
task, failing, checked = steps(NETWORK)


def stranger(emulator):
    """An instance of another project, on the emulator's node."""
    other = emulator.add_project("elsewhere")["id"]
    status, _headers, body = emulator.call("POST", "/instances", body={
        "projectId": other, "name": "stranger-1", "nodeId": emulator.node_id, "osTemplate": emulator.os_template,
        "vcpus": 1, "memoryMb": 1024, "diskGb": 20})
    assert status == 201, body
    return other, body["data"]["id"]


def test_a_network_with_an_instance_of_another_project_is_refused_before_it_is_created(emulator):
    """Item 4: the network used to be created (201) and the attach then failed (422)."""
    own = make_instances(emulator, ["web-1"])
    other, foreign = stranger(emulator)
    emulator.clear_requests()
    args = dict(project=emulator.project_id, name="backend", cidr="10.10.0.0/24", instances=[own["web-1"], foreign])
    for mode in ([], ["--check"]):
        run = run_playbook([failing("mixed", args)], emulator=emulator, args=mode)
        result = run.task("mixed")
        assert run.status("mixed") == "failed", result
        assert result["msg"] == ("instance %s is not in project %s: a private network can only have instances of its "
                                 "own project attached" % (foreign, emulator.project_id)), result["msg"]
        assert result["failure"]["code"] == "wrong_project" and result["changed"] is False
        assert writes(emulator) == [] and emulator.state()["networks"] == []
        emulator.clear_requests()
    # Adding a foreign instance to an existing network is refused before the attach too.
    run = run_playbook([task("create", dict(args, instances=[own["web-1"]])),
                        failing("add foreign", dict(args, instances=[foreign]))], emulator=emulator)
    assert run.status("create") == "changed" and run.status("add foreign") == "failed"
    assert [r["path"] for r in emulator.requests() if r["method"] == "POST"][-1].endswith("/attach")
    assert len([r for r in emulator.requests() if r["method"] == "POST" and r["path"].endswith("/attach")]) == 1


def test_a_failure_after_a_write_reports_changed(emulator):
    """Item 5: created then failed (an attach answered 503 past api_retries) is changed: true, once, for every module."""
    own = make_instances(emulator, ["web-1"])
    emulator.clear_requests()
    emulator.fault(status=503, methods=["POST"], pathPrefix="/api/networks/")
    args = dict(project=emulator.project_id, name="backend", cidr="10.10.0.0/24", instances=[own["web-1"]],
                api_retries=0)
    run = run_playbook([failing("create then fail", args)], emulator=emulator)
    result = run.task("create then fail")
    assert run.status("create then fail") == "failed" and result["changed"] is True, result
    assert [name["name"] for name in emulator.state()["networks"]] == ["backend"]
    emulator.clear_faults()
    # A refusal of the API (4xx) changed nothing: still changed false.
    run = run_playbook([failing("refused", dict(args, name="other", cidr="10.20.0.0/24",
                                                api_key=emulator.read_key))], emulator=emulator)
    assert run.status("refused") == "failed" and run.task("refused")["changed"] is False


def test_an_id_is_checked_before_it_reaches_a_path(emulator):
    """Item 10: ../instances/<id> read an instance as a volume (changed: true); ../projects crashed the info modules."""
    own = make_instances(emulator, ["web-1"])
    emulator.clear_requests()
    sneaky = "../instances/%s" % own["web-1"]
    cases = [
        ("volume", "hostupcloud.cloud.huc_volume", dict(id=sneaky, size_gb=20)),
        ("volume info", "hostupcloud.cloud.huc_volume_info", dict(id="../projects")),
        ("instance info", "hostupcloud.cloud.huc_instance_info", dict(id="../projects")),
        ("power", "hostupcloud.cloud.huc_power", dict(id="..%2Fprojects", state="started")),
        ("network", NETWORK, dict(id="a/b", cidr="10.10.0.0/24")),
    ]
    run = run_playbook([failing(name, args, module) for name, module, args in cases], emulator=emulator)
    for name, _module, args in cases:
        result = run.task(name)
        assert run.status(name) == "failed" and result["changed"] is False, (name, result)
        assert result["msg"].startswith("invalid input (validation_error): id: must be an id such as "), result["msg"]
        assert result["failure"]["details"] == {"id": "must be a UUID"} and "Traceback" not in run.output
    assert calls(emulator) == []
