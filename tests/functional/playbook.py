"""Run real ansible-playbook / ansible-inventory processes against an emulator, for the tests."""

import atexit
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CALLBACKS = os.path.join(ROOT, "tests", "functional", "callback_plugins")
BIN = os.path.dirname(sys.executable)
# ansible-playbook, ansible-inventory, ansible-galaxy come from here: HUC_ANSIBLE_BIN points the
# same tests at another ansible-core (make test-min runs them on the lowest supported version).
ANSIBLE_BIN = os.environ.get("HUC_ANSIBLE_BIN") or BIN
# The Python the modules run under (ansible_python_interpreter): HUC_PYTHON_INTERPRETER points the
# same tests at another one (make test-max: the max venv's, make test-pythons: 3.8 and 3.13).
PYTHON_INTERPRETER = os.environ.get("HUC_PYTHON_INTERPRETER") or sys.executable
RATE_DIR = os.path.join(tempfile.gettempdir(), "huc-test-rate-budget")
# Compiled code, kept between runs: the controller's (Python's pycache, which PYTHONDONTWRITEBYTECODE
# in the caller's environment would turn off) and the modules' (code_cache/sitecustomize.py).
CODE_CACHE = os.path.join(ROOT, ".cache", "code")
SITECUSTOMIZE = os.path.join(ROOT, "tests", "functional", "code_cache")
_WORK_ROOT = []
_PAYLOAD_DIR = []


def payload_cache():
    """Where ansible-playbook runs share their AnsiballZ payloads (code_cache/sitecustomize.py): a directory named
    by a digest of the collection's plugins, so that a changed source never meets a payload of the old one."""
    if not _PAYLOAD_DIR:
        digest = hashlib.sha256()
        plugins = os.path.join(ROOT, "plugins")
        for top, dirs, files in os.walk(plugins):
            dirs[:] = sorted(name for name in dirs if name != "__pycache__")
            for name in sorted(files):
                path = os.path.join(top, name)
                with open(path, "rb") as handle:
                    digest.update(os.path.relpath(path, plugins).encode() + b"\0" + handle.read() + b"\0")
        _PAYLOAD_DIR.append(os.path.join(CODE_CACHE, "ansiballz", digest.hexdigest()[:16]))
    return _PAYLOAD_DIR[0]


def work_root():
    """This test process's own directory, which goes when the process does."""
    if not _WORK_ROOT:
        _WORK_ROOT.append(tempfile.mkdtemp(prefix="huc-tests-"))
        atexit.register(shutil.rmtree, _WORK_ROOT[0], True)
    return _WORK_ROOT[0]


def work_dir(prefix):
    """A new directory for one run, under this test process's own root."""
    return tempfile.mkdtemp(prefix=prefix, dir=work_root())


def collections_path():
    """A symlink farm ansible_collections/hostupcloud/cloud -> this checkout (made once)."""
    farm = os.path.join(ROOT, ".cache", "collections")
    link = os.path.join(farm, "ansible_collections", "hostupcloud", "cloud")
    if not os.path.exists(link):
        os.makedirs(os.path.dirname(link), exist_ok=True)
        try:
            os.symlink(os.path.join("..", "..", "..", ".."), link)
        except FileExistsError:
            pass
    return farm


class Run:
    """One finished ansible process: rc, output and the recorded task results."""

    def __init__(self, rc, stdout, stderr, records):
        self.rc = rc
        self.stdout = stdout
        self.stderr = stderr
        self.records = records

    @property
    def output(self):
        return self.stdout + self.stderr

    def task(self, name):
        """The result dict of the (last) task with this name."""
        found = [r for r in self.records if r["task"] == name]
        assert found, "no task %r ran; tasks: %s\n%s" % (name, [r["task"] for r in self.records], self.output)
        return found[-1]["result"]

    def status(self, name):
        return [r for r in self.records if r["task"] == name][-1]["status"]

    def __repr__(self):
        return "<Run rc=%s>\n%s" % (self.rc, self.output[-4000:])


def base_env(emulator=None, key=None, extra=None):
    """Environment of a child ansible process: clean of the caller's HUC_* and ANSIBLE_* settings."""
    env = dict((k, v) for k, v in os.environ.items() if not k.startswith(("HUC_", "ANSIBLE_")))
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.update({
        "ANSIBLE_COLLECTIONS_PATH": collections_path(),
        "ANSIBLE_CALLBACK_PLUGINS": CALLBACKS,
        "ANSIBLE_CALLBACKS_ENABLED": "huc_record",
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_RETRY_FILES_ENABLED": "0",
        "ANSIBLE_PYTHON_INTERPRETER": PYTHON_INTERPRETER,
        "ANSIBLE_LOCALHOST_WARNING": "0",
        "ANSIBLE_INVENTORY_UNPARSED_WARNING": "0",
        "PATH": ANSIBLE_BIN + os.pathsep + env.get("PATH", ""),
        # The shared request budget's state files of test runs stay out of the user's directory.
        "HUC_RATE_LIMIT_DIR": RATE_DIR,
        "PYTHONPYCACHEPREFIX": os.path.join(CODE_CACHE, "pycache"),
        "PYTHONPATH": os.pathsep.join(p for p in (SITECUSTOMIZE, env.get("PYTHONPATH")) if p),
        "HUC_TEST_CODE_CACHE": os.path.join(CODE_CACHE, "modules"),
        "HUC_TEST_ANSIBALLZ_CACHE": payload_cache(),
        "HUC_TEST_ANSIBALLZ_SOURCES": os.path.realpath(os.path.join(ROOT, "plugins")) + os.sep,
        # Ansible's temporary directories (~/.ansible/tmp by default): a run the test kills leaves its own
        # behind, and they go with this process's directory instead of piling up in the home directory.
        "ANSIBLE_LOCAL_TEMP": os.path.join(work_root(), "ansible-local"),
        "ANSIBLE_REMOTE_TEMP": os.path.join(work_root(), "ansible-remote"),
    })
    if emulator is not None:
        env["HUC_API_URL"] = emulator.api_url
        env["HUC_API_KEY"] = key or emulator.write_key
    env.update(extra or {})
    return env


def run_playbook(tasks, emulator=None, key=None, env=None, args=(), vars=None, play=None, timeout=600):
    """Run a one-play playbook on localhost made of tasks (a list of task dicts).

    play adds keys to the play (module_defaults, ...); args go to ansible-playbook as they are
    (--check, --diff, -vvvv, -e ...).
    """
    workdir = work_dir("play-")
    play_def = {"name": "test", "hosts": "localhost", "connection": "local", "gather_facts": False,
                "vars": vars or {}, "tasks": tasks}
    play_def.update(play or {})
    playbook = os.path.join(workdir, "play.yml")
    with open(playbook, "w") as handle:
        yaml.safe_dump([play_def], handle, sort_keys=False)
    return run_command([os.path.join(ANSIBLE_BIN, "ansible-playbook"), "-i", "localhost,", playbook] + list(args),
                       emulator, key, env, workdir, timeout)


def run_command(argv, emulator=None, key=None, env=None, workdir=None, timeout=600):
    """Run an ansible command and collect its recorded task results."""
    workdir = workdir or work_dir("cmd-")
    record = os.path.join(workdir, "record.jsonl")
    child_env = base_env(emulator, key, env)
    child_env["HUC_RECORD_FILE"] = record
    proc = subprocess.run(argv, cwd=workdir, env=child_env, capture_output=True, text=True, timeout=timeout, check=False)
    records = []
    if os.path.exists(record):
        with open(record) as handle:
            records = [json.loads(line) for line in handle if line.strip()]
    return Run(proc.returncode, proc.stdout, proc.stderr, records)
