# -*- coding: utf-8 -*-
# Copyright: HostUpCloud collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of hostupcloud.cloud.huc_api_key: keeps a newly issued secret out of every output.

A module cannot mark its own result no_log (Ansible strips _ansible_* keys from module returns);
an action plugin can. When the module returns a secret (api_key.key), the result is marked
_ansible_no_log: callbacks show it censored at every verbosity, while a registered variable still
holds the whole result, so the secret is seen only where a playbook uses it on purpose.

The module's raw output is printed as it is with ANSIBLE_DEBUG, before any of that. So the secret
does not travel in it in the clear: this plugin hands the module a one-time X25519 public key (in
the module's environment, HUC_API_KEY_SEAL; it is public), the module returns the secret sealed to
it, and only this plugin, holding the private key in memory for the one task, opens it again.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.plugins.action import ActionBase

from ansible_collections.hostupcloud.cloud.plugins.module_utils._api_keys import (
    SEAL_ENV,
    SEAL_FIELD,
    open_sealed,
    seal_keypair,
)


class ActionModule(ActionBase):

    _supports_check_mode = True
    # An async job writes the module's result, secret included, to a job file: refused.
    _supports_async = False

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp  # tmp no longer has any effect
        private, public = seal_keypair()
        environment = self._task.environment
        if isinstance(environment, list):
            sealing = list(environment)
        else:
            sealing = [environment] if environment else []
        # Last, so that no task or play environment can replace the seal of this run.
        self._task.environment = sealing + [{SEAL_ENV: public}]
        try:
            result.update(self._execute_module(task_vars=task_vars))
        finally:
            self._task.environment = environment
        self._remove_tmp_path(self._connection._shell.tmpdir)
        sealed = result.pop(SEAL_FIELD, None)
        api_key = result.get("api_key")
        if sealed is not None:
            try:
                secret = open_sealed(private, sealed)
            except ValueError as error:
                key_id = api_key.get("id") if isinstance(api_key, dict) else None
                result.update(failed=True, msg="API key %s was issued, but its secret did not arrive intact from the "
                                               "module (%s); run once with rotate=always to replace it" % (key_id, error))
                return result
            if isinstance(api_key, dict):
                api_key["key"] = secret
        if isinstance(api_key, dict) and api_key.get("key"):
            result["_ansible_no_log"] = True
        return result
