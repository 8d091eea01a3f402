"""playbooks/contract_check.yml, as a user runs it (`ansible-playbook hostupcloud.cloud.contract_check`), against
the emulator: every check holds, the report maps one-to-one onto docs/dev/api-contract.md, the write checks leave
nothing behind, and each --variant of the emulator turns its own checks ✗ and no other."""

import json
import os
import re
import subprocess

import pytest

from tests.functional.playbook import ANSIBLE_BIN, ROOT, base_env, run_command, work_dir
from tests.functional.test_readme import code_blocks, readme, section

CONTRACT = os.path.join(ROOT, "docs", "dev", "api-contract.md")
WRITE_IDS = {"C-SSH-KEY-CREATE", "C-SSH-KEY-FINGERPRINT", "C-SSH-KEY-BY-ID", "C-SSH-KEY-DELETE"}
PUBLIC_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKQm8IK5PuOUq63vX6+76zFTJdk++KLHmE4WX37mr/oZ seeded"

# What each variant of the emulator breaks: the checks it must turn ✗, and the checks it may turn ? because it
# makes them unobservable (a bare array has no pagination to look at; pagination under another key has no perPage).
VARIANTS = {
    "bare-lists": ({"C-LIST-ENVELOPE"}, {"C-PAGINATION", "C-PER-PAGE"}),
    "bare-objects": ({"C-OBJECT-ENVELOPE"}, set()),
    "no-rate-headers": ({"C-RATE-HEADERS"}, set()),
    "other-pagination": ({"C-PAGINATION"}, {"C-PER-PAGE"}),
    "per-page-25": ({"C-PER-PAGE"}, set()),
    "numeric-ids": ({"C-IDS"}, set()),
    "plain-errors": ({"C-ERROR-ENVELOPE"}, set()),
    "offset-timestamps": ({"C-TIMESTAMPS"}, set()),
}


def contract_ids():
    """The ids the contract gives its items, each once."""
    with open(CONTRACT) as handle:
        ids = re.findall(r"\[(C-[A-Z0-9-]+)\]", handle.read())
    assert len(ids) == len(set(ids)), sorted(ident for ident in ids if ids.count(ident) > 1)
    return set(ids)


def populate(emulator):
    """One of every kind in the project, so that every field check has an object to look at; the log is cleared."""
    project, node = emulator.project_id, emulator.node_id
    for path, body in (("/ssh-keys", {"projectId": project, "name": "seeded", "publicKey": PUBLIC_KEY}),
                       ("/floating-ips", {"projectId": project, "nodeId": node}),
                       ("/volumes", {"projectId": project, "name": "seeded", "sizeGb": 10, "nodeId": node}),
                       ("/firewalls", {"projectId": project, "name": "seeded"}),
                       ("/networks", {"projectId": project, "name": "seeded", "cidr": "10.0.0.0/24"})):
        status, _headers, answer = emulator.call("POST", path, body=body)
        assert status == 201, (path, status, answer)
    # A snapshot and a backup of the first instance (by its id as the API answers it, a number under numeric-ids).
    if emulator.state()["instances"]:
        _status, _headers, listed = emulator.call("GET", "/instances", query={"projectId": project})
        instance = (listed["data"] if isinstance(listed, dict) else listed)[0]["id"]
        status, _headers, answer = emulator.call("POST", "/snapshots", body={"projectId": project, "instanceId": instance,
                                                                             "name": "seeded"})
        assert status == 201, ("/snapshots", status, answer)
        emulator.make_backup(emulator.state()["instances"][0]["id"])
    emulator.clear_requests()


def contract_check(emulator, key, write_checks=False):
    """Run the playbook by its FQCN in a directory of its own, as a shell would (PWD is that directory).
    Returns the run, the report ({id: check}) and the request total the summary printed."""
    workdir = work_dir("contract-")
    argv = [os.path.join(ANSIBLE_BIN, "ansible-playbook"), "hostupcloud.cloud.contract_check"]
    if write_checks:
        argv += ["-e", "write_checks=true"]
    run = run_command(argv, emulator=emulator, key=key, env={"PWD": workdir}, workdir=workdir)
    assert run.rc == 0, run
    assert "Traceback" not in run.output and key not in run.output
    with open(os.path.join(workdir, "huc-contract-report.json")) as handle:
        report = json.load(handle)
    assert all(set(check) == {"id", "item", "verdict", "saw"} and check["verdict"] in ("✓", "✗", "?") for check in report), report
    checks = {check["id"]: check for check in report}
    assert len(checks) == len(report), [check["id"] for check in report]
    summary = run.task("Summary")["msg"]
    for check in report:
        assert "%s [%s] %s -- saw: %s" % (check["verdict"], check["id"], check["item"], check["saw"]) in summary
    totals = [int(line.split()[1]) for line in summary if line.startswith("requests: ")]
    assert len(totals) == 1, summary
    return run, checks, totals[0]


def verdicts(checks, verdict):
    return {ident for ident, check in checks.items() if check["verdict"] == verdict}


@pytest.mark.heavy
def test_every_check_holds_against_the_emulator_with_a_read_key(emulator_factory):
    emulator = emulator_factory(seed_instances=1)
    populate(emulator)
    _run, checks, total = contract_check(emulator, emulator.read_key)
    assert set(checks) == contract_ids() - WRITE_IDS
    assert verdicts(checks, "✓") == set(checks), {ident: check for ident, check in checks.items() if check["verdict"] != "✓"}
    log = emulator.requests()
    assert total == len(log) < 60
    assert {entry["method"] for entry in log} == {"GET"} and {entry["keyPrefix"] for entry in log} == {emulator.read_key[:8]}


@pytest.mark.heavy
def test_write_checks_add_read_and_delete_one_ssh_key(emulator_factory):
    """With a write key every item of the contract is checked, one check per id, all ✓, and the key is gone again."""
    emulator = emulator_factory(seed_instances=1)
    populate(emulator)
    _run, checks, total = contract_check(emulator, emulator.write_key, write_checks=True)
    assert set(checks) == contract_ids()
    assert verdicts(checks, "✓") == set(checks), {ident: check for ident, check in checks.items() if check["verdict"] != "✓"}
    log = emulator.requests()
    assert total == len(log) < 60
    writes = [(entry["method"], entry["path"]) for entry in log if entry["method"] != "GET"]
    assert [method for method, _path in writes] == ["POST", "DELETE"], writes
    assert [key["name"] for key in emulator.state()["sshKeys"]] == ["seeded"]


@pytest.mark.heavy
def test_write_checks_delete_the_key_when_the_read_fails(emulator_factory):
    """A failed step of the round trip is a ✗ in the report, not a key left behind: the cleanup finds it by name."""
    emulator = emulator_factory()
    # The throw-away key of a run killed before its cleanup: this run deletes it too.
    code, _headers, _body = emulator.call("POST", "/ssh-keys", body={
        "projectId": emulator.project_id, "name": "huc-contract-check-0badc0de", "publicKey": PUBLIC_KEY})
    assert code == 201
    emulator.fault(status=404, methods=["GET"], pathPrefix="/api/ssh-keys/")
    run, checks, _total = contract_check(emulator, emulator.write_key, write_checks=True)
    assert (checks["C-SSH-KEY-CREATE"]["verdict"], checks["C-SSH-KEY-BY-ID"]["verdict"], checks["C-SSH-KEY-DELETE"]["verdict"]) == ("✓", "✗", "?")
    assert "GET /ssh-keys/{id}" in checks["C-SSH-KEY-DELETE"]["saw"]
    assert emulator.state()["sshKeys"] == []
    deletes = [entry for entry in emulator.requests() if entry["method"] == "DELETE"]
    assert len(deletes) == 2 and [entry["status"] for entry in deletes] == [204, 204]
    assert run.status("Note which write step failed") == "ok"


@pytest.mark.heavy
@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_each_variant_turns_its_own_checks_and_no_other(emulator_factory, variant):
    broken, unobservable = VARIANTS[variant]
    emulator = emulator_factory(seed_instances=1, variants=[variant])
    populate(emulator)
    _run, checks, total = contract_check(emulator, emulator.write_key, write_checks=True)
    assert set(checks) == contract_ids()
    assert verdicts(checks, "✗") == broken, checks
    assert verdicts(checks, "?") <= unobservable, checks
    assert total == len(emulator.requests()) < 60
    assert [key["name"] for key in emulator.state()["sshKeys"]] == ["seeded"]


@pytest.mark.heavy
def test_the_readme_section_runs_as_written(emulator_factory, tmp_path):
    """README's "Using it against the real API for the first time": its commands, verbatim, in bash, with the read key
    where the README keeps it (~/.config/huc/read-key) and HUC_API_URL pointing at an emulator."""
    blocks = code_blocks(section(readme(), "Using it against the real API for the first time"), "bash")
    assert len(blocks) == 1 and "ansible-playbook hostupcloud.cloud.contract_check" in blocks[0], blocks
    emulator = emulator_factory(seed_instances=1)
    home = tmp_path / "home"
    (home / ".config" / "huc").mkdir(parents=True)
    (home / ".config" / "huc" / "read-key").write_text(emulator.read_key + "\n")
    env = base_env(emulator, key="")
    env.update(HOME=str(home), PWD=str(tmp_path))
    proc = subprocess.run(["bash", "-euo", "pipefail", "-c", blocks[0]], cwd=str(tmp_path), env=env, capture_output=True, text=True,
                          timeout=600, check=False)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    assert emulator.read_key not in proc.stdout + proc.stderr
    assert "✓ [C-LIST-ENVELOPE]" in proc.stdout and "requests: %d" % len(emulator.requests()) in proc.stdout
    assert {entry["keyPrefix"] for entry in emulator.requests()} == {emulator.read_key[:8]}
    with open(str(tmp_path / "huc-contract-report.json")) as handle:
        assert {check["id"] for check in json.load(handle)} == contract_ids() - WRITE_IDS


def test_a_project_the_key_does_not_list_stops_the_check(emulator):
    """A typo in contract_project is not a mismatch of the contract: the check stops after the one listing."""
    workdir = work_dir("contract-")
    run = run_command([os.path.join(ANSIBLE_BIN, "ansible-playbook"), "hostupcloud.cloud.contract_check", "-e", "contract_project=prodction"],
                      emulator=emulator, key=emulator.read_key, env={"PWD": workdir}, workdir=workdir)
    assert run.rc != 0 and "the key lists no project named prodction" in run.task("Stop when the project asked for is not listed")["msg"]
    assert [(entry["method"], entry["path"]) for entry in emulator.requests()] == [("GET", "/api/projects")]
    assert not os.path.exists(os.path.join(workdir, "huc-contract-report.json"))
