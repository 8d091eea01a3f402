# -*- coding: utf-8 -*-
# Copyright: HostUpCloud collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One request budget per API key, shared by every process of the controller. Private.

The API allows `rate` requests per `window` seconds (60 a minute) per key, counted in a sliding
window, and a refused request may well count too. Forks that each wait out their own 429s collide
again and again; here every module run, inventory run and fork of one controller takes its
requests from one token bucket per key, kept in a small state file under a per-user directory and
guarded by fcntl locks (the kernel drops a lock with its process, so a killed process never holds
it). The bucket holds `rate` tokens and each token spent comes back `window` seconds (plus a small
margin) after its request's answer came: the server's own sliding window, so a short run
is never slowed, and no window of the server ever sees more than `rate` requests from this
controller. The server's signals make it slower still: a Retry-After pauses every process of the
key, and X-RateLimit-Remaining below what the bucket holds (another controller uses the key)
takes the difference out of the bucket, none left pauses until X-RateLimit-Reset.

The file name is a hash of the key, never the key. Nothing read is taken at its word: a corrupt,
oversized or out-of-bounds state is rebuilt (no pause outlasts the window or rate_limit_timeout). A
directory that cannot be written or is not this user's alone, or a state file that is no regular
file of ours, falls back to a bucket for this process alone, with one warning.

The server's rate signals (X-RateLimit-Remaining/Reset/Limit, Retry-After) and the waits they call for are read
here too: the client only sends, hands each answer's headers to the budget and sleeps what it says, on the one Clock.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import email.utils
import errno
import hashlib
import json
import math
import os
import random
import stat
import tempfile
import time

try:
    import fcntl
    HAS_FCNTL = True
except ImportError:  # pragma: no cover - not on POSIX: per-process pacing only
    HAS_FCNTL = False

WINDOW = 60.0
# A reset further away than this is not believed (the window is a minute).
WINDOW_CAP = 60.0
# HUC_RATE_LIMIT_WINDOW scales the window for an emulator; longer than an hour is not believed.
WINDOW_MAX = 3600.0
# A state file holds a few hundred bytes; a larger one is not ours and is rebuilt, not read.
STATE_MAX = 64 * 1024


class Clock:
    """Where the client, its budget and the modules' waits take their time from (tests inject their own)."""

    def now(self):
        return time.time()

    def sleep(self, seconds):
        time.sleep(seconds)


SYSTEM_CLOCK = Clock()


def backoff(attempt, base=1.0, cap=30.0):
    """Exponential backoff with jitter: between half and all of base * 2**attempt, capped."""
    delay = min(cap, base * (2 ** attempt))
    return delay / 2 + random.uniform(0, delay / 2)


def server_date(headers):
    """The answer's Date header as an aware datetime, or None when absent or unreadable."""
    date = headers.get("Date")
    if date:
        try:
            return email.utils.parsedate_to_datetime(date)
        except (TypeError, ValueError):
            pass
    return None


def _server_now(server_time, clock):
    """Epoch seconds on the server's clock: its Date when known, else ours."""
    return server_time.timestamp() if server_time is not None else clock.now()


def rate_limit_signals(headers, server_time=None, clock=SYSTEM_CLOCK):
    """(X-RateLimit-Remaining, seconds until X-RateLimit-Reset on the server's clock); None where absent."""
    try:
        remaining = int(headers.get("X-RateLimit-Remaining"))
    except (TypeError, ValueError):
        return None, None
    try:
        reset_in = min(WINDOW_CAP, max(0.0, float(headers.get("X-RateLimit-Reset")) - _server_now(server_time, clock)))
    except (TypeError, ValueError):
        reset_in = None
    return remaining, reset_in


def server_limit(headers):
    """X-RateLimit-Limit as a number, or None."""
    try:
        return int(headers.get("X-RateLimit-Limit")) or None
    except (TypeError, ValueError):
        return None


def retry_after(headers, server_time=None):
    """Retry-After in seconds (a number, or an HTTP date on the server's clock); None when absent or unreadable."""
    value = headers.get("Retry-After")
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        try:
            return max(0.0, (email.utils.parsedate_to_datetime(value) - server_time).total_seconds())
        except (TypeError, ValueError):
            return None  # unreadable, or a date while the server's clock is unknown


def rate_limit_delay(headers, server_time=None, attempt=0, clock=SYSTEM_CLOCK):
    """Seconds to wait after a 429: Retry-After (seconds or an HTTP date), else X-RateLimit-Reset, else backoff."""
    told = retry_after(headers, server_time)
    if told is not None:
        return told
    reset = headers.get("X-RateLimit-Reset")
    if reset:
        try:
            # Reset is an epoch on the server's clock: compare it with the server's Date.
            return min(WINDOW_CAP, max(1.0, float(reset) - _server_now(server_time, clock)))
        except ValueError:
            pass
    return backoff(attempt, base=1.0, cap=30.0)


def default_directory():
    """Per-user: $HUC_RATE_LIMIT_DIR, else $XDG_RUNTIME_DIR/hostupcloud, else <tmp>/hostupcloud-<uid>."""
    configured = os.environ.get("HUC_RATE_LIMIT_DIR")
    if configured:
        return configured
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if runtime and os.path.isdir(runtime):
        return os.path.join(runtime, "hostupcloud")
    uid = os.getuid() if hasattr(os, "getuid") else "user"
    return os.path.join(tempfile.gettempdir(), "hostupcloud-%s" % uid)


def finite(value):
    """value as a float when it is a finite number (JSON's true and false are not), else None."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        value = float(value)
    except OverflowError:  # an integer of hundreds of digits
        return None
    return value if math.isfinite(value) else None


def window_seconds(warn=None):
    """The API's window, 60 s; $HUC_RATE_LIMIT_WINDOW for an emulator running at a scaled limit. Like an
    unusable budget directory, a setting not in seconds above 0 and at most WINDOW_MAX is ignored, with a warning."""
    setting = os.environ.get("HUC_RATE_LIMIT_WINDOW")
    try:
        window = finite(float(setting or WINDOW))
    except ValueError:
        window = None
    if window is not None and 0 < window <= WINDOW_MAX:
        return window
    if warn:
        warn("HUC_RATE_LIMIT_WINDOW=%r is ignored: it must be a number of seconds above 0 and at most %d; "
             "the API's window of %d seconds is used" % (setting, WINDOW_MAX, WINDOW))
    return WINDOW


def _private_directory(directory):
    """A descriptor (O_NOFOLLOW) of the budget directory, made 0700 if missing; OSError unless it is this user's alone.

    In the shared temporary directory another local user may have made it first, to plant a symlink
    where a state file goes: a symlink, a directory of another user or one others may write to is refused.
    """
    if not os.path.lexists(directory):
        os.makedirs(directory, 0o700)
    if os.path.islink(directory):
        raise OSError(errno.ELOOP, "it is a symlink")
    handle = os.open(directory, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)
    try:
        _check_own(os.fstat(handle), "directory")
        return handle
    except OSError:
        os.close(handle)
        raise


def _check_own(info, what):
    """OSError unless info (an fstat) is of this user's alone: its own, no one else may write to it."""
    if info.st_uid != os.geteuid():
        raise OSError(errno.EPERM, "the %s belongs to uid %d, not to this user" % (what, info.st_uid))
    if info.st_mode & 0o022:
        raise OSError(errno.EPERM, "others may write to the %s (mode %03o)" % (what, stat.S_IMODE(info.st_mode)))


def key_digest(api_key):
    return hashlib.sha256(("hostupcloud-rate:" + api_key).encode("utf-8")).hexdigest()[:32]


class Bucket:
    """The bucket's arithmetic on a state dict {spent: [epochs a token was spent], pause_until}."""

    def __init__(self, rate, window=WINDOW, max_pause=None):
        self.rate = int(rate)
        self.window = finite(window)
        if self.window is None or not 0 < self.window <= WINDOW_MAX:
            raise ValueError("the window must be a number of seconds above 0 and at most %d: %r" % (WINDOW_MAX, window))
        # A token comes back a little after the window from its answer: the clocks and the rounding of the server differ.
        self.refill_after = self.window * 1.02
        # No pause (Retry-After, X-RateLimit-Reset, the state file's) outlasts the window or max_pause.
        max_pause = finite(max_pause)
        self.max_pause = self.window if max_pause is None else max(0.0, min(self.window, max_pause))

    @staticmethod
    def fresh():
        return {"spent": [], "pause_until": 0.0}

    def clean(self, state, now):
        """The state as read from a file, checked: only finite numbers, spent times within a window of now,
        a pause cut to max_pause, a limit of at least 1. Whatever else is there is dropped (rebuilt)."""
        state = state if isinstance(state, dict) else {}
        spent = state.get("spent") if isinstance(state.get("spent"), list) else []
        spent = [t for t in map(finite, spent) if t is not None and now - self.refill_after < t <= now + self.window]
        clean = {"spent": spent, "pause_until": min(finite(state.get("pause_until")) or 0.0, now + self.max_pause)}
        limit = finite(state.get("limit"))
        if limit is not None and limit >= 1:
            clean["limit"] = int(limit)
        return clean

    def _live(self, state, now):
        """The spent tokens not back yet (oldest first), at most rate of them."""
        spent = [t for t in state["spent"] if now - self.refill_after < t <= now + 1]
        return sorted(spent)[-self.rate:]

    def size(self, state):
        """The bucket's size: rate, or the server's X-RateLimit-Limit when that is lower."""
        return max(1, min(self.rate, state.get("limit") or self.rate))

    def take(self, state, now):
        """(new state, (seconds to wait first, None)), or (new state, (0, now)) when a token was taken now."""
        state = self.clean(state, now)
        spent = self._live(state, now)
        pause = max(0.0, float(state.get("pause_until") or 0.0) - now)
        size = self.size(state)
        if pause <= 0 and len(spent) < size:
            return dict(state, spent=spent + [now], pause_until=0.0), (0.0, now)
        wait = pause if pause > 0 else spent[-size] + self.refill_after - now
        return dict(state, spent=spent), (max(wait, 0.001), None)

    def observe(self, state, now, remaining=None, reset_in=None, pause=None, limit=None, token=None):
        """The state after the server spoke: tokens the server has not got are taken out; none left pauses. The
        token of the request answered now counts from now: the server counted it by now, however slow it was."""
        state = self.clean(state, now)
        spent = self._live(state, now)
        if token in spent:
            spent = sorted(spent[:spent.index(token)] + spent[spent.index(token) + 1:] + [now])
        until = state["pause_until"]
        if limit:
            state = dict(state, limit=limit)
        if remaining is not None:
            missing = self.size(state) - len(spent) - max(0, int(remaining))
            # Spent elsewhere (another controller): back when the server's window frees them.
            back = now + reset_in - self.refill_after if reset_in else now
            spent = sorted(spent + [min(now, back)] * max(0, missing))
            # None left that the bucket does not know of: wait for the reset. When the bucket counts
            # them all itself, its own tokens come back on time (the Reset header is rounded up).
            if remaining <= 0 and reset_in and missing > 0:
                until = max(until, now + reset_in)
        if pause:
            until = max(until, now + pause)
        return dict(state, spent=spent[-self.rate:], pause_until=min(until, now + self.max_pause))


class RateBudget:
    """The shared budget of one key: acquire() before each request, observe_response() after each answer."""

    def __init__(self, api_key, rate=60, shared=True, directory=None, window=None, clock=SYSTEM_CLOCK, warn=None,
                 timeout=None):
        """timeout: the client's rate_limit_timeout, the longest pause the budget imposes (else the window)."""
        self.clock = clock
        self.warn = warn or (lambda text: None)
        paced = rate and int(rate) > 0
        self.bucket = Bucket(rate, window or window_seconds(self.warn), timeout) if paced else None
        self.path = self._directory = self._local = self._token = None
        self._name = "%s.json" % key_digest(api_key)
        if self.bucket is None:
            return
        if shared and HAS_FCNTL:
            self._directory = directory or default_directory()
            try:
                os.close(self._open())
                self.path = os.path.join(self._directory, self._name)
            except OSError as error:
                self.warn("the shared request budget cannot use %s (%s): this process paces its own requests only; "
                          "set HUC_RATE_LIMIT_DIR to a directory of this user's that no one else may write to"
                          % (self._directory, error.strerror or error))
        if self.path is None:
            self._local = self.bucket.fresh()

    def _open(self):
        """The state file, opened (not truncated) once it is this user's regular file in a directory of its own.

        O_NOFOLLOW: a symlink in its place is refused, never followed; O_NONBLOCK: a FIFO is refused, not waited on.
        """
        directory = _private_directory(self._directory)
        try:
            if os.path.islink(os.path.join(self._directory, self._name)):  # a clear message; O_NOFOLLOW is the guard
                raise OSError(errno.ELOOP, "%s is a symlink" % self._name)
            flags = os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
            handle = os.open(self._name, flags, 0o600, dir_fd=directory)
        finally:
            os.close(directory)
        try:
            info = os.fstat(handle)
            if not stat.S_ISREG(info.st_mode) or info.st_nlink != 1:
                raise OSError(errno.EINVAL, "%s is not a regular file with a single link" % self._name)
            _check_own(info, "state file")
            return handle
        except OSError:
            os.close(handle)
            raise

    def _update(self, change):
        """Apply change(state, now) -> (state, result) under the lock; returns result."""
        now = self.clock.now()
        if self.path is None:
            self._local, result = change(self._local, now)
            return result
        try:
            handle = self._open()
        except OSError as error:
            self.warn("the shared request budget file %s cannot be opened (%s): pacing this process only"
                      % (self.path, error.strerror or error))
            self.path, self._local = None, self.bucket.fresh()
            return self._update(change)
        try:
            fcntl.flock(handle, fcntl.LOCK_EX)
            raw = b""
            while len(raw) <= STATE_MAX:  # a larger file is not read to its end
                chunk = os.read(handle, STATE_MAX + 1 - len(raw))
                if not chunk:
                    break
                raw += chunk
            try:
                state = json.loads(raw.decode("utf-8")) if raw and len(raw) <= STATE_MAX else None
            except (ValueError, TypeError, UnicodeDecodeError, RecursionError):
                state = None  # corrupt: rebuilt (Bucket.clean drops whatever is out of bounds)
            state, result = change(state if state is not None else self.bucket.fresh(), now)
            os.lseek(handle, 0, os.SEEK_SET)
            os.ftruncate(handle, 0)
            os.write(handle, json.dumps(state).encode("utf-8"))
            return result
        finally:
            os.close(handle)  # closing drops the lock

    def acquire(self):
        """Wait until this key may send one more request; returns the seconds waited."""
        if self.bucket is None:
            return 0.0
        waited = 0.0
        while True:
            wait, self._token = self._update(self.bucket.take)
            if wait <= 0:
                return waited
            self.clock.sleep(wait)
            waited += wait

    def observe(self, remaining=None, reset_in=None, pause=None, limit=None, token=None):
        """Tell every process of this key what the server said (remaining, seconds to reset, a pause, its limit)."""
        if self.bucket is None or (remaining is None and not pause and token is None):
            return
        self._update(lambda state, now: (self.bucket.observe(state, now, remaining, reset_in, pause, limit, token), None))

    def observe_response(self, headers, server_time=None):
        """After each request: what its answer's rate headers said ({}: no answer came); server_time is the
        server's last Date. The request's token counts from now (Bucket.observe)."""
        if self.bucket is None:
            return
        remaining, reset_in = rate_limit_signals(headers, server_time, self.clock)
        token, self._token = self._token, None
        self.observe(remaining=remaining, reset_in=reset_in, limit=server_limit(headers), token=token)

    def delay_after_429(self, headers, attempt, server_time=None):
        """Seconds to wait after the attempt-th 429 in a row (0 for the first) of one request."""
        return rate_limit_delay(headers, server_time, attempt=attempt, clock=self.clock)

    @staticmethod
    def retry_delay(failures):
        """Seconds to wait before sending again a request that failed failures times (500s, network)."""
        return backoff(failures, base=0.5, cap=10)
