#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: HostUpCloud collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: huc_api_key_info
short_description: List HostUpCloud API keys and how long they stay valid
version_added: 0.1.0
description:
  - Lists the API keys of the account, never their secrets, with whether each has expired and in how many days it will.
  - Days are counted on the API's clock (the C(Date) header of its answer), not the controller's.
author:
  - HostUpCloud collection maintainers (@hostupcloud)
options:
  id:
    description: Only return the key with this id (an empty list when there is none).
    type: str
    version_added: 1.0.0
  name:
    description: Only return the keys with this exact name (several keys may share one).
    type: str
extends_documentation_fragment:
  - hostupcloud.cloud.api
  - hostupcloud.cloud.api.ATTRIBUTES
  - hostupcloud.cloud.api.INFO_MODULE
seealso:
  - module: hostupcloud.cloud.huc_api_key
"""

EXAMPLES = r"""
- name: List every API key
  hostupcloud.cloud.huc_api_key_info:
  register: keys

- name: Keys that expire within 14 days
  ansible.builtin.debug:
    msg: "{{ keys.api_keys | selectattr('expires_in_days', 'number') | selectattr('expires_in_days', 'lt', 14) | map(attribute='name') }}"

- name: The keys named ci-deploy
  hostupcloud.cloud.huc_api_key_info:
    name: ci-deploy
  register: ci_keys
"""

RETURN = r"""
api_keys:
  description: The keys found, oldest first; empty when O(name) matches none.
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: Key id.
      type: str
      returned: always
      sample: 5b0c8f1e-3a0e-4c1b-9f5e-7d2a6c9e1f30
    name:
      description: Key name.
      type: str
      returned: always
      sample: ci-deploy
    prefix:
      description: The first characters of the secret, to recognise the key by.
      type: str
      returned: always
      sample: huc_AbCd
    permissions:
      description: V(read), or V(read) and V(write).
      type: list
      elements: str
      returned: always
      sample: [read, write]
    status:
      description: V(active) or V(revoked). An expired key stays V(active); see RV(api_keys[].expired).
      type: str
      returned: always
      sample: active
    expires_at:
      description: When the key stops working, ISO 8601 UTC; V(null) for never.
      type: str
      returned: always
      sample: "2027-01-31T00:00:00Z"
    created_at:
      description: When the key was issued, ISO 8601 UTC.
      type: str
      returned: always
      sample: "2026-11-26T10:00:00Z"
    last_used_at:
      description: When the key last authenticated a request, ISO 8601 UTC; V(null) for never.
      type: str
      returned: always
      sample: "2026-11-26T10:05:00Z"
    expired:
      description: Whether the expiry has passed on the API's clock.
      type: bool
      returned: always
      sample: false
    expires_in_days:
      description: Days until the expiry on the API's clock, to two decimals; negative once expired, V(null) for never.
      type: float
      returned: always
      sample: 29.75
"""

from ansible_collections.hostupcloud.cloud.plugins.module_utils._api_keys import api_now, days_left, key_view
from ansible_collections.hostupcloud.cloud.plugins.module_utils._module import HucModule, Option


class HucApiKeyInfo(HucModule):
    result_key = "api_keys"
    options = (Option("id"), Option("name"))

    def run(self):
        # The API has no GET of one key: an id filters the one listing, as a name does.
        keys = [key for key in self.client.list("/api-keys")
                if all(not self.params[option] or key.get(option) == self.params[option] for option in ("id", "name"))]
        now = api_now(self.client)
        found = []
        for key in keys:
            left = days_left(key, now)
            found.append(dict(key_view(key), expired=left is not None and left <= 0,
                              expires_in_days=None if left is None else round(left, 2)))
        self.set_result(found)


def main():
    HucApiKeyInfo.main()


if __name__ == "__main__":
    main()
