#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: HostUpCloud collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: huc_firewall_info
short_description: List HostUpCloud firewalls
version_added: 0.2.0
description:
  - Returns one firewall by O(id), or the firewalls of a project, optionally filtered by O(name) and O(instance).
    Every page of the listing is read.
  - One request (by O(id), or the listing); each of O(project) and O(instance) given by name costs one listing more.
  - The firewall API is not published by the provider; this module follows the API the collection assumes.
author:
  - HostUpCloud collection maintainers (@hostupcloud)
options:
  instance:
    description:
      - Return only the firewalls that apply to this instance, given by name or id.
      - An instance the project does not have gives an empty list (before 1.0.0 it failed).
    type: str
extends_documentation_fragment:
  - hostupcloud.cloud.info
  - hostupcloud.cloud.info.NAME
  - hostupcloud.cloud.api
  - hostupcloud.cloud.api.ATTRIBUTES
  - hostupcloud.cloud.api.INFO_MODULE
seealso:
  - module: hostupcloud.cloud.huc_firewall
"""

EXAMPLES = r"""
- name: List every firewall of a project
  hostupcloud.cloud.huc_firewall_info:
    api_key: "{{ vault_huc_api_key }}"
    project: production
  register: all_firewalls

- name: The firewalls of web-1 (API options from module_defaults)
  module_defaults:
    group/hostupcloud.cloud.huc:
      api_key: "{{ vault_huc_api_key }}"
  hostupcloud.cloud.huc_firewall_info:
    project: production
    instance: web-1

- name: Find one firewall by name
  hostupcloud.cloud.huc_firewall_info:
    project: production
    name: web

- name: Get one firewall by id
  hostupcloud.cloud.huc_firewall_info:
    id: 5b2d8f1a-9c3e-4a7b-8d6f-0e1c2b3a4d5e
"""

RETURN = r"""
firewalls:
  description: The firewalls found, oldest first; empty when none matches.
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: Firewall id.
      type: str
      returned: always
      sample: 5b2d8f1a-9c3e-4a7b-8d6f-0e1c2b3a4d5e
    project_id:
      description: Id of its project.
      type: str
      returned: always
      sample: 7d3c2a4e-0b1f-4c55-9a51-2f6a1c0e8b90
    name:
      description: Firewall name.
      type: str
      returned: always
      sample: web
    rules:
      description: The inbound allow rules, in the order the API keeps them.
      type: list
      elements: dict
      returned: always
      contains:
        protocol:
          description: V(tcp), V(udp) or V(icmp).
          type: str
          returned: always
          sample: tcp
        port:
          description: The port (V("22")) or range (V("8000-8100")) as a string; V(null) for every port and for icmp.
          type: str
          returned: always
          sample: "22"
        sources:
          description: The networks it allows traffic from, as CIDRs.
          type: list
          elements: str
          returned: always
          sample: [10.0.0.0/8]
    instance_ids:
      description: Ids of the instances it applies to.
      type: list
      elements: str
      returned: always
      sample: [0f9d3c1e-6a2b-4c8d-9e7f-1a2b3c4d5e6f]
    created_at:
      description: Creation time (ISO 8601, UTC).
      type: str
      returned: always
      sample: "2026-11-26T10:00:00Z"
"""

from ansible_collections.hostupcloud.cloud.plugins.module_utils._info import Filter, HucInfoModule
from ansible_collections.hostupcloud.cloud.plugins.module_utils._references import REFERENCES


class HucFirewallInfo(HucInfoModule):
    result_key = "firewalls"
    resource = REFERENCES["firewall"]
    filters = (
        Filter("name", server=True),
        Filter("instance", ref="instance", match=lambda obj, value: value in (obj.get("instanceIds") or [])),
    )


def main():
    HucFirewallInfo.main()


if __name__ == "__main__":
    main()
