#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: HostUpCloud collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: huc_volume_info
short_description: List HostUpCloud volumes
version_added: 0.2.0
description:
  - Returns one volume by O(id), or the volumes of a project, optionally filtered by O(name), O(instance) and
    O(node). Every page of the listing is read.
  - One request (by O(id), or the listing); each of O(project), O(instance) and O(node) given by name costs one
    listing more.
author:
  - HostUpCloud collection maintainers (@hostupcloud)
options:
  instance:
    description:
      - Return only the volumes attached to this instance, given by name or id.
      - An instance the project does not have gives an empty list (before 1.0.0 it failed).
    type: str
  node:
    description:
      - Return only the volumes on this node, given by name or id; see M(hostupcloud.cloud.huc_node_info).
      - A node that does not exist gives an empty list (before 1.0.0 it failed).
    type: str
extends_documentation_fragment:
  - hostupcloud.cloud.info
  - hostupcloud.cloud.info.NAME
  - hostupcloud.cloud.api
  - hostupcloud.cloud.api.ATTRIBUTES
  - hostupcloud.cloud.api.INFO_MODULE
seealso:
  - module: hostupcloud.cloud.huc_volume
"""

EXAMPLES = r"""
- name: List every volume of a project
  hostupcloud.cloud.huc_volume_info:
    api_key: "{{ vault_huc_api_key }}"
    project: production
  register: all_volumes

- name: The spare ones, attached to no instance
  ansible.builtin.debug:
    msg: "{{ all_volumes.volumes | selectattr('instance_id', 'none') | map(attribute='name') | list }}"

- name: The volumes of web-1 (API options from module_defaults)
  module_defaults:
    group/hostupcloud.cloud.huc:
      api_key: "{{ vault_huc_api_key }}"
  hostupcloud.cloud.huc_volume_info:
    project: production
    instance: web-1

- name: The volumes on one node
  hostupcloud.cloud.huc_volume_info:
    project: production
    node: fra1-n1

- name: Find one volume by name
  hostupcloud.cloud.huc_volume_info:
    project: production
    name: web-1-data

- name: Get one volume by id
  hostupcloud.cloud.huc_volume_info:
    id: 4a7c9e2b-3d5f-4b8a-9c1e-7f2d6b0a8e45
"""

RETURN = r"""
volumes:
  description: The volumes found, oldest first; empty when none matches.
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: Volume id.
      type: str
      returned: always
      sample: 4a7c9e2b-3d5f-4b8a-9c1e-7f2d6b0a8e45
    project_id:
      description: Id of its project.
      type: str
      returned: always
      sample: 7d3c2a4e-0b1f-4c55-9a51-2f6a1c0e8b90
    name:
      description: Volume name.
      type: str
      returned: always
      sample: web-1-data
    size_gb:
      description: Size in GB.
      type: int
      returned: always
      sample: 50
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
    status:
      description: V(available) (attached to no instance) or V(attached).
      type: str
      returned: always
      sample: attached
    protection:
      description: Its protection flag C(delete); V(null) when the API does not say.
      type: dict
      returned: always
      sample: {delete: true}
      version_added: 1.1.0
    created_at:
      description: Creation time (ISO 8601, UTC).
      type: str
      returned: always
      sample: "2026-11-26T10:00:00Z"
"""

from ansible_collections.hostupcloud.cloud.plugins.module_utils._info import Filter, HucInfoModule
from ansible_collections.hostupcloud.cloud.plugins.module_utils._references import REFERENCES


class HucVolumeInfo(HucInfoModule):
    result_key = "volumes"
    resource = REFERENCES["volume"]
    filters = (
        Filter("name", server=True),
        Filter("instance", ref="instance", match=lambda obj, value: obj.get("instanceId") == value),
        Filter("node", ref="node", match=lambda obj, value: obj.get("nodeId") == value),
    )


def main():
    HucVolumeInfo.main()


if __name__ == "__main__":
    main()
