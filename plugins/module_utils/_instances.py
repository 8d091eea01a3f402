# -*- coding: utf-8 -*-
# Copyright: HostUpCloud collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Instances: their statuses and the reverse DNS of their addresses. Private to this collection."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.hostupcloud.cloud.plugins.module_utils._limits import (
    between, canonical_address, max_bytes, multiple_of, normalize_ptr, resource_name, string_labels)
from ansible_collections.hostupcloud.cloud.plugins.module_utils._declarations import NOT_SET, Endpoint, Field
from ansible_collections.hostupcloud.cloud.plugins.module_utils._protection import Protection

STATUSES = ("provisioning", "running", "stopping", "stopped", "starting", "rebooting", "rebuilding", "deleting", "error")
# Transitional status -> the status it settles in.
SETTLES_IN = {"provisioning": "running", "starting": "running", "rebooting": "running", "stopping": "stopped",
              "rebuilding": "running"}
STABLE = ("running", "stopped")
# Statuses no power action can leave.
BROKEN = ("error", "deleting")
# Labels this collection keeps on an instance for itself (never compared with the labels option, always kept):
# the power state that a restart a run was killed in must put back.
OWN_LABELS = "hostupcloud.cloud/"
RESTORE_LABEL = OWN_LABELS + "restore-power"


def user_labels(obj):
    return dict((key, value) for key, value in (obj.get("labels") or {}).items() if not key.startswith(OWN_LABELS))


def own_labels(obj):
    return dict((key, value) for key, value in (obj.get("labels") or {}).items() if key.startswith(OWN_LABELS))


def has_ipv6(obj):
    return obj.get("ipv6") is not None


# The options that describe one instance, declared once: huc_instance's (which adds reverse_dns and the power
# record) and those of each item of huc_fleet. tests/unit/plugins/module_utils/test_fleet.py keeps the two equal.
ITEM_FIELDS = (
    Field("name", identity=True, check=resource_name),
    Field("node", api="nodeId", ref="node", required=True, existing="the instance is on node id %s"),
    Field("os_template", required=True, existing="the instance runs %s"),
    Field("vcpus", "int", update=True, required=True, check=between(1, 64)),
    Field("memory_mb", "int", update=True, required=True, check=multiple_of(512, 512, 262144)),
    Field("disk_gb", "int", update=True, required=True, check=between(10, 4096), grow_only="disk_shrink"),
    Field("ssh_keys", "list", elements="str", no_log=False, api="sshKeyIds", ref="ssh_key",
          called="SSH key (ssh_keys)"),
    # Compared without the labels the collection keeps for itself (OWN_LABELS), which are kept.
    Field("labels", "dict", update=True, check=string_labels, read=user_labels),
    Field("user_data", check=max_bytes(64 * 1024)),
    # Sent as a switch, returned as an address (or null).
    Field("ipv6", "bool", update=True, read=has_ipv6),
    # Daily backups [assumed API field]; an API without the field leaves it unset.
    Field("backups", "bool", update=True),
    Protection("delete", "rebuild"),
)


# What the API fills in a new instance (check mode predicts it): huc_instance's and huc_fleet's.
DEFAULTS = {"sshKeyIds": [], "labels": {}, "backups": False, "protection": {"delete": False, "rebuild": False},
            "snapshotId": None, "backupId": None}


# The options whose change needs the instance stopped (API field -> option).
NEEDS_STOP = (("vcpus", "vcpus"), ("memoryMb", "memory_mb"), ("ipv6", "ipv6"))


def needs_stop(plan):
    """The options of a plan on an existing instance whose change needs it stopped, when it is not."""
    if plan.current is None or plan.current["status"] == "stopped":
        return []
    return [option for api, option in NEEDS_STOP if api in plan.changes]


class PtrRecords(Endpoint):
    """The reverse DNS (PTR) names of an instance's addresses: PUT {item}/reverse-dns {address, ptr}, one each.

    The option maps ipv4, ipv6 or an address to a name (null removes it); the addresses not named are
    left as they are. "ipv6" may name an address the same task enables (ipv6: true), written once the
    API has assigned it. An address that is not the instance's fails.
    """

    def __init__(self, ipv6_option):
        self.ipv6_option = ipv6_option

    def value(self, module, inputs, current):
        wanted = inputs.get(self.field.option)
        if not wanted:
            return NOT_SET
        if current is None:
            return dict(wanted)  # resolved against the addresses the API assigns (write)
        ipv6 = has_ipv6(current) if inputs.get(self.ipv6_option) is None else inputs[self.ipv6_option]
        have = current.get("reverseDns") or {}
        return dict((address, ptr) for address, ptr in self.resolve(module, current, wanted, ipv6).items()
                    if address == "ipv6" or address not in have or have[address] != ptr)

    def differs(self, current, value):
        return bool(value)

    @staticmethod
    def resolve(module, obj, wanted, ipv6_after):
        """wanted as {address: PTR or None} on obj; "ipv6" stands for an IPv6 address not assigned yet."""
        name = module.name_of(obj)
        own = [address for address in (obj.get("ipv4"), obj.get("ipv6") if ipv6_after else None) if address]
        resolved = {}
        for key, ptr in wanted.items():
            if key == "ipv6" and not ipv6_after:
                module.fail("reverse_dns names ipv6, but %s" % (
                    "ipv6: false removes the IPv6 address of instance %s" % name if obj.get("ipv6") else
                    "instance %s has no IPv6 address; set ipv6: true to enable it" % name), code="no_ipv6")
            address = {"ipv4": obj.get("ipv4"), "ipv6": obj.get("ipv6") or "ipv6"}.get(key) or canonical_address(key)
            if address != "ipv6" and address not in own:
                module.fail("reverse_dns: %s is not an address of instance %s (it has %s); give ipv4, ipv6 or one of "
                            "them" % (key, name, ", ".join(own)), code="not_own_address")
            resolved[address] = normalize_ptr(ptr) if ptr is not None else None
        return resolved

    def predict(self, obj, value):
        if obj.get("id") is None:
            return dict(obj, reverseDns=None)  # the API assigns the addresses
        reverse = dict(obj.get("reverseDns") or {})
        reverse.update((address, ptr) for address, ptr in value.items() if address != "ipv6")
        return dict(obj, reverseDns=reverse)

    def write(self, module, obj, value):
        """PUT once per address (PUT is safe to retry); returns the instance as the last answer shows it."""
        for address, ptr in sorted(self.resolve(module, obj, value, has_ipv6(obj)).items()):
            obj = module.client.put(module.item_path(obj, "/reverse-dns"), {"address": address, "ptr": ptr}) or obj
        return obj
