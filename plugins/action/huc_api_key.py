# -*- coding: utf-8 -*-
# Copyright: HostUpCloud collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of hostupcloud.cloud.huc_api_key: keeps a newly issued secret out of every output.

A module cannot mark its own result no_log (Ansible strips _ansible_* keys from module returns);
an action plugin can. When the module returns a secret (api_key.key), the result is marked
_ansible_no_log: callbacks show it censored at every verbosity, while a registered variable still
holds the whole result, so the secret is seen only where a playbook uses it on purpose.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.plugins.action import ActionBase


class ActionModule(ActionBase):

    _supports_check_mode = True
    # An async job writes the module's result, secret included, to a job file: refused.
    _supports_async = False

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp  # tmp no longer has any effect
        result.update(self._execute_module(task_vars=task_vars))
        self._remove_tmp_path(self._connection._shell.tmpdir)
        api_key = result.get("api_key")
        if isinstance(api_key, dict) and api_key.get("key"):
            result["_ansible_no_log"] = True
        return result
