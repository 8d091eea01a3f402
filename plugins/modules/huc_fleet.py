#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: HostUpCloud collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: huc_fleet
short_description: Create, update and prune many HostUpCloud instances in one task
version_added: 1.1.0
description:
  - Makes sure the instances of a list exist in a project as given, and optionally deletes the instances of the
    fleet that are no longer listed. Each item takes the options of M(hostupcloud.cloud.huc_instance) that describe
    an instance; O(defaults) gives the options every item has unless it sets them.
  - The project is listed once (one request per 100 instances). An item whose instance does not exist is created
    (a POST with an Idempotency-Key); one that exists is changed (one PATCH) only in the options the item sets that
    differ; the others cost nothing. Names of nodes and SSH keys cost one listing per kind, only when a create needs
    them; O(project) by name one listing more.
  - All instances are waited for together, with one listing of the project per poll. A new fleet of N instances
    costs N requests plus one listing per poll (plus the name lookups); a fleet with nothing to change costs the
    one listing.
  - Every instance the fleet creates or adopts carries the label C(hostupcloud.cloud/fleet) with the value
    O(fleet), which RV(instances[].labels) shows and O(instances[].labels) never removes. An instance of the project
    with the name of an item but no such label is adopted (it gets the label); one with the label of another fleet
    fails the task.
  - A run that is killed and run again converges. The instances the first run created are found by name and
    adopted, never made twice; a POST whose answer was lost is found before it is sent again.
  - Every refusal (a bad value, a duplicate name, options missing for a create, a disk that would shrink, a change
    that needs a stopped instance) fails the task before anything is changed.
  - Changing O(instances[].vcpus), O(instances[].memory_mb) or O(instances[].ipv6) of an instance that is not
    stopped needs O(instances[].allow_restart=true) (else it fails before anything is changed); the instance is then
    shut down gracefully, changed and started again, as M(hostupcloud.cloud.huc_instance) does it, one such instance
    after the other. A rerun puts back the power state of an instance whose restart a killed run left halfway.
author:
  - HostUpCloud collection maintainers (@hostupcloud)
options:
  project:
    description:
      - Name or id of the project of the fleet.
      - If not set, the value of the E(HUC_PROJECT) environment variable is used.
    type: str
  fleet:
    description:
      - The name of the fleet, the value of the label C(hostupcloud.cloud/fleet) its instances carry.
      - O(prune) deletes only instances with this label.
    type: str
    required: true
  instances:
    description:
      - The instances of the fleet, one dict each, in the order the result lists them. Names must be unique.
      - An empty list with O(prune=true) deletes every instance of the fleet.
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description:
          - Name of the instance, unique in the project (1 to 63 characters of C(a-z), C(0-9) and C(-), starting with
            a letter) and in the list.
        type: str
        required: true
      node:
        description:
          - Name or id of the node to create the instance on. Needed to create it; only used at creation (a different
            one on an existing instance gives a warning, compared only when that costs no request).
        type: str
      os_template:
        description:
          - Name of the OS template, for example V(Ubuntu 24.04). Needed to create it; only used at creation.
        type: str
      vcpus:
        description:
          - Virtual CPUs, 1 to 64. Needed to create it. Changed only on a stopped instance, see O(instances[].allow_restart).
        type: int
      memory_mb:
        description:
          - Memory in MB, 512 to 262144 in multiples of 512. Needed to create it. Changed only on a stopped instance, see O(instances[].allow_restart).
        type: int
      disk_gb:
        description:
          - Disk size in GB, 10 to 4096. Needed to create it. It can only grow.
        type: int
      ssh_keys:
        description:
          - Names or ids of SSH keys of the project, installed at creation.
        type: list
        elements: str
      labels:
        description:
          - Labels (string keys to string values); the instance's labels become exactly these (the fleet's label is
            kept). Not set, they are left as they are.
        type: dict
      user_data:
        description:
          - Cloud-init user data, at most 64 KiB, used at creation only (the API never returns it).
        type: str
      ipv6:
        description:
          - Whether the instance has IPv6. Not set, it is left as it is; a new instance has none unless V(true).
            Changed only on a stopped instance, see O(instances[].allow_restart).
        type: bool
      backups:
        description:
          - Whether the provider keeps daily backups of the instance. Not set, it is left as it is; a new instance has
            none unless V(true).
        type: bool
        version_added: 1.1.0
      protection:
        description:
          - Protection of the instance, as O(hostupcloud.cloud.huc_instance#module:protection); only the flags given are
            compared and changed. O(prune) skips an instance protected against deletion, with a warning.
          - The fleet never rebuilds an instance; O(instances[].os_template) is only used at creation (use
            M(hostupcloud.cloud.huc_instance) with O(hostupcloud.cloud.huc_instance#module:allow_rebuild) for a rebuild).
        type: dict
        version_added: 1.1.0
        suboptions:
          delete:
            description: Refuse to delete the instance (the fleet's prune skips it with a warning).
            type: bool
          rebuild:
            description: Refuse to rebuild the instance.
            type: bool
      allow_restart:
        description:
          - Allow the module to stop this instance, if it runs, to change O(instances[].vcpus),
            O(instances[].memory_mb) or O(instances[].ipv6), and to start it again after (as
            O(hostupcloud.cloud.huc_instance#module:allow_restart) does). Not set, V(false).
        type: bool
  defaults:
    description:
      - Options every item of O(instances) has unless it sets them itself (an item's O(instances[].labels) replaces
        these labels, it does not add to them).
    type: dict
    suboptions:
      node:
        description:
          - Name or id of the node to create the instance on. Needed to create it; only used at creation (a different
            one on an existing instance gives a warning, compared only when that costs no request).
        type: str
      os_template:
        description:
          - Name of the OS template, for example V(Ubuntu 24.04). Needed to create it; only used at creation.
        type: str
      vcpus:
        description:
          - Virtual CPUs, 1 to 64. Needed to create it. Changed only on a stopped instance, see O(instances[].allow_restart).
        type: int
      memory_mb:
        description:
          - Memory in MB, 512 to 262144 in multiples of 512. Needed to create it. Changed only on a stopped instance, see O(instances[].allow_restart).
        type: int
      disk_gb:
        description:
          - Disk size in GB, 10 to 4096. Needed to create it. It can only grow.
        type: int
      ssh_keys:
        description:
          - Names or ids of SSH keys of the project, installed at creation.
        type: list
        elements: str
      labels:
        description:
          - Labels (string keys to string values); the instance's labels become exactly these (the fleet's label is
            kept). Not set, they are left as they are.
        type: dict
      user_data:
        description:
          - Cloud-init user data, at most 64 KiB, used at creation only (the API never returns it).
        type: str
      ipv6:
        description:
          - Whether the instance has IPv6. Not set, it is left as it is; a new instance has none unless V(true).
            Changed only on a stopped instance, see O(instances[].allow_restart).
        type: bool
      backups:
        description:
          - Whether the provider keeps daily backups of the instance. Not set, it is left as it is; a new instance has
            none unless V(true).
        type: bool
        version_added: 1.1.0
      protection:
        description:
          - Protection of the instance, as O(hostupcloud.cloud.huc_instance#module:protection); only the flags given are
            compared and changed. O(prune) skips an instance protected against deletion, with a warning.
          - The fleet never rebuilds an instance; O(defaults.os_template) is only used at creation (use
            M(hostupcloud.cloud.huc_instance) with O(hostupcloud.cloud.huc_instance#module:allow_rebuild) for a rebuild).
        type: dict
        version_added: 1.1.0
        suboptions:
          delete:
            description: Refuse to delete the instance (the fleet's prune skips it with a warning).
            type: bool
          rebuild:
            description: Refuse to rebuild the instance.
            type: bool
      allow_restart:
        description:
          - Allow the module to stop this instance, if it runs, to change O(instances[].vcpus),
            O(instances[].memory_mb) or O(instances[].ipv6), and to start it again after (as
            O(hostupcloud.cloud.huc_instance#module:allow_restart) does). Not set, V(false).
        type: bool
  shutdown_timeout:
    description:
      - Seconds the graceful shutdown before a change that needs an instance stopped (see
        O(instances[].allow_restart)) may take before the hard power-off.
    type: int
    default: 120
  prune:
    description:
      - Delete the instances of the project that carry the fleet's label (see O(fleet)) and are not in O(instances).
      - An instance without the label is never deleted, whatever its name, and neither is one protected against
        deletion (O(instances[].protection.delete), or O(hostupcloud.cloud.huc_instance#module:protection)); it is
        skipped with a warning naming it. To let the fleet prune it, lift the protection first.
      - The deletes are waited for with the creates, in the same polls.
    type: bool
    default: false
  wait:
    description:
      - Wait until every new instance (and any in a transition) is C(running) or settled, and every pruned one is
        gone.
    type: bool
    default: true
  wait_timeout:
    description:
      - The most seconds the task waits, in all, for every instance.
      - The first poll comes when the last create is expected to be done (as the API says with C(Retry-After), else
        3 seconds); later polls double their interval up to 30 seconds. Each poll is one listing of the project.
      - An instance that enters C(error) fails the task at once, naming it; a task still waiting when the time is up
        fails naming the instances still pending.
    type: int
    default: 600
extends_documentation_fragment:
  - hostupcloud.cloud.api
  - hostupcloud.cloud.api.ATTRIBUTES
  - hostupcloud.cloud.ssh_wait
attributes:
  diff_mode:
    description: >-
      Shows, per instance name, the managed fields (name, node, OS template, size, SSH keys, labels) before and
      after; a pruned instance is only in before, a new one only in after.
    support: full
seealso:
  - module: hostupcloud.cloud.huc_instance
  - module: hostupcloud.cloud.huc_power
"""

EXAMPLES = r"""
- name: Identical web nodes and one database, all running when the task returns
  hostupcloud.cloud.huc_fleet:
    project: production
    fleet: web
    defaults:
      node: fra1-n1
      os_template: Ubuntu 24.04
      vcpus: 2
      memory_mb: 4096
      disk_gb: 40
      ssh_keys: [deploy]
      labels:
        role: web
    instances:  # as many as needed: each item sets only what differs from defaults
      - name: web-1
      - name: web-2
      - name: web-3
      - name: db-1
        vcpus: 4
        memory_mb: 16384
        disk_gb: 200
        labels:
          role: db
  register: fleet

- name: Their addresses
  ansible.builtin.debug:
    msg: "{{ fleet.instances | map(attribute='ipv4') | list }}"

- name: Workers, returned once each can be logged into (SSH probed on all at once, from the controller)
  hostupcloud.cloud.huc_fleet:
    project: production
    fleet: workers
    defaults: {node: fra1-n1, os_template: Debian 12, vcpus: 2, memory_mb: 2048, disk_gb: 20, ssh_keys: [deploy]}
    instances: [{name: worker-1}, {name: worker-2}, {name: worker-3}]
    wait_for: ssh
  register: workers

- name: How long the API and then SSH took
  ansible.builtin.debug:
    msg: "{{ workers.waited }}"

- name: Shrink the fleet to three nodes, deleting the others it made
  hostupcloud.cloud.huc_fleet:
    project: production
    fleet: web
    defaults:
      node: fra1-n1
      os_template: Ubuntu 24.04
      vcpus: 2
      memory_mb: 4096
      disk_gb: 40
    instances:
      - name: web-1
      - name: web-2
      - name: web-3
    prune: true

- name: What would change, without changing it
  hostupcloud.cloud.huc_fleet:
    project: production
    fleet: web
    instances:
      - name: web-1
        labels:
          role: web
          tier: frontend
  check_mode: true
  diff: true

- name: Delete the whole fleet
  hostupcloud.cloud.huc_fleet:
    project: production
    fleet: web
    instances: []
    prune: true
"""

RETURN = r"""
instances:
  description:
    - Every instance of O(instances) after the task, in the order given, each as
      M(hostupcloud.cloud.huc_instance) returns its RV(hostupcloud.cloud.huc_instance#module:instance), plus
      RV(instances[].action).
    - In check mode, as they would be (fields the API assigns, such as the id of a new instance, are V(null)).
  returned: always
  type: list
  elements: dict
  contains:
    action:
      description: V(created), V(updated) or V(unchanged) (in check mode, what the task would do).
      type: str
      returned: always
      sample: created
    ssh:
      description: Where the instance answered on SSH (C(address), C(port)), and after how many C(seconds) of probing.
      type: dict
      returned: when O(wait_for=ssh) and not in check mode
      sample: {address: 100.64.0.1, port: 22, seconds: 18.2}
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
      description: Name of its OS template (for an instance made from a snapshot or a backup, theirs).
      type: str
      returned: always
      sample: Ubuntu 24.04
    snapshot_id:
      description: Id of the snapshot its disk was last written from; V(null) when from an OS template or a backup.
      type: str
      returned: always
      sample: 5a1f0c3e-7b2d-4e9a-8c6f-0d1e2f3a4b5c
      version_added: 1.1.0
    backup_id:
      description: Id of the backup its disk was last restored from; V(null) when none.
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
waited:
  description:
    - How long the task waited, in seconds - C(api_seconds) from its first wait until the API reported every instance
      V(running) (V(0) when they were), C(ssh_seconds) from then until the last one answered on SSH.
  returned: when O(wait_for=ssh) and not in check mode
  type: dict
  sample: {api_seconds: 12.5, ssh_seconds: 20.1}
pruned:
  description:
    - The instances O(prune) deleted (or would delete, in check mode), as the delete left them (status
      V(deleting)); V([]) without O(prune).
  returned: always
  type: list
  elements: dict
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
      description: Name of its OS template (for an instance made from a snapshot or a backup, theirs).
      type: str
      returned: always
      sample: Ubuntu 24.04
    snapshot_id:
      description: Id of the snapshot its disk was last written from; V(null) when from an OS template or a backup.
      type: str
      returned: always
      sample: 5a1f0c3e-7b2d-4e9a-8c6f-0d1e2f3a4b5c
      version_added: 1.1.0
    backup_id:
      description: Id of the backup its disk was last restored from; V(null) when none.
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

from ansible_collections.hostupcloud.cloud.plugins.module_utils._fleet import HucFleetModule


class HucFleet(HucFleetModule):
    """huc_fleet: all of it is the fleet driver's (_fleet.py); the module adds its documentation."""


def main():
    HucFleet.main()


if __name__ == "__main__":
    main()
