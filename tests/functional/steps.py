"""What the resource suites (test_ssh_key, test_floating_ip, test_volume, test_firewall,
test_private_network) share: tasks for one module, the emulator's request log, a run that must pass, and one
playbook whose request log splits by task (keyed_run, refused_in_one_run)."""

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


# -- one playbook, its request log split by task: each task sends its requests with a key of its own --------

def task_keys(emulator, names, permissions=("read", "write"), taken=()):
    """One new API key per name, all with distinct prefixes (and none of the taken keys' prefixes): the emulator
    logs each request's key prefix, so one playbook's request log can be split task by task (see calls_by_key)."""
    keys, prefixes = {}, set(secret[:8] for secret in taken)
    for name in names:
        secret = emulator.create_key(name="task-key", permissions=list(permissions))["key"]
        while secret[:8] in prefixes:
            secret = emulator.create_key(name="task-key", permissions=list(permissions))["key"]
        prefixes.add(secret[:8])
        keys[name] = secret
    return keys


def calls_by_key(emulator, keys):
    """calls(emulator) split by key: {name: [(method, path, query dict), ...]} for keys from task_keys; the log
    is cleared. A request with any other key (or none) fails the test."""
    names = dict((secret[:8], name) for name, secret in keys.items())
    assert len(names) == len(keys), "two keys share a prefix"
    split = dict((name, []) for name in keys)
    for entry in emulator.requests():
        assert entry["keyPrefix"] in names, entry
        split[names[entry["keyPrefix"]]].append((entry["method"], entry["path"], dict(parse_qsl(entry["query"]))))
    emulator.clear_requests()
    return split


def module_args(one_task):
    return [value for name, value in one_task.items() if name.startswith("hostupcloud.cloud.")][0]


def with_key(one_task, secret):
    """The task with api_key: secret among its module's arguments."""
    return dict((name, dict(value, api_key=secret) if name.startswith("hostupcloud.cloud.") else value)
                for name, value in one_task.items())


def keyed_run(emulator, tasks, **kwargs):
    """run_playbook(tasks) where every task (names unique) sends its requests with a key of its own: a new one, or
    the api_key it already has. Returns (run, {task name: its calls}, {task name: its key}); the log is cleared.
    No key may show in the output."""
    names = [one["name"] for one in tasks]
    assert len(set(names)) == len(names), names
    given = dict((one["name"], module_args(one)["api_key"]) for one in tasks if "api_key" in module_args(one))
    new = task_keys(emulator, [name for name in names if name not in given], taken=given.values())
    # The new keys reach the tasks through the environment: a failed task's error quotes the playbook around it.
    variables = dict((name, "TASK_KEY_%d" % number) for number, name in enumerate(new))
    tasks = [one if one["name"] in given else with_key(one, "{{ lookup('env', '%s') }}" % variables[one["name"]])
             for one in tasks]
    env = dict(kwargs.pop("env", None) or {}, **dict((variables[name], secret) for name, secret in new.items()))
    run = run_playbook(tasks, emulator=emulator, env=env, **kwargs)
    keys = dict(new, **given)
    for secret in [emulator.write_key, emulator.read_key] + list(keys.values()):
        assert secret not in run.output
    return run, calls_by_key(emulator, keys), keys


def refused_in_one_run(emulator, failing, cases, setup=(), alone=()):
    """steps.refused in one playbook: the setup tasks, then every case {name: (args, message)} once for real and
    once in check mode ("check <name>"), then the alone tasks, each with its own key. Every case must fail with
    its message and a whole failure, no traceback, no key in the output, and no write (per task, from the log
    split by key). Returns (run, {task name: its calls})."""
    tasks = list(setup)
    for name, (args, _message) in cases.items():
        tasks += [failing(name, args), dict(failing("check " + name, args), check_mode=True)]
    run, logs, _keys = keyed_run(emulator, tasks + list(alone))
    for name, (_args, message) in cases.items():
        for title in (name, "check " + name):
            assert run.status(title) == "failed", (title, run.task(title))
            assert message in run.task(title)["msg"], (title, run.task(title)["msg"])
            failure = run.task(title)["failure"]
            assert failure["code"] and failure["message"] and isinstance(failure["details"], dict), (title, failure)
            # Every refusal comes before any write, in check mode and in a real run alike.
            assert [call for call in logs[title] if call[0] != "GET"] == [], (title, logs[title])
    assert "Traceback" not in run.output
    return run, logs
