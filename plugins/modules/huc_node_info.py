#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: HostUpCloud collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: huc_node_info
short_description: List the HostUpCloud nodes instances can be created on
version_added: 0.1.0
description:
  - Lists the node catalogue, so a playbook can pick a valid O(hostupcloud.cloud.huc_instance#module:node)
    for M(hostupcloud.cloud.huc_instance). One request.
author:
  - HostUpCloud collection maintainers (@hostupcloud)
options:
  id:
    description:
      - Return only the node with this id (an empty list when there is none). The API has no GET of one
        node, so this filters the one listing.
    type: str
    version_added: 1.0.0
  name:
    description:
      - Return only the node with this name or id.
    type: str
  location:
    description:
      - Return only the nodes in this location, for example V(fra1).
    type: str
extends_documentation_fragment:
  - hostupcloud.cloud.api
  - hostupcloud.cloud.api.ATTRIBUTES
  - hostupcloud.cloud.api.INFO_MODULE
"""

EXAMPLES = r"""
- name: List every node
  hostupcloud.cloud.huc_node_info:
    api_key: "{{ vault_huc_api_key }}"
  register: catalogue

- name: Pick the online node of fra1 with the most free memory (API options from module_defaults)
  module_defaults:
    group/hostupcloud.cloud.huc:
      api_key: "{{ vault_huc_api_key }}"
  hostupcloud.cloud.huc_node_info:
    location: fra1
  register: fra1

- name: Use it
  ansible.builtin.set_fact:
    node_id: "{{ (fra1.nodes | selectattr('status', 'eq', 'online') | sort(attribute='available_memory_mb') | last).id }}"

- name: Look one node up by name
  hostupcloud.cloud.huc_node_info:
    name: fra1-n1
"""

RETURN = r"""
nodes:
  description: The nodes found, in catalogue order; empty when none matches.
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: Node id, a value for O(hostupcloud.cloud.huc_instance#module:node).
      type: str
      returned: always
      sample: 3b1e6f0a-2c4d-4e8f-9a0b-1c2d3e4f5a6b
    name:
      description: Node name, also accepted by O(hostupcloud.cloud.huc_instance#module:node).
      type: str
      returned: always
      sample: fra1-n1
    location:
      description: Location code.
      type: str
      returned: always
      sample: fra1
    status:
      description: Node status, for example V(online).
      type: str
      returned: always
      sample: online
    available_vcpus:
      description: Virtual CPUs still free.
      type: int
      returned: always
      sample: 128
    available_memory_mb:
      description: Memory still free in MB.
      type: int
      returned: always
      sample: 524288
    available_disk_gb:
      description: Disk still free in GB.
      type: int
      returned: always
      sample: 16384
"""

from ansible_collections.hostupcloud.cloud.plugins.module_utils._info import Filter, HucInfoModule, name_or_id
from ansible_collections.hostupcloud.cloud.plugins.module_utils._references import REFERENCES


class HucNodeInfo(HucInfoModule):
    result_key = "nodes"
    resource = REFERENCES["node"]
    by_id = False
    filters = (Filter("id"), Filter("name", match=name_or_id), Filter("location"))


def main():
    HucNodeInfo.main()


if __name__ == "__main__":
    main()
