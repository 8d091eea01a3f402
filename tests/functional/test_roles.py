"""The roles and the playbooks through ansible-playbook, against a fresh emulator per test."""

import json
import os
import re
import stat

import pytest

from tests.functional.playbook import ANSIBLE_BIN, ROOT
from tests.functional.playbook import run_playbook
from tests.functional.steps import calls_by_key, task_keys

FAST = {"provision_seconds": 0.5, "transition_seconds": 0.5}
MANAGED = {"managed-by": "hostupcloud.cloud.instances"}
FLEET_LABEL = {"hostupcloud.cloud/fleet": "hostupcloud.cloud.instances"}  # huc_fleet's own, with the same value
FLEET = [
    {"name": "web-1", "node": "fra1-n1", "os_template": "Ubuntu 24.04", "vcpus": 1, "memory_mb": 1024,
     "disk_gb": 20, "labels": {"role": "web"}},
    {"name": "db-1", "node": "ams1-n1", "os_template": "Debian 12", "vcpus": 2, "memory_mb": 2048,
     "disk_gb": 40, "labels": {"role": "db"}, "power": "stopped"},
]
SECRET = re.compile(r"huc_[A-Za-z0-9]{20,}")  # a secret is huc_ and 40 letters or digits; prefixes may show


@pytest.fixture
def emulator(emulator_factory):
    return emulator_factory(**FAST)


def instances_role(**role_vars):
    return {"name": "fleet", "ansible.builtin.include_role": {"name": "hostupcloud.cloud.instances"}, "vars": role_vars}


def rotation_role(**role_vars):
    return {"name": "rotate", "ansible.builtin.include_role": {"name": "hostupcloud.cloud.api_key_rotation"},
            "vars": role_vars}


FACT = {"name": "fact", "ansible.builtin.debug": {"var": "instances_fleet"}}
ROTATED = {"name": "rotated", "ansible.builtin.debug": {"var": "api_key_rotation_result"}}


def create(emulator, name, labels=None, status=None):
    """An instance made straight through the API (not by the role), optionally forced to a status."""
    code, _headers, body = emulator.call("POST", "/instances", body={
        "projectId": emulator.project_id, "name": name, "nodeId": emulator.node_id, "osTemplate": emulator.os_template,
        "vcpus": 1, "memoryMb": 1024, "diskGb": 20, "labels": labels or {}})
    assert code == 201, body
    if status:
        emulator.set_instance(body["data"]["id"], status=status)
    return body["data"]["id"]


def by_name(emulator):
    return dict((i["name"], i) for i in emulator.state()["instances"])


def writes(emulator):
    return [(r["method"], r["path"]) for r in emulator.requests() if r["method"] != "GET"]


def changed_tasks(run):
    return [r["task"] for r in run.records if r["status"] == "changed"]


def playbook(command, name, *args, **env):
    return command([os.path.join(ANSIBLE_BIN, "ansible-playbook"), os.path.join(ROOT, "playbooks", name)] + list(args),
                   env=env)


# -- instances ------------------------------------------------------------------------------------


def test_instances_role_builds_the_fleet_then_changes_nothing(play, emulator):
    first = play([instances_role(instances_project="default", instances_list=FLEET), FACT])
    assert first.rc == 0, first
    instances = by_name(emulator)
    assert sorted(instances) == ["db-1", "web-1"]
    assert instances["web-1"]["status"] == "running" and instances["db-1"]["status"] == "stopped"
    assert instances["web-1"]["labels"] == dict(MANAGED, role="web", **FLEET_LABEL)
    assert (instances["db-1"]["vcpus"], instances["db-1"]["memoryMb"], instances["db-1"]["diskGb"]) == (2, 2048, 40)
    assert instances["db-1"]["osTemplate"] == "Debian 12" and instances["db-1"]["nodeId"] != emulator.node_id
    fleet = first.task("fact")["instances_fleet"]
    assert [(i["name"], i["status"]) for i in fleet] == [("web-1", "running"), ("db-1", "stopped")]
    assert fleet[0]["ipv4"] == instances["web-1"]["ipv4"]

    emulator.clear_requests()
    second = play([instances_role(instances_project="default", instances_list=FLEET)])
    assert second.rc == 0, second
    assert changed_tasks(second) == []
    # Budget of a run that changes nothing: the project by name, one listing of the fleet (huc_fleet); the power
    # states are read from it, so no power task runs.
    assert [(r["method"], r["path"]) for r in emulator.requests()] == [("GET", "/api/projects"), ("GET", "/api/instances")]


def test_instances_role_grows_and_prunes_at_the_fleet_s_request_budget(emulator):
    """Built on huc_fleet: a grow costs the creates and the one wait's listings; a prune the DELETE and its polls;
    a no-op with prune the fleet's listing and the listing of the role's own prune candidates."""
    def entry(name):
        return {"name": name, "node": emulator.node_id, "os_template": "Debian 12", "vcpus": 1, "memory_mb": 512,
                "disk_gb": 10}

    steps = [("build 3", 3, False), ("grow to 5", 5, False), ("prune to 4", 4, True), ("again", 4, True)]
    keys = task_keys(emulator, [title for title, _count, _prune in steps])
    tasks = [{"name": title, "module_defaults": {"group/hostupcloud.cloud.huc": {"api_key": "{{ lookup('env', 'KEY_%d') }}" % n}},
              "block": [instances_role(instances_project=emulator.project_id, instances_prune=prune,
                                       instances_list=[entry("web-%d" % i) for i in range(1, count + 1)])]}
             for n, (title, count, prune) in enumerate(steps)]
    run = run_playbook(tasks, emulator=emulator, env=dict(("KEY_%d" % n, keys[title]) for n, (title, _c, _p) in enumerate(steps)))
    assert run.rc == 0, run
    logs = calls_by_key(emulator, keys)  # each role run's requests, split by its key
    assert sorted(by_name(emulator)) == ["web-%d" % n for n in range(1, 5)]
    grown = [(method, path) for method, path, _query in logs["grow to 5"]]
    polls = grown.count(("GET", "/api/instances")) - 1
    assert polls >= 1 and grown.count(("POST", "/api/instances")) == 2 and len(grown) == 2 + polls + 1, grown
    pruned = [(method, path) for method, path, _query in logs["prune to 4"]]
    # The role's own prune candidates (none: every managed instance has the fleet's label), the fleet's listing,
    # the DELETE of web-5 and the polls until it is gone.
    assert [m for m, _p in pruned].count("DELETE") == 1 and pruned[:2] == [("GET", "/api/instances")] * 2, pruned
    assert all(method == "GET" for method, _p in pruned if method != "DELETE")
    assert [(method, path) for method, path, _query in logs["again"]] == [("GET", "/api/instances")] * 2


@pytest.mark.heavy
def test_instances_role_attaches_volumes_and_floating_ips_then_changes_nothing(play, emulator):
    fleet = [dict(FLEET[0], volumes=[{"name": "web-data", "size_gb": 10}, {"name": "web-logs", "size_gb": 5}],
                  floating_ip=True), FLEET[1]]
    first = play([instances_role(instances_project="default", instances_list=fleet)])
    assert first.rc == 0, first
    state = emulator.state()
    web = by_name(emulator)["web-1"]
    assert sorted((v["name"], v["sizeGb"], v["instanceId"], v["nodeId"]) for v in state["volumes"]) == [
        ("web-data", 10, web["id"], web["nodeId"]), ("web-logs", 5, web["id"], web["nodeId"])]
    assert [(ip["instanceId"], ip["nodeId"]) for ip in state["floatingIps"]] == [(web["id"], web["nodeId"])]

    emulator.clear_requests()
    grown = [dict(fleet[0], volumes=[{"name": "web-data", "size_gb": 20}, {"name": "web-logs", "size_gb": 5}]), FLEET[1]]
    again = play([instances_role(instances_project="default", instances_list=grown)])
    assert again.rc == 0, again
    assert changed_tasks(again) == ["hostupcloud.cloud.instances : Create, grow and attach the volumes that differ"]
    assert writes(emulator) == [("PATCH", "/api/volumes/%s" % next(
        v["id"] for v in state["volumes"] if v["name"] == "web-data"))]
    emulator.clear_requests()
    third = play([instances_role(instances_project="default", instances_list=grown)])
    assert third.rc == 0 and changed_tasks(third) == [], third
    # The project by name, and one listing each of the fleet, the volumes and the floating IPs: nothing per item.
    assert writes(emulator) == [] and [r["path"] for r in emulator.requests()] == [
        "/api/projects", "/api/instances", "/api/volumes", "/api/floating-ips"]


def test_instances_role_updates_in_place_and_adopts(play, emulator):
    web = create(emulator, "web-1", labels={"role": "old"}, status="running")
    db = create(emulator, "db-1", status="running")
    emulator.clear_requests()
    grown = [dict(FLEET[0], disk_gb=30), dict(FLEET[1], vcpus=4, allow_restart=True)]
    run = play([instances_role(instances_list=grown)], env={"HUC_PROJECT": emulator.project_id})
    assert run.rc == 0, run
    instances = by_name(emulator)
    assert instances["web-1"]["id"] == web and instances["web-1"]["diskGb"] == 30
    assert instances["web-1"]["labels"] == dict(MANAGED, role="web", **FLEET_LABEL)  # adopted: labelled as the fleet
    assert instances["db-1"]["id"] == db and instances["db-1"]["vcpus"] == 4 and instances["db-1"]["status"] == "stopped"
    # A project given by id costs no lookup; node names are only needed at creation but resolved once.
    assert ("GET", "/api/projects") not in [(r["method"], r["path"]) for r in emulator.requests()]
    assert not [w for w in writes(emulator) if w[0] == "POST" and w[1] == "/api/instances"]


def test_instances_role_resize_of_a_running_instance_needs_allow_restart(play, emulator):
    create(emulator, "web-1", status="running")
    emulator.clear_requests()
    run = play([instances_role(instances_list=[dict(FLEET[0], vcpus=2)])], env={"HUC_PROJECT": emulator.project_id})
    assert run.rc != 0
    failed = run.task("hostupcloud.cloud.instances : Create or update the fleet, and wait until its new instances run")
    assert "changing vcpus of instance web-1 needs it stopped" in failed["msg"] and "allow_restart: true" in failed["msg"]
    assert writes(emulator) == [] and by_name(emulator)["web-1"]["vcpus"] == 1


def test_prune_removes_only_instances_with_the_fleet_label(play, emulator):
    ids = dict((name, create(emulator, name, labels=labels, status="running")) for name, labels in [
        ("legacy-1", {}),                                      # no label at all
        ("other-1", {"managed-by": "another-fleet"}),          # another fleet's
        ("tagged-1", {"role": "web", "owner": "hostupcloud.cloud.instances"}),  # the value, other key
        ("stray-1", dict(MANAGED, role="web")),                # this fleet's, no longer listed
        ("stray-2", MANAGED),
    ])
    emulator.clear_requests()
    run = play([instances_role(instances_list=FLEET[:1], instances_prune=True), FACT],
               env={"HUC_PROJECT": emulator.project_id})
    assert run.rc == 0, run
    assert sorted(by_name(emulator)) == ["legacy-1", "other-1", "tagged-1", "web-1"]
    deletes = [path for method, path in writes(emulator) if method == "DELETE"]
    assert sorted(deletes) == sorted("/api/instances/" + ids[name] for name in ("stray-1", "stray-2"))
    assert [i["name"] for i in run.task("fact")["instances_fleet"]] == ["web-1"]

    # Teardown (an empty fleet with prune) still leaves every instance without the label alone; this run
    # uses the names of before 1.0.0, still accepted with a deprecation warning until 2.0.0.
    run = play([instances_role(huc_project=emulator.project_id, huc_instances=[], huc_instances_prune=True)])
    assert run.rc == 0, run
    assert sorted(by_name(emulator)) == ["legacy-1", "other-1", "tagged-1"]
    assert "[DEPRECATION WARNING]: The instances role's variables huc_instances, huc_instances_prune, huc_project " \
        "are deprecated: use instances_list, instances_prune, instances_project." in run.output
    assert "removed from collection 'hostupcloud.cloud' version 2.0.0" in run.output
    assert "FAILED - RETRYING" not in run.output  # the prune waits quietly


def test_prune_with_another_managed_by_value_spares_the_default_fleet(play, emulator):
    create(emulator, "web-1", labels=MANAGED, status="running")
    emulator.clear_requests()
    run = play([instances_role(instances_list=[], instances_prune=True, instances_managed_by="blue")],
               env={"HUC_PROJECT": emulator.project_id})
    assert run.rc == 0, run
    assert sorted(by_name(emulator)) == ["web-1"] and writes(emulator) == []


def test_instances_role_check_mode_writes_nothing_and_predicts(play, emulator):
    create(emulator, "web-1", labels=dict(MANAGED, role="old"), status="running")
    create(emulator, "stray-1", labels=MANAGED, status="running")
    before = by_name(emulator)
    emulator.clear_requests()
    run = play([instances_role(instances_list=FLEET, instances_prune=True), FACT], args=["--check", "--diff"],
               env={"HUC_PROJECT": emulator.project_id})
    assert run.rc == 0, run
    assert writes(emulator) == []
    assert by_name(emulator) == before
    applied = run.task("hostupcloud.cloud.instances : Create or update the fleet, and wait until its new instances run")
    assert [i["action"] for i in applied["instances"]] == ["updated", "created"]  # web-1 is relabelled, db-1 is new
    assert applied["diff"]["after"]["web-1"]["labels"] == dict(MANAGED, role="web")
    pruned = run.task("hostupcloud.cloud.instances : "
                      "Delete the managed instances no longer listed (prune) and wait until each is gone")
    assert [r["item"]["name"] for r in pruned["results"]] == ["stray-1"] and pruned["changed"]
    assert [i["name"] for i in run.task("fact")["instances_fleet"]] == ["web-1"]


def rescued(case, role_task):
    """A role run in a block whose rescue task "<case>: refused" runs once it failed: several refusals in one playbook."""
    return {"name": case, "block": [role_task],
            "rescue": [{"name": case + ": refused", "ansible.builtin.debug": {"msg": "failed as it should"}}]}


def failures(run):
    """The text of each failed task result (its message and those of its items), in order."""
    return [json.dumps(r["result"]) for r in run.records if r["status"] == "failed"]


def refused(case, **role_vars):
    return rescued(case, instances_role(**role_vars))


def test_instances_role_needs_a_project(play, emulator):
    cases = [("no project", "instances_project is required"),
             ("no fleet", "instances_list is required"),
             ("unknown project", "instances_project: no project named nope"),
             ("bad instance", "missing required arguments")]
    run = play([refused("no project", instances_list=FLEET),
                refused("no fleet", instances_project="default"),
                refused("unknown project", instances_project="nope", instances_list=FLEET),
                refused("bad instance", instances_project="default", instances_list=[{"name": "x"}])])
    assert run.rc == 0, run  # every failure was rescued: each case is checked below
    failed = failures(run)
    assert len(failed) == len(cases), failed  # one failed task per case: the role stopped there
    for (case, message), failure in zip(cases, failed):
        assert run.status(case + ": refused") == "ok" and message in failure and message in run.output, case
    assert writes(emulator) == []


# -- api_key_rotation -----------------------------------------------------------------------------


def keys_named(emulator, name):
    return [k for k in emulator.state()["apiKeys"] if k["name"] == name]


def test_rotation_role_issues_keeps_and_rotates(play, emulator, tmp_path):
    key_dir = tmp_path / "keys"
    keys = [{"name": "ci-deploy", "permissions": ["read", "write"], "expires_in_days": 30, "rotate_before_expiry_days": 7},
            {"name": "reporting"}]
    first = play([rotation_role(api_key_rotation_keys=keys, api_key_rotation_key_dir=str(key_dir)), ROTATED])
    assert first.rc == 0, first
    assert stat.S_IMODE(key_dir.stat().st_mode) == 0o700
    for name in ("ci-deploy", "reporting"):
        path = key_dir / (name + ".key")
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert emulator.call("GET", "/projects", key=path.read_text())[0] == 200
    result = dict((k["name"], k) for k in first.task("rotated")["api_key_rotation_result"])
    assert result["ci-deploy"]["issued"] and result["ci-deploy"]["key_file"] == str(key_dir / "ci-deploy.key")
    assert result["reporting"]["permissions"] == ["read"] and "key" not in result["reporting"]
    assert not SECRET.findall(first.output)

    emulator.clear_requests()
    fresh = play([rotation_role(api_key_rotation_keys=keys, api_key_rotation_key_dir=str(key_dir))])
    assert fresh.rc == 0, fresh
    assert changed_tasks(fresh) == []
    assert [(r["method"], r["path"]) for r in emulator.requests()] == [("GET", "/api/api-keys")] * 2  # one per key

    old_secret = (key_dir / "ci-deploy.key").read_text()
    emulator.advance(24 * 86400)  # ci-deploy now expires within 7 days, reporting (90 days) does not
    emulator.clear_requests()
    rotated = play([rotation_role(api_key_rotation_keys=keys, api_key_rotation_key_dir=str(key_dir)), ROTATED])
    assert rotated.rc == 0, rotated
    ci = keys_named(emulator, "ci-deploy")
    assert [k["status"] for k in ci] == ["revoked", "active"]  # api_key_rotation_old_key defaults to revoke
    new_secret = (key_dir / "ci-deploy.key").read_text()
    assert new_secret != old_secret and new_secret.startswith(ci[1]["prefix"])
    # A rotation: the key list, the new key, the list again with the new key (no rival issued at the same
    # time, and its secret has arrived), the revocation; a key not due: the key list.
    assert [(r["method"], r["path"]) for r in emulator.requests()] == [
        ("GET", "/api/api-keys"), ("POST", "/api/api-keys"), ("GET", "/api/api-keys"),
        ("POST", "/api/api-keys/%s/revoke" % ci[0]["id"]), ("GET", "/api/api-keys")]
    assert emulator.call("GET", "/projects", key=old_secret)[2]["error"]["code"] == "api_key_revoked"
    result = dict((k["name"], k) for k in rotated.task("rotated")["api_key_rotation_result"])
    assert result["ci-deploy"]["replaced_key_id"] == ci[0]["id"] and not result["reporting"]["issued"]
    assert not SECRET.findall(rotated.output)


@pytest.mark.heavy
def test_rotation_role_hands_secrets_to_a_task_file(play, emulator, tmp_path):
    store = tmp_path / "store.yml"
    vault = tmp_path / "vault"
    vault.mkdir()
    store.write_text(
        "- name: Store {{ api_key_rotation_key.name }}\n"
        "  ansible.builtin.copy:\n"
        "    content: '{{ api_key_rotation_secret }}'\n"
        "    dest: '%s/{{ api_key_rotation_key.name }}-{{ api_key_rotation_key.id }}'\n"
        "    mode: '0600'\n"
        "  no_log: true\n" % vault)
    keys = [{"name": "vault-sync"}, {"name": "direct", "key_file": str(tmp_path / "direct.key")}]
    transit = tmp_path / "transit"
    # Whatever else is there is not read: a file that vanishes while the role looks did make it warn.
    os.makedirs(str(transit), 0o700)
    (transit / "unreadable").mkdir(0o000)
    role = rotation_role(api_key_rotation_keys=keys, api_key_rotation_secret_tasks=str(store),
                         api_key_rotation_transit_dir=str(transit))
    run = play([role, ROTATED])
    assert run.rc == 0, run
    issued = keys_named(emulator, "vault-sync")[0]
    stored = vault / ("vault-sync-" + issued["id"])
    assert emulator.call("GET", "/projects", key=stored.read_text())[0] == 200
    assert os.listdir(str(vault)) == [stored.name]  # the key with its own key_file is not handed over
    assert (tmp_path / "direct.key").read_text().startswith(keys_named(emulator, "direct")[0]["prefix"])
    assert [k["key_file"] for k in run.task("rotated")["api_key_rotation_result"]] == [None, str(tmp_path / "direct.key")]
    assert not SECRET.findall(run.output)

    run = play([role])
    assert run.rc == 0 and changed_tasks(run) == [] and "WARNING" not in run.output, run
    assert os.listdir(str(transit)) == ["unreadable"]  # both runs' transit directories are gone


def test_rotation_role_keeps_the_secret_when_the_task_file_fails(play, emulator, tmp_path):
    store = tmp_path / "store.yml"
    store.write_text("- name: Secret manager down\n  ansible.builtin.fail:\n    msg: vault unreachable\n")
    run = play([rotation_role(api_key_rotation_keys=[{"name": "vault-sync"}], api_key_rotation_secret_tasks=str(store),
                              api_key_rotation_transit_dir=str(tmp_path / "transit"))])
    assert run.rc != 0
    kept = re.search(r"kept in (\S+) \(files", run.output).group(1)
    assert os.path.dirname(kept) == str(tmp_path / "transit") and os.stat(os.path.dirname(kept)).st_mode & 0o777 == 0o700
    secret = open(os.path.join(kept, "vault-sync.key")).read()
    assert "vault unreachable" in run.output and secret not in run.output
    assert emulator.call("GET", "/projects", key=secret)[0] == 200


def test_rotation_role_refuses_a_key_without_a_place_for_its_secret_or_a_safe_file_name(play, emulator, tmp_path):
    """The refusals in one playbook, each role run in a block whose rescue says it failed."""
    key_dir = tmp_path / "keys"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir(0o755)
    (tmp_path / "link").symlink_to(elsewhere)  # a transit directory that is a link: never written through
    run = play([
        rescued("no place", rotation_role(api_key_rotation_keys=[{"name": "lost"}, {"name": "kept", "key_file": "/tmp/x"}])),
        rescued("unsafe name", rotation_role(api_key_rotation_keys=[{"name": "../escaped"}, {"name": "ok"}],
                                             api_key_rotation_key_dir=str(key_dir))),
        rescued("linked transit", rotation_role(api_key_rotation_keys=[{"name": "ok"}],
                                                api_key_rotation_secret_tasks=str(tmp_path / "store.yml"),
                                                api_key_rotation_transit_dir=str(tmp_path / "link"))),
    ])
    assert run.rc == 0, run  # every failure was rescued: each is checked here
    failed = failures(run)
    assert len(failed) == 3, failed
    assert run.status("linked transit: refused") == "ok" and "api_key_rotation_transit_dir: " in failed[2], run
    assert "must be a directory, not a symbolic" in failed[2] and os.listdir(str(elsewhere)) == []
    assert run.status("no place: refused") == "ok" and "no place for the secret of lost:" in failed[0]
    assert run.status("unsafe name: refused") == "ok", run
    assert "must be letters, digits" in failed[1] and "../escaped" in failed[1], run
    assert "no place for the secret of lost:" in run.output and "must be letters, digits" in run.output
    assert emulator.requests() == [] and not key_dir.exists() and not (tmp_path / "escaped.key").exists()


def test_rotation_role_check_mode_issues_nothing(play, emulator, tmp_path):
    run = play([rotation_role(api_key_rotation_keys=[{"name": "ci"}], api_key_rotation_key_dir=str(tmp_path / "k")),
                ROTATED], args=["--check"])
    assert run.rc == 0, run
    assert writes(emulator) == [] and keys_named(emulator, "ci") == []
    assert run.task("rotated")["api_key_rotation_result"][0]["issued"]


# -- playbooks ------------------------------------------------------------------------------------


@pytest.mark.heavy
def test_provision_power_teardown_playbooks(command, emulator):
    legacy = create(emulator, "legacy-1", status="running")
    emulator.clear_requests()
    run = playbook(command, "provision.yml", HUC_PROJECT=emulator.project_id)
    assert run.rc == 0, run
    instances = by_name(emulator)
    assert sorted(instances) == ["batch-1", "db-1", "legacy-1", "web-1", "web-2"]
    assert [instances[n]["status"] for n in ("web-1", "web-2", "db-1", "batch-1")] == ["running"] * 3 + ["stopped"]

    emulator.clear_requests()
    run = playbook(command, "power.yml", "-i", os.path.join(ROOT, "inventory", "huc.yml"),
                   "-e", "power_group=label_role_web", "-e", "power_state=stopped")
    assert run.rc == 0, run
    statuses = dict((name, i["status"]) for name, i in by_name(emulator).items())
    assert statuses == {"web-1": "stopped", "web-2": "stopped", "db-1": "running", "batch-1": "stopped",
                        "legacy-1": "running"}
    power = [r["path"] for r in emulator.requests() if r["path"].endswith("/power")]
    assert sorted(power) == sorted("/api/instances/%s/power" % instances[n]["id"] for n in ("web-1", "web-2"))

    run = playbook(command, "power.yml", "-e", "power_state=sideways")
    assert run.rc != 0 and "power_state=started|stopped|restarted" in run.output

    run = playbook(command, "teardown.yml", HUC_PROJECT=emulator.project_id)
    assert run.rc == 0, run
    assert [i["id"] for i in emulator.state()["instances"]] == [legacy]


# playbooks/rotate_api_keys.yml runs once, in test_api_key.py (test_rotate_playbook_runs_end_to_end), with
# every check this file made of it.


def demo(command, emulator):
    return playbook(command, "demo.yml", HUC_EMULATOR_URL=emulator.base_url, HUC_READ_KEY=emulator.read_key,
                    HUC_PROJECT=emulator.project_id)


@pytest.mark.heavy
def test_demo_runs_and_cleans_up(command, emulator):
    run = demo(command, emulator)
    assert run.rc == 0, run
    summary = run.task("Summary")["msg"]
    # The demo's instances ask for no IPv6 (off unless enabled): the summary shows "-" for it.
    assert re.match(r"demo-db-1 +stopped +100\.64\.\d+\.\d+ +-$", summary[3])
    assert "(mode 0600)" in summary[4]
    spent = int(re.search(r"API requests so far: (\d+)", summary[5]).group(1))
    graph = run.task("Build the dynamic inventory (with the read-only key)")["stdout"]
    assert "@huc_status_stopped:\n  |  |--demo-db-1" in graph
    log = emulator.requests()
    assert spent < len(log) and len(log) <= 50  # the demo stays well inside 60 requests a minute
    assert [r for r in log if r["status"] == 429] == []
    assert emulator.state()["instances"] == [] and keys_named(emulator, "demo-ci") == []
    assert not SECRET.findall(run.output)


@pytest.mark.heavy
def test_demo_fails_on_an_error_and_still_tears_down(command, emulator):
    emulator.fault(status=500, methods=["POST"], pathPrefix="/api/api-keys")
    run = demo(command, emulator)
    assert run.rc != 0
    assert run.status("Issue a CI key that expires in three days, so that it is due for rotation") == "failed"
    assert emulator.state()["instances"] == []
