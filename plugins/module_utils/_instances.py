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

from ansible_collections.hostupcloud.cloud.plugins.module_utils._limits import canonical_address, normalize_ptr
from ansible_collections.hostupcloud.cloud.plugins.module_utils._resource import HucResourceModule

# The instance as every module returns it (snake_case of the API object), in this order.
INSTANCE_FIELDS = ("id", "project_id", "name", "node_id", "os_template", "vcpus", "memory_mb", "disk_gb",
                   "status", "ipv4", "ipv6", "ipv6_prefix", "reverse_dns", "ssh_key_ids", "labels", "created_at",
                   "updated_at")
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
            instance = self.wait_status(instance, "stopped", give_up=self.client.clock.now() + shutdown_timeout)
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

    # -- reverse DNS ---------------------------------------------------------------------------

    def wanted_ptrs(self, obj, ipv6_after):
        """reverse_dns as {address: PTR or None} on obj; "ipv6" stands for an IPv6 address this task enables.

        ipv6_after: whether obj has IPv6 once the task is done. An address that is not the instance's fails.
        """
        name = self.name_of(obj)
        own = [address for address in (obj.get("ipv4"), obj.get("ipv6") if ipv6_after else None) if address]
        wanted = {}
        for key, ptr in (self.params.get("reverse_dns") or {}).items():
            if key == "ipv6" and not ipv6_after:
                self.fail("reverse_dns names ipv6, but %s" % (
                    "ipv6: false removes the IPv6 address of instance %s" % name if obj.get("ipv6") else
                    "instance %s has no IPv6 address; set ipv6: true to enable it" % name), code="no_ipv6")
            address = {"ipv4": obj.get("ipv4"), "ipv6": obj.get("ipv6") or "ipv6"}.get(key) or canonical_address(key)
            if address != "ipv6" and address not in own:
                self.fail("reverse_dns: %s is not an address of instance %s (it has %s); give ipv4, ipv6 or one of them"
                          % (key, name, ", ".join(own)), code="not_own_address")
            wanted[address] = normalize_ptr(ptr) if ptr is not None else None
        return wanted

    def ptr_changes(self, obj, ipv6_after):
        """The PTRs that differ from what obj has (all of them for an address not made yet)."""
        have = obj.get("reverseDns") or {}
        return dict((address, ptr) for address, ptr in self.wanted_ptrs(obj, ipv6_after).items()
                    if address == "ipv6" or address not in have or have[address] != ptr)

    def predict_ptrs(self, obj, ptrs):
        """obj with the PTRs set (an IPv6 address not made yet is left out: the API assigns it)."""
        reverse = dict(obj.get("reverseDns") or {})
        reverse.update((address, ptr) for address, ptr in ptrs.items() if address != "ipv6")
        return dict(obj, reverseDns=reverse)

    def set_ptrs(self, obj, ptrs):
        """PUT {item}/reverse-dns once per address (PUT is safe to retry); returns the instance as the last answer shows it."""
        for address, ptr in sorted(ptrs.items()):
            address = obj.get("ipv6") if address == "ipv6" else address
            obj = self.client.put(self.item_path(obj, "/reverse-dns"), {"address": address, "ptr": ptr}) or obj
        return obj


class InstanceNetworking:
    """The hooks of the options ipv6 (a switch sent, an address returned) and reverse_dns, for HucInstanceModule.

    Mixed in before HucInstanceModule; the module declares Field("ipv6", update=True, read=...) and diff_if_set.
    """

    def ipv6_after(self, obj):
        return obj.get("ipv6") is not None if self.params.get("ipv6") is None else self.params["ipv6"]

    def diff_view(self, obj):
        shown = super(InstanceNetworking, self).diff_view(obj)
        if "ipv6" in shown:  # on or off: the address is the API's to assign
            shown["ipv6"] = obj.get("_ipv6", obj.get("ipv6") is not None)
        return shown

    def predict_create(self, body):
        obj = super(InstanceNetworking, self).predict_create(body)
        obj.update(_ipv6=bool(obj.get("ipv6")), ipv6=None, ipv6Prefix=None, reverseDns=None)
        return obj

    def post_create(self, body):
        obj = super(InstanceNetworking, self).post_create(body)
        return self.set_ptrs(obj, self.wanted_ptrs(obj, self.ipv6_after(obj))) if obj and self.params.get("reverse_dns") else obj

    def more_changes(self, current):
        ptrs = self.ptr_changes(current, self.ipv6_after(current))
        return {"reverseDns": ptrs} if ptrs else {}
