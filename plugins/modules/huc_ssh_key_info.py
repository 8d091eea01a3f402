#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: HostUpCloud collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: huc_ssh_key_info
short_description: List the SSH keys of a HostUpCloud project
version_added: 0.2.0
description:
  - Returns one SSH key by O(id), or the SSH keys of a project, optionally filtered by O(name) and
    O(fingerprint). Every page of the listing is read.
  - One request (by O(id), or the listing); O(project) given by name costs one listing more.
author:
  - HostUpCloud collection maintainers (@hostupcloud)
options:
  fingerprint:
    description:
      - Return only the SSH keys holding the key with this OpenSSH SHA256 fingerprint, as C(ssh-keygen -l) shows it,
        for example V(SHA256:+DiY3wvvV6TuJJhbpZisF/zLDA0zPMSvHdkr4UvCOqU) (the V(SHA256:) prefix may be left out).
      - The same key may be in a project under several names. MD5 fingerprints are not supported.
    type: str
extends_documentation_fragment:
  - hostupcloud.cloud.info
  - hostupcloud.cloud.info.NAME
  - hostupcloud.cloud.api
  - hostupcloud.cloud.api.ATTRIBUTES
  - hostupcloud.cloud.api.INFO_MODULE
seealso:
  - module: hostupcloud.cloud.huc_ssh_key
"""

EXAMPLES = r"""
- name: List every SSH key of a project
  hostupcloud.cloud.huc_ssh_key_info:
    api_key: "{{ vault_huc_api_key }}"
    project: production
  register: all_keys

- name: Their names
  ansible.builtin.debug:
    msg: "{{ all_keys.ssh_keys | map(attribute='name') | list }}"

- name: Is my key in the project, under whatever name? (API options from module_defaults)
  module_defaults:
    group/hostupcloud.cloud.huc:
      api_key: "{{ vault_huc_api_key }}"
  hostupcloud.cloud.huc_ssh_key_info:
    project: production
    fingerprint: SHA256:+DiY3wvvV6TuJJhbpZisF/zLDA0zPMSvHdkr4UvCOqU
  register: mine

- name: Find one SSH key by name
  hostupcloud.cloud.huc_ssh_key_info:
    project: production
    name: deploy

- name: Get one SSH key by id
  hostupcloud.cloud.huc_ssh_key_info:
    id: 5e2c8b7a-1d3f-4a6b-8c9d-0e1f2a3b4c5d
"""

RETURN = r"""
ssh_keys:
  description: The SSH keys found, oldest first; empty when none matches.
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: SSH key id.
      type: str
      returned: always
      sample: 5e2c8b7a-1d3f-4a6b-8c9d-0e1f2a3b4c5d
    project_id:
      description: Id of its project.
      type: str
      returned: always
      sample: 7d3c2a4e-0b1f-4c55-9a51-2f6a1c0e8b90
    name:
      description: SSH key name.
      type: str
      returned: always
      sample: deploy
    public_key:
      description: The public key, one OpenSSH line.
      type: str
      returned: always
      sample: ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl deploy@example
    fingerprint:
      description: OpenSSH SHA256 fingerprint of the key.
      type: str
      returned: always
      sample: SHA256:+DiY3wvvV6TuJJhbpZisF/zLDA0zPMSvHdkr4UvCOqU
    created_at:
      description: When the key was added (ISO 8601, UTC).
      type: str
      returned: always
      sample: "2026-11-26T10:00:00Z"
"""

import re

from ansible_collections.hostupcloud.cloud.plugins.module_utils._client import HucApiError
from ansible_collections.hostupcloud.cloud.plugins.module_utils._info import Filter, HucInfoModule
from ansible_collections.hostupcloud.cloud.plugins.module_utils._references import REFERENCES
from ansible_collections.hostupcloud.cloud.plugins.module_utils._ssh_keys import line_fingerprint

# SHA256 fingerprints: 32 bytes, 43 characters of unpadded base64.
SHA256_FINGERPRINT = re.compile(r"^(SHA256:)?[A-Za-z0-9+/]{43}=?$")


def sha256_fingerprint(value):
    """The fingerprint as ssh-keygen -l shows it (SHA256:..., no padding); anything else is refused."""
    value = value.strip()
    if not SHA256_FINGERPRINT.match(value):
        raise HucApiError("fingerprint must be an OpenSSH SHA256 fingerprint such as SHA256:%s (as ssh-keygen -l shows "
                          "it); got %r" % ("A" * 43, value[:80]), code="validation_error",
                          details={"fingerprint": "must be an OpenSSH SHA256 fingerprint"})
    return "SHA256:" + value.split(":", 1)[-1].rstrip("=")


def same_fingerprint(obj, wanted):
    """The key's fingerprint, computed from its public key (the API's own field if that cannot be read), is wanted."""
    return (line_fingerprint(obj.get("publicKey")) or obj.get("fingerprint")) == wanted


class HucSshKeyInfo(HucInfoModule):
    result_key = "ssh_keys"
    resource = REFERENCES["ssh_key"]
    filters = (
        Filter("name", server=True),
        Filter("fingerprint", match=same_fingerprint, normalize=sha256_fingerprint),
    )


def main():
    HucSshKeyInfo.main()


if __name__ == "__main__":
    main()
