#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: HostUpCloud collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: huc_os_template_info
short_description: List the HostUpCloud OS templates
version_added: 0.1.0
description:
  - Lists the OS templates, so a playbook can pick a valid
    O(hostupcloud.cloud.huc_instance#module:os_template) for M(hostupcloud.cloud.huc_instance). One request.
author:
  - HostUpCloud collection maintainers (@hostupcloud)
options:
  name:
    description:
      - Return only the template with this exact name, for example V(Ubuntu 24.04).
    type: str
  family:
    description:
      - Return only the templates of this family, for example V(ubuntu) or V(debian).
    type: str
extends_documentation_fragment:
  - hostupcloud.cloud.api
  - hostupcloud.cloud.api.ATTRIBUTES
  - hostupcloud.cloud.api.INFO_MODULE
"""

EXAMPLES = r"""
- name: List every OS template
  hostupcloud.cloud.huc_os_template_info:
    api_key: "{{ vault_huc_api_key }}"
  register: templates

- name: Find the Ubuntu templates (API options from module_defaults)
  module_defaults:
    group/hostupcloud.cloud.huc:
      api_key: "{{ vault_huc_api_key }}"
  hostupcloud.cloud.huc_os_template_info:
    family: ubuntu
  register: ubuntu

- name: Pick the newest
  ansible.builtin.set_fact:
    os_template: "{{ (ubuntu.os_templates | sort(attribute='version') | last).name }}"

- name: Check that one template exists
  hostupcloud.cloud.huc_os_template_info:
    name: Debian 12
  register: debian
  failed_when: debian.os_templates | length != 1
"""

RETURN = r"""
os_templates:
  description: The OS templates found, in catalogue order; empty when none matches.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: Template name, a value for O(hostupcloud.cloud.huc_instance#module:os_template).
      type: str
      returned: always
      sample: Ubuntu 24.04
    family:
      description: OS family.
      type: str
      returned: always
      sample: ubuntu
    version:
      description: OS version.
      type: str
      returned: always
      sample: "24.04"
"""

from ansible_collections.hostupcloud.cloud.plugins.module_utils._info import Filter, HucInfoModule
from ansible_collections.hostupcloud.cloud.plugins.module_utils._references import REFERENCES


class HucOsTemplateInfo(HucInfoModule):
    result_key = "os_templates"
    resource = REFERENCES["os_template"]
    by_id = False
    filters = (Filter("name"), Filter("family"))


def main():
    HucOsTemplateInfo.main()


if __name__ == "__main__":
    main()
