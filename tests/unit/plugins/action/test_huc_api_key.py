"""Unit tests of the huc_api_key action plugin: the secret's hand-over file is fetched, and every copy removed."""

import os
import shutil
import stat
import subprocess
import tempfile

import pytest

from ansible import constants as C
from ansible.errors import AnsibleConnectionFailure, AnsibleError
from ansible.plugins.loader import shell_loader

from ansible_collections.hostupcloud.cloud.plugins.action.huc_api_key import ActionModule
from ansible_collections.hostupcloud.cloud.plugins.module_utils._key_delivery import (
    DELIVERED_FIELD,
    DELIVERY_ENV,
    write_delivery_file,
)

SECRET = "huc_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789abcd"


class Task:
    action = "hostupcloud.cloud.huc_api_key"
    args = {}
    async_val = 0
    check_mode = False

    def __init__(self):
        self.environment = [{"TZ": "UTC"}]


class Connection:
    """A connection to this host: fetch_file copies, as the local connection does."""

    def __init__(self, fetch_error=None):
        self._shell = shell_loader.get("sh")
        self._shell.tmpdir = None
        self.fetch_error = fetch_error
        self.fetched = []

    def fetch_file(self, in_path, out_path):
        directory = os.path.dirname(out_path)
        self.fetched.append((in_path, stat.S_IMODE(os.stat(directory).st_mode), stat.S_IMODE(os.stat(out_path).st_mode)))
        if self.fetch_error:
            raise self.fetch_error
        shutil.copyfile(in_path, out_path)


def action(tmp_path, monkeypatch, module, fetch_error=None):
    """The plugin with a fake module run (module(environment) -> result); its remote tmp dir is real."""
    local_tmp = tmp_path / "local"
    local_tmp.mkdir(mode=0o700, exist_ok=True)
    monkeypatch.setattr(C, "DEFAULT_LOCAL_TMP", str(local_tmp))
    plugin = ActionModule(Task(), Connection(fetch_error), None, None, None)
    plugin.removed_tmp = []
    plugin.environments = []

    def make_tmp_path(remote_user=None):
        plugin._connection._shell.tmpdir = tempfile.mkdtemp(prefix="ansible-tmp-", dir=str(tmp_path))
        return plugin._connection._shell.tmpdir

    def execute_module(task_vars=None):
        environment = dict(pair for entry in plugin._task.environment for pair in entry.items())
        plugin.environments.append(environment)
        return module(environment)

    def low_level(cmd, sudoable=True, in_data=None):
        done = subprocess.run(["/bin/sh", "-c", cmd], capture_output=True, text=True, check=False)
        return {"rc": done.returncode, "stdout": done.stdout, "stderr": done.stderr}

    def remove_tmp_path(path, force=False):
        plugin.removed_tmp.append(path)  # kept, as with ANSIBLE_KEEP_REMOTE_FILES: the drop must go all the same

    monkeypatch.setattr(plugin, "_make_tmp_path", make_tmp_path)
    monkeypatch.setattr(plugin, "_execute_module", execute_module)
    monkeypatch.setattr(plugin, "_low_level_execute_command", low_level)
    monkeypatch.setattr(plugin, "_remove_tmp_path", remove_tmp_path)
    return plugin, local_tmp


def delivering(environment):
    write_delivery_file(environment[DELIVERY_ENV], SECRET)
    return {"changed": True, "api_key": {"id": "k1", "prefix": SECRET[:8]}, DELIVERED_FIELD: True}


def left_behind(plugin, local_tmp):
    drop = plugin.environments[0][DELIVERY_ENV]
    return os.path.lexists(drop), os.listdir(str(local_tmp))


def test_the_secret_is_fetched_into_a_private_file_and_every_copy_removed(tmp_path, monkeypatch):
    plugin, local_tmp = action(tmp_path, monkeypatch, delivering)
    result = plugin.run(task_vars={})
    assert result["api_key"]["key"] == SECRET and result["_ansible_no_log"] is True and DELIVERED_FIELD not in result
    drop = plugin.environments[0][DELIVERY_ENV]
    assert os.path.dirname(drop) == plugin.removed_tmp[0]  # in the task's remote tmp dir, removed after
    assert plugin.environments[0]["TZ"] == "UTC" and plugin._task.environment == [{"TZ": "UTC"}]
    assert plugin._connection.fetched == [(drop, 0o700, 0o600)]  # fetched into a 0600 file in a 0700 directory
    assert left_behind(plugin, local_tmp) == (False, [])


def test_a_failed_fetch_fails_the_task_without_the_secret_and_still_cleans_up(tmp_path, monkeypatch):
    plugin, local_tmp = action(tmp_path, monkeypatch, delivering, fetch_error=AnsibleError("connection lost"))
    result = plugin.run(task_vars={})
    assert result["failed"] and "API key k1 was issued, but its secret could not be fetched" in result["msg"]
    assert "connection lost" in result["msg"] and "rotate=always" in result["msg"]
    assert "key" not in result["api_key"] and SECRET not in str(result)
    assert left_behind(plugin, local_tmp) == (False, [])


def test_a_module_run_that_breaks_off_still_removes_the_drop(tmp_path, monkeypatch):
    def broken(environment):
        write_delivery_file(environment[DELIVERY_ENV], SECRET)
        raise AnsibleConnectionFailure("gone")

    plugin, local_tmp = action(tmp_path, monkeypatch, broken)
    with pytest.raises(AnsibleConnectionFailure):
        plugin.run(task_vars={})
    assert left_behind(plugin, local_tmp) == (False, []) and plugin._task.environment == [{"TZ": "UTC"}]


def test_without_a_hand_over_nothing_is_fetched_and_a_secret_in_the_result_is_censored(tmp_path, monkeypatch):
    plugin, _local_tmp = action(tmp_path, monkeypatch, lambda environment: {"changed": False, "api_key": {"id": "k1"}})
    result = plugin.run(task_vars={})
    assert "_ansible_no_log" not in result and not plugin._connection.fetched
    plugin, _local_tmp = action(tmp_path, monkeypatch, lambda environment: {"api_key": {"id": "k1", "key": SECRET}})
    assert plugin.run(task_vars={})["_ansible_no_log"] is True
