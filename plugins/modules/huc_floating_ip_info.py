#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: HostUpCloud collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: huc_floating_ip_info
short_description: List HostUpCloud floating IPs
version_added: 0.2.0
description:
  - Returns one floating IP by O(id), or the floating IPs of a project, optionally filtered by O(address),
    O(instance) and O(label_selector). Every page of the listing is read.
  - One request (by O(id), or the listing); O(project) and O(instance) given by name cost one listing more each.
author:
  - HostUpCloud collection maintainers (@hostupcloud)
options:
  address:
    description:
      - Return only the floating IP with this IPv4 address.
    type: str
  instance:
    description:
      - Return only the floating IPs attached to this instance, given by name or id.
      - An instance the project does not have gives an empty list (before 1.0.0 it failed).
    type: str
extends_documentation_fragment:
  - hostupcloud.cloud.info
  - hostupcloud.cloud.info.LABEL_SELECTOR
  - hostupcloud.cloud.api
  - hostupcloud.cloud.api.ATTRIBUTES
  - hostupcloud.cloud.api.INFO_MODULE
seealso:
  - module: hostupcloud.cloud.huc_floating_ip
"""

EXAMPLES = r"""
- name: List every floating IP of a project
  hostupcloud.cloud.huc_floating_ip_info:
    api_key: "{{ vault_huc_api_key }}"
    project: production
  register: all_ips

- name: The spare ones, attached to no instance
  ansible.builtin.debug:
    msg: "{{ all_ips.floating_ips | selectattr('instance_id', 'none') | map(attribute='address') | list }}"

- name: The floating IPs of web-1 (API options from module_defaults)
  module_defaults:
    group/hostupcloud.cloud.huc:
      api_key: "{{ vault_huc_api_key }}"
  hostupcloud.cloud.huc_floating_ip_info:
    project: production
    instance: web-1

- name: The floating IPs labelled for the web tier
  hostupcloud.cloud.huc_floating_ip_info:
    project: production
    label_selector: tier=web

- name: Look one address up
  hostupcloud.cloud.huc_floating_ip_info:
    project: production
    address: 203.0.113.10

- name: Get one floating IP by id
  hostupcloud.cloud.huc_floating_ip_info:
    id: 2c5e8f1a-7b3d-4e9f-8a1c-6d2b4f0e9a37
"""

RETURN = r"""
floating_ips:
  description: The floating IPs found, oldest first; empty when none matches.
  returned: always
  type: list
  elements: dict
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

from ansible_collections.hostupcloud.cloud.plugins.module_utils._info import Filter, HucInfoModule, label_selector_filter
from ansible_collections.hostupcloud.cloud.plugins.module_utils._references import REFERENCES


class HucFloatingIpInfo(HucInfoModule):
    result_key = "floating_ips"
    resource = REFERENCES["floating_ip"]
    filters = (
        Filter("address"),
        Filter("instance", ref="instance", match=lambda obj, value: obj.get("instanceId") == value),
        label_selector_filter(),
    )


def main():
    HucFloatingIpInfo.main()


if __name__ == "__main__":
    main()
