#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: HostUpCloud collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: huc_private_network_info
short_description: List HostUpCloud private networks
version_added: 0.2.0
description:
  - Returns one private network by O(id), or the private networks of a project, optionally filtered by O(name) and
    O(instance). Every page of the listing is read.
  - One request (by O(id), or the listing); each of O(project) and O(instance) given by name costs one listing more.
  - The private network API is not published by the provider; this module follows the API the collection assumes.
author:
  - HostUpCloud collection maintainers (@hostupcloud)
options:
  instance:
    description:
      - Return only the networks this instance is attached to, given by name or id.
      - An instance the project does not have gives an empty list (before 1.0.0 it failed).
    type: str
extends_documentation_fragment:
  - hostupcloud.cloud.info
  - hostupcloud.cloud.info.NAME
  - hostupcloud.cloud.api
  - hostupcloud.cloud.api.ATTRIBUTES
  - hostupcloud.cloud.api.INFO_MODULE
seealso:
  - module: hostupcloud.cloud.huc_private_network
"""

EXAMPLES = r"""
- name: List every private network of a project
  hostupcloud.cloud.huc_private_network_info:
    api_key: "{{ vault_huc_api_key }}"
    project: production
  register: networks

- name: The networks web-1 is attached to (API options from module_defaults)
  module_defaults:
    group/hostupcloud.cloud.huc:
      api_key: "{{ vault_huc_api_key }}"
  hostupcloud.cloud.huc_private_network_info:
    project: production
    instance: web-1

- name: Find one network by name
  hostupcloud.cloud.huc_private_network_info:
    project: production
    name: backend

- name: Get one network by id
  hostupcloud.cloud.huc_private_network_info:
    id: 2c4e6a8b-1d3f-4a5b-9c7d-8e0f1a2b3c4d
"""

RETURN = r"""
private_networks:
  description: The networks found, oldest first; empty when none matches.
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: Network id.
      type: str
      returned: always
      sample: 2c4e6a8b-1d3f-4a5b-9c7d-8e0f1a2b3c4d
    project_id:
      description: Id of its project.
      type: str
      returned: always
      sample: 7d3c2a4e-0b1f-4c55-9a51-2f6a1c0e8b90
    name:
      description: Network name.
      type: str
      returned: always
      sample: backend
    cidr:
      description: Its IPv4 range.
      type: str
      returned: always
      sample: 10.10.0.0/24
    attachments:
      description: The instances attached, in the order they were attached, with their addresses.
      type: list
      elements: dict
      returned: always
      contains:
        instance_id:
          description: Id of the instance.
          type: str
          returned: always
          sample: 0f9d3c1e-6a2b-4c8d-9e7f-1a2b3c4d5e6f
        ip:
          description: Its address in the network.
          type: str
          returned: always
          sample: 10.10.0.2
    created_at:
      description: Creation time (ISO 8601, UTC).
      type: str
      returned: always
      sample: "2026-11-26T10:00:00Z"
"""

from ansible_collections.hostupcloud.cloud.plugins.module_utils._endpoints import attached_ids
from ansible_collections.hostupcloud.cloud.plugins.module_utils._info import Filter, HucInfoModule
from ansible_collections.hostupcloud.cloud.plugins.module_utils._references import REFERENCES


class HucPrivateNetworkInfo(HucInfoModule):
    result_key = "private_networks"
    resource = REFERENCES["private_network"]
    filters = (
        Filter("name", server=True),
        Filter("instance", ref="instance", match=lambda obj, value: value in attached_ids(obj)),
    )


def main():
    HucPrivateNetworkInfo.main()


if __name__ == "__main__":
    main()
