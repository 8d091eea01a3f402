#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: HostUpCloud collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: huc_backup_info
short_description: List the backups of a HostUpCloud instance
version_added: 1.1.0
description:
  - Returns the backups of one instance, oldest first. An instance makes one a day while its backups are on (the
    C(backups) option of M(hostupcloud.cloud.huc_instance)); they go with the instance when it is deleted.
  - One request when O(instance) is an id; one listing more when it is a name.
  - "The API routes of backups are not on the provider's public pages: they are [assumed] (see the collection's
    API contract)."
author:
  - HostUpCloud collection maintainers (@hostupcloud)
options:
  project:
    description:
      - Name or id of the project of the instance. Required when O(instance) is a name; not used when it is an id.
      - If not set, the value of the E(HUC_PROJECT) environment variable is used.
    type: str
  instance:
    description:
      - Name or id of the instance whose backups are listed.
      - An instance that does not exist fails the task, naming it.
    type: str
    required: true
extends_documentation_fragment:
  - hostupcloud.cloud.api
  - hostupcloud.cloud.api.ATTRIBUTES
  - hostupcloud.cloud.api.INFO_MODULE
seealso:
  - module: hostupcloud.cloud.huc_instance
  - module: hostupcloud.cloud.huc_snapshot_info
"""

EXAMPLES = r"""
- name: List the backups of web-1
  hostupcloud.cloud.huc_backup_info:
    api_key: "{{ vault_huc_api_key }}"
    project: production
    instance: web-1
  register: web_backups

- name: The newest one
  ansible.builtin.debug:
    msg: "{{ (web_backups.backups | last).id if web_backups.backups else 'no backup yet' }}"

- name: The backups of an instance given by id (API options from module_defaults)
  module_defaults:
    group/hostupcloud.cloud.huc:
      api_key: "{{ vault_huc_api_key }}"
  hostupcloud.cloud.huc_backup_info:
    instance: 0f9d3c1e-6a2b-4c8d-9e7f-1a2b3c4d5e6f
"""

RETURN = r"""
backups:
  description: The backups of the instance, oldest first; empty when it has none.
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: Backup id.
      type: str
      returned: always
      sample: 9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b
    instance_id:
      description: Id of the instance it is a backup of.
      type: str
      returned: always
      sample: 0f9d3c1e-6a2b-4c8d-9e7f-1a2b3c4d5e6f
    size_gb:
      description: Size in GB.
      type: int
      returned: always
      sample: 40
    status:
      description: V(available).
      type: str
      returned: always
      sample: available
    created_at:
      description: Creation time (ISO 8601, UTC).
      type: str
      returned: always
      sample: "2026-11-26T03:00:00Z"
"""

from ansible_collections.hostupcloud.cloud.plugins.module_utils._client import HucApiError, item_path
from ansible_collections.hostupcloud.cloud.plugins.module_utils._module import PROJECT, HucModule, Option
from ansible_collections.hostupcloud.cloud.plugins.module_utils._references import REFERENCES, Reference, References

INSTANCES = REFERENCES["instance"]


class HucBackupInfo(HucModule):
    """The instance by name (one listing) or id (none), then one GET of its backups."""

    result_key = "backups"
    resource = Reference("backup", INSTANCES.path, ("id", "instance_id", "size_gb", "status", "created_at"))
    options = (PROJECT, Option("instance", required=True))

    def run(self):
        value = self.params["instance"]
        instance_id = References(self.client, self.params.get("project")).id("instance", value, called="instance")
        try:
            found = self.client.list(item_path(INSTANCES.path, instance_id, "/backups"))
        except HucApiError as error:
            if error.status != 404:
                raise
            self.fail("instance %r not found (by id or name)" % value, code="not_found")
        self.set_result([self.view(obj) for obj in found])


def main():
    HucBackupInfo.main()


if __name__ == "__main__":
    main()
