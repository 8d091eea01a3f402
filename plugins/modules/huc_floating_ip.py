#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: HostUpCloud collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: huc_floating_ip
short_description: Allocate, attach, detach and release HostUpCloud floating IPs
version_added: 0.2.0
description:
  - Makes sure a floating IP exists and is attached to an instance, or detached, or released.
  - A floating IP is found by O(id), by O(address), or, when neither is given, as the one attached to
    O(instance). One of the three is required.
  - The API picks the address of a new floating IP, and a floating IP has no name, so a new one is allocated only
    where a rerun finds it again, for O(instance) when neither O(id) nor O(address) is given and no floating IP is
    attached to that instance. It is allocated on the node of the instance and attached to it.
    To keep a spare floating IP, allocate it this way, then detach it with O(instance=null), naming it by
    O(address) or O(id).
  - A floating IP can only be attached to an instance of its own project on its own node; this is checked before
    any request that changes something.
  - A run that finds nothing to change costs one request when O(project), O(instance) and O(node) are given by id
    or not given; each of them given by name costs one listing more.
author:
  - HostUpCloud collection maintainers (@hostupcloud)
options:
  project:
    description:
      - Name or id of the project of the floating IP. Required unless O(id) is given.
      - If not set, the value of the E(HUC_PROJECT) environment variable is used.
    type: str
  id:
    description:
      - Id of an existing floating IP. A floating IP that does not exist is never allocated for an id.
      - Cannot be combined with O(address).
    type: str
  address:
    description:
      - The IPv4 address of an existing floating IP of the project, for example V(203.0.113.10).
      - The API picks the address of a new floating IP, so an address that is not allocated fails.
    type: str
  instance:
    description:
      - Name or id of the instance, in the same project and on the same node, the floating IP is attached to.
        An unknown instance, or one on another node, fails before anything is changed.
      - Without O(id) and O(address), it also finds the floating IP (the one attached to it), and allocates one for
        it if there is none.
      - A floating IP attached to another instance is moved only with O(force=true).
      - V(null) (set explicitly) detaches the floating IP found by O(id) or O(address); it stays allocated.
      - Not set, the attachment is left as it is.
    type: str
  node:
    description:
      - Name or id of the node of the floating IP; see M(hostupcloud.cloud.huc_node_info).
      - A new floating IP is allocated on the node of O(instance); when O(node) is given too, it must be that node,
        or the task fails before allocating.
      - On an existing floating IP a different node gives a warning (a floating IP never changes node).
      - On an existing floating IP the node is compared only when that costs no request. An id always is (a different one
        gives the warning), a name only if the run has listed the nodes already. Otherwise a name is not looked up,
        neither to warn nor to report an unknown name, because the listing could change nothing but the warning;
        give the node's id to have it always checked.
    type: str
  reverse_dns:
    description:
      - The reverse DNS (PTR) name of the floating IP's address, a fully qualified domain name of at most 253
        characters (labels at most 63), compared in lowercase and without a trailing dot.
      - V(null) (set explicitly) removes the PTR record; not set, it is left as it is.
      - The provider says PTR changes take 5 to 15 minutes to propagate; the task returns once the API has them.
    type: str
  protection:
    description:
      - Protection of the floating IP against deletion. Only the flags given are compared and changed. A new floating IP has it
        off.
      - A protected floating IP's O(state=absent) fails before anything is changed (in check mode too, and O(force) does not
        lift it); lift it first with O(protection.delete=false) in a task with O(state=present).
    type: dict
    version_added: 1.1.0
    suboptions:
      delete:
        description:
          - Refuse to release the floating IP (the API answers a delete C(409)).
        type: bool
  state:
    description:
      - V(present) makes sure the floating IP exists (allocating one for O(instance) if needed) and attaches or
        detaches it as O(instance) says.
      - V(absent) releases it; the address goes back to the pool. A floating IP that is attached is released only
        with O(force=true) (it is detached first).
    type: str
    choices: [present, absent]
    default: present
  force:
    description:
      - Allow moving a floating IP attached to another instance to O(instance) (it is detached, then attached),
        and releasing one that is attached (O(state=absent)).
      - Without it, both fail and nothing is changed.
    type: bool
    default: false
notes:
  - Floating IPs have no status to wait for, so there is no C(wait) option; a task returns once the API
    has allocated, attached, detached or released the floating IP.
  - The allocation is sent with an C(Idempotency-Key), so a retry after a lost answer gets the first allocation
    back instead of a second floating IP.
  - A new floating IP carries the label C(hostupcloud.cloud/allocated-for) with the id of its instance. Two runs
    that allocate one for the same instance at once keep the first allocated and release the other; when a run is
    stopped before its release, the next run for that instance releases it, with a warning (check mode only
    says so). A protected one is left alone.
extends_documentation_fragment:
  - hostupcloud.cloud.api
  - hostupcloud.cloud.api.ATTRIBUTES
attributes:
  diff_mode:
    description: >-
      Shows the address, node and instance of the floating IP before and after, and its reverse DNS and
      protection when O(reverse_dns) and O(protection) are set.
    support: full
seealso:
  - module: hostupcloud.cloud.huc_floating_ip_info
  - module: hostupcloud.cloud.huc_instance
"""

EXAMPLES = r"""
- name: Give web-1 a floating IP (allocated on its node and attached; a rerun finds it and changes nothing)
  hostupcloud.cloud.huc_floating_ip:
    api_key: "{{ vault_huc_api_key }}"
    project: production
    instance: web-1
  register: fip

- name: Show its address
  ansible.builtin.debug:
    msg: "{{ fip.floating_ip.address }}"

- name: Move that address to web-2, on the same node (API options from module_defaults)
  module_defaults:
    group/hostupcloud.cloud.huc:
      api_key: "{{ vault_huc_api_key }}"
  hostupcloud.cloud.huc_floating_ip:
    project: production
    address: 203.0.113.10
    instance: web-2
    force: true

- name: Detach it and keep it as a spare
  hostupcloud.cloud.huc_floating_ip:
    project: production
    address: 203.0.113.10
    instance: null

- name: Attach a spare floating IP, found by id, to web-3
  hostupcloud.cloud.huc_floating_ip:
    id: 2c5e8f1a-7b3d-4e9f-8a1c-6d2b4f0e9a37
    project: production
    instance: web-3

- name: Set the reverse DNS name of a floating IP
  hostupcloud.cloud.huc_floating_ip:
    project: production
    address: 203.0.113.10
    reverse_dns: mail.example.com

- name: Release a spare floating IP
  hostupcloud.cloud.huc_floating_ip:
    project: production
    address: 203.0.113.11
    state: absent

- name: Release the floating IP of web-1, detaching it first
  hostupcloud.cloud.huc_floating_ip:
    project: production
    instance: web-1
    state: absent
    force: true
"""

RETURN = r"""
floating_ip:
  description:
    - The floating IP after the task; in check mode, the floating IP as it would be (the fields the API assigns to a
      new one, RV(floating_ip.id), RV(floating_ip.address) and RV(floating_ip.created_at), are V(null)).
    - After O(state=absent), the floating IP as it was before it was released; V(null) when there was none.
  returned: always
  type: dict
  contains:
    id:
      description: Floating IP id.
      type: str
      returned: always
      sample: 2c5e8f1a-7b3d-4e9f-8a1c-6d2b4f0e9a37
    project_id:
      description: Id of its project.
      type: str
      returned: always
      sample: 7d3c2a4e-0b1f-4c55-9a51-2f6a1c0e8b90
    address:
      description: The public IPv4 address.
      type: str
      returned: always
      sample: 203.0.113.10
    node_id:
      description: Id of its node; it can only be attached to instances on this node.
      type: str
      returned: always
      sample: 3b1e6f0a-2c4d-4e8f-9a0b-1c2d3e4f5a6b
    instance_id:
      description: Id of the instance it is attached to; V(null) when it is detached.
      type: str
      returned: always
      sample: 0f9d3c1e-6a2b-4c8d-9e7f-1a2b3c4d5e6f
    reverse_dns:
      description: Its reverse DNS (PTR) name; V(null) when none is set.
      type: str
      returned: always
      sample: mail.example.com
    protection:
      description: Its protection flag C(delete); V(null) when the API does not say.
      type: dict
      returned: always
      sample: {delete: true}
      version_added: 1.1.0
    created_at:
      description: Allocation time (ISO 8601, UTC).
      type: str
      returned: always
      sample: "2026-11-26T10:00:00Z"
"""

from ansible_collections.hostupcloud.cloud.plugins.module_utils._endpoints import Attachment, Ptr
from ansible_collections.hostupcloud.cloud.plugins.module_utils._limits import ipv4_address, normalize_ptr, ptr_name
from ansible_collections.hostupcloud.cloud.plugins.module_utils._protection import Protection
from ansible_collections.hostupcloud.cloud.plugins.module_utils._references import REFERENCES
from ansible_collections.hostupcloud.cloud.plugins.module_utils._declarations import Field, Plan
from ansible_collections.hostupcloud.cloud.plugins.module_utils._resource import HucResourceModule


# The label a floating IP is allocated with: the id of the instance it is for, so that a rerun after a failed or
# killed attach adopts it instead of allocating another, and two runs racing for one instance keep one.
ALLOCATED_FOR = "hostupcloud.cloud/allocated-for"


def claims(ip, instance_id):
    """Whether ip is attached to instance_id, or was allocated for it and is attached to nothing."""
    # Label values are text; an API with numeric ids answers 7 where the label says "7".
    allocated = (ip.get("labels") or {}).get(ALLOCATED_FOR) == str(instance_id) and not ip.get("instanceId")
    return ip.get("instanceId") == instance_id or allocated


def ranked(ips):
    """ips in allocation order: the oldest createdAt first, and of one second (its resolution) the first listed.
    The API lists in creation order, so two racing runs agree on it (a tie broken by id could make each keep
    its own)."""
    return sorted(ips, key=lambda ip: ip.get("createdAt") or "")  # stable: listing order within a second


def oldest(ips):
    return ranked(ips)[0]


def leftovers(spare, keep):
    """What a run stopped between its allocation and the release of its duplicate left: the floating IPs
    allocated for the instance after the one kept, attached to nothing and not protected. Only when the one kept
    is the first allocated, as every racing run keeps it; otherwise someone chose another by hand."""
    order = ranked(spare)
    if keep is None or order[0]["id"] != keep["id"]:
        return []
    return [ip for ip in order[1:] if not ip.get("instanceId") and not (ip.get("protection") or {}).get("delete")]


class HucFloatingIp(HucResourceModule):
    """Found by id, by address, or as the one of instance; attach/detach/release from Attachment.

    Allocation (POST /floating-ips) goes through the driver with an Idempotency-Key, so a retry after a lost
    answer gets the first allocation replayed; the new one is labelled with its instance (ALLOCATED_FOR), so a
    run that failed before the attach leaves it to the rerun, which adopts it. Of floating IPs that two runs
    allocated for one instance at once, the oldest is kept and attached, the others released.
    """

    result_key = "floating_ip"
    resource = REFERENCES["floating_ip"]
    fields = (
        Field("address", identity=True, create=False, check=ipv4_address),
        Field("node", api="nodeId", ref="node", existing="the floating IP is on node id %s"),
        Field("instance", api="instanceId", via=Attachment(delete_verb="release", mark=ALLOCATED_FOR)),
        Field("reverse_dns", api="reverseDns", check=ptr_name, normalize=normalize_ptr, via=Ptr()),
        Protection("delete"),
    )
    diff_fields = ("address", "node_id", "instance_id")
    diff_if_set = ("reverse_dns", "protection")
    defaults = {"address": None, "instanceId": None, "reverseDns": None, "createdAt": None, "protection": {"delete": False}}
    create_verb = "allocate"
    create_hint = ("the API picks the address of a new floating IP: to allocate one, give instance and neither id "
                   "nor address")
    option_rules = {"required_one_of": [("id", "address", "instance")], "mutually_exclusive": [("id", "address")]}

    def find(self, inputs):
        """By id or address, else the one attached to instance (or allocated for it): one listing of the project."""
        if inputs.get("id") or inputs.get("address"):
            return super(HucFloatingIp, self).find(inputs)
        if inputs.get("instance") is None:
            self.fail("instance: null detaches the floating IP found by id or address: give one of them",
                      code="missing_options")
        instance_id = self.refs.id("instance", inputs["instance"])
        listing = self.list_all()
        found = [ip for ip in listing if ip.get("instanceId") == instance_id]
        if len(found) > 1:
            self.fail("%d floating IPs are attached to instance %s: %s; give id or address to choose one" % (
                len(found), inputs["instance"], ", ".join(sorted(obj["address"] for obj in found))), code="ambiguous")
        spare = [ip for ip in listing if claims(ip, instance_id)]
        keep = found[0] if found else oldest(spare) if spare else None
        left = leftovers(spare, keep) if inputs["state"] != "absent" else []
        if left:
            self.module.warn("floating IPs %s were allocated for instance %s by a run that stopped before it released "
                             "them (two runs raced for it); %s" % (", ".join(ip.get("address") or ip["id"] for ip in left),
                                                                   inputs["instance"], "they would be released (check mode)"
                                                                   if self.check_mode else "they are released"))
        return Plan(inputs, keep, listing, left)

    def write(self, plan, obj):
        """Release what a stopped run left (find) before the attach."""
        for ip in plan.leftovers:
            self.client.delete_if_exists(self.item_path(ip))
        return super(HucFloatingIp, self).write(plan, obj)

    def post_create(self, plan):
        """The new floating IP, or the oldest one a racing run allocated for the same instance (ours released)."""
        new = super(HucFloatingIp, self).post_create(plan)
        instance_id = plan.writes.get("instanceId")
        if new is None or not instance_id:
            return new
        rivals = [ip for ip in self.list_all() if claims(ip, instance_id)]
        keep = oldest(rivals + [new] if new["id"] not in [ip["id"] for ip in rivals] else rivals)
        if keep["id"] != new["id"]:
            self.client.delete_if_exists(self.item_path(new))
            self.module.warn("another run allocated floating IP %s for instance %s at the same time; it is kept and %s "
                             "was released" % (keep.get("address"), instance_id, new.get("address")))
        return keep


def main():
    HucFloatingIp.main()


if __name__ == "__main__":
    main()
