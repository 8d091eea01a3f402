"""One request budget per key across processes: three ansible-playbook runs at once never draw a 429."""

import os
import subprocess
from datetime import datetime

import pytest
import yaml

from tests.functional.playbook import ANSIBLE_BIN, base_env, work_dir

LIMIT, WINDOW = 10, 5  # the emulator's limit, scaled down 12 times from 60 a minute


def start(emulator, tasks, env):
    workdir = work_dir("rate-")
    path = os.path.join(workdir, "play.yml")
    with open(path, "w") as handle:
        yaml.safe_dump([{"hosts": "localhost", "connection": "local", "gather_facts": False, "tasks": tasks}], handle)
    return subprocess.Popen([os.path.join(ANSIBLE_BIN, "ansible-playbook"), "-i", "localhost,", path],
                            env=base_env(emulator, extra=env), cwd=workdir, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)


def seconds(stamp):
    return datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ").timestamp()


def test_three_processes_on_one_key_share_the_budget(emulator_factory, tmp_path):
    emulator = emulator_factory(rate_limit=LIMIT, rate_window=WINDOW)
    env = {"HUC_RATE_LIMIT": str(LIMIT), "HUC_RATE_LIMIT_WINDOW": str(WINDOW), "HUC_RATE_LIMIT_DIR": str(tmp_path)}
    tasks = [{"name": "list", "hostupcloud.cloud.huc_project_info": {}, "loop": list(range(8))}]
    runs = [start(emulator, tasks, env) for _process in range(3)]
    outputs = [run.communicate(timeout=300)[0] for run in runs]
    assert [run.returncode for run in runs] == [0, 0, 0], outputs
    log = emulator.requests()
    assert len(log) == 24
    assert [r["status"] for r in log if r["status"] != 200] == []  # not one 429
    # The emulator stamps whole seconds: a window of WINDOW seconds from a whole second holds the
    # stamps start .. start + WINDOW - 1; none holds more than the limit.
    stamps = [seconds(r["at"]) for r in log]
    for start_at in range(int(min(stamps)), int(max(stamps)) + 1):
        assert len([s for s in stamps if start_at <= s <= start_at + WINDOW - 1]) <= LIMIT, start_at
    # The state file is named by a hash of the key, never the key.
    assert len(os.listdir(str(tmp_path))) == 1
    assert emulator.write_key[4:] not in os.listdir(str(tmp_path))[0]
    with open(os.path.join(str(tmp_path), os.listdir(str(tmp_path))[0])) as handle:
        assert emulator.write_key not in handle.read()


def run_three(emulator, env, args=None, returncodes=(0, 0, 0)):
    tasks = [{"name": "list", "hostupcloud.cloud.huc_project_info": args or {}, "loop": list(range(8))}]
    runs = [start(emulator, tasks, env) for _process in range(3)]
    outputs = [run.communicate(timeout=300)[0] for run in runs]
    if returncodes is not None:
        assert [run.returncode for run in runs] == list(returncodes), outputs
    return [r["status"] for r in emulator.requests()]


@pytest.mark.heavy
def test_unshared_processes_write_no_state_and_pacing_off_draws_429s(emulator_factory, tmp_path):
    """Sharing off: no state file, each process paced by itself and the server's headers. Pacing off
    (rate_limit 0), the control experiment: together they overrun the limit and draw 429s.

    The overrun does not depend on the machine's speed: for the control experiment the API's window is an
    hour, so the 24 requests fall in one window however slowly they come, and exactly the first LIMIT pass;
    rate_limit_timeout 0 makes a 429 fail its loop item at once instead of waiting the hour out.
    """
    emulator = emulator_factory(rate_limit=LIMIT, rate_window=WINDOW)
    scaled = {"HUC_RATE_LIMIT": str(LIMIT), "HUC_RATE_LIMIT_WINDOW": str(WINDOW), "HUC_RATE_LIMIT_DIR": str(tmp_path)}
    assert run_three(emulator, dict(scaled, HUC_RATE_LIMIT_SHARED="false")).count(200) == 24
    assert os.listdir(str(tmp_path)) == []
    emulator.config(rateWindow=3600)
    emulator.advance(3600)  # the first part's requests leave the window
    emulator.clear_requests()
    statuses = run_three(emulator, dict(scaled, HUC_RATE_LIMIT="0"), args={"rate_limit_timeout": 0}, returncodes=None)
    assert len(statuses) == 24 and statuses.count(200) == LIMIT and statuses.count(429) == 24 - LIMIT, statuses
