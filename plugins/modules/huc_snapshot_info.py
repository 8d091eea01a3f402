#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: HostUpCloud collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: huc_snapshot_info
short_description: List HostUpCloud snapshots
version_added: 1.1.0
description:
  - Returns one snapshot by O(id), or the snapshots of a project, optionally filtered by O(name), O(instance) and
    O(label_selector). Every page of the listing is read.
  - One request (by O(id), or the listing); each of O(project) and O(instance) given by name costs one listing more.
  - "The API routes of snapshots are not on the provider's public pages: they are [assumed] (see the collection's
    API contract)."
author:
  - HostUpCloud collection maintainers (@hostupcloud)
options:
  instance:
    description:
      - Return only the snapshots taken of this instance, given by name or id.
      - The snapshots of a deleted instance are found by its id only; a name the project does not have gives an
        empty list.
    type: str
extends_documentation_fragment:
  - hostupcloud.cloud.info
  - hostupcloud.cloud.info.NAME
  - hostupcloud.cloud.info.LABEL_SELECTOR
  - hostupcloud.cloud.api
  - hostupcloud.cloud.api.ATTRIBUTES
  - hostupcloud.cloud.api.INFO_MODULE
seealso:
  - module: hostupcloud.cloud.huc_snapshot
  - module: hostupcloud.cloud.huc_backup_info
"""

EXAMPLES = r"""
- name: List every snapshot of a project
  hostupcloud.cloud.huc_snapshot_info:
    api_key: "{{ vault_huc_api_key }}"
    project: production
  register: all_snapshots

- name: Their names and sizes
  ansible.builtin.debug:
    msg: "{{ all_snapshots.snapshots | items2dict(key_name='name', value_name='size_gb') }}"

- name: The snapshots of web-1 (API options from module_defaults)
  module_defaults:
    group/hostupcloud.cloud.huc:
      api_key: "{{ vault_huc_api_key }}"
  hostupcloud.cloud.huc_snapshot_info:
    project: production
    instance: web-1

- name: The snapshots labelled for an upgrade
  hostupcloud.cloud.huc_snapshot_info:
    project: production
    label_selector: reason=upgrade

- name: Find one snapshot by name
  hostupcloud.cloud.huc_snapshot_info:
    project: production
    name: web-1-before-upgrade

- name: Get one snapshot by id
  hostupcloud.cloud.huc_snapshot_info:
    id: 5c1d7e2a-9b3f-4e6a-8d0c-2f4b6a8c0e1d
"""

RETURN = r"""
snapshots:
  description: The snapshots found, oldest first; empty when none matches.
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: Snapshot id.
      type: str
      returned: always
      sample: 5c1d7e2a-9b3f-4e6a-8d0c-2f4b6a8c0e1d
    project_id:
      description: Id of its project.
      type: str
      returned: always
      sample: 7d3c2a4e-0b1f-4c55-9a51-2f6a1c0e8b90
    name:
      description: Snapshot name.
      type: str
      returned: always
      sample: web-1-before-upgrade
    instance_id:
      description: Id of the instance it was taken of (kept after that instance is deleted).
      type: str
      returned: always
      sample: 0f9d3c1e-6a2b-4c8d-9e7f-1a2b3c4d5e6f
    os_template:
      description: The OS template of the instance when the snapshot was taken.
      type: str
      returned: always
      sample: Ubuntu 24.04
    size_gb:
      description: Size in GB, the disk size of the instance when the snapshot was taken.
      type: int
      returned: always
      sample: 40
    status:
      description: V(creating), V(available) or V(error).
      type: str
      returned: always
      sample: available
    labels:
      description: Labels.
      type: dict
      returned: always
      sample: {reason: upgrade}
    created_at:
      description: Creation time (ISO 8601, UTC).
      type: str
      returned: always
      sample: "2026-11-26T10:00:00Z"
"""

from ansible_collections.hostupcloud.cloud.plugins.module_utils._info import Filter, HucInfoModule, equals, label_selector_filter
from ansible_collections.hostupcloud.cloud.plugins.module_utils._references import REFERENCES


class HucSnapshotInfo(HucInfoModule):
    result_key = "snapshots"
    resource = REFERENCES["snapshot"]
    filters = (
        Filter("name", server=True),
        Filter("instance", ref="instance", match=equals("instanceId")),
        label_selector_filter(),
    )


def main():
    HucSnapshotInfo.main()


if __name__ == "__main__":
    main()
