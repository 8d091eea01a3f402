"""What the resource suites (test_ssh_key, test_floating_ip, test_volume, test_firewall,
test_private_network) share: tasks for one module, the emulator's request log, a run that must pass."""

from urllib.parse import parse_qsl

from tests.functional.playbook import run_playbook

UNKNOWN_ID = "7d3c2a4e-0b1f-4c55-9a51-2f6a1c0e8b90"
PAGE = {"page": "1", "perPage": "100"}


def steps(default_module):
    """task(title, args), failing(...) and checked(...) for the module a suite is about."""
    def task(title, args, module=default_module):
        return {"name": title, module: args, "register": "out"}

    def failing(title, args, module=default_module):
        return dict(task(title, args, module), ignore_errors=True)

    def checked(title, args, module=default_module):
        return dict(task(title, args, module), check_mode=True)

    return task, failing, checked


def calls(emulator):
    """(method, path, query dict) of every /api request so far, and clear the log for the next step."""
    log = [(r["method"], r["path"], dict(parse_qsl(r["query"]))) for r in emulator.requests()]
    emulator.clear_requests()
    return log


def writes(emulator):
    """(method, path) of every request so far that was not a GET."""
    return [(r["method"], r["path"]) for r in emulator.requests() if r["method"] != "GET"]


def run_ok(tasks, emulator, **kwargs):
    run = run_playbook(tasks, emulator=emulator, **kwargs)
    assert run.rc == 0, [(r["task"], r["result"].get("msg")) for r in run.records]
    assert "Traceback" not in run.output
    return run


def refused(emulator, failing, cases):
    """Run every case {name: (args, message)} once for real and once in --check; each must fail with
    its message and a whole failure, no traceback, no key in the output, and nothing written.

    Returns the --check run (its messages are the real run's, asserted here).
    """
    for mode in ([], ["--check"]):
        run = run_playbook([failing(name, case[0]) for name, case in cases.items()], emulator=emulator, args=mode)
        for name, (_args, message) in cases.items():
            assert run.status(name) == "failed", (name, mode, run.task(name))
            assert message in run.task(name)["msg"], (name, mode, run.task(name)["msg"])
            failure = run.task(name)["failure"]
            assert failure["code"] and failure["message"] and isinstance(failure["details"], dict), (name, failure)
        assert "Traceback" not in run.output
        assert emulator.write_key not in run.output and emulator.read_key not in run.output
        # Every refusal comes before any write, in check mode and in a real run alike.
        assert writes(emulator) == []
        emulator.clear_requests()
    return run
