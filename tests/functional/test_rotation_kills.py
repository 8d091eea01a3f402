"""The api_key_rotation role killed (kill -9 of ansible-playbook and all its workers, as a CI timeout does)
at the two moments that used to leave a rotation broken, then run again: the rerun must converge.

- after the API issued the replacement, before its secret was written and the old key retired: the
  new key was never used and its secret is nowhere, so the rerun deletes it and rotates again;
- during the hand-over to api_key_rotation_secret_tasks: the new secret is only in the transit
  directory of the killed run, so the rerun finds it there, hands it over and retires the old key.

Each kill is deterministic: the first is made while the emulator holds back the answer to the create
(an afterAction delay; the test waits until the API has issued the key), the second while the secret
task file waits for a file the test has not written yet (the test waits until it has got there). No
sleep depends on the machine's speed. The whole process group is killed, so no `always` runs.
"""

import glob
import os
import signal
import subprocess
import time

import pytest
import yaml

from tests.functional.faultkit import describe
from tests.functional.playbook import ANSIBLE_BIN, base_env, run_playbook, work_dir

LONG = 300  # the held-back answer (the most the emulator allows): the run is killed long before
PLAY = {"module_defaults": {"group/hostupcloud.cloud.huc": {"api_timeout": LONG}}}
KEYS = [{"name": "ci", "expires_in_days": 30, "rotate_before_expiry_days": 7}]


def rotation_role(**role_vars):
    return {"name": "rotate", "ansible.builtin.include_role": {"name": "hostupcloud.cloud.api_key_rotation"},
            "vars": role_vars}


def active_named(emulator, name):
    return [key for key in emulator.state()["apiKeys"] if key["name"] == name and key["status"] == "active"]


def works(emulator, secret):
    return emulator.call("GET", "/projects", key=secret)[0] == 200


class Killable:
    """ansible-playbook in its own session (process group), so that kill() kills it and every worker."""

    def __init__(self, tasks, emulator, env):
        self.workdir = work_dir("kill-")
        playbook = os.path.join(self.workdir, "play.yml")
        play = dict({"name": "test", "hosts": "localhost", "connection": "local", "gather_facts": False,
                     "tasks": tasks}, **PLAY)
        with open(playbook, "w") as handle:
            yaml.safe_dump([play], handle, sort_keys=False)
        self.output = open(os.path.join(self.workdir, "output"), "w+")
        self.proc = subprocess.Popen([os.path.join(ANSIBLE_BIN, "ansible-playbook"), "-i", "localhost,", playbook],
                                     cwd=self.workdir, env=base_env(emulator, extra=env), stdin=subprocess.DEVNULL,
                                     stdout=self.output, stderr=subprocess.STDOUT, start_new_session=True)

    def wait_until(self, done, what, timeout=180):
        deadline = time.time() + timeout
        while not done():
            if self.proc.poll() is not None or time.time() > deadline:
                self.kill()
                self.output.seek(0)
                raise AssertionError("never %s (rc %s):\n%s" % (what, self.proc.returncode, self.output.read()[-3000:]))
            time.sleep(0.02)

    def kill(self):
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait()


def transit_dirs(home):
    """The transit directories under the role's default api_key_rotation_transit_dir."""
    return glob.glob(os.path.join(str(home), ".cache/hostupcloud/key-transit/ansible.*.huc-keys"))


@pytest.mark.heavy
def test_a_rotation_killed_after_the_issue_converges_on_the_rerun(emulator_factory, tmp_path):
    emulator = emulator_factory()
    key_dir = tmp_path / "keys"
    role = rotation_role(api_key_rotation_keys=KEYS, api_key_rotation_key_dir=str(key_dir))
    first = run_playbook([role], emulator=emulator, play=PLAY)
    assert first.rc == 0, describe(first, emulator)
    key_file = key_dir / "ci.key"
    [old] = active_named(emulator, "ci")
    old_secret = key_file.read_text()
    emulator.advance(24 * 86400)  # due: expires within 7 days

    # The create acts, then its answer is held back: killed once the API has issued the replacement.
    emulator.fault(status=None, afterAction=True, delaySeconds=LONG, methods=["POST"], pathPrefix="/api/api-keys",
                   count=1)
    run = Killable([role], emulator, env={})
    run.wait_until(lambda: len(active_named(emulator, "ci")) == 2, "issued the replacement")
    run.kill()
    emulator.clear_faults()
    [orphan] = [key for key in active_named(emulator, "ci") if key["id"] != old["id"]]
    assert orphan["lastUsedAt"] is None and key_file.read_text() == old_secret  # the secret went nowhere

    emulator.clear_requests()
    rerun = run_playbook([role], emulator=emulator, play=PLAY)
    assert rerun.rc == 0, describe(rerun, emulator)
    [new] = active_named(emulator, "ci")
    secret = key_file.read_text()
    assert new["id"] not in (old["id"], orphan["id"]) and secret.startswith(new["prefix"]) and works(emulator, secret)
    ids = dict((key["id"], key["status"]) for key in emulator.state()["apiKeys"] if key["name"] == "ci")
    assert ids == {old["id"]: "revoked", new["id"]: "active"}  # the orphan deleted, the used old key revoked
    assert ("DELETE", "/api/api-keys/%s" % orphan["id"]) in [(r["method"], r["path"]) for r in emulator.requests()]

    again = run_playbook([role], emulator=emulator, play=PLAY)
    assert again.rc == 0 and "changed=0" in again.output, again


def secret_tasks(tmp_path, vault):
    """A secret manager hook that says it has been reached, then waits for the file go before storing."""
    store = tmp_path / "store.yml"
    store.write_text(yaml.safe_dump([
        {"name": "Reached the hand-over",
         "ansible.builtin.file": {"path": str(tmp_path / "handing-over"), "state": "touch", "mode": "0600"}},
        {"name": "Wait for the test", "ansible.builtin.wait_for": {"path": str(tmp_path / "go"), "timeout": 300}},
        {"name": "Store the secret", "no_log": True,
         "ansible.builtin.copy": {"content": "{{ api_key_rotation_secret }}",
                                  "dest": "%s/{{ api_key_rotation_key.name }}" % vault, "mode": "0600"}},
    ], sort_keys=False))
    return store


@pytest.mark.heavy
def test_a_rotation_killed_during_the_hand_over_converges_on_the_rerun(emulator_factory, tmp_path):
    emulator = emulator_factory()
    vault = tmp_path / "vault"
    vault.mkdir()
    tmp = tmp_path / "home"  # the HOME of every run: the transit directories go to its ~/.cache/hostupcloud
    tmp.mkdir()
    env = {"HOME": str(tmp)}
    go, reached = tmp_path / "go", tmp_path / "handing-over"
    role = rotation_role(api_key_rotation_keys=KEYS, api_key_rotation_secret_tasks=str(secret_tasks(tmp_path, vault)))
    go.write_text("go")
    first = run_playbook([role], emulator=emulator, play=PLAY, env=env)
    assert first.rc == 0, describe(first, emulator)
    [old] = active_named(emulator, "ci")
    assert works(emulator, (vault / "ci").read_text()) and transit_dirs(tmp) == []
    emulator.advance(24 * 86400)  # due: expires within 7 days

    go.unlink()
    reached.unlink()
    run = Killable([role], emulator, env=env)
    run.wait_until(reached.exists, "reached the hand-over")
    run.kill()
    assert len(transit_dirs(tmp)) == 1  # the killed run's transit directory, the new secret in it
    assert (vault / "ci").read_text().startswith(old["prefix"])  # the secret manager still has the old key

    go.write_text("go")
    rerun = run_playbook([role], emulator=emulator, play=PLAY, env=env)
    assert rerun.rc == 0, describe(rerun, emulator)
    [new] = active_named(emulator, "ci")
    stored = (vault / "ci").read_text()
    assert new["id"] != old["id"] and stored.startswith(new["prefix"]) and works(emulator, stored)
    assert [k["status"] for k in emulator.state()["apiKeys"] if k["id"] == old["id"]] == ["revoked"]
    assert transit_dirs(tmp) == []  # the stale transit copy is gone, and so is the rerun's own

    again = run_playbook([role], emulator=emulator, play=PLAY, env=env)
    assert again.rc == 0 and "changed=0" in again.output and transit_dirs(tmp) == [], again
    assert (vault / "ci").read_text() == stored
