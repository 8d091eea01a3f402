# -*- coding: utf-8 -*-
# Copyright: HostUpCloud collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Instance lookup, status waits and power primitives. Private to this collection.

HucInstanceModule is the base of every module that works on instances (huc_instance,
huc_instance_info, huc_power): finding instances by name or id, waiting for a status with
growing polls, sending power actions, a graceful shutdown with a hard-stop fallback, and putting
back the power state an instance had before a module stopped it.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

from ansible_collections.hostupcloud.cloud.plugins.module_utils._module import HucModule

# The instance as every module returns it (snake_case of the API object), in this order.
INSTANCE_FIELDS = ("id", "project_id", "name", "node_id", "os_template", "vcpus", "memory_mb", "disk_gb",
                   "status", "ipv4", "ipv6", "ssh_key_ids", "labels", "created_at", "updated_at")
STATUSES = ("provisioning", "running", "stopping", "stopped", "starting", "rebooting", "deleting", "error")
# Transitional status -> the status it settles in.
SETTLES_IN = {"provisioning": "running", "starting": "running", "rebooting": "running", "stopping": "stopped"}
STABLE = ("running", "stopped")
# Statuses no power action can leave.
BROKEN = ("error", "deleting")


def instance_result(obj):
    """The API instance as a module result: exactly INSTANCE_FIELDS (None when the API left one out)."""
    if obj is None:
        return None
    snake = HucModule.to_result(obj)
    return dict((field, snake.get(field)) for field in INSTANCE_FIELDS)


def instance_matches(obj, name=None, status=None, labels=None):
    """Whether an instance has this name and status and carries every key=value of labels (None: any)."""
    current = obj.get("labels") or {}
    return ((name is None or obj.get("name") == name) and (status is None or obj.get("status") == status)
            and all(current.get(key) == value for key, value in (labels or {}).items()))


class HucInstanceModule(HucModule):
    """HucModule plus everything modules need to find, watch and power instances."""

    # -- lookup -------------------------------------------------------------------------------

    @staticmethod
    def instance_path(instance, suffix=""):
        instance_id = instance["id"] if isinstance(instance, dict) else instance
        return "/instances/%s%s" % (instance_id, suffix)

    def list_instances(self, name=None, status=None, labels=None):
        """The project's instances (every page), filtered server-side and again client-side.

        The filters are [assumed] API features: filtering again here keeps the result right
        if the API ignores one of them.
        """
        params = dict((k, v) for k, v in (("name", name), ("status", status)) if v is not None)
        found = self.list_in_project("/instances", params)
        return [obj for obj in found if instance_matches(obj, name, status, labels)]

    def find_instance(self, name=None, instance_id=None):
        """The one instance with this id (one GET) or this name in the project (one listing).

        None when there is none; several with the name fail, listing their ids.
        """
        if instance_id:
            return self.get_or_none(self.instance_path(instance_id))
        found = self.list_instances(name=name)
        if len(found) > 1:
            self.fail("%d instances are named %r in this project: %s; give id instead of name"
                      % (len(found), name, ", ".join(sorted(obj["id"] for obj in found))))
        return found[0] if found else None

    def refetch(self, instance):
        return self.get_or_none(self.instance_path(instance))

    # -- waiting ------------------------------------------------------------------------------

    def wait_for_status(self, instance, statuses, timeout, give_up=None):
        """Poll the instance until its status is one of statuses; returns it.

        Fails when it disappears, enters error or deleting (unless wanted), or after timeout
        seconds. give_up, a time.time() deadline, ends the wait early without failing: the caller
        then looks at the status itself (graceful shutdown uses that before its hard stop).
        """
        statuses = (statuses,) if isinstance(statuses, str) else tuple(statuses)
        name = instance.get("name") or instance["id"]

        def done(obj):
            return obj is not None and (obj.get("status") in statuses or (give_up is not None and time.time() >= give_up))

        def failed(obj):
            if obj is None:
                return "instance %s disappeared while waiting for status %s" % (name, " or ".join(statuses))
            if obj.get("status") in BROKEN and obj.get("status") not in statuses:
                return "instance %s entered status %s while waiting for status %s" % (
                    name, obj["status"], " or ".join(statuses))
            return None

        return self.wait_for(lambda: self.refetch(instance), done, timeout,
                             "instance %s to be %s" % (name, " or ".join(statuses)), failed=failed)

    def wait_until_gone(self, instance, timeout):
        """Poll until GET answers 404."""
        self.wait_for(lambda: self.refetch(instance), lambda obj: obj is None, timeout,
                      "instance %s to be deleted" % (instance.get("name") or instance["id"]))

    def wait_until_settled(self, instance, timeout):
        """The instance once it is running or stopped (returned at once when it already is)."""
        status = instance.get("status")
        if status in STABLE:
            return instance
        if status not in SETTLES_IN:
            self.fail("instance %s is in status %s; no power action can be taken"
                      % (instance.get("name") or instance["id"], status))
        return self.wait_for_status(instance, STABLE, timeout)

    # -- power --------------------------------------------------------------------------------

    def send_power(self, instance, action):
        """POST one power action (start, stop, shutdown, reboot); returns the instance in transition.

        Sent with an Idempotency-Key: a retry after a dropped answer replays the first answer
        instead of acting twice (or failing with invalid_state).
        """
        return self.client.post(self.instance_path(instance, "/power"), {"action": action}, idempotent=True)

    def power_off(self, instance, graceful, shutdown_timeout, timeout):
        """Stop a running instance and wait until it is stopped; returns it.

        graceful: a shutdown first, then a hard stop if it is not stopped after shutdown_timeout
        seconds (a guest may ignore the shutdown). Not graceful: a hard stop at once.
        """
        if graceful:
            give_up = time.time() + shutdown_timeout
            self.send_power(instance, "shutdown")
            instance = self.wait_for_status(instance, "stopped", shutdown_timeout + timeout, give_up=give_up)
            if instance["status"] == "stopped":
                return instance
        self.send_power(instance, "stop")
        return self.wait_for_status(instance, "stopped", timeout)

    def power_on(self, instance, timeout, wait=True):
        """Start a stopped instance; returns it running (or starting when not wait)."""
        started = self.send_power(instance, "start")
        return self.wait_for_status(instance, "running", timeout) if wait else started

    def restore_power(self, instance, previous_status, timeout, wait=True):
        """Put back the power state an instance had before it was stopped: start it if it ran."""
        if SETTLES_IN.get(previous_status, previous_status) == "running" and instance.get("status") == "stopped":
            return self.power_on(instance, timeout, wait)
        return instance
