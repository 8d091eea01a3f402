"""Bad connection settings through real ansible-playbook and ansible-inventory: a clean error naming
the option, no traceback, and no request sent. HucClient refuses them, so modules and the inventory
plugin share the checks."""

import os

import yaml

from tests.functional.playbook import BIN, run_command, work_dir

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


TIMEOUT_MESSAGE = "api_timeout must be a number of seconds greater than 0, got %d"


def test_module_refuses_bad_timeouts_and_urls(play, emulator):
    """One playbook at -vvvv, a task per bad setting (in the module's options, or a zero timeout from the
    environment); every task but the last ignores its failure, so the run as a whole still fails."""
    cases = [("timeout %d" % timeout, {"api_timeout": timeout}, None, TIMEOUT_MESSAGE % timeout, "invalid_api_timeout")
             for timeout in BAD_TIMEOUTS]
    cases.append(("zero timeout from the environment", {}, {"HUC_API_TIMEOUT": "0"}, TIMEOUT_MESSAGE % 0, None))
    cases += [("url %s" % url, {"api_url": url}, None, "api_url is not a valid URL: %r" % url, "invalid_api_url")
              for url in BAD_URLS]
    tasks = []
    for name, options, environment, _message, _code in cases:
        tasks.append(dict(info_task(**options), name=name, ignore_errors=True))
        if environment:
            tasks[-1]["environment"] = environment
    del tasks[-1]["ignore_errors"]
    run = play(tasks, args=["-vvvv"])
    for name, options, _environment, message, code in cases:
        assert_clean_failure(run, emulator, message)
        result = run.task(name)
        assert run.status(name) == "failed" and result["failed"], name
        if "api_url" in options:
            assert result["msg"].startswith("api_url is not a valid URL: "), name
        else:
            assert result["msg"] == message, name
        if code:
            assert result["failure"]["code"] == code, name


def inventory(emulator, config):
    """ansible-inventory --list -vvvv on a bad.huc.yml written from config."""
    workdir = work_dir("inv-")
    path = os.path.join(workdir, "bad.huc.yml")
    with open(path, "w") as handle:
        yaml.safe_dump(dict({"plugin": "hostupcloud.cloud.huc"}, **config), handle, sort_keys=False)
    return run_command([os.path.join(BIN, "ansible-inventory"), "-i", path, "--list", "-vvvv"],
                       emulator=emulator, env=FAIL_UNPARSED, workdir=workdir)


def test_inventory_refuses_bad_timeouts_and_urls(emulator):
    """One ansible-inventory run per bad setting, all on one emulator: none sends a request."""
    prefix = "hostupcloud.cloud.huc inventory: "
    for timeout in BAD_TIMEOUTS:
        run = inventory(emulator, {"api_timeout": timeout})
        assert_clean_failure(run, emulator, prefix + "api_timeout must be a number of seconds greater than 0, got %d" % timeout)
    for url in BAD_URLS:
        run = inventory(emulator, {"api_url": url})
        assert_clean_failure(run, emulator, prefix + "api_url is not a valid URL: %r" % url)
