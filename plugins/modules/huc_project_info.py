#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: HostUpCloud collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: huc_project_info
short_description: List HostUpCloud projects
version_added: 0.1.0
description:
  - Lists the projects the API key can see, or finds one by O(name) or O(id).
  - Every module option and inventory setting that names a project accepts its name or its id.
author:
  - HostUpCloud collection maintainers (@hostupcloud)
options:
  name:
    description:
      - Only return the project with this exact name.
    type: str
  id:
    description:
      - Only return the project with this id (one request, no listing).
    type: str
extends_documentation_fragment:
  - hostupcloud.cloud.api
  - hostupcloud.cloud.api.ATTRIBUTES
  - hostupcloud.cloud.api.INFO_MODULE
"""

EXAMPLES = r"""
- name: List every project the key can see
  hostupcloud.cloud.huc_project_info:
    api_key: "{{ vault_huc_api_key }}"
  register: result

- name: Find a project by name, credentials from module_defaults
  module_defaults:
    group/hostupcloud.cloud.huc:
      api_key: "{{ vault_huc_api_key }}"
  hostupcloud.cloud.huc_project_info:
    name: production
  register: production

- name: Use its id
  ansible.builtin.debug:
    msg: "{{ production.projects[0].id }}"

- name: Credentials from HUC_API_KEY (and HUC_API_URL) in the environment
  hostupcloud.cloud.huc_project_info:
    id: 7d3c2a4e-0b1f-4c55-9a51-2f6a1c0e8b90
"""

RETURN = r"""
projects:
  description: The projects found; empty when O(name) or O(id) matches nothing.
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: Project id.
      type: str
      returned: always
      sample: 7d3c2a4e-0b1f-4c55-9a51-2f6a1c0e8b90
    name:
      description: Project name.
      type: str
      returned: always
      sample: production
    created_at:
      description: When the project was created, ISO 8601 UTC.
      type: str
      returned: always
      sample: "2026-11-26T10:00:00Z"
"""

from ansible_collections.hostupcloud.cloud.plugins.module_utils._info import Filter, HucInfoModule
from ansible_collections.hostupcloud.cloud.plugins.module_utils._references import REFERENCES


class HucProjectInfo(HucInfoModule):
    result_key = "projects"
    resource = REFERENCES["project"]
    filters = (Filter("name"),)
    option_rules = {"mutually_exclusive": [("name", "id")]}


def main():
    HucProjectInfo.main()


if __name__ == "__main__":
    main()
