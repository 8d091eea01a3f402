# -*- coding: utf-8 -*-
# Copyright: HostUpCloud collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one power room: bring instances to a power state, gracefully or not. Private to this collection.

PowerPlan is the only path that starts, stops (a graceful shutdown with a hard-stop fallback) and
puts back the power state of instances: huc_power drives it, and so does the resize of huc_instance.
All instances move in parallel: every action is sent as soon as its instance allows it, and one
poll per round (a project listing, or a GET when there is a single instance) watches them all,
so ten instances cost one listing per round, not ten lookups. The rounds are the module's one
wait (HucModule.wait_for), so wait_timeout means what it means everywhere.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from collections import namedtuple

from ansible_collections.hostupcloud.cloud.plugins.module_utils._client import HucApiError, item_path
from ansible_collections.hostupcloud.cloud.plugins.module_utils._declarations import NOT_SET, Endpoint, Field
from ansible_collections.hostupcloud.cloud.plugins.module_utils._instances import (
    BROKEN, RESTORE_LABEL, SETTLES_IN, STABLE, own_labels)
from ansible_collections.hostupcloud.cloud.plugins.module_utils._module import POWER
from ansible_collections.hostupcloud.cloud.plugins.module_utils._references import REFERENCES

INSTANCES = REFERENCES["instance"].path

# One round of a PowerPlan: the targets still pending, and whether the round sent an action.
Round = namedtuple("Round", "pending acted")
# Wanted state -> the status an instance ends in.
FINAL = {"started": "running", "stopped": "stopped", "restarted": "running"}


def next_action(wanted, status, graceful):
    """The power action an instance in a stable status needs for the wanted state (None: none)."""
    if wanted == "started":
        return "start" if status == "stopped" else None
    if wanted == "stopped":
        return None if status == "stopped" else ("shutdown" if graceful else "stop")
    return "reboot" if status == "running" else "start"


def heading_there(wanted, status):
    """Whether a transitional status settles where the wanted state ends, so it is only waited for."""
    return wanted != "restarted" and SETTLES_IN.get(status) == FINAL[wanted]


class Target:
    """One instance on its way to the wanted state."""

    def __init__(self, instance, wanted):
        self.instance = instance
        self.wanted = wanted
        self.previous_status = instance["status"]
        self.sent = []
        self.shutdown_deadline = None

    @property
    def status(self):
        return self.instance["status"]

    def needs_action(self, graceful):
        """Whether an action will be sent: now or once its current transition has settled."""
        if heading_there(self.wanted, self.status):
            return False
        return next_action(self.wanted, SETTLES_IN.get(self.status, self.status), graceful) is not None

    def done(self, wait):
        final = FINAL[self.wanted]
        if not self.sent:
            if self.wanted == "restarted":
                return False
            return self.status == final or (not wait and heading_there(self.wanted, self.status))
        return not wait or self.status == final

    def result(self, check_mode=False, graceful=True):
        changed = bool(self.sent) or (check_mode and self.needs_action(graceful))
        status = FINAL[self.wanted] if check_mode and (changed or heading_there(self.wanted, self.status)) else self.status
        return {"id": self.instance["id"], "name": self.instance.get("name"), "status": status,
                "previous_status": self.previous_status, "changed": changed}


def name_of(instance):
    return instance.get("name") or instance.get("id")


class PowerPlan:
    """Drives targets to their wanted power state for a module (its client, check mode, failures and the one wait).

    refs: the References of the run, whose project listing watches several instances at once.
    """

    def __init__(self, module, refs, instances, wanted, graceful=True, shutdown_timeout=120, wait=True):
        self.module = module
        self.client = module.client
        self.refs = refs
        self.targets = [Target(instance, wanted) for instance in instances]
        self.wanted = wanted
        self.graceful = graceful
        self.shutdown_timeout = shutdown_timeout
        self.wait = wait
        for target in self.targets:
            if target.status in BROKEN or target.status not in STABLE and target.status not in SETTLES_IN:
                module.fail("instance %s is in status %s: its power cannot be changed"
                            % (name_of(target.instance), target.status), code="invalid_state")

    def run(self):
        """Act and wait until every target is where it should be; returns the per-instance results."""
        if self.module.check_mode:
            return [target.result(True, self.graceful) for target in self.targets]
        progress = self.advance(refresh=False)
        while progress.pending:
            # A round that sent an action began a new transition: the wait starts over at the schedule's
            # first interval (or the action's Retry-After) rather than where the last one had grown to.
            progress = self.module.wait_for(
                self.advance, lambda found: not found.pending or found.acted, "instances to be %s" % self.wanted,
                schedule=POWER, describe=lambda found: ", ".join("%s: status %s" % (name_of(t.instance), t.status)
                                                                 for t in (found.pending if found else [])))
        return [target.result() for target in self.targets]

    def pending(self):
        return [target for target in self.targets if not target.done(self.wait)]

    def advance(self, refresh=True):
        """One round: fetch the pending targets, send what each needs now; returns the targets still
        pending and whether an action was sent."""
        if refresh:
            self.refresh(self.pending())
        sent = sum(len(target.sent) for target in self.targets)
        for target in self.targets:
            self.step(target)
        return Round(self.pending(), sum(len(target.sent) for target in self.targets) > sent)

    def step(self, target):
        """Send what the target needs now, if anything: its action, or the hard stop after a shutdown."""
        if target.status in BROKEN:
            self.module.fail("instance %s entered status %s" % (name_of(target.instance), target.status),
                             code="wait_failed")
        if target.sent:
            overdue = target.shutdown_deadline is not None and self.client.clock.now() >= target.shutdown_deadline
            if target.sent[-1] == "shutdown" and target.status != "stopped" and overdue:
                # The guest ignored the graceful shutdown: power it off.
                self.send(target, "stop")
            return
        if target.status not in STABLE or target.done(self.wait):
            return
        action = next_action(target.wanted, target.status, self.graceful)
        if action:
            self.send(target, action)

    def send(self, target, action):
        """POST one power action with an Idempotency-Key: a retry after a lost answer replays the first answer."""
        path = item_path(INSTANCES, target.instance["id"], "/power")
        try:
            target.instance = self.client.post(path, {"action": action}, idempotent=True)
        except HucApiError as error:
            # Someone else's action got there first (another run stopping the same instance): if the
            # instance now is, or heads to, where we want it, wait for it instead of failing.
            current = self.fetch(target.instance) if error.status == 409 else None
            if current is None or not (current["status"] == FINAL[target.wanted] or heading_there(target.wanted, current["status"])):
                raise
            target.instance = current
            return
        target.sent.append(action)
        if action == "shutdown":
            target.shutdown_deadline = self.client.clock.now() + self.shutdown_timeout

    def fetch(self, instance):
        return self.client.get_or_none(item_path(INSTANCES, instance["id"]))

    def refresh(self, pending):
        """Fetch the current status of the pending targets: one listing, or one GET for one."""
        if len(pending) == 1 or not self.refs.project:
            for target in pending:
                target.instance = self.fetch(target.instance) or self.gone(target)
            return
        current = dict((obj["id"], obj) for obj in self.refs.in_project(INSTANCES))
        for target in pending:
            target.instance = current.get(target.instance["id"]) or self.gone(target)

    def gone(self, target):
        return self.module.fail("instance %s disappeared" % name_of(target.instance), code="wait_failed")


def power_cycle(module, refs, instance, change, graceful=True, shutdown_timeout=120, wait=True):
    """Stop instance (once it has settled), make change(the stopped instance) and put its power state back.

    The power state to put back is recorded on the instance (RESTORE_LABEL) before the stop and
    removed once it is back, so that a run killed in between leaves it to the rerun (RestorePower).
    It comes back also when change fails (its error is raised after that). Returns what change
    returned (else the instance) as the restart leaves it.
    """
    before = SETTLES_IN.get(instance["status"], instance["status"])
    if before == "running":
        instance = relabel(module, instance, dict(instance.get("labels") or {}, **{RESTORE_LABEL: "running"}))
    stop = PowerPlan(module, refs, [instance], "stopped", graceful, shutdown_timeout)
    stop.run()
    stopped = stop.targets[0].instance
    try:
        changed = change(stopped)
    except HucApiError:
        relabel(module, restore(module, refs, stopped, before), user_and_own(stopped, keep=False))
        raise
    return relabel(module, restore(module, refs, changed or stopped, before, wait), user_and_own(changed or stopped, keep=False))


def user_and_own(instance, keep=True):
    """The labels of instance, with (keep) or without the restore record."""
    labels = dict(instance.get("labels") or {})
    if not keep:
        labels.pop(RESTORE_LABEL, None)
    return labels


def relabel(module, instance, labels):
    """PATCH the labels of instance when they differ (one request); returns it as the answer shows it."""
    if labels == (instance.get("labels") or {}):
        return instance
    return module.client.patch(item_path(INSTANCES, instance["id"]), {"labels": labels}) or dict(instance, labels=labels)


def restore(module, refs, instance, before, wait=True):
    """Start instance again if it ran before (before: the status it settled in) and a change stopped it."""
    if before != "running" or instance.get("status") not in ("stopped", "stopping"):
        return instance
    start = PowerPlan(module, refs, [instance], "started", wait=wait)
    start.run()
    return start.targets[0].instance


class RestorePower(Endpoint):
    """The power state a restart of a killed run recorded (RESTORE_LABEL): the rerun puts it back and removes the record."""

    def value(self, module, inputs, current):
        recorded = own_labels(current or {}).get(RESTORE_LABEL)
        return recorded if recorded else NOT_SET

    def differs(self, current, value):
        return True

    def predict(self, obj, value):
        obj = dict(obj, labels=user_and_own(obj, keep=False))
        if value == "running" and obj.get("status") in ("stopped", "stopping"):
            obj["status"] = "running"
        return obj

    def write(self, module, obj, value):
        obj = restore(module, module.refs, obj, value)
        return relabel(module, obj, user_and_own(obj, keep=False))


class RestoreSource(Endpoint):
    """huc_snapshot with stop_first: the power state a killed run recorded on the snapshot's source instance, put back
    by the rerun, which finds the snapshot made (one GET of the source, only with stop_first)."""

    def value(self, module, inputs, current):
        if current is None or not inputs.get("stop_first") or current.get("instanceId") is None:
            return NOT_SET
        source = module.client.get_or_none(item_path(INSTANCES, current["instanceId"]))
        recorded = own_labels(source or {}).get(RESTORE_LABEL)
        return (source, recorded) if recorded else NOT_SET

    def differs(self, current, value):
        return True

    def predict(self, obj, value):
        return obj

    def write(self, module, obj, value):
        source, recorded = value
        started = restore(module, module.refs, source, recorded)
        relabel(module, started, user_and_own(started, keep=False))
        return obj


# The field of a module that puts back the power state a killed restart recorded (huc_instance, huc_fleet's items).
RESTORE_POWER = Field("restore_power", api="restorePower", via=RestorePower(), argument=False)
# huc_snapshot's: the same record, on the instance a stop_first snapshot stopped.
RESTORE_SOURCE = Field("restore_source", api="restoreSource", via=RestoreSource(), argument=False)
