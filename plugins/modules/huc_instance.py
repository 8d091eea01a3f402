#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: HostUpCloud collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: huc_instance
short_description: Create, resize, rebuild and delete HostUpCloud instances
version_added: 0.1.0
description:
  - Makes sure an instance exists with the given size and labels, or does not exist.
  - An instance is identified by O(project) and O(name), or by O(id).
  - Only the options you set are compared. A run that finds nothing to change costs one request, one listing
    more when O(project) is given by name.
  - An existing instance is rebuilt in place (its disk written anew from another OS template, a snapshot or one of its
    backups) only with O(allow_rebuild=true); O(protection) guards it against deletion and rebuild.
  - Power control (start, stop, reboot) is not part of this module; it only stops an instance to resize it,
    see O(allow_restart).
author:
  - HostUpCloud collection maintainers (@hostupcloud)
options:
  project:
    description:
      - Name or id of the project of the instance. Required unless O(id) is given (it is not checked then).
      - If not set, the value of the E(HUC_PROJECT) environment variable is used.
    type: str
  name:
    description:
      - Name of the instance, unique in its project; 1 to 63 characters of C(a-z), C(0-9) and C(-), starting
        with a letter.
      - With O(id), the instance is renamed to O(name).
    type: str
  id:
    description:
      - Id of an existing instance, instead of O(project) and O(name). An instance cannot be created with an id.
    type: str
  node:
    description:
      - Name or id of the node to create the instance on; see M(hostupcloud.cloud.huc_node_info).
      - Required to create an instance; only used at creation (a different value on an existing instance gives a warning).
      - On an existing instance the node is compared only when that costs no request. An id always is (a different one
        gives the warning), a name only if the run has listed the nodes already. Otherwise a name is not looked up,
        neither to warn nor to report an unknown name, because the listing could change nothing but the warning;
        give the node's id to have it always checked.
    type: str
  os_template:
    description:
      - Name of the OS template, for example V(Ubuntu 24.04); see M(hostupcloud.cloud.huc_os_template_info).
      - Required to create an instance, unless O(snapshot) is given instead (the two are mutually exclusive, and so is
        O(backup)).
      - On an existing instance a different template, or one made from a snapshot or a backup (see
        RV(instance.snapshot_id) and RV(instance.backup_id)), is a rebuild, done only with O(allow_rebuild=true);
        without it the template is ignored with a warning saying so, as before 1.1.0.
        An instance made from this template is never rebuilt for it, also by the run right after its creation.
      - In check mode a create looks O(os_template) and O(node) up in their catalogues (one listing each, only in
        check mode), so that it fails where the real run would.
    type: str
  snapshot:
    description:
      - Name or id of a snapshot of the project (see M(hostupcloud.cloud.huc_snapshot)) to make the instance from,
        instead of O(os_template). The instance then reports the snapshot's OS template in RV(instance.os_template),
        and the snapshot's id in RV(instance.snapshot_id).
      - On an existing instance not made from this snapshot, a rebuild from it, refused unless O(allow_rebuild=true).
        An instance made from it is never rebuilt for it, however its O(os_template) compares.
    type: str
    version_added: 1.1.0
  backup:
    description:
      - Id of a backup of this instance (see M(hostupcloud.cloud.huc_backup_info)) to restore, by a rebuild from it,
        refused unless O(allow_rebuild=true). The instance must exist, and the backup must be one of its own.
      - An instance restored from this backup (RV(instance.backup_id)) is not restored again by the next run.
    type: str
    version_added: 1.1.0
  allow_rebuild:
    description:
      - Allow the module to rebuild an existing instance in place when O(os_template), O(snapshot) or O(backup) differ
        from what it was made from. A rebuild B(wipes the disk) and writes it anew; the instance keeps its id, its
        addresses, volumes, floating IPs, networks, labels and size.
      - Without it such a task fails before anything is changed, saying what it would rebuild from (for a different
        O(os_template) alone, as before 1.1.0, the template is ignored with a warning instead).
      - An instance with O(protection.rebuild) on is not rebuilt either way; O(protection.rebuild=false) in the same
        task lifts the protection first (it is written before the rebuild), and then the rebuild is allowed.
      - The task waits until the rebuilt instance is C(running) (see O(wait)); check mode predicts it.
    type: bool
    default: false
    version_added: 1.1.0
  backups:
    description:
      - Whether the provider keeps daily backups of the instance; list them with M(hostupcloud.cloud.huc_backup_info).
      - Not set, it is left as it is; a new instance has none unless V(true). Can change at any time.
    type: bool
    version_added: 1.1.0
  protection:
    description:
      - Protection of the instance against deletion and rebuild. Only the flags given are compared and changed, the
        others are left as they are. A new instance has both off.
      - A protected instance's O(state=absent) fails before anything is changed (in check mode too); lift it first with
        O(protection.delete=false) in a task with O(state=present).
    type: dict
    version_added: 1.1.0
    suboptions:
      delete:
        description:
          - Refuse to delete the instance (this module, M(hostupcloud.cloud.huc_fleet)'s prune and the
            C(hostupcloud.cloud.instances) role's prune skip it with a warning; the API answers a delete C(409)).
        type: bool
      rebuild:
        description:
          - Refuse to rebuild the instance (O(allow_rebuild) is not enough).
        type: bool
  vcpus:
    description:
      - Number of virtual CPUs, 1 to 64. Required to create an instance.
      - Changing it needs the instance stopped, see O(allow_restart).
    type: int
  memory_mb:
    description:
      - Memory in MB, 512 to 262144 in multiples of 512. Required to create an instance.
      - Changing it needs the instance stopped, see O(allow_restart).
    type: int
  disk_gb:
    description:
      - Disk size in GB, 10 to 4096. Required to create an instance.
      - The disk can only grow; a smaller value fails before anything is changed.
    type: int
  ssh_keys:
    description:
      - Names or ids of SSH keys of the project, installed at creation.
      - Only used at creation. On an existing instance they are compared as O(node) is, only when that costs no request
        (ids always, names once the run has listed the SSH keys); a different set gives a warning.
    type: list
    elements: str
  labels:
    description:
      - Labels (string keys to string values). The instance's labels become exactly these; V({}) removes them all.
      - Can change at any time.
    type: dict
  ipv6:
    description:
      - Whether the instance has IPv6 (a /64 of its own, see RV(instance.ipv6_prefix)). Not set, it is left as it is;
        a new instance has none unless V(true).
      - Enabling or disabling it on an existing instance needs the instance stopped (the provider needs a reboot),
        see O(allow_restart).
    type: bool
  reverse_dns:
    description:
      - Reverse DNS (PTR) names of the instance's addresses, as a dict of address to name; V(null) as a name removes
        the PTR record. The addresses not named are left as they are.
      - An address is V(ipv4) or V(ipv6) (the instance's own address of that family) or the address itself. An address
        that is not the instance's fails before anything is changed, and so does V(ipv6) on an instance without IPv6
        (unless O(ipv6=true) enables it in the same task).
      - A name is a fully qualified domain name of at most 253 characters (labels at most 63), compared in lowercase
        and without a trailing dot.
      - The provider says PTR changes take 5 to 15 minutes to propagate; the task returns once the API has them.
    type: dict
  user_data:
    description:
      - Cloud-init user data, at most 64 KiB, used at creation only.
      - The API never returns it, so it is not compared on an existing instance.
    type: str
  state:
    description:
      - V(present) creates the instance or updates it in place (a rebuild too, see O(allow_rebuild)); V(absent)
        deletes it, unless it is protected (see O(protection.delete)).
    type: str
    choices: [present, absent]
    default: present
  allow_restart:
    description:
      - Allow the module to stop a running instance to change O(vcpus), O(memory_mb) or O(ipv6).
      - The instance is shut down gracefully (powered off after O(shutdown_timeout) seconds if the guest ignores
        it), changed, and started again if it was running, also when the API refuses the change.
      - Without it, such a change on an instance that is not stopped fails and nothing is changed.
    type: bool
    default: false
  shutdown_timeout:
    description:
      - Seconds the graceful shutdown before a change that needs the instance stopped (see O(allow_restart)) may
        take before the hard power-off, as in M(hostupcloud.cloud.huc_power).
    type: int
    default: 120
    version_added: 1.0.0
  wait:
    description:
      - Wait until a new, restarted or rebuilt instance is C(running), or a deleted one is gone.
    type: bool
    default: true
  wait_timeout:
    description:
      - The most seconds the task waits, in all, for the status changes it waits for (a resize with
        O(allow_restart) waits for the stop and the start within this one budget).
      - The first poll comes when the change is expected to be done (3 seconds after a create, 2
        after a power action or a delete) or when the API says with C(Retry-After); later polls
        double their interval up to 30 seconds, unless the API gives a C(Retry-After) again.
      - An instance that enters C(error) fails the task at once; a task still waiting when the time
        is up fails.
      - The SSH wait of O(wait_for=ssh) is part of this budget too.
    type: int
    default: 600
extends_documentation_fragment:
  - hostupcloud.cloud.api
  - hostupcloud.cloud.api.ATTRIBUTES
  - hostupcloud.cloud.ssh_wait
attributes:
  diff_mode:
    description: >-
      Shows the managed fields (name, node, OS template, size, SSH keys, labels) before and after, and
      C(ipv6) (as V(true) or V(false)), C(reverse_dns), C(backups) and C(protection) when those options are set, and
      C(snapshot) and C(backup) (the id the disk was written from) when those are.
    support: full
"""

EXAMPLES = r"""
- name: Create an instance and wait until it runs
  hostupcloud.cloud.huc_instance:
    api_key: "{{ vault_huc_api_key }}"
    project: production
    name: web-1
    node: fra1-n1
    os_template: Ubuntu 24.04
    vcpus: 2
    memory_mb: 4096
    disk_gb: 40
    ssh_keys: [deploy]
    labels:
      role: web
    user_data: "{{ lookup('ansible.builtin.file', 'cloud-init.yml') }}"
  register: web

- name: Show its address
  ansible.builtin.debug:
    msg: "{{ web.instance.ipv4 }}"

- name: Change its labels (API options from module_defaults)
  module_defaults:
    group/hostupcloud.cloud.huc:
      api_key: "{{ vault_huc_api_key }}"
  hostupcloud.cloud.huc_instance:
    project: production
    name: web-1
    labels:
      role: web
      tier: frontend

- name: Give it more CPUs and memory, stopping and starting it if it runs
  hostupcloud.cloud.huc_instance:
    project: production
    name: web-1
    vcpus: 4
    memory_mb: 8192
    allow_restart: true

- name: Grow its disk (no restart needed)
  hostupcloud.cloud.huc_instance:
    project: production
    name: web-1
    disk_gb: 80

- name: Enable IPv6 (a reboot, so it is stopped and started again) and set reverse DNS of both addresses
  hostupcloud.cloud.huc_instance:
    project: production
    name: web-1
    ipv6: true
    allow_restart: true
    reverse_dns:
      ipv4: web-1.example.com
      ipv6: web-1.example.com

- name: Remove the PTR record of one address
  hostupcloud.cloud.huc_instance:
    project: production
    name: web-1
    reverse_dns:
      100.64.0.1: null

- name: Rename an instance found by id
  hostupcloud.cloud.huc_instance:
    id: 0f9d3c1e-6a2b-4c8d-9e7f-1a2b3c4d5e6f
    name: web-01

- name: Create an instance and wait until it can be logged into
  hostupcloud.cloud.huc_instance:
    project: production
    name: web-2
    node: fra1-n1
    os_template: Ubuntu 24.04
    vcpus: 2
    memory_mb: 4096
    disk_gb: 40
    ssh_keys: [deploy]
    wait_for: ssh
  register: web2

- name: Say how long the API and SSH took
  ansible.builtin.debug:
    msg: "running after {{ web2.waited.api_seconds }} s, SSH at {{ web2.ssh.address }} after {{ web2.waited.ssh_seconds }} s more"

- name: Create without waiting (project from HUC_PROJECT)
  hostupcloud.cloud.huc_instance:
    name: batch-1
    node: ams1-n1
    os_template: Debian 12
    vcpus: 1
    memory_mb: 1024
    disk_gb: 20
    wait: false

- name: Create an instance from a snapshot, with daily backups, protected against deletion
  hostupcloud.cloud.huc_instance:
    project: production
    name: web-3
    node: fra1-n1
    snapshot: web-golden
    vcpus: 2
    memory_mb: 4096
    disk_gb: 40
    ssh_keys: [deploy]
    backups: true
    protection:
      delete: true

- name: Rebuild an existing instance from another OS template (wipes its disk, keeps its id and addresses)
  hostupcloud.cloud.huc_instance:
    project: production
    name: web-2
    os_template: Debian 12
    allow_rebuild: true

- name: Restore an instance from one of its backups
  hostupcloud.cloud.huc_instance:
    project: production
    name: web-3
    backup: 9c8b7a6f-5e4d-4c3b-8a2f-1e0d9c8b7a6f  # an id from hostupcloud.cloud.huc_backup_info
    allow_rebuild: true

- name: Lift the delete protection, so that the next task can delete it
  hostupcloud.cloud.huc_instance:
    project: production
    name: web-3
    protection:
      delete: false

- name: Delete it and wait until it is gone
  hostupcloud.cloud.huc_instance:
    project: production
    name: web-1
    state: absent
"""

RETURN = r"""
ssh:
  description: Where the instance answered on SSH, and after how many seconds of probing.
  returned: when O(wait_for=ssh), O(state=present) and not in check mode
  type: dict
  version_added: 1.1.0
  contains:
    address:
      description: The address probed, chosen by O(wait_address).
      type: str
      returned: always
      sample: 100.64.0.1
    port:
      description: The port probed, O(ssh_port).
      type: int
      returned: always
      sample: 22
    seconds:
      description: Seconds from the first probe until the SSH banner came.
      type: float
      returned: always
      sample: 18.2
waited:
  description: How long the task waited, in seconds.
  returned: when O(wait_for=ssh), O(state=present) and not in check mode
  type: dict
  version_added: 1.1.0
  contains:
    api_seconds:
      description: From the task's first wait until the API reported the instance V(running) (V(0) when it was).
      type: float
      returned: always
      sample: 12.5
    ssh_seconds:
      description: From then until it answered on SSH.
      type: float
      returned: always
      sample: 20.1
instance:
  description:
    - The instance after the task; in check mode, the instance as it would be (fields the API assigns, such as
      RV(instance.id) of a new instance, are V(null)).
    - After O(state=absent), the instance as the delete left it; V(null) when there was none.
  returned: always
  type: dict
  contains:
    id:
      description: Instance id.
      type: str
      returned: always
      sample: 0f9d3c1e-6a2b-4c8d-9e7f-1a2b3c4d5e6f
    project_id:
      description: Id of its project.
      type: str
      returned: always
      sample: 7d3c2a4e-0b1f-4c55-9a51-2f6a1c0e8b90
    name:
      description: Instance name.
      type: str
      returned: always
      sample: web-1
    node_id:
      description: Id of its node.
      type: str
      returned: always
      sample: 3b1e6f0a-2c4d-4e8f-9a0b-1c2d3e4f5a6b
    os_template:
      description:
        - Name of its OS template; for an instance made from a snapshot or a backup, the template of that snapshot or
          backup.
      type: str
      returned: always
      sample: Ubuntu 24.04
    snapshot_id:
      description:
        - Id of the snapshot its disk was last written from (at creation or by a rebuild); V(null) when from an OS
          template or a backup, or when the API does not say.
      type: str
      returned: always
      sample: 5a1f0c3e-7b2d-4e9a-8c6f-0d1e2f3a4b5c
      version_added: 1.1.0
    backup_id:
      description: Id of the backup its disk was last restored from; V(null) when none (or when the API does not say).
      type: str
      returned: always
      sample: 9c8b7a6f-5e4d-4c3b-8a2f-1e0d9c8b7a6f
      version_added: 1.1.0
    vcpus:
      description: Virtual CPUs.
      type: int
      returned: always
      sample: 2
    memory_mb:
      description: Memory in MB.
      type: int
      returned: always
      sample: 4096
    disk_gb:
      description: Disk size in GB.
      type: int
      returned: always
      sample: 40
    status:
      description:
        - V(provisioning), V(running), V(stopping), V(stopped), V(starting), V(rebooting), V(rebuilding), V(deleting)
          or V(error).
      type: str
      returned: always
      sample: running
    ipv4:
      description: Public IPv4 address.
      type: str
      returned: always
      sample: 100.64.0.1
    ipv6:
      description: Public IPv6 address; V(null) when the instance has no IPv6 (or, in check mode, gets it now).
      type: str
      returned: always
      sample: "2001:db8:0:1::1"
    ipv6_prefix:
      description: The /64 of the instance; V(null) without IPv6.
      type: str
      returned: always
      sample: "2001:db8:0:1::/64"
    reverse_dns:
      description:
        - Reverse DNS (PTR) name of each address of the instance (V(null) where none is set), keyed by address.
        - V(null) in check mode for a new instance.
      type: dict
      returned: always
      sample: {"100.64.0.1": web-1.example.com, "2001:db8:0:1::1": null}
    ssh_key_ids:
      description: Ids of the SSH keys installed at creation.
      type: list
      elements: str
      returned: always
      sample: [5e2c8b7a-1d3f-4a6b-8c9d-0e1f2a3b4c5d]
    labels:
      description: Labels.
      type: dict
      returned: always
      sample: {role: web}
    backups:
      description: Whether daily backups are on; V(null) when the API does not say.
      type: bool
      returned: always
      sample: true
      version_added: 1.1.0
    protection:
      description: Its protection flags, C(delete) and C(rebuild); V(null) when the API does not say.
      type: dict
      returned: always
      sample: {delete: true, rebuild: false}
      version_added: 1.1.0
    created_at:
      description: Creation time (ISO 8601, UTC).
      type: str
      returned: always
      sample: "2026-11-26T10:00:00Z"
    updated_at:
      description: Time of the last change (ISO 8601, UTC).
      type: str
      returned: always
      sample: "2026-11-26T10:05:00Z"
"""

from ansible_collections.hostupcloud.cloud.plugins.module_utils._instances import (
    BROKEN, DEFAULTS, ITEM_FIELDS, SETTLES_IN, STABLE, PtrRecords, needs_stop, own_labels)
from ansible_collections.hostupcloud.cloud.plugins.module_utils._limits import reverse_dns_map
from ansible_collections.hostupcloud.cloud.plugins.module_utils._module import Option
from ansible_collections.hostupcloud.cloud.plugins.module_utils._power import RESTORE_POWER, power_cycle
from ansible_collections.hostupcloud.cloud.plugins.module_utils._reachable import SSH
from ansible_collections.hostupcloud.cloud.plugins.module_utils._rebuild import OPTIONS, rebuildable
from ansible_collections.hostupcloud.cloud.plugins.module_utils._references import REFERENCES
from ansible_collections.hostupcloud.cloud.plugins.module_utils._declarations import Field
from ansible_collections.hostupcloud.cloud.plugins.module_utils._resource import HucResourceModule


class HucInstance(HucResourceModule):
    result_key = "instance"
    resource = REFERENCES["instance"]
    # os_template through Rebuild: the disk's source at creation (or snapshot instead), a rebuild later.
    fields = rebuildable(ITEM_FIELDS) + (
        Field("reverse_dns", "dict", api="reverseDns", check=reverse_dns_map, via=PtrRecords("ipv6")),
        RESTORE_POWER,
    )
    options = (Option("allow_restart", "bool", default=False), Option("shutdown_timeout", "int", default=120)) + OPTIONS
    diff_fields = ("name", "node_id", "os_template", "vcpus", "memory_mb", "disk_gb", "ssh_key_ids", "labels")
    diff_if_set = ("ipv6", "reverse_dns", "snapshot", "backup", "backups", "protection")
    diff_format = {"snapshot": lambda obj: obj.get("snapshotId"), "backup": lambda obj: obj.get("backupId")}
    settled = "running"
    predicted = "provisioning"
    ready = SSH
    broken = BROKEN
    wait_timeout = 600
    defaults = DEFAULTS

    def refuse(self, plan):
        super(HucInstance, self).refuse(plan)
        if plan.current is None:
            if self.check_mode:  # the create the real run sends would be refused for these: fail the same way
                if plan.inputs["os_template"]:  # else a snapshot (Rebuild looks it up)
                    self.refs.find("os_template", plan.inputs["os_template"], called="os_template")
                self.refs.find("node", plan.inputs["node"], called="node")
            if not plan.inputs.get("ssh_keys"):
                self.module.warn("instance %s is created with no SSH key: most images have password login off; give "
                                 "ssh_keys to be able to log in" % plan.inputs.get("name"))
            return
        name, status, stop = plan.current["name"], plan.current["status"], needs_stop(plan)
        if stop and not plan.inputs["allow_restart"]:
            self.fail("changing %s needs instance %s stopped (it is %s): set allow_restart: true to let the module "
                      "stop it, %s it and start it again" % (" and ".join(stop), name, status,
                                                             "change" if "ipv6" in stop else "resize"),
                      code="instance_not_stopped")
        if stop and status not in STABLE + tuple(SETTLES_IN):
            self.fail("cannot resize instance %s: it is in status %s" % (name, status), code="invalid_state")

    def predict(self, plan, obj):
        obj = super(HucInstance, self).predict(plan, obj)
        current = plan.current
        if current is None:  # the addresses are the API's to assign
            return dict(obj, ipv6=None, ipv6Prefix=None, reverseDns=None)
        if "ipv6" in plan.changes:
            obj.update(ipv6=current["ipv6"] if plan.changes["ipv6"] else None, ipv6Prefix=None)
            obj["reverseDns"] = dict((address, ptr) for address, ptr in (obj.get("reverseDns") or {}).items()
                                     if address != current["ipv6"])
        if needs_stop(plan):
            obj["status"] = SETTLES_IN.get(current["status"], current["status"])
        return obj

    def patch(self, plan):
        def send(instance):  # a labels change keeps the labels the collection keeps for itself
            changes = dict(plan.changes)
            if "labels" in changes:
                changes["labels"] = dict(changes["labels"], **own_labels(instance))
            return self.client.patch(self.item_path(instance), changes)

        if not needs_stop(plan):
            return send(plan.current)
        # Graceful first: the resize is planned, so the guest gets the chance to flush its disks.
        return power_cycle(self, self.refs, plan.current, send, shutdown_timeout=plan.inputs["shutdown_timeout"],
                           wait=plan.inputs["wait"])


def main():
    HucInstance.main()


if __name__ == "__main__":
    main()
