"""Bad connection settings through real ansible-playbook and ansible-inventory: a clean error naming
the option, no traceback, and no request sent. HucClient refuses them, so modules and the inventory
plugin share the checks."""

import os
import tempfile

import pytest
import yaml

from tests.functional.playbook import BIN, run_command

BAD_TIMEOUTS = [0, -5]
BAD_URLS = ["http://[::1", "http://127.0.0.1:abc/api"]
# Without this, ansible-inventory only warns about a source it could not parse and exits 0.
FAIL_UNPARSED = {"ANSIBLE_INVENTORY_UNPARSED_FAILED": "1"}


def info_task(**options):
    return {"name": "info", "hostupcloud.cloud.huc_project_info": options, "register": "out"}


def assert_clean_failure(run, emulator, text):
    assert run.rc != 0, run
    assert text in run.output, run
    assert "Traceback" not in run.output, run
    assert "MODULE FAILURE" not in run.output, run
    assert emulator.write_key not in run.output
    assert emulator.requests() == []


@pytest.mark.parametrize("timeout", BAD_TIMEOUTS)
def test_module_refuses_a_timeout_that_is_not_positive(play, emulator, timeout):
    run = play([info_task(api_timeout=timeout)], args=["-vvvv"])
    message = "api_timeout must be a number of seconds greater than 0, got %d" % timeout
    assert_clean_failure(run, emulator, message)
    result = run.task("info")
    assert result["failed"] and result["msg"] == message
    assert result["failure"]["code"] == "invalid_api_timeout"


def test_module_refuses_a_zero_timeout_from_the_environment(play, emulator):
    run = play([info_task()], env={"HUC_API_TIMEOUT": "0"})
    assert_clean_failure(run, emulator, "api_timeout must be a number of seconds greater than 0, got 0")


@pytest.mark.parametrize("url", BAD_URLS)
def test_module_refuses_a_malformed_api_url(play, emulator, url):
    run = play([info_task(api_url=url)], args=["-vvvv"])
    assert_clean_failure(run, emulator, "api_url is not a valid URL: %r" % url)
    result = run.task("info")
    assert result["failed"] and result["msg"].startswith("api_url is not a valid URL: ")
    assert result["failure"]["code"] == "invalid_api_url"


def inventory(emulator, config):
    """ansible-inventory --list -vvvv on a bad.huc.yml written from config."""
    workdir = tempfile.mkdtemp(prefix="huc-inv-")
    path = os.path.join(workdir, "bad.huc.yml")
    with open(path, "w") as handle:
        yaml.safe_dump(dict({"plugin": "hostupcloud.cloud.huc"}, **config), handle, sort_keys=False)
    return run_command([os.path.join(BIN, "ansible-inventory"), "-i", path, "--list", "-vvvv"],
                       emulator=emulator, env=FAIL_UNPARSED, workdir=workdir)


@pytest.mark.parametrize("timeout", BAD_TIMEOUTS)
def test_inventory_refuses_a_timeout_that_is_not_positive(emulator, timeout):
    run = inventory(emulator, {"api_timeout": timeout})
    assert_clean_failure(run, emulator, "hostupcloud.cloud.huc inventory: api_timeout must be a number of seconds "
                                        "greater than 0, got %d" % timeout)


@pytest.mark.parametrize("url", BAD_URLS)
def test_inventory_refuses_a_malformed_api_url(emulator, url):
    run = inventory(emulator, {"api_url": url})
    assert_clean_failure(run, emulator, "hostupcloud.cloud.huc inventory: api_url is not a valid URL: %r" % url)
