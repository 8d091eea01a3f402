"""The shared request budget (_rate.py) with an injected clock: no network, no real sleeping."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from ansible_collections.hostupcloud.cloud.plugins.module_utils import _rate
from ansible_collections.hostupcloud.cloud.plugins.module_utils._rate import Bucket, RateBudget, key_digest

KEY = "huc_" + "A1b2" * 10
OTHER = "huc_" + "Z9y8" * 10


class Clock:
    def __init__(self, now=1000.0):
        self.now = now
        self.slept = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.slept.append(round(seconds, 3))
        self.now += seconds


def budget(tmp_path, clock, key=KEY, **kwargs):
    kwargs.setdefault("window", 10)
    return RateBudget(key, directory=str(tmp_path), clock=clock, sleep=clock.sleep, **kwargs)


def test_a_full_bucket_serves_the_limit_at_once_then_one_token_per_spent_one_a_window_later(tmp_path):
    clock = Clock()
    paced = budget(tmp_path, clock, rate=3)
    for _request in range(3):
        assert paced.acquire() == 0
    assert paced.acquire() == pytest.approx(10.2)  # the first token comes back a window (+2 %) after it was spent
    assert clock.slept == [10.2]


def test_no_window_ever_holds_more_than_the_limit(tmp_path):
    clock = Clock()
    paced = budget(tmp_path, clock, rate=5)
    sent = []
    for _request in range(40):
        paced.acquire()
        sent.append(clock.now)
        clock.now += 0.3
    for start in sent:
        assert len([t for t in sent if start <= t < start + 10]) <= 5


def test_processes_share_one_bucket_per_key_and_keys_do_not_share(tmp_path):
    clock = Clock()
    first, second = budget(tmp_path, clock, rate=2), budget(tmp_path, clock, rate=2)
    other = budget(tmp_path, clock, key=OTHER, rate=2)
    assert first.acquire() == 0 and second.acquire() == 0
    assert other.acquire() == 0 and other.acquire() == 0  # another key: its own bucket
    assert first.acquire() > 0  # the key's two tokens are spent, by two "processes"
    assert sorted(os.listdir(str(tmp_path))) == sorted([key_digest(KEY) + ".json", key_digest(OTHER) + ".json"])
    assert not any(KEY[4:] in name for name in os.listdir(str(tmp_path)))


def test_retry_after_pauses_every_process_of_the_key(tmp_path):
    clock = Clock()
    first, second = budget(tmp_path, clock, rate=50), budget(tmp_path, clock, rate=50)
    first.observe(pause=7)
    assert second.acquire() == pytest.approx(7)


def test_server_remaining_takes_tokens_out_and_none_left_pauses_until_reset(tmp_path):
    clock = Clock()
    paced = budget(tmp_path, clock, rate=10)
    paced.acquire()
    paced.observe(remaining=2, reset_in=4)  # another controller spent 7 of the server's window
    assert paced.acquire() == 0 and paced.acquire() == 0
    assert paced.acquire() == pytest.approx(4, abs=0.01)  # the others' tokens come back at the reset
    paced.observe(remaining=0, reset_in=3)
    assert paced.acquire() == pytest.approx(3, abs=0.01)


def test_none_left_that_the_bucket_spent_itself_does_not_pause_past_its_own_refill(tmp_path):
    # The server rounds X-RateLimit-Reset up to a whole second; the bucket already knows of every
    # spent request, so its own tokens come back on time (a pause until the reset lost up to 1 s a window).
    clock = Clock()
    paced = budget(tmp_path, clock, rate=3)
    for _request in range(3):
        paced.acquire()
    paced.observe(remaining=0, reset_in=12)
    assert paced.acquire() == pytest.approx(10.2)


def test_a_corrupt_state_file_is_rebuilt(tmp_path):
    clock = Clock()
    paced = budget(tmp_path, clock, rate=2)
    with open(paced.path, "w") as handle:
        handle.write("{not json")
    assert paced.acquire() == 0
    with open(paced.path) as handle:
        assert json.load(handle)["spent"] == [clock.now]
    with open(paced.path, "w") as handle:
        handle.write(json.dumps({"spent": "nonsense"}))
    assert paced.acquire() == 0


def test_an_unwritable_directory_paces_this_process_alone_with_one_warning(tmp_path):
    clock = Clock()
    blocked = tmp_path / "file"
    blocked.write_text("not a directory")
    warnings = []
    paced = RateBudget(KEY, rate=2, directory=str(blocked / "sub"), window=10, clock=clock, sleep=clock.sleep,
                       warn=warnings.append)
    assert paced.path is None and len(warnings) == 1 and "HUC_RATE_LIMIT_DIR" in warnings[0]
    assert paced.acquire() == 0 and paced.acquire() == 0 and paced.acquire() > 0
    assert len(warnings) == 1


def test_sharing_off_and_pacing_off(tmp_path):
    clock = Clock()
    alone = budget(tmp_path, clock, rate=1, shared=False)
    assert alone.path is None and os.listdir(str(tmp_path)) == []
    unpaced = budget(tmp_path, clock, rate=0)
    assert all(unpaced.acquire() == 0 for _request in range(100))


def test_a_killed_process_never_holds_the_lock(tmp_path):
    paced = RateBudget(KEY, rate=5, directory=str(tmp_path), window=10)
    holder = subprocess.Popen([sys.executable, "-c", (
        "import fcntl, os, sys, time\n"
        "fd = os.open(sys.argv[1], os.O_RDWR)\n"
        "fcntl.flock(fd, fcntl.LOCK_EX)\n"
        "print('locked', flush=True)\n"
        "time.sleep(60)\n"), paced.path], stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "locked"
    os.kill(holder.pid, signal.SIGKILL)
    holder.wait(10)
    started = time.time()
    assert paced.acquire() == 0
    assert time.time() - started < 5


def test_the_window_can_be_scaled_for_an_emulator(monkeypatch):
    monkeypatch.setenv("HUC_RATE_LIMIT_WINDOW", "5")
    assert _rate.window_seconds() == 5.0
    monkeypatch.setenv("HUC_RATE_LIMIT_WINDOW", "bogus")
    assert _rate.window_seconds() == 60.0


def test_bucket_arithmetic_is_pure():
    bucket = Bucket(2, 10)
    state, wait = bucket.take(bucket.fresh(0), 0)
    state, wait = bucket.take(state, 1)
    assert wait == 0 and state["spent"] == [0, 1]
    _state, wait = bucket.take(state, 2)
    assert wait == pytest.approx(8.2)
