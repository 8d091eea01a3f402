# -*- coding: utf-8 -*-
# Copyright: HostUpCloud collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of hostupcloud.cloud.huc_api_key: keeps a newly issued secret out of every output.

A module cannot mark its own result no_log (Ansible strips _ansible_* keys from module returns);
an action plugin can. When the result carries a secret (api_key.key), it is marked _ansible_no_log:
callbacks show it censored at every verbosity, while a registered variable still holds the whole
result, so the secret is seen only where a playbook uses it on purpose.

The module's raw output is printed as it is with ANSIBLE_DEBUG, before any of that, so the secret
does not travel in it. This plugin names a file in the task's remote temporary directory (in the
module's environment, HUC_API_KEY_DELIVERY); the module creates it, mode 0600, with the secret in it
and says so in its result; this plugin fetches it through the connection, as ansible.builtin.fetch
does, into a private local file, reads it, and removes the remote and the local copy whatever happens.

Threat model: what is protected is the secret's way from the module to the task result. It never
appears in the module's stdout, so neither ANSIBLE_DEBUG nor -vvvv output nor any callback shows it,
and no file holding it outlives the task. What is not protected: root on the host the module runs on
(and the user it runs as) can read the file in the few milliseconds between the module writing it and
this plugin fetching and removing it, but they can read the module's memory, its arguments (api_key
included) and its connection anyway; and the registered variable holds the secret on purpose, for the
playbook to store it. A mode 0600 file is enough because the module creates it new (O_EXCL, never
through a symlink) inside the task's own remote temporary directory, which Ansible makes mode 0700,
with an unguessable name, for this one task and removes after it: nobody but its owner and root can
list, open or replace anything in it. Async is refused, as its job file would hold the result. With
become to another unprivileged user the module may be unable to create the file in that directory;
it then fails before it issues a key (key_file still works there).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import shutil
import tempfile

from ansible import constants as C
from ansible.errors import AnsibleError
from ansible.plugins.action import ActionBase
from ansible.utils.display import Display

from ansible_collections.hostupcloud.cloud.plugins.module_utils._key_delivery import (
    DELIVERED_FIELD,
    DELIVERY_ENV,
    DELIVERY_FILE,
)

display = Display()


class ActionModule(ActionBase):

    _supports_check_mode = True
    # An async job writes the module's result, secret included, to a job file: refused.
    _supports_async = False

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp  # tmp no longer has any effect
        shell = self._connection._shell
        if shell.tmpdir is None:
            self._make_tmp_path()  # also with pipelining, which would not need one for the module
        drop = shell.join_path(shell.tmpdir, DELIVERY_FILE)
        environment = self._task.environment
        if isinstance(environment, list):
            asked = list(environment)
        else:
            asked = [environment] if environment else []
        # Last, so that no task or play environment can name another file.
        self._task.environment = asked + [{DELIVERY_ENV: drop}]
        local_dir = None
        try:
            try:
                result.update(self._execute_module(task_vars=task_vars))
            finally:
                self._task.environment = environment
            api_key = result.get("api_key")
            if result.pop(DELIVERED_FIELD, False):
                local_dir = tempfile.mkdtemp(prefix="huc-api-key-", dir=C.DEFAULT_LOCAL_TMP)  # mode 0700
                try:
                    secret = self._fetch_secret(drop, os.path.join(local_dir, DELIVERY_FILE))
                except (AnsibleError, OSError, UnicodeDecodeError, ValueError) as error:
                    key_id = api_key.get("id") if isinstance(api_key, dict) else None
                    result.update(failed=True, msg="API key %s was issued, but its secret could not be fetched from the "
                                                   "host the module ran on (%s); run once with rotate=always to replace it"
                                                   % (key_id, error))
                    return result
                if isinstance(api_key, dict):
                    api_key["key"] = secret
            if isinstance(api_key, dict) and api_key.get("key"):
                result["_ansible_no_log"] = True
            return result
        finally:
            self._remove_remote_file(drop)
            self._remove_tmp_path(shell.tmpdir)
            if local_dir:
                shutil.rmtree(local_dir, ignore_errors=True)

    def _fetch_secret(self, remote_path, local_path):
        """The secret in remote_path, fetched into local_path (created 0600 first, in a 0700 directory)."""
        os.close(os.open(local_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600))
        self._connection.fetch_file(remote_path, local_path)
        with open(local_path, "rb") as stream:
            secret = stream.read().decode("utf-8")
        if not secret:
            raise ValueError("the file was empty")
        return secret

    def _remove_remote_file(self, path):
        """Remove path on the host the module ran on, whether it exists or not; the tmp dir may be kept."""
        result = self._low_level_execute_command(self._connection._shell.remove(path), sudoable=False)
        if result.get("rc", 0) != 0:
            display.warning("could not remove %s, which may hold a new API key secret (rc %s): %s"
                            % (path, result.get("rc"), result.get("stderr")))
