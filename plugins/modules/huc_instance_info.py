#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: HostUpCloud collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: huc_instance_info
short_description: List HostUpCloud instances
version_added: 0.1.0
description:
  - Returns one instance by O(id), or the instances of a project, optionally filtered by O(name), O(status),
    O(labels) and O(label_selector). Every page of the listing is read.
author:
  - HostUpCloud collection maintainers (@hostupcloud)
options:
  status:
    description:
      - Return only instances in this status.
    type: str
    choices: [provisioning, running, stopping, stopped, starting, rebooting, rebuilding, deleting, error]
  labels:
    description:
      - Return only instances that carry every one of these labels (key and value).
    type: dict
extends_documentation_fragment:
  - hostupcloud.cloud.info
  - hostupcloud.cloud.info.LABEL_SELECTOR
  - hostupcloud.cloud.info.NAME
  - hostupcloud.cloud.api
  - hostupcloud.cloud.api.ATTRIBUTES
  - hostupcloud.cloud.api.INFO_MODULE
"""

EXAMPLES = r"""
- name: List every instance of a project
  hostupcloud.cloud.huc_instance_info:
    api_key: "{{ vault_huc_api_key }}"
    project: production
  register: all_instances

- name: Find the running web servers (API options from module_defaults)
  module_defaults:
    group/hostupcloud.cloud.huc:
      api_key: "{{ vault_huc_api_key }}"
  hostupcloud.cloud.huc_instance_info:
    project: production
    status: running
    labels:
      role: web
  register: web

- name: Their addresses
  ansible.builtin.debug:
    msg: "{{ web.instances | map(attribute='ipv4') | list }}"

- name: The web and cache servers that are not in production, by label selector
  hostupcloud.cloud.huc_instance_info:
    project: production
    label_selector: "role in (web,cache), env!=prod, !retired"
  register: selected

- name: Find one instance by name
  hostupcloud.cloud.huc_instance_info:
    project: production
    name: web-1

- name: Get one instance by id
  hostupcloud.cloud.huc_instance_info:
    id: 0f9d3c1e-6a2b-4c8d-9e7f-1a2b3c4d5e6f
"""

RETURN = r"""
instances:
  description: The instances found, oldest first; empty when none matches.
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
      description: Public IPv6 address; V(null) when the instance has no IPv6.
      type: str
      returned: always
      sample: "2001:db8:0:1::1"
    ipv6_prefix:
      description: The /64 of the instance; V(null) without IPv6.
      type: str
      returned: always
      sample: "2001:db8:0:1::/64"
    reverse_dns:
      description: Reverse DNS (PTR) name of each address of the instance (V(null) where none is set), keyed by address.
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

from ansible_collections.hostupcloud.cloud.plugins.module_utils._info import Filter, HucInfoModule, has_labels, label_selector_filter
from ansible_collections.hostupcloud.cloud.plugins.module_utils._instances import STATUSES
from ansible_collections.hostupcloud.cloud.plugins.module_utils._references import REFERENCES


class HucInstanceInfo(HucInfoModule):
    result_key = "instances"
    resource = REFERENCES["instance"]
    filters = (
        Filter("name", server=True),
        Filter("status", choices=STATUSES, server=True),
        Filter("labels", "dict", match=has_labels),
        label_selector_filter(),
    )


def main():
    HucInstanceInfo.main()


if __name__ == "__main__":
    main()
