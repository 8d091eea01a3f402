"""The resource driver through real playbooks: one error channel, validation before any request,
diff only with --diff, and the one wait (timeouts, an instance entering error)."""

import threading
import time

import pytest

from tests.emulator.harness import make_instances
from tests.functional.playbook import run_playbook

INSTANCE = "hostupcloud.cloud.huc_instance"


def spec(emulator, **extra):
    args = dict(project=emulator.project_id, name="web-1", node=emulator.node_id, os_template=emulator.os_template,
                vcpus=1, memory_mb=1024, disk_gb=20)
    args.update(extra)
    return args


def failing(name, module, args):
    return {"name": name, module: args, "ignore_errors": True}


def test_every_failure_carries_failure(play, emulator):
    """Argument errors, our own refusals, API errors and network errors: all carry failure {code, message, details}."""
    unknown = "7d3c2a4e-0b1f-4c55-9a51-2f6a1c0e8b90"
    cases = {
        "argument error": (INSTANCE, {"project": emulator.project_id}, "invalid_argument"),
        "unknown choice": ("hostupcloud.cloud.huc_power", {"id": unknown, "state": "sleeping"}, "invalid_argument"),
        "limit": (INSTANCE, spec(emulator, vcpus=65), "validation_error"),
        "missing options": (INSTANCE, {"project": emulator.project_id, "name": "web-1"}, "missing_options"),
        "unknown project": (INSTANCE, spec(emulator, project="nope"), "not_found"),
        "unknown instance": ("hostupcloud.cloud.huc_power", {"id": unknown, "state": "started"}, "not_found"),
        "api refusal": (INSTANCE, spec(emulator, api_key=emulator.read_key), "forbidden"),
        "bad key": ("hostupcloud.cloud.huc_project_info", {"api_key": "huc_notakeyatall0000"}, "invalid_api_key"),
        "network": ("hostupcloud.cloud.huc_node_info", {"api_url": "http://127.0.0.1:9/api", "api_retries": 0},
                    "network_error"),
        "api key option": ("hostupcloud.cloud.huc_api_key", {"name": "k", "expires_in_days": 0}, "module_error"),
    }
    run = play([failing(name, module, args) for name, (module, args, _code) in cases.items()])
    for name, (_module, _args, code) in cases.items():
        result = run.task(name)
        assert run.status(name) == "failed", name
        assert set(result["failure"]) >= {"code", "message", "details"}, (name, result)
        assert result["failure"]["code"] == code, (name, result["failure"])
        assert result["failure"]["message"] and isinstance(result["failure"]["details"], dict), name
    assert "Traceback" not in run.output and emulator.write_key not in run.output
    assert emulator.state()["instances"] == []


BAD_INPUT = [
    ({"vcpus": 65}, "vcpus: must be between 1 and 64"),
    ({"memory_mb": 1000}, "memory_mb: must be a multiple of 512"),
    ({"memory_mb": 256}, "memory_mb: must be between 512 and 262144"),
    ({"disk_gb": 5000}, "disk_gb: must be between 10 and 4096"),
    ({"name": "Web_1"}, "name: must be 1-63 characters"),
    ({"labels": {"k" * 64: "v"}}, "labels: label keys must be 1 to 63 characters long"),
    ({"user_data": "x" * (64 * 1024 + 1)}, "user_data: must be at most 65536 bytes"),
]


def test_check_mode_fails_on_bad_input_exactly_as_the_real_run(play, emulator):
    """Limits are checked before any request: check mode and the real run fail alike and send nothing.

    One playbook: per bad input a task in check mode ("check <n>") and the same task for real ("real <n>")."""
    tasks = []
    for n, (bad, _message) in enumerate(BAD_INPUT):
        args = spec(emulator, **bad)
        tasks += [dict(failing("check %d" % n, INSTANCE, args), check_mode=True), failing("real %d" % n, INSTANCE, args)]
    run = play(tasks)
    for n, (bad, message) in enumerate(BAD_INPUT):
        checked, real = "check %d" % n, "real %d" % n
        for name in (checked, real):
            assert run.status(name) == "failed" and message in run.task(name)["msg"], (bad, run.task(name))
        assert run.task(checked)["msg"] == run.task(real)["msg"], bad
        assert run.task(checked)["failure"] == run.task(real)["failure"], bad
        assert run.task(real)["failure"]["code"] == "validation_error", bad
    assert emulator.requests() == []


def test_an_invalid_resize_never_stops_the_instance(play, emulator):
    """allow_restart with an invalid size fails before the instance is stopped (no outage)."""
    ids = make_instances(emulator, ["web-1"])
    run = play([failing("resize", INSTANCE, {"project": emulator.project_id, "name": "web-1", "vcpus": 65,
                                             "allow_restart": True})])
    assert run.status("resize") == "failed" and "vcpus: must be between 1 and 64" in run.task("resize")["msg"]
    assert emulator.requests() == []
    assert [(i["id"], i["status"]) for i in emulator.state()["instances"]] == [(ids["web-1"], "running")]


def test_diff_only_with_diff(play, emulator):
    ids = make_instances(emulator, ["vm-1", "vm-2"])

    def tasks(suffix):
        return [
            {"name": "instance", INSTANCE: spec(emulator, name="web-" + suffix, wait=False)},
            {"name": "power", "hostupcloud.cloud.huc_power": {"id": ids["vm-" + suffix], "state": "restarted",
                                                              "wait": False}},
        ]
    plain = play(tasks("1"))
    assert plain.rc == 0, plain
    assert "diff" not in plain.task("instance") and "diff" not in plain.task("power")
    shown = play(tasks("2"), args=["--diff"])
    assert shown.rc == 0, shown
    assert shown.task("instance")["diff"]["before"] == {} and shown.task("instance")["diff"]["after"]["name"] == "web-2"
    assert shown.task("power")["diff"] == {"before": {"vm-2": "running"}, "after": {"vm-2": "rebooting"}}


def test_a_wait_that_times_out_fails(play, emulator_factory):
    emulator = emulator_factory(provision_seconds=3600)
    started = time.time()
    run = play([failing("create", INSTANCE, spec(emulator, wait_timeout=2))], emulator=emulator)
    assert run.status("create") == "failed"
    result = run.task("create")
    assert result["msg"].startswith("timed out after 2 seconds waiting for instance web-1 to be running"), result["msg"]
    assert "last status: provisioning" in result["msg"] and result["failure"]["code"] == "wait_timeout"
    assert time.time() - started < 60
    # The create itself happened: a rerun finds it and changes nothing.
    assert [i["status"] for i in emulator.state()["instances"]] == ["provisioning"]


@pytest.mark.heavy
def test_an_instance_entering_error_fails_the_wait_at_once(emulator_factory):
    """The first poll is held by the emulator while the test breaks the instance: the module sees error and stops."""
    emulator = emulator_factory(provision_seconds=4)  # the create says Retry-After: 4; the poll then is held
    # Held 10 s: long enough for this test to act on a loaded machine (developing.md: 10 s, not 1).
    emulator.fault(methods=["GET"], pathPrefix="/api/instances/", delaySeconds=10, count=1)
    outcome = {}
    worker = threading.Thread(target=lambda: outcome.update(run=run_playbook(
        [failing("create", INSTANCE, spec(emulator, wait_timeout=600))], emulator=emulator)))
    worker.start()
    deadline = time.time() + 120
    while time.time() < deadline:
        held = [r for r in emulator.requests() if r["method"] == "GET" and r.get("delaySeconds")]
        if held:
            break
        time.sleep(0.05)
    assert held, emulator.requests()
    instance_id = held[0]["path"].rsplit("/", 1)[1]
    emulator.set_instance(instance_id, status="error")
    worker.join(120)
    run = outcome["run"]
    assert run.status("create") == "failed"
    assert run.task("create")["msg"] == "instance web-1 entered status error while waiting for status running"
    assert run.task("create")["failure"]["code"] == "wait_failed"
    polls = [r for r in emulator.requests() if r["path"] == "/api/instances/" + instance_id]
    assert len(polls) == 1, polls


def test_a_create_racing_another_run_for_the_name_converges(emulator_factory):
    """Our lookup finds nothing; before our POST lands another run creates the name; the 409 converges."""
    emulator = emulator_factory(provision_seconds=0.5)
    # Held 10 s: long enough for this test to act on a loaded machine (developing.md: 10 s, not 1).
    emulator.fault(methods=["POST"], pathPrefix="/api/instances", delaySeconds=10, count=1)
    outcome = {}
    args = spec(emulator, labels={"owner": "us"})
    worker = threading.Thread(target=lambda: outcome.update(run=run_playbook(
        [{"name": "create", INSTANCE: args}], emulator=emulator)))
    worker.start()
    deadline = time.time() + 120
    while time.time() < deadline and not any(r.get("delaySeconds") for r in emulator.requests()):
        time.sleep(0.05)
    status, _headers, body = emulator.call("POST", "/instances", body={
        "projectId": emulator.project_id, "name": "web-1", "nodeId": emulator.node_id,
        "osTemplate": emulator.os_template, "vcpus": 1, "memoryMb": 1024, "diskGb": 20, "labels": {"owner": "them"}})
    assert status == 201, body
    worker.join(120)
    run = outcome["run"]
    assert run.rc == 0, run
    result = run.task("create")
    assert result["changed"] is True and result["instance"]["id"] == body["data"]["id"]
    assert result["instance"]["labels"] == {"owner": "us"}
    assert any("created by someone else" in warning for warning in result["warnings"])
    assert [(i["id"], i["labels"]) for i in emulator.state()["instances"]] == [(body["data"]["id"], {"owner": "us"})]
    # Logged in order of arrival: our POST (held, then refused), theirs, our update.
    writes = [(r["method"], r["status"], bool(r["idempotencyKey"])) for r in emulator.requests() if r["method"] != "GET"]
    assert writes == [("POST", 409, True), ("POST", 201, False), ("PATCH", 200, False)], writes
