# -*- coding: utf-8 -*-
# Copyright: HostUpCloud collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The instance resource: its declarations, status rules and power primitives. Private.

HucInstanceModule is the base of every module that works on instances (huc_instance,
huc_instance_info, huc_power): the resource driver declared for /instances, plus power actions,
a graceful shutdown with a hard-stop fallback, and putting back the power state an instance had
before a module stopped it.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

from ansible_collections.hostupcloud.cloud.plugins.module_utils._resource import HucResourceModule

# The instance as every module returns it (snake_case of the API object), in this order.
INSTANCE_FIELDS = ("id", "project_id", "name", "node_id", "os_template", "vcpus", "memory_mb", "disk_gb",
                   "status", "ipv4", "ipv6", "ssh_key_ids", "labels", "created_at", "updated_at")
STATUSES = ("provisioning", "running", "stopping", "stopped", "starting", "rebooting", "deleting", "error")
# Transitional status -> the status it settles in.
SETTLES_IN = {"provisioning": "running", "starting": "running", "rebooting": "running", "stopping": "stopped"}
STABLE = ("running", "stopped")
# Statuses no power action can leave.
BROKEN = ("error", "deleting")


class HucInstanceModule(HucResourceModule):
    """The driver declared for instances, plus what modules need to watch and power them."""

    kind = "instance"
    path = "/instances"
    result_fields = INSTANCE_FIELDS
    settled = "running"
    predicted = "provisioning"
    broken = BROKEN
    create_defaults = {"sshKeyIds": [], "labels": {}}

    def list_instances(self, name=None, status=None):
        return self.list_all(name=name, status=status)

    def wait_until_settled(self, instance):
        """The instance once it is running or stopped (returned at once when it already is)."""
        status = instance.get("status")
        if status in STABLE:
            return instance
        if status not in SETTLES_IN:
            self.fail("instance %s is in status %s; no power action can be taken" % (self.name_of(instance), status),
                      code="invalid_state")
        return self.wait_status(instance, STABLE)

    # -- power --------------------------------------------------------------------------------

    def send_power(self, instance, action):
        """POST one power action (start, stop, shutdown, reboot); returns the instance in transition.

        Sent with an Idempotency-Key: a retry after a dropped answer replays the first answer
        instead of acting twice (or failing with invalid_state).
        """
        return self.client.post(self.item_path(instance, "/power"), {"action": action}, idempotent=True)

    def power_off(self, instance, graceful, shutdown_timeout):
        """Stop a running instance and wait until it is stopped; returns it.

        graceful: a shutdown first, then a hard stop if it is not stopped after shutdown_timeout
        seconds (a guest may ignore the shutdown). Not graceful: a hard stop at once.
        """
        if graceful:
            self.send_power(instance, "shutdown")
            instance = self.wait_status(instance, "stopped", give_up=time.time() + shutdown_timeout)
            if instance["status"] == "stopped":
                return instance
        self.send_power(instance, "stop")
        return self.wait_status(instance, "stopped")

    def power_on(self, instance, wait=True):
        """Start a stopped instance; returns it running (or starting when not wait)."""
        started = self.send_power(instance, "start")
        return self.wait_status(instance, "running") if wait else started

    def restore_power(self, instance, previous_status, wait=True):
        """Put back the power state an instance had before it was stopped: start it if it ran."""
        if SETTLES_IN.get(previous_status, previous_status) == "running" and instance.get("status") == "stopped":
            return self.power_on(instance, wait)
        return instance
