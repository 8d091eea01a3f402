#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: HostUpCloud collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: huc_ssh_key
short_description: Add and delete the SSH keys of a HostUpCloud project
version_added: 0.2.0
description:
  - Makes sure a project has an SSH key of a given name holding a given public key, or does not have it.
    Instances get the keys named in their O(hostupcloud.cloud.huc_instance#module:ssh_keys) at creation.
  - An SSH key is identified by O(project) and O(name), or by O(id).
  - Keys are compared by fingerprint, not by text, so the same key with another comment (or other spacing)
    is the same key and changes nothing.
  - The API accepts C(ssh-ed25519), C(ssh-rsa) keys of 2048 bits or more, and C(ecdsa-sha2-nistp256),
    C(ecdsa-sha2-nistp384) and C(ecdsa-sha2-nistp521) keys, and nothing else (no DSA keys, no C(sk-...)
    security keys, no certificates). The key is checked before any request, also in check mode.
  - A run that finds nothing to change costs one request when O(project) is given by id (or O(id) is given);
    O(project) given by name costs one listing more.
author:
  - HostUpCloud collection maintainers (@hostupcloud)
options:
  project:
    description:
      - Name or id of the project of the SSH key. Required unless O(id) is given.
      - If not set, the value of the E(HUC_PROJECT) environment variable is used.
    type: str
  name:
    description:
      - Name of the SSH key, unique in its project; 1 to 100 characters of any kind.
      - Required to add a key. SSH keys cannot be renamed, so with O(id) it must be the key's current name.
    type: str
  id:
    description:
      - Id of an existing SSH key, instead of O(project) and O(name). An SSH key cannot be added with an id.
    type: str
  public_key:
    description:
      - The public key, one OpenSSH line C(TYPE BASE64 [COMMENT]), for example the content of C(~/.ssh/id_ed25519.pub).
      - Required to add a key (or O(public_key_file)); on an existing key, compared by fingerprint.
      - A key the API does not accept (see above), more than one line, or a private key fails the task before any
        request; a private key (OpenSSH, PEM, PuTTY C(.ppk) or ssh.com format, encrypted or not) is never shown,
        not even in the invocation at C(-vvv), and never sent.
      - Not compared with O(state=absent).
    type: str
  public_key_file:
    description:
      - Path of a file holding the public key (one OpenSSH line), instead of O(public_key).
      - The file is read on the host the module runs on, which is the managed host, not the controller, unless the
        task runs with C(connection=local) or is delegated to C(localhost) (the usual way to run this module).
        To read a file of the controller in any case, use O(public_key) with the P(ansible.builtin.file#lookup)
        lookup.
    type: path
  state:
    description:
      - V(present) adds the SSH key, or makes sure the existing one holds O(public_key) (see O(force)).
      - V(absent) deletes it. Instances already created with it keep it installed.
    type: str
    choices: [present, absent]
    default: present
  force:
    description:
      - Allow replacing an existing SSH key whose public key differs from O(public_key) (or O(public_key_file)).
        An SSH key cannot be changed in place, so it is deleted and added again under the same name, with a new id.
      - Instances already created with the old key keep the old key installed; only instances created afterwards
        get the new one.
      - Without it, a different key under the same name fails the task and nothing is changed.
    type: bool
    default: false
notes:
  - SSH keys have no status to wait for, so there is no C(wait) option.
  - Adding a key is sent with an C(Idempotency-Key), and a retry after a lost answer first looks the key up by
    name, so a lost answer never adds two keys.
  - A replacement (O(force=true)) deletes the old key before adding the new one, because names are unique in a
    project; if the add then fails, the key is missing until the task is run again.
extends_documentation_fragment:
  - hostupcloud.cloud.api
  - hostupcloud.cloud.api.ATTRIBUTES
attributes:
  diff_mode:
    description: Shows the name and fingerprint of the SSH key before and after.
    support: full
seealso:
  - module: hostupcloud.cloud.huc_ssh_key_info
  - module: hostupcloud.cloud.huc_instance
"""

EXAMPLES = r"""
- name: Add the deploy key (a rerun, or the same key with another comment, changes nothing)
  hostupcloud.cloud.huc_ssh_key:
    api_key: "{{ vault_huc_api_key }}"
    project: production
    name: deploy
    public_key: "{{ lookup('ansible.builtin.file', 'files/deploy.pub') }}"
  register: deploy

- name: Create an instance with it (API options from module_defaults)
  module_defaults:
    group/hostupcloud.cloud.huc:
      api_key: "{{ vault_huc_api_key }}"
  hostupcloud.cloud.huc_instance:
    project: production
    name: web-1
    node: fra1-n1
    os_template: Ubuntu 24.04
    vcpus: 2
    memory_mb: 4096
    disk_gb: 40
    ssh_keys: ["{{ deploy.ssh_key.id }}"]

- name: Add a key from a file of the host the task runs on (here the controller)
  hostupcloud.cloud.huc_ssh_key:
    project: production
    name: alice
    public_key_file: ~/.ssh/id_ed25519.pub
  delegate_to: localhost

- name: Replace the deploy key by a new one (deleted and added again under the same name)
  hostupcloud.cloud.huc_ssh_key:
    project: production
    name: deploy
    public_key: "{{ lookup('ansible.builtin.file', 'files/deploy-2026.pub') }}"
    force: true

- name: Delete an SSH key
  hostupcloud.cloud.huc_ssh_key:
    project: production
    name: alice
    state: absent

- name: Delete an SSH key found by id
  hostupcloud.cloud.huc_ssh_key:
    id: 5e2c8b7a-1d3f-4a6b-8c9d-0e1f2a3b4c5d
    state: absent
"""

RETURN = r"""
ssh_key:
  description:
    - The SSH key after the task; in check mode, the key as it would be (the fields the API assigns to a new key,
      RV(ssh_key.id) and RV(ssh_key.created_at), are V(null)).
    - After O(state=absent), the SSH key as it was before it was deleted; V(null) when there was none.
  returned: always
  type: dict
  contains:
    id:
      description: SSH key id; a replaced key (O(force=true)) has a new one.
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
      description:
        - The public key as the API holds it (an unchanged key keeps the comment it was added with).
      type: str
      returned: always
      sample: ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl deploy@example
    fingerprint:
      description: OpenSSH SHA256 fingerprint of the key, as C(ssh-keygen -l) shows it.
      type: str
      returned: always
      sample: SHA256:+DiY3wvvV6TuJJhbpZisF/zLDA0zPMSvHdkr4UvCOqU
    created_at:
      description: When the key was added (ISO 8601, UTC).
      type: str
      returned: always
      sample: "2026-11-26T10:00:00Z"
"""

from ansible_collections.hostupcloud.cloud.plugins.module_utils._limits import length
from ansible_collections.hostupcloud.cloud.plugins.module_utils._module import Option
from ansible_collections.hostupcloud.cloud.plugins.module_utils._references import REFERENCES
from ansible_collections.hostupcloud.cloud.plugins.module_utils._declarations import Field, Inputs
from ansible_collections.hostupcloud.cloud.plugins.module_utils._resource import HucResourceModule
from ansible_collections.hostupcloud.cloud.plugins.module_utils._ssh_keys import (
    SshKeyError, line_fingerprint, parse_public_key)

# A public key line is at most a few KB (RSA 16384 is about 2.8 KB): anything past this is not a .pub file.
MAX_KEY_FILE_BYTES = 64 * 1024


def read_key_file(path):
    """(text, None), or (None, the problem) when the file cannot be read as a public key file."""
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_KEY_FILE_BYTES + 1)
    except (IOError, OSError) as error:
        return None, "cannot be read: %s" % (error.strerror or error)
    if len(data) > MAX_KEY_FILE_BYTES:
        return None, "is larger than %d bytes, so it is not an OpenSSH public key file" % MAX_KEY_FILE_BYTES
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError:
        return None, "is not text, so it is not an OpenSSH public key file"


def held_fingerprint(obj):
    """The fingerprint of the key an API object holds, computed from its public key (else the API's own field)."""
    return line_fingerprint(obj.get("publicKey")) or obj.get("fingerprint")


class HucSshKey(HucResourceModule):
    """Found by name (or id); compared by fingerprint; a different key is replaced (delete, add) only with force."""

    result_key = "ssh_key"
    resource = REFERENCES["ssh_key"]
    fields = (
        Field("name", identity=True, check=length(1, 100)),
        # The API has no update route for SSH keys: another key replaces the one there.
        Field("public_key", api="publicKey", update=True, replace=True, no_log=False,
              required="public_key or public_key_file", read=held_fingerprint, compare=line_fingerprint),
    )
    options = (Option("public_key_file", "path", no_log=False),)
    option_rules = {"required_one_of": [("name", "id")], "mutually_exclusive": [("public_key", "public_key_file")]}
    diff_fields = ("name", "fingerprint")
    defaults = {"createdAt": None}
    renamable = False
    create_verb = "add"
    create_hint = "to add one give project, name and public_key, not id"

    def inputs(self):
        """public_key as its one-line OpenSSH form, read from public_key_file where the module runs."""
        inputs = super(HucSshKey, self).inputs()
        path, text, problem, key = inputs.get("public_key_file"), inputs.get("public_key"), None, None
        if path is not None:
            text, problem = read_key_file(path)
        if text is not None and problem is None:
            try:
                key = parse_public_key(text)
            except SshKeyError as error:
                problem = str(error)
        return Inputs(dict(inputs, public_key=key.line if key else None), inputs.explicit,
                      problems={"publicKey": problem} if problem else None,
                      names={"publicKey": "public_key" if path is None else "public_key_file %s" % path})

    def refuse(self, plan):
        if "publicKey" in plan.changes and not plan.inputs["force"]:
            have, wanted = held_fingerprint(plan.current), line_fingerprint(plan.changes["publicKey"])
            self.fail("SSH key %s holds another key (%s; public_key is %s) and an SSH key cannot be changed in place: "
                      "set force: true to delete it and add the new key under the same name (instances already created "
                      "keep the old key)" % (plan.current.get("name"), have, wanted), code="key_differs",
                      details={"fingerprint": have, "wantedFingerprint": wanted})
        super(HucSshKey, self).refuse(plan)

    def predict(self, plan, obj):
        obj = super(HucSshKey, self).predict(plan, obj)
        return obj if obj.get("id") else dict(obj, fingerprint=line_fingerprint(obj.get("publicKey")))


def main():
    HucSshKey.main()


if __name__ == "__main__":
    main()
