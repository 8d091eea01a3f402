"""huc_api_key through ansible-playbook: issue, reuse, revoke, re-enable, delete, rotate, key files, no leaks.

Issued secrets are read the way a playbook reads them: registered, then printed by a debug task
(the one place they may appear). The emulator's call() then proves what each key can do.
"""

import functools
import json
import os
import re
import stat
import subprocess
import time
from datetime import datetime, timedelta, timezone

import pytest
import yaml

from tests.functional.playbook import ANSIBLE_BIN, ROOT, Run, base_env, run_playbook, work_dir

MODULE = "hostupcloud.cloud.huc_api_key"
DAY = 86400
WRITE_REFUSED = "this API key has the Read permission only; Write is required"
UNKNOWN_ID = "7d3c2a4e-0b1f-4c55-9a51-2f6a1c0e8b90"


def key_task(title, register="out", **options):
    return {"name": title, MODULE: options, "register": register}


def failing(title, **options):
    return dict(key_task(title, **options), ignore_errors=True)


def show(register):
    """A debug task printing a registered result: the place a playbook uses a secret on purpose."""
    return {"name": "show " + register, "ansible.builtin.debug": {"var": register}}


def registered(run, register):
    return run.task("show " + register)[register]


def run_ok(play, tasks, **kwargs):
    run = play(tasks, **kwargs)
    assert run.rc == 0, run
    assert "Traceback" not in run.output
    return run


def calls(emulator):
    """(method, path) of every /api request so far; clears the log for the next step."""
    log = [(r["method"], r["path"]) for r in emulator.requests()]
    emulator.clear_requests()
    return log


def keys_named(emulator, name):
    return [key for key in emulator.state()["apiKeys"] if key["name"] == name]


def settings_of(emulator):
    """Every key without its time of last use (reads update it)."""
    return [dict(key, lastUsedAt=None) for key in emulator.state()["apiKeys"]]


def status_of(emulator, secret, method="GET", path="/projects", body=None):
    status, _headers, payload = emulator.call(method, path, key=secret, body=body)
    return status, (payload or {}).get("error", {}) if isinstance(payload, dict) else {}


def api_clock(emulator):
    return datetime.strptime(emulator.clock()["now"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)


def expiry_days_from(emulator, key):
    expires = datetime.strptime(key["expires_at"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    return (expires - api_clock(emulator)).total_seconds() / DAY


LIST = ("GET", "/api/api-keys")
CREATE = ("POST", "/api/api-keys")
USE = ("GET", "/api/projects")


def use_key(title, emulator, secret):
    """A task making the request status_of(emulator, secret) makes, its answer recorded whatever its status."""
    return {"name": title, "ansible.builtin.uri": {
        "url": emulator.base_url + "/api/projects", "headers": {"Authorization": "Bearer " + secret},
        "status_code": [200, 401, 403]}}


def test_lifecycle_secret_once_then_reads_writes_revoke_enable_delete(play, emulator):
    """check -> issue (secret once) -> rerun no-op, 1 request -> the keys work as permitted -> revoke -> enable -> absent."""
    run = run_ok(play, [
        dict(key_task("predict", name="ci", permissions=["write"]), check_mode=True),
        key_task("issue", register="ci", name="ci", permissions=["write"], expires_in_days=30),
        show("ci"),
        key_task("rerun", name="ci", permissions=["read", "write"]),
        key_task("issue read-only", register="ro", name="ci-ro"),
        show("ro"),
        failing("write with a read key", name="x", api_key="{{ ro.api_key.key }}"),
    ])
    predicted = run.task("predict")
    assert predicted["changed"] and predicted["api_key"]["id"] is None and "key" not in predicted["api_key"]
    assert predicted["api_key"]["permissions"] == ["read", "write"]
    ci = registered(run, "ci")
    assert ci["changed"] and ci["api_key"]["key"].startswith("huc_") and len(ci["api_key"]["key"]) > 20
    assert ci["api_key"]["prefix"] == ci["api_key"]["key"][:8]
    assert ci["api_key"]["permissions"] == ["read", "write"] and ci["api_key"]["status"] == "active"
    assert 29.99 < expiry_days_from(emulator, ci["api_key"]) <= 30
    assert run.task("issue")["censored"] and "api_key" not in run.task("issue")  # shown nowhere but by the debug task
    rerun = run.task("rerun")
    assert not rerun["changed"] and "key" not in rerun["api_key"] and rerun["api_key"]["id"] == ci["api_key"]["id"]
    assert set(rerun["api_key"]) == {"id", "name", "prefix", "permissions", "status", "expires_at", "created_at",
                                     "last_used_at"}
    refused = run.task("write with a read key")
    assert run.status("write with a read key") == "failed" and refused["failure"]["status"] == 403
    assert "Read permission only; this task needs Write" in refused["msg"]
    # check: 1 read; issue: list + create + list again; rerun: 1 read; read-only key: list + create + list
    # again; refused: list + create. Each list after a create is read with the new key itself.
    secret, read_only = ci["api_key"]["key"], registered(run, "ro")["api_key"]["key"]
    assert [r["keyPrefix"] for r in emulator.requests() if (r["method"], r["path"]) == LIST] == [
        emulator.write_key[:8], emulator.write_key[:8], secret[:8], emulator.write_key[:8], emulator.write_key[:8],
        read_only[:8], read_only[:8]]
    assert calls(emulator) == [LIST, LIST, CREATE, LIST, LIST, LIST, CREATE, LIST, LIST, CREATE]
    assert registered(run, "ro")["api_key"]["permissions"] == ["read"]

    assert status_of(emulator, secret)[0] == 200
    assert status_of(emulator, secret, "POST", "/api/api-keys", {"name": "made-by-ci", "permissions": ["read"]})[0] == 201
    assert status_of(emulator, read_only)[0] == 200
    status, error = status_of(emulator, read_only, "POST", "/api/api-keys", {"name": "nope", "permissions": ["read"]})
    assert (status, error["code"], error["message"]) == (403, "forbidden", WRITE_REFUSED)
    assert not keys_named(emulator, "x")
    emulator.clear_requests()

    # revoke, re-enable and delete in one run; after each of the first two a uri task uses the secret
    # as status_of(emulator, secret) does, and its GET /api/projects marks where each step's requests end.
    run = run_ok(play, [key_task("revoke", name="ci", state="revoked"), key_task("revoke again", name="ci", state="revoked"),
                        use_key("use the revoked secret", emulator, secret),
                        key_task("re-enable", name="ci"),
                        use_key("use the re-enabled secret", emulator, secret),
                        key_task("delete", name="ci", state="absent"), key_task("delete again", name="ci", state="absent")])
    assert run.task("revoke")["changed"] and run.task("revoke")["api_key"]["status"] == "revoked"
    assert not run.task("revoke again")["changed"]
    log = calls(emulator)
    assert log[:log.index(USE)] == [LIST, ("POST", "/api/api-keys/%s/revoke" % ci["api_key"]["id"]), LIST]
    revoked = run.task("use the revoked secret")
    assert (revoked["status"], revoked["json"]["error"]) == (
        401, {"code": "api_key_revoked", "message": "this API key has been revoked"})

    assert run.task("re-enable")["changed"] and run.task("re-enable")["api_key"]["status"] == "active"
    assert "key" not in run.task("re-enable")["api_key"]
    assert run.task("use the re-enabled secret")["status"] == 200

    assert run.task("delete")["changed"] and run.task("delete")["api_key"]["id"] == ci["api_key"]["id"]
    assert not run.task("delete again")["changed"] and run.task("delete again")["api_key"] is None
    assert not keys_named(emulator, "ci")
    assert status_of(emulator, secret)[1]["code"] == "invalid_api_key"


def test_check_and_diff_mode_write_nothing_and_predict(play, emulator):
    old = emulator.create_key(name="old", permissions=["read"], expiresAt="2099-01-01T00:00:00Z")
    before = settings_of(emulator)
    emulator.clear_requests()
    run = run_ok(play, [
        key_task("new", name="new", expires_at="2099-02-03"),
        key_task("revoke", name="old", state="revoked"),
        key_task("rotate", name="old", rotate="always", expires_in_days=10),
        key_task("delete", name="old", state="absent"),
        key_task("permissions", name="old", permissions=["write"], rotate="on_change"),
    ], args=["--check", "--diff"])
    assert all(method == "GET" for method, _path in calls(emulator))
    assert settings_of(emulator) == before
    for title in ("new", "revoke", "rotate", "delete", "permissions"):
        result = run.task(title)
        assert result["changed"], title
        assert (result["api_key"] or {}).get("key") is None and "censored" not in result
        assert old["key"] not in str(result)
    assert run.task("new")["diff"] == {"before": {}, "after": {
        "id": None, "name": "new", "prefix": None, "permissions": ["read"], "status": "active",
        "expires_at": "2099-02-03T00:00:00Z"}}
    assert run.task("revoke")["diff"]["before"]["status"] == "active"
    assert run.task("revoke")["diff"]["after"] == dict(run.task("revoke")["diff"]["before"], status="revoked")
    rotate = run.task("rotate")
    assert rotate["replaced_key_id"] == old["id"] and rotate["diff"]["before"]["id"] == old["id"]
    assert rotate["diff"]["after"]["id"] is None and 9.99 < expiry_days_from(emulator, rotate["api_key"]) <= 10
    assert run.task("delete")["diff"] == {"before": run.task("revoke")["diff"]["before"], "after": {}}
    assert run.task("permissions")["api_key"]["permissions"] == ["read", "write"]
    # No expiry wish: the replacement gets the old key's lifetime, which ends seconds after the old expiry.
    assert "2099-01-01T00:00:00Z" <= run.task("permissions")["api_key"]["expires_at"] <= "2099-01-01T00:01:00Z"


def test_expiry_and_rotation_count_days_on_the_api_clock(play, emulator):
    """expires_in_days and rotate_before_expiry_days use the API's Date, not the controller's clock."""
    run = run_ok(play, [key_task("issue", register="short", name="short", expires_in_days=1), show("short"),
                        key_task("issue ci", register="ci", name="ci", expires_in_days=10), show("ci")])
    short, ci = registered(run, "short")["api_key"], registered(run, "ci")["api_key"]
    assert status_of(emulator, short["key"])[0] == 200
    rotate = dict(name="ci", expires_in_days=10, rotate_before_expiry_days=7)

    emulator.advance(DAY + 1)  # the controller's clock does not move
    assert status_of(emulator, short["key"])[1]["code"] == "api_key_expired"
    emulator.clear_requests()
    run = run_ok(play, [key_task("fresh enough", **rotate), key_task("expired", name="short")])
    assert not run.task("fresh enough")["changed"] and run.task("fresh enough")["api_key"]["id"] == ci["id"]
    assert calls(emulator) == [LIST, LIST]
    assert any("expired at %s" % short["expires_at"] in w for w in run.task("expired")["warnings"])

    emulator.advance(2 * DAY)  # 7 days left on the API's clock: time to rotate
    run = run_ok(play, [key_task("rotate", register="rotated", **rotate), show("rotated"), key_task("again", **rotate)])
    rotated = registered(run, "rotated")
    new = rotated["api_key"]
    assert rotated["changed"] and rotated["replaced_key_id"] == ci["id"] and new["id"] != ci["id"]
    assert new["key"].startswith("huc_") and new["key"] != ci["key"]
    assert 9.99 < expiry_days_from(emulator, new) <= 10
    assert not run.task("again")["changed"] and run.task("again")["api_key"]["id"] == new["id"]
    assert [key["id"] for key in keys_named(emulator, "ci")] == [new["id"]]  # old_key=delete
    assert status_of(emulator, ci["key"])[1]["code"] == "invalid_api_key"
    assert status_of(emulator, new["key"])[0] == 200

    # Without an expiry wish a replacement keeps the old key's lifetime (10 days), from the API's now.
    emulator.advance(4 * DAY)
    run = run_ok(play, [key_task("keep lifetime", name="ci", rotate_before_expiry_days=7, old_key="revoke")])
    kept = run.task("keep lifetime")
    assert kept["censored"] and kept["changed"]
    replacement = keys_named(emulator, "ci")
    assert [key["status"] for key in replacement] == ["revoked", "active"]
    lifetime = datetime.strptime(replacement[1]["expiresAt"], "%Y-%m-%dT%H:%M:%SZ") - datetime.strptime(
        replacement[1]["createdAt"], "%Y-%m-%dT%H:%M:%SZ")
    # Counted from the Date of the listing, which comes a moment before the create stamps createdAt: within a
    # minute (whole seconds both; the rate budget could hold the create back), whatever the machine's speed.
    assert timedelta(days=10) - timedelta(minutes=1) <= lifetime <= timedelta(days=10)


def test_fixed_settings_fail_with_never_and_rotate_on_change(play, emulator, tmp_path):
    old = emulator.create_key(name="deploy", permissions=["read"])
    emulator.clear_requests()
    wish = dict(name="deploy", permissions=["read", "write"], expires_at="2099-01-01T00:00:00+02:00")
    key_file = str(tmp_path / "deploy.key")
    run = run_ok(play, [failing("never", **wish),
                        key_task("on change", rotate="on_change", old_key="revoke", key_file=key_file, **wish),
                        key_task("now equal", rotate="on_change", **wish)])
    msg = run.task("never")["msg"]
    assert run.status("never") == "failed" and "cannot change" in msg and "rotate=on_change" in msg
    assert "permissions from ['read'] to ['read', 'write']" in msg
    assert "expires_at from None to '2098-12-31T22:00:00Z'" in msg
    log = calls(emulator)
    assert log[:1] == [LIST]  # never: one list

    changed = run.task("on change")
    assert changed["changed"] and changed["replaced_key_id"] == old["id"] and "censored" not in changed
    assert changed["api_key"]["permissions"] == ["read", "write"] and "key" not in changed["api_key"]
    assert changed["api_key"]["expires_at"] == "2098-12-31T22:00:00Z"
    assert not run.task("now equal")["changed"]
    new_id = changed["api_key"]["id"]
    # list, create, list again (with the new key), revoke the old key; then one list.
    assert log[1:] == [LIST, CREATE, LIST, ("POST", "/api/api-keys/%s/revoke" % old["id"]), LIST]
    with open(key_file) as handle:
        secret = handle.read()
    assert status_of(emulator, secret, "POST", "/api/api-keys", {"name": "by-new", "permissions": ["read"]})[0] == 201
    assert status_of(emulator, old["key"])[1]["code"] == "api_key_revoked"
    assert {key["id"]: key["status"] for key in keys_named(emulator, "deploy")} == {old["id"]: "revoked", new_id: "active"}

    # The revoked predecessor keeps the name: the active key, else the newest, is the one meant.
    run = run_ok(play, [key_task("revoke", name="deploy", state="revoked"),
                        key_task("revoke again", name="deploy", state="revoked"),
                        key_task("re-enable", name="deploy"),
                        key_task("delete both", name="deploy", state="absent"),
                        key_task("delete again", name="deploy", state="absent")])
    for title, changed in (("revoke", True), ("revoke again", False), ("re-enable", True), ("delete both", True),
                           ("delete again", False)):
        assert run.task(title)["changed"] is changed, title
        assert (run.task(title)["api_key"] or {}).get("id") in (new_id, None), title
    assert run.task("re-enable")["api_key"]["status"] == "active" and not keys_named(emulator, "deploy")
    assert sorted(path for method, path in calls(emulator) if method == "DELETE") == sorted(
        "/api/api-keys/%s" % key_id for key_id in (old["id"], new_id))


def test_key_file_is_0600_atomic_and_keeps_the_secret_out_of_the_result(play, emulator, tmp_path):
    directory = tmp_path / "secrets"
    directory.mkdir()
    key_file = directory / "ci.key"
    key_file.write_text("stale")
    key_file.chmod(0o644)
    args = dict(name="ci", key_file=str(key_file))
    run = run_ok(play, [key_task("issue", **args), key_task("rerun", **args)])
    issued = run.task("issue")
    assert issued["changed"] and "censored" not in issued and "key" not in issued["api_key"]
    secret = key_file.read_text()
    assert secret.startswith("huc_") and secret[:8] == issued["api_key"]["prefix"] and secret not in run.output
    assert stat.S_IMODE(os.stat(str(key_file)).st_mode) == 0o600
    assert not run.task("rerun")["changed"] and key_file.read_text() == secret
    assert status_of(emulator, secret)[0] == 200

    run = run_ok(play, [key_task("rotate", rotate="always", **args)])
    assert run.task("rotate")["replaced_key_id"] == issued["api_key"]["id"]
    rotated = key_file.read_text()
    assert rotated != secret and rotated[:8] == run.task("rotate")["api_key"]["prefix"]
    assert stat.S_IMODE(os.stat(str(key_file)).st_mode) == 0o600
    assert os.listdir(str(directory)) == ["ci.key"]  # no temporary file left behind
    assert status_of(emulator, rotated)[0] == 200 and status_of(emulator, secret)[0] == 401

    # A lost key_file: nobody can put the secret there again, so a new key replaces the key.
    key_file.unlink()
    emulator.clear_requests()
    rotated_id = run.task("rotate")["api_key"]["id"]
    run = run_ok(play, [key_task("lost file", **args),
                        failing("bad dir", name="other", key_file=str(tmp_path / "missing" / "k"))])
    lost = run.task("lost file")
    assert lost["changed"] and lost["replaced_key_id"] == rotated_id and lost["api_key"]["id"] != rotated_id
    assert any("does not exist" in w and "so a new key replaces it" in w for w in lost["warnings"])
    assert "censored" not in lost and "key" not in lost["api_key"]
    replacement = key_file.read_text()
    assert replacement[:8] == lost["api_key"]["prefix"] and replacement not in run.output
    assert stat.S_IMODE(os.stat(str(key_file)).st_mode) == 0o600
    bad = run.task("bad dir")
    assert run.status("bad dir") == "failed" and "key_file: cannot write" in bad["msg"] and "no key was issued" in bad["msg"]
    assert calls(emulator) == [LIST, CREATE, LIST, ("DELETE", "/api/api-keys/%s" % rotated_id), LIST]
    assert status_of(emulator, replacement)[0] == 200 and status_of(emulator, rotated)[0] == 401
    emulator.clear_requests()

    # Every DELETE fails (api_retries=0: whatever the client retries): the new key stands, the old one is kept.
    emulator.fault(status=503, methods=["DELETE"])
    run = run_ok(play, [key_task("old key not deleted", rotate="always", api_retries=0, **args)])
    emulator.clear_faults()
    kept = run.task("old key not deleted")
    old_id = lost["api_key"]["id"]
    assert kept["changed"] and kept["replaced_key_id"] == old_id
    assert any("the old key %s could not be deleted" % old_id in w for w in kept["warnings"])
    assert calls(emulator) == [LIST, CREATE, LIST, ("DELETE", "/api/api-keys/%s" % old_id)]
    assert not keys_named(emulator, "other") and len(keys_named(emulator, "ci")) == 2
    assert status_of(emulator, key_file.read_text())[0] == 200 and key_file.read_text() not in run.output


def test_nothing_leaks_at_vvvv(play, emulator, tmp_path):
    """The whole -vvvv output holds neither the authenticating key nor an issued secret, but where printed on purpose."""
    key_file = str(tmp_path / "rotated.key")
    run = play([
        key_task("issue", register="ci", name="ci", permissions=["write"], expires_in_days=5),
        {"name": "print it on purpose", "ansible.builtin.debug": {"msg": "{{ ci.api_key.key }}"}},
        {"name": "use it", "hostupcloud.cloud.huc_project_info": {"api_key": "{{ ci.api_key.key }}"}},
        key_task("no-op", name="ci"),
        failing("refused change", name="ci", permissions=["read"]),
        key_task("rotate to file", name="ci", rotate="always", key_file=key_file, api_key="{{ ci.api_key.key }}"),
        key_task("revoke", name="ci", state="revoked"),
        key_task("delete", name="ci", state="absent"),
    ], args=["-vvvv", "--diff"])
    assert run.rc == 0, run
    secret = run.task("print it on purpose")["msg"]
    with open(key_file) as handle:
        rotated = handle.read()
    assert secret.startswith("huc_") and rotated.startswith("huc_") and secret != rotated
    printed = 'ok: [localhost] => {\n    "msg": "%s"\n}' % secret
    assert run.output.count(secret) == 1 and printed in run.output
    for leaked in (emulator.write_key, rotated):
        assert leaked not in run.output
    assert run.task("issue")["censored"] and run.task("use it")["projects"]
    assert run.status("refused change") == "failed" and "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER" in run.output


def test_duplicate_names_fail_listing_ids_and_prefixes_unless_id(play, emulator):
    first = emulator.create_key(name="dup", permissions=["read"])
    second = emulator.create_key(name="dup", permissions=["read", "write"])
    run = run_ok(play, [
        failing("ambiguous", name="dup"),
        failing("ambiguous delete", name="dup", state="absent"),
        key_task("by id", id=second["id"], name="dup", permissions=["write"]),
        failing("renamed by id", id=second["id"], name="renamed"),
        key_task("delete by id", id=first["id"], state="absent"),
        failing("unknown id", id=UNKNOWN_ID),
        failing("revoke missing", name="missing", state="revoked"),
        failing("bad date", name="d", expires_at="next tuesday"),
        failing("bad days", name="d", expires_in_days=0),
    ])
    for title in ("ambiguous", "ambiguous delete"):
        msg = run.task(title)["msg"]
        assert run.status(title) == "failed"
        assert "2 active API keys are named 'dup'" in msg and "set id" in msg
        for key in (first, second):
            assert "%s (prefix %s)" % (key["id"], key["prefix"]) in msg
        assert first["key"] not in msg and second["key"] not in msg
    assert not run.task("by id")["changed"] and run.task("by id")["api_key"]["id"] == second["id"]
    assert "name from 'dup' to 'renamed'" in run.task("renamed by id")["msg"]
    assert run.task("delete by id")["changed"]
    assert "no API key with id %s" % UNKNOWN_ID in run.task("unknown id")["msg"]
    assert "no API key named 'missing' to revoke" in run.task("revoke missing")["msg"]
    assert "expires_at: 'next tuesday' is not an ISO 8601 date" in run.task("bad date")["msg"]
    assert "expires_in_days: must be at least 1" in run.task("bad days")["msg"]
    assert [key["id"] for key in keys_named(emulator, "dup")] == [second["id"]]
    assert all(r["method"] == "GET" for r in emulator.requests() if r["path"] != "/api/api-keys/%s" % first["id"])


def test_rotate_playbook_runs_end_to_end(command, emulator):
    """playbooks/rotate_api_keys.yml: issue, fresh no-op, rotation near expiry, old key refused, cleanup.

    The one run of this playbook in the suite: test_roles.py's checks of it are here too."""
    run = command([os.path.join(ANSIBLE_BIN, "ansible-playbook"), "hostupcloud.cloud.rotate_api_keys"],
                  env={"HUC_EMULATOR_URL": emulator.base_url})  # by its FQCN, as a user runs it
    assert run.rc == 0, run
    # The old hyphenated path (until 2.0.0) imports the same plays.
    old = command([os.path.join(ANSIBLE_BIN, "ansible-playbook"), "--list-tasks",
                   os.path.join(ROOT, "playbooks", "rotate-api-keys.yml")])
    assert old.rc == 0 and "Remember the rotation" in old.output, old
    issued = run.task("Remember the issued key")["ansible_facts"]["issued"]
    fresh = run.task("Remember the fresh run")["ansible_facts"]["fresh"]
    assert issued["issued"] and not fresh["issued"] and fresh["id"] == issued["id"]
    rotated = run.task("Remember the rotation")["ansible_facts"]["rotated"]
    assert rotated["issued"] and rotated["replaced_key_id"] and "key" not in rotated
    assert rotated["replaced_key_id"] == issued["id"]
    assert run.task("The old key is refused as revoked")["failure"]["code"] == "api_key_revoked"
    assert not keys_named(emulator, "ci-deploy")
    assert emulator.write_key not in run.output
    assert not re.findall(r"huc_[A-Za-z0-9]{5,}", run.output)  # prefixes (huc_ and 4 characters) only
    assert not re.findall(r"huc_[A-Za-z0-9]{20,}", run.output)  # (test_roles.py's check of the same run: no secret)


# -- reliability: concurrent issues, lost answers, debug output, lost DELETE answers ---------------


def start_playbook(tasks, emulator, env=None, args=()):
    """Start ansible-playbook in the background, as run_playbook would run it; (process, workdir)."""
    workdir = work_dir("play-")
    playbook = os.path.join(workdir, "play.yml")
    with open(playbook, "w") as handle:
        yaml.safe_dump([{"name": "test", "hosts": "localhost", "connection": "local", "gather_facts": False,
                         "tasks": tasks}], handle, sort_keys=False)
    child_env = base_env(emulator, extra=env)
    child_env["HUC_RECORD_FILE"] = os.path.join(workdir, "record.jsonl")
    proc = subprocess.Popen([os.path.join(ANSIBLE_BIN, "ansible-playbook"), "-i", "localhost,", playbook] + list(args),
                            cwd=workdir, env=child_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return proc, workdir


def finish_playbook(started, timeout=300):
    proc, workdir = started
    stdout, stderr = proc.communicate(timeout=timeout)
    record = os.path.join(workdir, "record.jsonl")
    records = []
    if os.path.exists(record):
        with open(record) as handle:
            records = [json.loads(line) for line in handle if line.strip()]
    return Run(proc.returncode, stdout, stderr, records)


def wait_until(done, what, timeout=60):
    """Poll done() until it is true (the emulator answers at once; the timeout only ends a broken test)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if done():
            return
        time.sleep(0.02)
    raise AssertionError("%s never came within %s s" % (what() if callable(what) else what, timeout))


def wait_for_request(emulator, method, path, timeout=60):
    """Wait until a request (method, path) has arrived (it is logged on arrival, before it acts)."""
    wait_until(lambda: any((r["method"], r["path"]) == (method, path) for r in emulator.requests()),
               lambda: "%s %s (log: %s)" % (method, path, calls(emulator)), timeout)


def active_named(emulator, name):
    return [key for key in keys_named(emulator, name) if key["status"] == "active"]


def oldest(keys):
    return min(keys, key=lambda key: (key["createdAt"], key["id"]))


@pytest.mark.heavy
def test_two_runs_issuing_one_name_at_once_converge_on_one_key(emulator, tmp_path):
    """Two playbooks issue "race" at once: both list (no key), both create; the younger key is deleted again."""
    # Both runs wait at a barrier until both have started, and every create waits 15 s before the API
    # handles it (within the default api_timeout of 30 s), so both runs have listed (and found no key)
    # before either key exists: the race happens on every run, however far one lags behind the other on
    # a loaded machine (3 s was once not enough there).
    go = tmp_path / "go"
    emulator.fault(status=None, delaySeconds=15, methods=["POST"], pathPrefix="/api/api-keys")
    tasks = [{"name": "ready", "ansible.builtin.file": {"path": "{{ playbook_dir }}/ready", "state": "touch", "mode": "0600"}},
             {"name": "barrier", "ansible.builtin.wait_for": {"path": str(go), "sleep": 1, "timeout": 120}},
             key_task("issue", name="race", permissions=["write"])]
    runs = [start_playbook(tasks, emulator) for _run in range(2)]
    deadline = time.time() + 120
    while not all(os.path.exists(os.path.join(workdir, "ready")) for _proc, workdir in runs) and time.time() < deadline:
        time.sleep(0.05)
    go.write_text("go")
    first, second = [finish_playbook(run) for run in runs]
    emulator.clear_faults()
    for run in (first, second):
        assert run.rc == 0, run
        assert "Traceback" not in run.output
    log = calls(emulator)
    assert log.count(CREATE) == 2  # both runs found no key and created one
    left = active_named(emulator, "race")
    assert len(left) == 1 and len(keys_named(emulator, "race")) == 1
    deleted = [path for method, path in log if method == "DELETE"]
    assert len(deleted) == 1 and deleted[0] != "/api/api-keys/%s" % left[0]["id"]
    # The run whose key is kept reports it issued the key; the other warns that it deleted its own.
    results = [run.task("issue") for run in (first, second)]
    winner = [result for result in results if result.get("censored")]
    loser = [result for result in results if not result.get("censored")]
    assert len(winner) == 1 and len(loser) == 1 and winner[0]["changed"]
    warning = " ".join(loser[0]["warnings"])
    assert "at the same time" in warning and left[0]["id"] in warning and deleted[0].rsplit("/", 1)[1] in warning
    assert loser[0]["api_key"]["id"] == left[0]["id"] and "key" not in loser[0]["api_key"]
    assert not winner[0].get("warnings")

    run = run_ok(emulator_play(emulator), [key_task("third", name="race", permissions=["write"])])
    assert not run.task("third")["changed"] and run.task("third")["api_key"]["id"] == left[0]["id"]
    assert calls(emulator) == [LIST]


def emulator_play(emulator):
    return functools.partial(run_playbook, emulator=emulator)


@pytest.mark.heavy
def test_a_key_issued_meanwhile_wins_when_older_and_is_left_alone_when_younger(play, emulator, tmp_path):
    """Deterministic halves of the race: another key of the name appears between the list and the re-list."""
    # Older rival: it appears while this run's create waits, so this run deletes its own key again.
    # The create waits 10 s before it acts: the rival is made long before, however slow this machine is.
    emulator.fault(status=None, delaySeconds=10, methods=["POST"], pathPrefix="/api/api-keys", count=1)
    key_file = tmp_path / "race.key"
    started = start_playbook([key_task("issue", name="race", key_file=str(key_file))], emulator)
    # Not at the list's arrival (it is logged before it reads): at the create's, so the list missed the rival.
    wait_for_request(emulator, *CREATE)
    rival = emulator.create_key(name="race", permissions=["read"])
    run = finish_playbook(started)
    assert run.rc == 0, run
    result = run.task("issue")
    assert result["api_key"]["id"] == rival["id"] and not key_file.exists()
    assert any("at the same time" in w and rival["id"] in w for w in result["warnings"])
    log = calls(emulator)
    ours = [path for method, path in log if method == "DELETE"]
    assert log[:2] == [LIST, CREATE] and len(ours) == 1 and ours[0] != "/api/api-keys/%s" % rival["id"]
    assert [key["id"] for key in keys_named(emulator, "race")] == [rival["id"]]

    # Younger rival: it appears after this run's create, before its re-list; this run keeps its key
    # and leaves the rival to the run that made it (that run deletes its own).
    emulator.fault(status=None, delaySeconds=0.01, methods=["GET"], pathPrefix="/api/api-keys", count=1)
    emulator.fault(status=None, delaySeconds=10, methods=["GET"], pathPrefix="/api/api-keys", count=1)
    started = start_playbook([key_task("issue", name="late", key_file=str(key_file))], emulator)
    # Not at the create's arrival (logged before it acts): once this run's key exists, so the rival is younger.
    wait_until(lambda: keys_named(emulator, "late"), "this run's key")
    emulator.advance(2)  # the rival is younger on the API's (second) clock, with no wait
    younger = emulator.create_key(name="late", permissions=["read"])
    run = finish_playbook(started)
    assert run.rc == 0, run
    result = run.task("issue")
    assert result["changed"] and not result.get("warnings") and result["api_key"]["id"] != younger["id"]
    assert key_file.read_text()[:8] == result["api_key"]["prefix"]
    assert sorted(key["id"] for key in active_named(emulator, "late")) == sorted([younger["id"], result["api_key"]["id"]])
    assert [method for method, _path in calls(emulator)] == ["GET", "POST", "GET"]
    # Two active keys of one name that this run did not make fail as ever, listing both.
    run = run_ok(play, [failing("ambiguous", name="late")])
    assert "2 active API keys are named 'late'" in run.task("ambiguous")["msg"]


def test_ansible_debug_and_vvvv_never_print_a_new_secret_yet_register_holds_it(play, emulator, tmp_path):
    dump = tmp_path / "secret"
    run = play([
        key_task("issue", register="ci", name="ci"),
        {"name": "keep it", "ansible.builtin.copy": {"content": "{{ ci.api_key.key }}", "dest": str(dump), "mode": "0600"},
         "no_log": True},
    ], env={"ANSIBLE_DEBUG": "1"}, args=["-vvvv"])
    assert run.rc == 0, run
    secret = dump.read_text()
    [key] = keys_named(emulator, "ci")
    assert secret.startswith("huc_") and len(secret) == 44 and secret[:8] == key["prefix"]
    assert status_of(emulator, secret)[0] == 200  # the registered secret is the real one
    assert "_low_level_execute_command() done" in run.output  # the worker's debug output is there
    assert run.task("issue")["censored"]
    for start in range(len(secret) - 19):
        assert secret[start:start + 20] not in run.output, "the secret (from %d) is in the output" % start


def test_a_key_whose_issuing_answer_was_lost_is_replaced_or_reported_never_passed_off(play, emulator, tmp_path):
    """The API creates the key, every answer is lost: a rerun never says ok about a key nobody has the secret of."""
    emulator.fault(afterAction=True, drop=True, methods=["POST"], pathPrefix="/api/api-keys")
    key_file = tmp_path / "lost.key"
    run = run_ok(play, [failing("issue", name="lost", api_retries=2),
                        failing("issue to file", name="lost-file", key_file=str(key_file), api_retries=2)])
    emulator.clear_faults()
    for title in ("issue", "issue to file"):
        assert run.status(title) == "failed" and "may have issued the key all the same" in run.task(title)["msg"]
    assert calls(emulator) == [LIST, CREATE, CREATE, CREATE] * 2  # the retries are replays: one key each
    [orphan] = keys_named(emulator, "lost")
    [orphan_file] = keys_named(emulator, "lost-file")
    assert orphan["lastUsedAt"] is None and orphan_file["lastUsedAt"] is None and not key_file.exists()

    run = run_ok(play, [failing("rerun", name="lost"),
                        key_task("rerun to file", name="lost-file", key_file=str(key_file)),
                        key_task("again to file", name="lost-file", key_file=str(key_file))])
    rerun = run.task("rerun")
    assert run.status("rerun") == "failed" and rerun["failure"]["code"] == "secret_never_delivered"
    assert orphan["id"] in rerun["msg"] and "rotate=always" in rerun["msg"] and "never been used" in rerun["msg"]
    assert "key" not in (rerun.get("api_key") or {})
    replaced = run.task("rerun to file")
    assert replaced["changed"] and replaced["replaced_key_id"] == orphan_file["id"] and "censored" not in replaced
    assert any("does not exist" in w for w in replaced["warnings"])
    assert not run.task("again to file")["changed"] and not run.task("again to file").get("warnings")
    assert calls(emulator) == [LIST, LIST, CREATE, LIST, ("DELETE", "/api/api-keys/%s" % orphan_file["id"]), LIST]
    assert [key["id"] for key in keys_named(emulator, "lost")] == [orphan["id"]]  # a failed check deletes nothing
    assert [key["id"] for key in keys_named(emulator, "lost-file")] == [replaced["api_key"]["id"]]
    assert key_file.read_text()[:8] == replaced["api_key"]["prefix"]
    assert status_of(emulator, key_file.read_text())[0] == 200

    # As the message says: rotate=always replaces the key, the new secret registered; then a plain run is a no-op.
    run = run_ok(play, [key_task("replace", register="new", name="lost", rotate="always"), show("new"),
                        key_task("plain", name="lost")])
    new = registered(run, "new")
    assert new["changed"] and new["replaced_key_id"] == orphan["id"] and new["api_key"]["key"].startswith("huc_")
    assert not run.task("plain")["changed"] and not run.task("plain").get("warnings")
    assert [key["id"] for key in keys_named(emulator, "lost")] == [new["api_key"]["id"]]
    assert status_of(emulator, new["api_key"]["key"])[0] == 200


def test_a_key_nobody_used_yet_is_fine_when_its_secret_is_at_hand(play, emulator, tmp_path):
    """The never-used check spares keys whose secret the task holds (key_file) and keys given by id."""
    made = emulator.create_key(name="made", permissions=["read"])
    key_file = tmp_path / "made.key"
    key_file.write_text(made["key"] + "\n")
    other = tmp_path / "other.key"
    other.write_text("huc_" + "x" * 40)
    emulator.clear_requests()
    run = run_ok(play, [key_task("file holds it", name="made", key_file=str(key_file)),
                        key_task("by id", id=made["id"]),
                        failing("file holds another", name="made", key_file=str(other))])
    assert not run.task("file holds it")["changed"] and not run.task("file holds it").get("warnings")
    assert not run.task("by id")["changed"]
    another = run.task("file holds another")
    assert run.status("file holds another") == "failed" and "holds another secret" in another["msg"]
    assert any("holds the secret of another key" in w for w in another["warnings"])
    assert calls(emulator) == [LIST, LIST, LIST] and keys_named(emulator, "made")[0]["lastUsedAt"] is None
    assert other.read_text() == "huc_" + "x" * 40 and key_file.read_text() == made["key"] + "\n"


def test_a_delete_whose_answer_was_lost_counts_as_done(play, emulator):
    """The DELETE acts, its answer is a 504, the retry gets 404: the key is gone, which is what was asked."""
    gone = emulator.create_key(name="gone", permissions=["read"])
    emulator.clear_requests()
    emulator.fault(afterAction=True, status=504, methods=["DELETE"], count=1)
    run = run_ok(play, [key_task("delete", name="gone", state="absent")])
    delete = ("DELETE", "/api/api-keys/%s" % gone["id"])
    assert run.task("delete")["changed"] and run.task("delete")["api_key"]["id"] == gone["id"]
    assert calls(emulator) == [LIST, delete, delete] and not keys_named(emulator, "gone")

    # The same on rotation: the replaced key is deleted, no "could not be deleted" warning.
    old = emulator.create_key(name="rot", permissions=["read"])
    emulator.clear_requests()
    emulator.fault(afterAction=True, status=504, methods=["DELETE"], count=1)
    run = run_ok(play, [key_task("rotate", register="rot", name="rot", rotate="always", old_key="delete"), show("rot")])
    rotated = registered(run, "rot")
    assert rotated["changed"] and rotated["replaced_key_id"] == old["id"] and not rotated.get("warnings")
    delete = ("DELETE", "/api/api-keys/%s" % old["id"])
    assert calls(emulator) == [LIST, CREATE, LIST, delete, delete]
    assert [key["id"] for key in keys_named(emulator, "rot")] == [rotated["api_key"]["id"]]
