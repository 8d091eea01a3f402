"""Issue 23, second probe: the defects of the driver's own, each through ansible-playbook against the emulator.

1 and 2: a floating IP allocated for an instance is adopted by the rerun, and racing runs keep one;
3: a restart killed half-way is finished by the rerun; 4: every reference is checked before the first
write; 5: a failure after a write reports changed; 10: an id never reaches a path unchecked.
"""

import os
import signal
import subprocess
import time

import pytest
import yaml

from tests.emulator.harness import make_instances
from tests.functional.faultkit import Background
from tests.functional.playbook import ANSIBLE_BIN, base_env, run_playbook, work_dir
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
    # One playbook: the mixed network refused for real and in check mode; then a network of our own is created and
    # adding a foreign instance to it is refused before the attach too.
    run = run_playbook([failing("mixed", args), dict(checked("check mixed", args), ignore_errors=True),
                        task("create", dict(args, instances=[own["web-1"]])),
                        failing("add foreign", dict(args, instances=[foreign]))], emulator=emulator)
    for name in ("mixed", "check mixed"):
        result = run.task(name)
        assert run.status(name) == "failed", result
        assert result["msg"] == ("instance %s is not in project %s: a private network can only have instances of its "
                                 "own project attached" % (foreign, emulator.project_id)), result["msg"]
        assert result["failure"]["code"] == "wrong_project" and result["changed"] is False
    assert run.status("create") == "changed" and run.status("add foreign") == "failed"
    # The only writes are the create's: the refusals wrote nothing (no network, no attach), before or after it.
    made = writes(emulator)
    assert [method for method, _path in made] == ["POST", "POST"] and made[0][1] == "/api/networks", made
    assert [r["path"] for r in emulator.requests() if r["method"] == "POST"][-1].endswith("/attach")
    assert len([r for r in emulator.requests() if r["method"] == "POST" and r["path"].endswith("/attach")]) == 1
    assert [network["name"] for network in emulator.state()["networks"]] == ["backend"]


def test_a_failure_after_a_write_reports_changed(emulator):
    """Item 5: created then failed (an attach answered 503 past api_retries) is changed: true, once, for every module."""
    own = make_instances(emulator, ["web-1"])
    emulator.clear_requests()
    emulator.fault(status=503, methods=["POST"], pathPrefix="/api/networks/")
    args = dict(project=emulator.project_id, name="backend", cidr="10.10.0.0/24", instances=[own["web-1"]],
                api_retries=0)
    # The fault hits POST /api/networks/<id>/...: the attach, not the create (nor the refused one below).
    run = run_playbook([failing("create then fail", args),
                        failing("refused", dict(args, name="other", cidr="10.20.0.0/24", api_key=emulator.read_key))],
                       emulator=emulator)
    result = run.task("create then fail")
    assert run.status("create then fail") == "failed" and result["changed"] is True, result
    assert [name["name"] for name in emulator.state()["networks"]] == ["backend"]
    # A refusal of the API (4xx) changed nothing: still changed false.
    assert run.status("refused") == "failed" and run.task("refused")["changed"] is False
    assert run.task("refused")["failure"]["status"] == 403, run.task("refused")


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


def killed_while(tasks, emulator, moment, timeout=120):
    """Run tasks in ansible-playbook and kill -9 it and every process it started once moment() is true.

    moment() looks at the emulator (what the run has done by then); a run that fails is killed after
    timeout all the same, and the test then fails on what the emulator holds.
    """
    workdir = work_dir("kill-")
    playbook = os.path.join(workdir, "play.yml")
    with open(playbook, "w") as handle:
        yaml.safe_dump([{"name": "killed", "hosts": "localhost", "connection": "local", "gather_facts": False,
                         "tasks": tasks}], handle)
    proc = subprocess.Popen([os.path.join(ANSIBLE_BIN, "ansible-playbook"), "-i", "localhost,", playbook],
                            cwd=workdir, env=base_env(emulator), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + timeout
    try:
        while not moment() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert proc.poll() is None, "the run ended before the moment it was to be killed at"
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)  # the run, its workers and the module it runs
        except ProcessLookupError:
            pass
        proc.wait()


def test_a_resize_killed_between_the_change_and_the_start_is_started_by_the_rerun(emulator_factory):
    """Item 3: killed after the resize and before the start, the instance stayed stopped and reruns were ok."""
    emulator = emulator_factory(provision_seconds=0.5, transition_seconds=0.5)
    own = make_instances(emulator, ["web-1"])
    resize = {"name": "resize", "hostupcloud.cloud.huc_instance": dict(
        project=emulator.project_id, name="web-1", vcpus=2, memory_mb=2048, allow_restart=True), "register": "out"}
    # The first PATCH (the power state to put back) passes; the resize acts, and its answer never comes.
    emulator.fault(status=None, delaySeconds=0.01, methods=["PATCH"], pathPrefix="/api/instances/", count=1)
    emulator.lose_answer(delaySeconds=300, methods=["PATCH"], pathPrefix="/api/instances/", count=1)

    def resized():
        return next(i for i in emulator.state()["instances"] if i["id"] == own["web-1"])["vcpus"] == 2
    killed_while([resize], emulator, resized)
    emulator.clear_faults()
    left = next(i for i in emulator.state()["instances"] if i["id"] == own["web-1"])
    assert left["status"] == "stopped" and left["labels"] == {"hostupcloud.cloud/restore-power": "running"}

    run = run_playbook([dict(resize, name="check rerun", check_mode=True), resize, dict(resize, name="again")],
                       emulator=emulator)
    assert run.rc == 0, [r["result"].get("msg") for r in run.records]
    assert run.task("check rerun")["changed"] is True and run.task("check rerun")["instance"]["status"] == "running"
    assert run.task("resize")["changed"] is True and run.task("resize")["instance"]["status"] == "running"
    assert run.task("again")["changed"] is False
    final = next(i for i in emulator.state()["instances"] if i["id"] == own["web-1"])
    assert (final["status"], final["vcpus"], final["memoryMb"], final["labels"]) == ("running", 2, 2048, {})


FIP = "hostupcloud.cloud.huc_floating_ip"


def floating_ips(emulator):
    return emulator.state()["floatingIps"]


def test_a_floating_ip_whose_attach_failed_is_adopted_by_the_rerun(emulator):
    """Item 1: allocated, then the attach failed (503 past api_retries): the rerun allocated a second one."""
    own = make_instances(emulator, ["web-1"])
    args = dict(project=emulator.project_id, instance="web-1", api_retries=0)
    emulator.fault(status=503, methods=["POST"], pathPrefix="/api/floating-ips/")  # the attach, not the allocation
    run = run_playbook([{"name": "attach fails", FIP: args, "register": "out", "ignore_errors": True}],
                       emulator=emulator)
    assert run.status("attach fails") == "failed" and run.task("attach fails")["changed"] is True
    emulator.clear_faults()
    spare = floating_ips(emulator)
    assert len(spare) == 1 and spare[0]["instanceId"] is None
    assert spare[0]["labels"] == {"hostupcloud.cloud/allocated-for": own["web-1"]}
    run = run_playbook([{"name": "rerun", FIP: args, "register": "out"}, {"name": "again", FIP: args, "register": "out"}],
                       emulator=emulator)
    assert run.rc == 0 and run.task("rerun")["changed"] is True and run.task("again")["changed"] is False
    assert [(ip["id"], ip["instanceId"]) for ip in floating_ips(emulator)] == [(spare[0]["id"], own["web-1"])]
    assert run.task("rerun")["floating_ip"]["address"] == spare[0]["address"]


def test_a_floating_ip_allocation_killed_before_the_attach_is_adopted_by_the_rerun(emulator):
    """Item 1, killed: the allocation acted, its answer never came, the run was killed."""
    own = make_instances(emulator, ["web-1"])
    args = dict(project=emulator.project_id, instance="web-1")
    emulator.lose_answer(delaySeconds=300, methods=["POST"], pathPrefix="/api/floating-ips", count=1)
    killed_while([{"name": "allocate", FIP: args}], emulator, lambda: bool(floating_ips(emulator)))
    emulator.clear_faults()
    run = run_playbook([{"name": "rerun", FIP: args, "register": "out"}], emulator=emulator)
    assert run.rc == 0 and run.task("rerun")["changed"] is True
    assert [ip["instanceId"] for ip in floating_ips(emulator)] == [own["web-1"]]


@pytest.mark.heavy
def test_two_runs_for_one_instance_at_once_keep_one_floating_ip(emulator):
    """Item 2: with listings answered late both runs allocated and attached; every later run then failed."""
    own = make_instances(emulator, ["web-1"])
    args = dict(project=emulator.project_id, instance="web-1")
    # Each listing is made when asked and answered 10 s later: both runs see no floating IP, even when one
    # starts seconds after the other on a loaded machine.
    emulator.lose_answer(delaySeconds=10, methods=["GET"], pathPrefix="/api/floating-ips")
    race = [{"name": "race", FIP: args, "register": "out"}]
    runs = [Background(race, emulator, env={}), Background(race, emulator, env={})]
    results = [run.finish() for run in runs]
    emulator.clear_faults()
    assert [result.rc for result in results] == [0, 0], [r.stdout[-2000:] for r in results]
    ips = floating_ips(emulator)
    assert len(ips) == 1 and ips[0]["instanceId"] == own["web-1"], ips
    assert {result.task("race")["floating_ip"]["id"] for result in results} == {ips[0]["id"]}
    run = run_playbook([{"name": "later", FIP: args, "register": "out"}], emulator=emulator)
    assert run.rc == 0 and run.task("later")["changed"] is False


def allocate_for(emulator, instance_id, **extra):
    """A floating IP as the module allocates it for instance_id (labelled, attached to nothing): its id."""
    body = dict(projectId=emulator.project_id, nodeId=emulator.node_id,
                labels={"hostupcloud.cloud/allocated-for": instance_id}, **extra)
    status, _headers, answer = emulator.call("POST", "/floating-ips", body=body)
    assert status == 201, answer
    return answer["data"]["id"]


@pytest.mark.heavy
def test_a_run_killed_before_it_released_its_duplicate_leaves_it_to_the_rerun(emulator):
    """Two runs raced for one instance's floating IP; the younger one's run was killed before it released its own."""
    own = make_instances(emulator, ["web-1"])
    args = dict(project=emulator.project_id, instance="web-1")
    # The run's allocation waits 10 s before it acts: the rival's is made meanwhile, so it is the older one.
    # Its find's listing passes; the listing after its allocation (the rivals) is held until the kill.
    emulator.fault(status=None, delaySeconds=10, methods=["POST"], pathPrefix="/api/floating-ips", count=1)
    emulator.fault(status=None, delaySeconds=0.01, methods=["GET"], pathPrefix="/api/floating-ips", count=1)
    emulator.fault(status=None, delaySeconds=300, methods=["GET"], pathPrefix="/api/floating-ips", count=1)
    rival = []

    def moment():
        log = [(r["method"], r["path"]) for r in emulator.requests()]
        if not rival and ("POST", "/api/floating-ips") in log:
            rival.append(allocate_for(emulator, own["web-1"]))
            emulator.advance(2)
        return log.count(("GET", "/api/floating-ips")) == 2

    killed_while([{"name": "allocate", FIP: args}], emulator, moment)
    emulator.clear_faults()
    left = [ip["id"] for ip in floating_ips(emulator)]
    assert len(left) == 2 and left[0] == rival[0] and not any(ip["instanceId"] for ip in floating_ips(emulator))
    emulator.clear_requests()
    check = dict(args)
    run = run_playbook([{"name": "check", FIP: check, "check_mode": True, "register": "out"},
                        {"name": "rerun", FIP: args, "register": "out"}, {"name": "again", FIP: args, "register": "out"}],
                       emulator=emulator)
    assert run.rc == 0, run
    address = [ip["address"] for ip in floating_ips(emulator) if ip["id"] == rival[0]][0]
    for title, text in (("check", "would be released (check mode)"), ("rerun", "they are released")):
        assert run.task(title)["changed"] is True and run.task(title)["floating_ip"]["id"] == rival[0]
        assert [w for w in run.task(title)["warnings"] if "stopped before it released them" in w and text in w], run.task(title)
    assert run.task("again")["changed"] is False and not run.task("again").get("warnings")
    assert [(ip["id"], ip["instanceId"]) for ip in floating_ips(emulator)] == [(rival[0], own["web-1"])]
    assert run.task("rerun")["floating_ip"]["address"] == address
    # check mode wrote nothing; the rerun released the duplicate and attached the rival; the last run only listed
    assert writes(emulator) == [("DELETE", "/api/floating-ips/%s" % left[1]), ("POST", "/api/floating-ips/%s/attach" % rival[0])]
    assert [path for _method, path, _query in calls(emulator)].count("/api/floating-ips") == 3


def test_a_spare_chosen_by_hand_or_protected_is_never_released_as_a_leftover(emulator):
    """Only what racing runs would release goes: not when another is attached than the first allocated, nor a protected one."""
    own = make_instances(emulator, ["web-1", "web-2"])
    older = allocate_for(emulator, own["web-1"])
    emulator.advance(2)
    chosen = allocate_for(emulator, own["web-1"])
    emulator.call("POST", "/floating-ips/%s/attach" % chosen, body={"instanceId": own["web-1"]})
    emulator.advance(2)
    allocate_for(emulator, own["web-1"])  # younger than the one attached, but that one is not the first allocated
    kept = allocate_for(emulator, own["web-2"], protection={"delete": True})
    emulator.advance(2)
    emulator.call("POST", "/floating-ips/%s/attach" % kept, body={"instanceId": own["web-2"]})
    emulator.call("POST", "/floating-ips/%s/detach" % kept)
    allocate_for(emulator, own["web-2"], protection={"delete": True})
    before = floating_ips(emulator)
    emulator.clear_requests()
    run = run_playbook([{"name": "web-1", FIP: dict(project=emulator.project_id, instance="web-1"), "register": "out"},
                        {"name": "web-2", FIP: dict(project=emulator.project_id, instance="web-2"), "register": "out"}],
                       emulator=emulator)
    assert run.rc == 0 and run.task("web-1")["changed"] is False and not run.task("web-1").get("warnings"), run
    assert run.task("web-2")["changed"] is True and not run.task("web-2").get("warnings")  # the first one, attached
    assert run.task("web-2")["floating_ip"]["id"] == kept and older in [ip["id"] for ip in floating_ips(emulator)]
    assert writes(emulator) == [("POST", "/api/floating-ips/%s/attach" % kept)]
    assert len(floating_ips(emulator)) == len(before) == 5


def test_a_private_key_is_never_echoed_even_when_the_arguments_fail(emulator):
    """Item 12, before the module runs: an argument error printed the pasted private key in its invocation."""
    body = "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZWQyNTUxOQ"
    private = "-----BEGIN OPENSSH PRIVATE KEY-----\n%s\n-----END OPENSSH PRIVATE KEY-----\n" % body
    cases = [
        ("both key options", dict(project=emulator.project_id, name="k", public_key=private, public_key_file="/x.pub")),
        ("unknown option", dict(project=emulator.project_id, name="k", public_key=private, colour="red")),
    ]
    tasks = [{"name": name, "hostupcloud.cloud.huc_ssh_key": args, "register": "out", "ignore_errors": True}
             for name, args in cases]
    tasks.append({"name": "show", "ansible.builtin.debug": {"var": "out"}})
    run = run_playbook(tasks, emulator=emulator, args=["-vvv"], env={"ANSIBLE_INJECT_INVOCATION": "1"})
    for name, _args in cases:
        assert run.status(name) == "failed", run.task(name)
    assert body not in run.output and "BEGIN OPENSSH PRIVATE KEY" not in run.output
    assert calls(emulator) == []
