"""In-memory state of the emulator: clock, settings, resources, rate limiter, instance transitions, persistence."""

import json
import math
import os
import time
from collections import deque
from typing import Any, Dict, List, Optional

from . import seed
from .errors import ApiError, not_found
from .faults import FaultBook
from .networks import forget_instance
from .reachable import addresses_in
from .records import MAX_CLOCK_MOVE, MAX_CLOCK_OFFSET, YEAR_SECONDS, hash_key, iso, new_id, next_ipv4, public, write_json_atomic

KINDS = {
    "projects": "project",
    "nodes": "node",
    "instances": "instance",
    "apiKeys": "API key",
    "sshKeys": "SSH key",
    "floatingIps": "floating IP",
    "volumes": "volume",
    "firewalls": "firewall",
    "networks": "private network",
    "snapshots": "snapshot",
    "backups": "backup",
}

DEFAULT_SETTINGS = {"rateLimit": 60, "rateWindow": 60.0, "provisionSeconds": 5.0, "transitionSeconds": 2.0, "clockStepSeconds": 0.0,
                    "snapshotSeconds": 3.0}
LOG_LIMIT = 200000
DAY = 86400.0
BACKUP_RETENTION = 7  # daily backups kept per instance, as hcloud keeps 7
STATE_VERSION = 1


def instance_view(inst: Dict[str, Any]) -> Dict[str, Any]:
    """The control view of an instance: the API fields plus the ignore-shutdown flag."""
    return dict(public(inst), ignoreShutdown=inst["_ignoreShutdown"])


class Clock:
    """Wall time plus an offset that only grows."""

    def __init__(self, offset: float = 0.0) -> None:
        self.offset = float(offset)

    def now(self) -> float:
        """The emulator's current time in epoch seconds."""
        return time.time() + self.offset

    def advance(self, seconds: float) -> None:
        """Move forward by seconds (finite, 0 to MAX_CLOCK_MOVE); ValueError, the clock unchanged, when it would be more
        than MAX_CLOCK_OFFSET ahead of wall time."""
        if not (math.isfinite(seconds) and 0 <= seconds <= MAX_CLOCK_MOVE):
            raise ValueError("must be a number of seconds from 0 to %d (%d years)" % (MAX_CLOCK_MOVE, MAX_CLOCK_MOVE // YEAR_SECONDS))
        if self.offset + seconds > MAX_CLOCK_OFFSET:
            raise ValueError("would put the clock more than %d seconds (%d years) ahead, it is %g s ahead already; reset "
                             "the emulator (POST /_emulator/reset) to start again"
                             % (MAX_CLOCK_OFFSET, MAX_CLOCK_OFFSET // YEAR_SECONDS, self.offset))
        self.offset += seconds

    def step(self, seconds: float) -> None:
        """The clock step after an /api request: forward by seconds, stopping at MAX_CLOCK_OFFSET ahead."""
        self.offset = min(self.offset + seconds, float(MAX_CLOCK_OFFSET))

    def as_dict(self) -> Dict[str, Any]:
        """The clock as the control API shows it."""
        return {"now": iso(self.now()), "offsetSeconds": self.offset}


class RateDecision:
    """The outcome of counting one request against its key's window."""

    def __init__(self, allowed: bool, limit: int, remaining: int, free_at: float, now: float) -> None:
        self.allowed = allowed
        self.limit = limit
        self.remaining = remaining
        self.reset = int(math.ceil(free_at))
        self.retry_after = max(1, int(math.ceil(free_at - now)))

    def headers(self) -> Dict[str, str]:
        """The X-RateLimit-* headers (and Retry-After when refused)."""
        headers = {"X-RateLimit-Limit": str(self.limit), "X-RateLimit-Remaining": str(self.remaining), "X-RateLimit-Reset": str(self.reset)}
        if not self.allowed:
            headers["Retry-After"] = str(self.retry_after)
        return headers


class RateLimiter:
    """A sliding window of accepted requests per API key."""

    def __init__(self) -> None:
        self.windows = {}  # type: Dict[str, deque]

    def hit(self, key_id: str, now: float, limit: int, window: float) -> RateDecision:
        """Count a request if the window has room; refused requests are not counted."""
        times = self.windows.setdefault(key_id, deque())
        while times and times[0] <= now - window:
            times.popleft()
        allowed = len(times) < limit
        if allowed:
            times.append(now)
        free_at = (times[0] if times else now) + window
        return RateDecision(allowed, limit, max(0, limit - len(times)), free_at, now)

    def clear(self) -> None:
        """Forget every window."""
        self.windows = {}


class Store:
    """Everything the emulator holds, and the rules that change it."""

    def __init__(self, settings: Optional[Dict[str, Any]] = None, state_file: Optional[str] = None, seed_projects: int = 0, seed_instances: int = 0,
                 loopback: Any = None) -> None:
        self.settings = dict(DEFAULT_SETTINGS, **(settings or {}))
        self._initial_settings = dict(self.settings)
        self.state_file = state_file
        self.clock = Clock()
        self.limiter = RateLimiter()
        self.faults = FaultBook()
        self.log = []  # type: List[Dict[str, Any]]
        self.idempotency = {}  # type: Dict[Any, Dict[str, Any]]
        self.pending = set()  # type: set
        self.generation = 0
        self.loopback = loopback  # reachable mode: the LoopbackBlock every IPv4 address comes from (reachable.py)
        self.booted = {}  # type: Dict[str, float] - instance id -> emulator time it last became running
        if state_file and os.path.exists(state_file):
            self._restore(self._read_state_file(state_file))
            if loopback is not None:  # the saved addresses stay theirs, whichever block they came from
                loopback.used.update(addresses_in(self.data))
        else:
            self.data, self.bootstrap = seed.build(self.clock.now(), seed_projects, seed_instances, self.next_ipv4)
        for kind in ("firewalls", "networks", "snapshots", "backups"):  # kinds newer than state files written before them
            self.data.setdefault(kind, {})
        for inst in self.data["instances"].values():  # fields newer than such state files (issue 28)
            for name, value in (("snapshotId", None), ("backupId", None), ("backups", False), ("_backupsFrom", None)):
                inst.setdefault(name, value)
            inst.setdefault("protection", {"delete": False, "rebuild": False})
        for kind in ("volumes", "floatingIps"):
            for record in self.data[kind].values():
                record.setdefault("protection", {"delete": False})
        self._snapshot = json.dumps(self._persisted())
        self._index_pending()
        self.save()

    # -- time and persistence -------------------------------------------------------------------

    def now(self) -> float:
        """The emulator clock."""
        return self.clock.now()

    def next_request_at(self) -> float:
        """The earliest emulator time a client's next request can see: now, plus the clock step that follows
        every /api answer (clockStepSeconds). An ETA counts from here, so it holds when the clock steps."""
        return self.clock.now() + float(self.settings.get("clockStepSeconds") or 0)

    def _persisted(self) -> Dict[str, Any]:
        return {"version": STATE_VERSION, "clockOffset": self.clock.offset, "bootstrap": self.bootstrap, "data": self.data}

    @staticmethod
    def _read_state_file(path: str) -> Dict[str, Any]:
        with open(path) as stream:
            state = json.load(stream)
        if state.get("version") != STATE_VERSION:
            raise ValueError("%s: unsupported state file version %r" % (path, state.get("version")))
        return state

    def _restore(self, state: Dict[str, Any]) -> None:
        self.data = state["data"]
        self.bootstrap = state["bootstrap"]
        self.clock.offset = float(state["clockOffset"])

    def _index_pending(self) -> None:
        self.pending = {rid for rid, inst in self.data["instances"].items() if inst.get("_transition")}

    def save(self) -> None:
        """Write the state file, when there is one."""
        if self.state_file:
            write_json_atomic(self.state_file, self._persisted())

    def reset(self) -> None:
        """Back to the state the process started with; clears log, faults, idempotency store, rate windows.

        generation counts resets, so that a request delayed across a reset can be dropped instead of acting on the new state.
        """
        self._restore(json.loads(self._snapshot))
        self.settings = dict(self._initial_settings)
        self.limiter.clear()
        self.faults.clear()
        self.log = []
        self.idempotency = {}
        self.generation += 1
        self.booted = {}
        self._index_pending()
        self.save()

    def next_ipv4(self, data: Dict[str, Any]) -> Optional[str]:
        """A never-used IPv4 address for a new instance: of the loopback block in reachable mode (None when it is used
        up), else of 100.64.0.0/10."""
        return self.loopback.allocate() if self.loopback is not None else next_ipv4(data)

    # -- generic resources ----------------------------------------------------------------------

    def find(self, kind: str, resource_id: Any) -> Optional[Dict[str, Any]]:
        """A record or None."""
        if not isinstance(resource_id, str):
            return None
        return self.data[kind].get(resource_id)

    def get(self, kind: str, resource_id: str) -> Dict[str, Any]:
        """A record, or 404 naming it."""
        record = self.find(kind, resource_id)
        if record is None:
            raise not_found(KINDS[kind], resource_id)
        return record

    def select(self, kind: str, **filters: Any) -> List[Dict[str, Any]]:
        """Records whose fields equal every filter that is not None, oldest first (createdAt, then id)."""
        wanted = [(name, value) for name, value in filters.items() if value is not None]
        found = [record for record in self.data[kind].values() if all(record.get(name) == value for name, value in wanted)]
        return sorted(found, key=lambda record: (record["_t"], record["id"]))

    def add(self, kind: str, record: Dict[str, Any]) -> Dict[str, Any]:
        """Store a new record."""
        self.data[kind][record["id"]] = record
        return record

    def remove(self, kind: str, resource_id: str) -> None:
        """Forget a record."""
        self.data[kind].pop(resource_id, None)

    def name_taken(self, kind: str, project_id: str, name: str, exclude_id: Optional[str] = None) -> bool:
        """Whether another record of this kind in the project has the name."""
        return any(record["id"] != exclude_id for record in self.select(kind, projectId=project_id, name=name))

    def project_filter(self, project_id: Optional[str]) -> Optional[str]:
        """A projectId query filter: None for all, else a known project (404 when unknown)."""
        if project_id is not None:
            self.get("projects", project_id)
        return project_id

    # -- instance transitions -------------------------------------------------------------------

    def begin(self, inst: Dict[str, Any], status: str, target: Optional[str], seconds: float) -> None:
        """Put an instance in a transitional status that turns into target (None: deleted) after seconds."""
        now = self.now()
        inst["status"] = status
        inst["_transition"] = {"target": target, "at": now + seconds}
        inst["updatedAt"] = iso(now)
        self.pending.add(inst["id"])

    def settle(self) -> None:
        """Complete every transition whose time has come on the emulator clock (snapshots: creating -> available)."""
        for snapshot in self.data["snapshots"].values():
            transition = snapshot.get("_transition")
            if transition and transition["at"] <= self.now():
                snapshot.update(status=transition["target"], _transition=None)
        if not self.pending:
            return
        now = self.now()
        for inst_id in sorted(self.pending):
            inst = self.data["instances"].get(inst_id)
            transition = inst.get("_transition") if inst else None
            if transition is None:
                self.pending.discard(inst_id)
            elif transition["at"] <= now:
                self.pending.discard(inst_id)
                self._complete(inst, transition)

    def _complete(self, inst: Dict[str, Any], transition: Dict[str, Any]) -> None:
        inst["_transition"] = None
        if transition["target"] is None:
            self.booted.pop(inst["id"], None)
            self.remove("instances", inst["id"])
            self.detach_all(inst["id"])
            for backup in self.select("backups", instanceId=inst["id"]):  # a backup goes with its instance
                self.remove("backups", backup["id"])
            return
        inst["status"] = transition["target"]
        inst["updatedAt"] = iso(transition["at"])
        if inst["status"] == "running":
            self.booted[inst["id"]] = transition["at"]

    def detach_all(self, instance_id: str) -> None:
        """Detach the floating IPs and volumes of an instance that is gone."""
        for kind in ("floatingIps", "volumes"):
            for record in self.select(kind, instanceId=instance_id):
                record["instanceId"] = None
                if kind == "volumes":
                    record["status"] = "available"
        forget_instance(self.data, instance_id)

    # -- backups ----------------------------------------------------------------------------------

    def make_backup(self, inst: Dict[str, Any], at: float) -> Dict[str, Any]:
        """A backup of an instance taken at emulator time at; only the newest BACKUP_RETENTION of it are kept."""
        backup = self.add("backups", {"id": new_id(), "instanceId": inst["id"], "sizeGb": inst["diskGb"], "status": "available",
                                      "createdAt": iso(at), "_t": at, "_osTemplate": inst["osTemplate"]})
        for old in self.select("backups", instanceId=inst["id"])[:-BACKUP_RETENTION]:
            self.remove("backups", old["id"])
        return backup

    def due_backups(self, inst: Dict[str, Any]) -> None:
        """Make the daily backups that fell due since backups were turned on (every DAY of the emulator clock from then).
        Lazy: called before anything reads an instance's backups, so a clock jump of years makes the last few only."""
        start = inst.get("_backupsFrom")
        if start is None:
            return
        due = int((self.now() - start) // DAY)
        made = inst.get("_backupsMade", 0)
        for number in range(max(made + 1, due - BACKUP_RETENTION + 1), due + 1):
            self.make_backup(inst, start + number * DAY)
        inst["_backupsMade"] = max(made, due)

    def switch_backups(self, inst: Dict[str, Any], enabled: bool) -> None:
        """Turn daily backups on (counted from now) or off (the ones due until now are made first)."""
        self.due_backups(inst)
        inst["backups"] = enabled
        inst["_backupsFrom"] = self.now() if enabled else None
        inst["_backupsMade"] = 0

    # -- API keys -------------------------------------------------------------------------------

    def authenticate(self, token: Optional[str], now: float) -> Dict[str, Any]:
        """The key a bearer token names, or the 401 for a missing, unknown, revoked or expired key."""
        challenge = {"WWW-Authenticate": "Bearer"}
        if not token:
            raise ApiError(401, "invalid_api_key", "missing API key: send the header Authorization: Bearer huc_...", headers=challenge)
        digest = hash_key(token)
        key = next((key for key in self.data["apiKeys"].values() if key["_hash"] == digest), None)
        if key is None:
            raise ApiError(401, "invalid_api_key", "unknown API key", headers=challenge)
        if key["status"] == "revoked":
            raise ApiError(401, "api_key_revoked", "this API key has been revoked", headers=challenge)
        if key["_expires"] is not None and key["_expires"] <= now:
            raise ApiError(401, "api_key_expired", "this API key expired at %s" % key["expiresAt"], headers=challenge)
        key["lastUsedAt"] = iso(now)
        return key

    # -- views ----------------------------------------------------------------------------------

    def log_request(self, entry: Dict[str, Any]) -> Dict[str, Any]:
        """Append an entry to the request log (the oldest entries go past LOG_LIMIT)."""
        self.log.append(entry)
        if len(self.log) > LOG_LIMIT:
            del self.log[: len(self.log) - LOG_LIMIT]
        return entry

    def dump(self) -> Dict[str, Any]:
        """Everything the emulator holds, secrets and hashes left out."""
        self.settle()
        for inst in self.data["instances"].values():
            self.due_backups(inst)
        out = {kind: [public(record) for record in self.select(kind)] for kind in KINDS}  # type: Dict[str, Any]
        out["instances"] = [instance_view(record) for record in self.select("instances")]
        out["osTemplates"] = list(self.data["osTemplates"])
        out["config"] = dict(self.settings)
        out["clock"] = self.clock.as_dict()
        return out
