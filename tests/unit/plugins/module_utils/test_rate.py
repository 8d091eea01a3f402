"""The shared request budget (_rate.py) with an injected clock: no network, no real sleeping."""

import email.utils
import json
import math
import os
import signal
import subprocess
import sys
import time

import pytest

from ansible_collections.hostupcloud.cloud.plugins.module_utils import _rate
from ansible_collections.hostupcloud.cloud.plugins.module_utils._rate import (
    Bucket,
    Clock,
    RateBudget,
    backoff,
    key_digest,
    rate_limit_delay,
    rate_limit_signals,
    retry_after,
    server_date,
    server_limit,
)

KEY = "huc_" + "A1b2" * 10
OTHER = "huc_" + "Z9y8" * 10


class FakeClock(Clock):
    """Time that passes only when slept (or when a test moves it)."""

    def __init__(self, now=1000.0):
        self.time = now
        self.slept = []

    def now(self):
        return self.time

    def sleep(self, seconds):
        self.slept.append(round(seconds, 3))
        self.time += seconds


def budget(tmp_path, clock, key=KEY, **kwargs):
    kwargs.setdefault("window", 10)
    return RateBudget(key, directory=str(tmp_path), clock=clock, **kwargs)


def test_a_full_bucket_serves_the_limit_at_once_then_one_token_per_spent_one_a_window_later(tmp_path):
    clock = FakeClock()
    paced = budget(tmp_path, clock, rate=3)
    for _request in range(3):
        assert paced.acquire() == 0
    assert paced.acquire() == pytest.approx(10.2)  # the first token comes back a window (+2 %) after it was spent
    assert clock.slept == [10.2]


def test_no_window_ever_holds_more_than_the_limit(tmp_path):
    clock = FakeClock()
    paced = budget(tmp_path, clock, rate=5)
    sent = []
    for _request in range(40):
        paced.acquire()
        sent.append(clock.time)
        clock.time += 0.3
    for start in sent:
        assert len([t for t in sent if start <= t < start + 10]) <= 5


def test_processes_share_one_bucket_per_key_and_keys_do_not_share(tmp_path):
    clock = FakeClock()
    first, second = budget(tmp_path, clock, rate=2), budget(tmp_path, clock, rate=2)
    other = budget(tmp_path, clock, key=OTHER, rate=2)
    assert first.acquire() == 0 and second.acquire() == 0
    assert other.acquire() == 0 and other.acquire() == 0  # another key: its own bucket
    assert first.acquire() > 0  # the key's two tokens are spent, by two "processes"
    assert sorted(os.listdir(str(tmp_path))) == sorted([key_digest(KEY) + ".json", key_digest(OTHER) + ".json"])
    assert not any(KEY[4:] in name for name in os.listdir(str(tmp_path)))


def test_retry_after_pauses_every_process_of_the_key(tmp_path):
    clock = FakeClock()
    first, second = budget(tmp_path, clock, rate=50), budget(tmp_path, clock, rate=50)
    first.observe(pause=7)
    assert second.acquire() == pytest.approx(7)


def test_server_remaining_takes_tokens_out_and_none_left_pauses_until_reset(tmp_path):
    clock = FakeClock()
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
    clock = FakeClock()
    paced = budget(tmp_path, clock, rate=3)
    for _request in range(3):
        paced.acquire()
    paced.observe(remaining=0, reset_in=12)
    assert paced.acquire() == pytest.approx(10.2)


def test_a_corrupt_state_file_is_rebuilt(tmp_path):
    clock = FakeClock()
    paced = budget(tmp_path, clock, rate=2)
    with open(paced.path, "w") as handle:
        handle.write("{not json")
    assert paced.acquire() == 0
    with open(paced.path) as handle:
        assert json.load(handle)["spent"] == [clock.time]
    with open(paced.path, "w") as handle:
        handle.write(json.dumps({"spent": "nonsense"}))
    assert paced.acquire() == 0


def test_an_unwritable_directory_paces_this_process_alone_with_one_warning(tmp_path):
    clock = FakeClock()
    blocked = tmp_path / "file"
    blocked.write_text("not a directory")
    warnings = []
    paced = RateBudget(KEY, rate=2, directory=str(blocked / "sub"), window=10, clock=clock,
                       warn=warnings.append)
    assert paced.path is None and len(warnings) == 1 and "HUC_RATE_LIMIT_DIR" in warnings[0]
    assert paced.acquire() == 0 and paced.acquire() == 0 and paced.acquire() > 0
    assert len(warnings) == 1


def test_sharing_off_and_pacing_off(tmp_path):
    clock = FakeClock()
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
    state, (wait, token) = bucket.take(bucket.fresh(), 0)
    assert (wait, token) == (0, 0)
    state, (wait, token) = bucket.take(state, 1)
    assert (wait, token) == (0, 1) and state["spent"] == [0, 1]
    _state, (wait, token) = bucket.take(state, 2)
    assert wait == pytest.approx(8.2) and token is None
    # The answer to the first request came at 3: its token counts from then (the server counted it by then).
    state = bucket.observe(state, 3, token=0)
    assert state["spent"] == [1, 3]
    assert bucket.take(state, 4)[1][0] == pytest.approx(7.2)  # the second token, a window after its send


def test_a_slow_answer_holds_its_token_until_a_window_after_it_came(tmp_path):
    """The server counts a request when it gets to it, which on a busy server or a slow network is well after
    the send: the token comes back a window after the answer, or after the request failed, never before."""
    clock = FakeClock()
    paced = budget(tmp_path, clock, rate=2)
    for answered_after in (3.0, 5.0):
        assert paced.acquire() == 0
        clock.time += answered_after
        paced.observe_response({} if answered_after == 5.0 else {"Date": "x"})
    # Sent at 0 and 3, answered at 3 and (no answer) 8: the tokens come back at 13.2 and 18.2, not at 10.2 and 13.2.
    assert paced.acquire() == pytest.approx(13.2 - 8.0)
    assert budget(tmp_path, clock, rate=2).acquire() == pytest.approx(18.2 - 13.2)  # another process of the key


# -- the server's rate signals (moved here from the client) ------------------------------------------

def test_backoff_grows_and_is_capped():
    for attempt in range(8):
        delay = backoff(attempt, base=1.0, cap=30.0)
        ceiling = min(30.0, 2 ** attempt)
        assert ceiling / 2 <= delay <= ceiling


def test_rate_limit_delay_prefers_retry_after():
    assert rate_limit_delay({"Retry-After": "7", "X-RateLimit-Reset": "999999"}) == 7.0


def test_rate_limit_delay_reads_retry_after_as_an_http_date_on_the_server_clock():
    server_now = email.utils.parsedate_to_datetime("Thu, 26 Nov 2026 10:00:00 GMT")
    assert rate_limit_delay({"Retry-After": "Thu, 26 Nov 2026 10:00:09 GMT"}, server_now) == 9.0


def test_retry_after_is_seconds_or_a_date_on_the_server_clock_else_none():
    server_now = email.utils.parsedate_to_datetime("Thu, 26 Nov 2026 10:00:00 GMT")
    assert retry_after({"Retry-After": "5"}) == 5.0 and retry_after({"Retry-After": "-3"}) == 0.0
    assert retry_after({"Retry-After": "Thu, 26 Nov 2026 10:00:04 GMT"}, server_now) == 4.0
    assert retry_after({"Retry-After": "Thu, 26 Nov 2026 10:00:04 GMT"}) is None  # the server's clock unknown
    assert retry_after({}) is None and retry_after({"Retry-After": "soon"}, server_now) is None


def test_rate_limit_delay_uses_reset_on_the_server_clock():
    server_now = email.utils.parsedate_to_datetime("Thu, 26 Nov 2026 10:00:00 GMT")
    reset = int(server_now.timestamp()) + 12
    assert rate_limit_delay({"X-RateLimit-Reset": str(reset)}, server_now) == 12.0


def test_rate_limit_delay_without_a_server_date_uses_the_clock():
    assert rate_limit_delay({"X-RateLimit-Reset": "1020"}, None, clock=FakeClock(1000.0)) == 20.0


def test_rate_limit_delay_falls_back_to_backoff():
    delay = rate_limit_delay({}, None, attempt=2)
    assert 2.0 <= delay <= 4.0


def test_rate_limit_signals_and_limit_from_the_headers():
    server_now = email.utils.parsedate_to_datetime("Thu, 26 Nov 2026 10:00:00 GMT")
    reset = str(int(server_now.timestamp()) + 30)
    assert rate_limit_signals({"X-RateLimit-Remaining": "4", "X-RateLimit-Reset": reset}, server_now) == (4, 30.0)
    assert rate_limit_signals({"X-RateLimit-Remaining": "4", "X-RateLimit-Reset": "9" * 12}, server_now) == (4, 60.0)
    assert rate_limit_signals({"X-RateLimit-Reset": reset}, server_now) == (None, None)
    assert server_limit({"X-RateLimit-Limit": "30"}) == 30 and server_limit({"X-RateLimit-Limit": "x"}) is None
    assert server_date({"Date": "Thu, 26 Nov 2026 10:00:00 GMT"}) == server_now
    assert server_date({"Date": "garbage"}) is None and server_date({}) is None


def test_the_budget_takes_the_server_signals_from_the_headers(tmp_path):
    clock = FakeClock()
    paced = budget(tmp_path, clock, rate=10)
    paced.acquire()
    paced.observe_response({"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "1003"})  # no Date: our clock
    assert paced.acquire() == pytest.approx(3, abs=0.01)
    assert paced.delay_after_429({"Retry-After": "5"}, attempt=0) == 5.0
    assert 0.25 <= paced.retry_delay(0) <= 0.5 and paced.retry_delay(10) <= 10


# -- issue 23: the budget directory and its state are not to be trusted ---------------------------

def plant(directory, target, key=KEY):
    """A symlink where the key's state file goes, pointing at target (another user's doing)."""
    link = directory / (key_digest(key) + ".json")
    link.symlink_to(target)
    return link


def falls_back(paced, clock, warnings):
    """The budget paces this process alone (rate 2), having warned exactly once."""
    assert paced.path is None
    assert paced.acquire() == 0 and paced.acquire() == 0 and paced.acquire() > 0
    assert len(warnings) == 1 and "HUC_RATE_LIMIT_DIR" in warnings[0], warnings


def test_a_symlinked_state_file_is_never_followed(tmp_path):
    victim = tmp_path / "victim"
    victim.write_text("precious")
    directory = tmp_path / "budget"
    directory.mkdir(mode=0o700)
    plant(directory, victim)
    clock, warnings = FakeClock(), []
    paced = RateBudget(KEY, rate=2, directory=str(directory), window=10, clock=clock, warn=warnings.append)
    falls_back(paced, clock, warnings)
    assert victim.read_text() == "precious"
    assert os.path.islink(str(directory / (key_digest(KEY) + ".json")))


@pytest.mark.parametrize("planted", ["world-writable", "foreign", "symlink"])
def test_a_budget_directory_another_user_made_first_is_refused(tmp_path, monkeypatch, planted):
    # No HUC_RATE_LIMIT_DIR, no XDG_RUNTIME_DIR: the budget goes to <tmp>/hostupcloud-<uid>, which
    # another local user may have created first, with a symlink in it where the state file goes.
    monkeypatch.delenv("HUC_RATE_LIMIT_DIR", raising=False)
    monkeypatch.delenv("XDG_RUNTIME_DIR", raising=False)
    monkeypatch.setattr(_rate.tempfile, "tempdir", str(tmp_path))
    victim = tmp_path / "victim"
    victim.write_text("precious")
    directory = tmp_path / ("hostupcloud-%s" % os.getuid())
    assert _rate.default_directory() == str(directory)
    theirs = tmp_path / "theirs" if planted == "symlink" else directory
    theirs.mkdir()
    os.chmod(str(theirs), 0o700)
    plant(theirs, victim)
    if planted == "world-writable":
        os.chmod(str(theirs), 0o777)
    elif planted == "foreign" and os.geteuid() == 0:
        os.chown(str(theirs), 4242, 4242)
    elif planted == "foreign":
        monkeypatch.setattr(_rate.os, "geteuid", lambda: os.getuid() + 4242)
    else:
        directory.symlink_to(theirs)
    clock, warnings = FakeClock(), []
    paced = RateBudget(KEY, rate=2, window=10, clock=clock, warn=warnings.append)
    falls_back(paced, clock, warnings)
    assert victim.read_text() == "precious"
    assert sorted(os.listdir(str(theirs))) == [key_digest(KEY) + ".json"]


def test_a_missing_budget_directory_is_created_for_this_user_alone(tmp_path):
    old = os.umask(0)
    try:
        paced = RateBudget(KEY, rate=2, directory=str(tmp_path / "new"), window=10, clock=FakeClock())
    finally:
        os.umask(old)
    assert paced.path is not None and paced.acquire() == 0
    assert os.stat(str(tmp_path / "new")).st_mode & 0o777 == 0o700
    assert os.stat(paced.path).st_mode & 0o777 == 0o600


# A state file that would block a read (a FIFO) or never end (/dev/zero) is probed in a child
# process with a timeout, so that a regression fails this test instead of hanging the suite.
PROBE = (
    "import importlib.util, json, sys\n"
    "spec = importlib.util.spec_from_file_location('huc_rate', sys.argv[1])\n"
    "rate = importlib.util.module_from_spec(spec)\n"
    "spec.loader.exec_module(rate)\n"
    "warnings = []\n"
    "paced = rate.RateBudget(sys.argv[3], rate=2, directory=sys.argv[2], window=10, warn=warnings.append)\n"
    "print(json.dumps([paced.acquire(), paced.acquire(), paced.path, len(warnings)]))\n")


@pytest.mark.parametrize("kind", ["fifo", "dev-zero"])
def test_a_state_file_that_is_no_regular_file_is_refused_without_hanging(tmp_path, kind):
    state = tmp_path / (key_digest(KEY) + ".json")
    if kind == "fifo":
        os.mkfifo(str(state), 0o600)
    else:
        state.symlink_to("/dev/zero")
    try:
        probe = subprocess.run([sys.executable, "-c", PROBE, _rate.__file__, str(tmp_path), KEY],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=30, check=False)
    except subprocess.TimeoutExpired:
        pytest.fail("the budget hung on a %s state file" % kind)
    assert probe.returncode == 0, probe.stderr
    assert json.loads(probe.stdout) == [0, 0, None, 1]


NOW = 1000.0


@pytest.mark.parametrize("text", [
    '{"spent": [], "pause_until": 1000000000000}',  # 31 years
    '{"spent": [], "pause_until": Infinity}',
    '{"spent": [], "pause_until": 1e300}',
    '{"spent": [], "pause_until": NaN, "limit": Infinity}',
    '{"spent": [], "pause_until": "soon", "limit": -3}',
])
def test_a_pause_read_from_the_state_never_outlasts_the_window(tmp_path, text):
    clock = FakeClock(NOW)
    paced = budget(tmp_path, clock, rate=2)
    with open(paced.path, "w") as handle:
        handle.write(text)
    assert paced.acquire() <= 10
    assert paced.acquire() == 0
    with open(paced.path) as handle:
        state = json.load(handle)
    assert all(math.isfinite(value) for value in state["spent"] + [state["pause_until"]])


def test_a_pause_read_from_the_state_never_outlasts_rate_limit_timeout(tmp_path):
    clock = FakeClock(NOW)
    paced = budget(tmp_path, clock, rate=2, timeout=3)
    with open(paced.path, "w") as handle:
        handle.write('{"spent": [], "pause_until": 1000000000000}')
    assert paced.acquire() == 3
    paced.observe(pause=30)
    assert paced.acquire() == 3


def test_spent_keeps_only_finite_numbers_of_the_window(tmp_path):
    clock = FakeClock(NOW)
    paced = budget(tmp_path, clock, rate=3)
    with open(paced.path, "w") as handle:
        handle.write('{"spent": ["x", null, {}, [1], true, NaN, Infinity, -Infinity, 1e300, -1e300, 995.5],'
                     ' "pause_until": 0}')
    assert paced.acquire() == 0 and paced.acquire() == 0
    with open(paced.path) as handle:
        assert json.load(handle)["spent"] == [995.5, NOW, NOW]
    assert paced.acquire() == pytest.approx(995.5 + 10.2 - NOW)


def test_a_state_file_too_large_is_rebuilt_unread(tmp_path):
    clock = FakeClock(NOW)
    paced = budget(tmp_path, clock, rate=2)
    with open(paced.path, "w") as handle:  # valid JSON, but no state file of ours is ever this large
        handle.write(json.dumps({"spent": [NOW, NOW], "pause_until": NOW + 5}) + " " * (100 * 1024))
    assert paced.acquire() == 0
    assert os.path.getsize(paced.path) < 1024
    with open(paced.path, "w") as handle:  # small enough, but nested too deep for the JSON parser
        handle.write("[" * 60000)
    assert paced.acquire() == 0


@pytest.mark.parametrize("value", ["inf", "-inf", "nan", "1e300", "0", "-5", "bogus"])
def test_an_invalid_window_setting_is_ignored_with_a_warning(tmp_path, monkeypatch, value):
    monkeypatch.setenv("HUC_RATE_LIMIT_WINDOW", value)
    assert _rate.window_seconds() == 60.0
    warnings = []
    paced = RateBudget(KEY, rate=2, directory=str(tmp_path), clock=FakeClock(), warn=warnings.append)
    assert paced.bucket.window == 60.0
    assert len(warnings) == 1 and "HUC_RATE_LIMIT_WINDOW" in warnings[0], warnings
    assert paced.acquire() == 0 and paced.acquire() == 0 and paced.acquire() == pytest.approx(61.2)
