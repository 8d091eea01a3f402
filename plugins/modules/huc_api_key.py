#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: HostUpCloud collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: huc_api_key
short_description: Issue, rotate, revoke and delete HostUpCloud API keys
version_added: 0.1.0
description:
  - Manages the API keys of the account. The secret of a key is shown once, when it is issued.
  - The name, permissions and expiry of a key cannot change; a different wish means a new key (O(rotate)).
  - Days to expiry are counted on the API's clock (the C(Date) header of its answers), so a skewed
    controller clock never rotates a key too early or too late.
author:
  - HostUpCloud collection maintainers (@hostupcloud)
options:
  name:
    description:
      - Name of the key, required to issue one. With O(id), a different name counts as a change.
      - Keys replaced with O(old_key=revoke) keep their name. Of several keys with this name, the
        active one is meant, or the newest when all are revoked; O(state=absent) deletes them all.
        Several active keys with this name fail, listing them, unless O(id) is given.
    type: str
  id:
    description: Id of the key. An unknown id fails; it never issues a key.
    type: str
  permissions:
    description:
      - V(write) allows create, modify, delete and power actions and implies V(read).
      - Compared only when set. A new key without it gets V(read).
    type: list
    elements: str
    choices: [read, write]
  expires_at:
    description:
      - When the key stops working, an ISO 8601 date (V(2027-01-31), midnight UTC) or date-time
        (V(2027-01-31T12:00:00Z)). Compared when set. Mutually exclusive with O(expires_in_days).
    type: str
  expires_in_days:
    description:
      - A key issued by this task expires this many days later on the API's clock. Never compared.
      - Without O(expires_at) and O(expires_in_days), a new key replacing an old one gets the old one's lifetime.
    type: int
  state:
    description:
      - V(present) makes sure the key exists and is active, re-enabling a revoked key.
      - V(revoked) disables an existing key; it can be re-enabled later. V(absent) deletes it.
    type: str
    choices: [present, revoked, absent]
    default: present
  rotate:
    description:
      - When O(state=present) replaces the key by a new one. V(never) fails on a difference in O(name),
        O(permissions) or O(expires_at), naming each; V(on_change) issues a key with the wished settings
        instead; V(always) replaces the key on every run.
    type: str
    choices: [never, on_change, always]
    default: never
  rotate_before_expiry_days:
    description:
      - With O(state=present), replace a key that expires within this many days (or has expired), so a
        scheduled run keeps keys fresh and is a no-op otherwise.
    type: int
  old_key:
    description:
      - What happens to a replaced key once its successor is issued (and written to O(key_file)).
      - V(keep) leaves it active, for a caller that retires it itself once the new secret has been stored where
        it is needed (RV(replaced_key_id) names it); the role C(hostupcloud.cloud.api_key_rotation) does so for
        secrets handed to its secret tasks.
    type: str
    choices: [delete, revoke, keep]
    default: delete
  key_file:
    description:
      - File, on the host the module runs on, that receives the secret of a key issued by this task
        (exactly the secret, written atomically, mode C(0600)). The secret is then left out of the result.
      - The file is written beside and renamed into place; a O(key_file) that is a symlink is refused (never
        followed), and so is a path with a C(..) component (it leaves the directory it names).
      - When the key exists but this file does not, nobody can put its secret there again, so with
        O(state=present) a new key replaces it (its secret into the file; the old key handled as O(old_key)
        says), with a warning. A file that holds another key's secret draws a warning. An empty file
        stands for a secret kept elsewhere.
    type: path
notes:
  - Only a key issued by the task has a secret, returned as RV(api_key.key) unless O(key_file) is set. Ansible then
    hides the task's output as with C(no_log); a registered result keeps the secret. It is never in diffs, warnings or
    errors, nor in the module's raw output that C(ANSIBLE_DEBUG) prints; the module hands it to the action plugin in a
    new mode C(0600) file in the task's remote temporary directory, which the action plugin fetches and removes.
  - With C(become) to another unprivileged user the module may be unable to create that file; a task that would return
    a new secret then fails before it issues a key. O(key_file) works there.
  - Right after issuing a key the task lists the keys again, with the new key itself. That marks the new key used
    (RV(api_key.last_used_at) is set), so a key that was never used is one whose secret never arrived anywhere.
  - A key is issued once however often the create is retried (Idempotency-Key). When every answer to it is lost the
    task fails, and the API may have issued the key all the same, its secret lost. So with O(state=present), when the
    key named O(name) has never been used and this task does not have its secret (no O(key_file), or an empty one),
    the task fails, telling you to run once with O(rotate=always) (or O(state=absent)); it never reports such a key as
    fine. With a missing O(key_file) the key is replaced, see there. A key given by O(id) is not checked this way; nor
    is an expired key. If you do hold the secret of a key nobody has used yet, use it once.
  - A run stopped halfway (killed) is finished by the next run with the same O(key_file). Of several active keys of
    O(name), the one O(key_file) holds (or, with an empty O(key_file), the only one ever used) is the task's own; active
    keys created after it that were never used were issued by a run stopped before their secret was stored anywhere,
    so they are deleted, with a warning; used active keys created before the one O(key_file) holds were replaced by a
    run stopped before it retired them, so they are retired as O(old_key) says (RV(replaced_key_id)). A used key, or
    the key O(key_file) holds, is never deleted this way; anything else still fails as several active keys do.
  - Two runs that issue the same O(name) at once both find no key and both create one. Each then lists the keys again,
    and of the active keys of that name that appeared meanwhile the oldest (by RV(api_key.created_at), within a second
    the first the API lists, then by id) stays. A run whose own new key is not that one deletes it again and warns;
    its result is then the key that stays, without a secret, and its O(key_file) is not written.
  - A DELETE that answers 404 means the key is gone already, for example a retried DELETE whose first answer was lost.
    With O(state=absent), and for a replaced key, that counts as done.
  - Check mode issues nothing and returns no secret. A no-op costs one request (the key list), an issue three
    (the list, the create, the list again), plus one to retire a replaced key.
extends_documentation_fragment:
  - hostupcloud.cloud.api
  - hostupcloud.cloud.api.ATTRIBUTES
attributes:
  diff_mode:
    description: Shows the key's id, name, prefix, permissions, status and expiry before and after; never a secret.
    support: full
seealso:
  - module: hostupcloud.cloud.huc_api_key_info
"""

EXAMPLES = r"""
- name: Issue a read-only key for a CI job, valid for 90 days, secret into a file
  hostupcloud.cloud.huc_api_key:
    name: ci-readonly
    expires_in_days: 90
    key_file: /etc/ci/huc-api-key

- name: Issue a write key, the secret in a registered variable only
  hostupcloud.cloud.huc_api_key:
    name: deploy
    permissions: [read, write]
    expires_at: "2027-01-31"
  register: deploy_key

- name: Scheduled run, replace the key within 14 days of expiry and revoke the old one
  hostupcloud.cloud.huc_api_key:
    name: ci-readonly
    expires_in_days: 90
    rotate_before_expiry_days: 14
    old_key: revoke
    key_file: /etc/ci/huc-api-key

- name: Grant write by replacing the key
  hostupcloud.cloud.huc_api_key:
    name: ci-readonly
    permissions: [read, write]
    rotate: on_change
    key_file: /etc/ci/huc-api-key

- name: Rotate on every run
  hostupcloud.cloud.huc_api_key:
    name: deploy
    rotate: always
    key_file: /etc/ci/huc-deploy-key

- name: Revoke a compromised key (state=present re-enables it)
  hostupcloud.cloud.huc_api_key:
    name: deploy
    state: revoked

- name: Delete one of several keys with the same name
  hostupcloud.cloud.huc_api_key:
    id: 5b0c8f1e-3a0e-4c1b-9f5e-7d2a6c9e1f30
    state: absent
"""

RETURN = r"""
api_key:
  description:
    - The key after the task (the new one when one was issued); with O(state=absent) the deleted key, or V(null).
    - In check mode a key to be issued has no id, prefix or times yet.
  returned: always
  type: dict
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
      sample: ci-readonly
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
      sample: [read]
    status:
      description: V(active) or V(revoked).
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
    key:
      description: The secret, shown this once. Store it safely.
      type: str
      returned: when the task issued the key and O(key_file) is not set
      sample: huc_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789abcd
replaced_key_id:
  description:
    - Id of the key a new key replaced, deleted or revoked as O(old_key) says.
    - Also set when the key was replaced because its O(key_file) did not exist, and for an older key a stopped
      rotation left active (see the notes), retired now, or left to the caller with O(old_key=keep).
  returned: when the key was rotated or replaced, or an older one is left to retire
  type: str
  sample: 0f6f2f9a-8d3e-4a51-b7b4-2c1d9e8a7b60
"""

from ansible_collections.hostupcloud.cloud.plugins.module_utils._api_keys import key_view, normalize_time, path_problem
from ansible_collections.hostupcloud.cloud.plugins.module_utils._rotation import Refusal, Rotation, Wish
from ansible_collections.hostupcloud.cloud.plugins.module_utils._key_delivery import DELIVERED_FIELD, delivery_path
from ansible_collections.hostupcloud.cloud.plugins.module_utils._module import HucModule, Option


class HucApiKey(HucModule):
    result_key = "api_key"
    options = (
        Option("name"), Option("id"),
        Option("permissions", "list", elements="str", choices=("read", "write")),
        Option("expires_at"), Option("expires_in_days", "int"),
        Option("state", default="present", choices=("present", "revoked", "absent")),
        Option("rotate", default="never", choices=("never", "on_change", "always")),
        Option("rotate_before_expiry_days", "int"),
        Option("old_key", default="delete", choices=("delete", "revoke", "keep")),
        Option("key_file", "path"),
    )
    option_rules = dict(required_one_of=[("name", "id")], mutually_exclusive=[("expires_at", "expires_in_days")])

    def run(self):
        try:
            outcome = Rotation(self.client, self.check_mode, self.module.warn).run(self.wish(), delivery_path())
        except Refusal as refusal:
            self.fail(refusal.msg, code=refusal.code, details=refusal.details, **refusal.result)
        else:
            self.report(outcome)

    def wish(self):
        """The task's options as a Wish; Refusal (before any request) for options that cannot be met."""
        params = self.params
        if params["permissions"] == []:
            raise Refusal("permissions: name read and/or write")
        try:
            expires_at = normalize_time(params["expires_at"])
        except ValueError:
            raise Refusal("expires_at: %r is not an ISO 8601 date or date-time such as 2027-01-31 or 2027-01-31T12:00:00Z"
                          % params["expires_at"])
        if params["expires_in_days"] is not None and params["expires_in_days"] < 1:
            raise Refusal("expires_in_days: must be at least 1")
        problem = path_problem(params["key_file"]) if params["key_file"] else None
        if problem:
            raise Refusal("key_file: %s" % problem, code="key_file")
        return Wish(key_id=params["id"], name=params["name"], permissions=params["permissions"], expires_at=expires_at,
                    expires_in_days=params["expires_in_days"], state=params["state"], rotate=params["rotate"],
                    rotate_before_expiry_days=params["rotate_before_expiry_days"], old_key=params["old_key"],
                    key_file=params["key_file"])

    def report(self, outcome):
        """The result of a rotation's Outcome; a new secret as api_key.key, unless it was handed over."""
        if outcome.replaced_key_id:
            self.result["replaced_key_id"] = outcome.replaced_key_id
        self.before, self.after = outcome.before, outcome.after
        self.set_result(key_view(outcome.key), changed=outcome.changed)
        if outcome.delivered:
            # The action plugin fetches the secret from its hand-over file; should anything of the
            # module's own output still hold it, it shows masked.
            self.result[DELIVERED_FIELD] = True
            self.module.no_log_values.add(outcome.secret)
        elif outcome.secret:
            self.result[self.result_key]["key"] = outcome.secret


def main():
    HucApiKey.main()


if __name__ == "__main__":
    main()
