"""The collection as users get it: built tarball, installed copy, execution environment, runner."""

import json
import os
import shutil
import subprocess
import sys
import tarfile
import time
import urllib.request

import pytest
import yaml
from packaging.requirements import Requirement

from tests.functional.playbook import BIN, ROOT, base_env, collections_path, run_playbook

PROJECTS = [{"name": "list", "hostupcloud.cloud.huc_project_info": {}, "register": "out"}]
# Development tooling that stays out of the tarball (galaxy.yml build_ignore).
DEV_ONLY = ("bench", "tools", "Makefile", "pytest.ini", "requirements-dev.txt", "constraints-dev.txt",
            "requirements-min.txt", ".ci")


def run(argv, **kwargs):
    kwargs.setdefault("env", base_env())
    proc = subprocess.run(argv, capture_output=True, text=True, check=False, **kwargs)
    assert proc.returncode == 0, "%s failed:\n%s%s" % (argv, proc.stdout, proc.stderr)
    return proc


@pytest.fixture(scope="module")
def tarball(tmp_path_factory):
    out = tmp_path_factory.mktemp("dist")
    run([os.path.join(BIN, "ansible-galaxy"), "collection", "build", "--force", "--output-path", str(out)], cwd=ROOT)
    built = [name for name in os.listdir(out) if name.endswith(".tar.gz")]
    assert len(built) == 1
    return os.path.join(str(out), built[0])


@pytest.fixture(scope="module")
def installed(tarball, tmp_path_factory):
    """The tarball installed with ansible-galaxy: the collection's directory (.../ansible_collections/hostupcloud/cloud)."""
    root = tmp_path_factory.mktemp("installed")
    run([os.path.join(BIN, "ansible-galaxy"), "collection", "install", "--offline", "--force", "-p", str(root), tarball])
    collection = root / "ansible_collections" / "hostupcloud" / "cloud"
    assert (collection / "MANIFEST.json").exists() and not (collection / "galaxy.yml").exists()
    return collection


def user_env(collections_root):
    """The environment of a user's process: nothing from this checkout on the path."""
    env = base_env(extra={"ANSIBLE_COLLECTIONS_PATH": str(collections_root)})
    env.pop("PYTHONPATH", None)
    env["PYTHONDONTWRITEBYTECODE"] = "1"  # leave the installed copy as ansible-galaxy wrote it
    return env


def test_tarball_is_complete_and_free_of_clutter(tarball):
    with tarfile.open(tarball) as archive:
        names = archive.getnames()
        manifest = json.load(archive.extractfile("MANIFEST.json"))
        license_text = archive.extractfile("COPYING").read().decode("utf-8")
    for needed in ("MANIFEST.json", "FILES.json", "meta/runtime.yml", "meta/execution-environment.yml",
                   "requirements.txt", "bindep.txt", "plugins/module_utils/_client.py",
                   "plugins/modules/huc_project_info.py", "tests/emulator/__main__.py", "README.md",
                   "COPYING", ".ansible-lint", "tests/emulator/requirements.txt", "tests/unit/conftest.py"):
        assert needed in names, needed
    clutter = (".venv", ".cache", ".git", "dist", "tests/output", ".ci", ".pytest_cache", "collections")
    leaked = [n for n in names if n.split("/")[0] in clutter or n.startswith(clutter) or "__pycache__" in n]
    assert leaked == []
    dev_files = [n for n in names if n.split("/")[0] in DEV_ONLY]
    assert dev_files == []
    # The license: the full GPL-3.0 text, named in MANIFEST.json.
    assert manifest["collection_info"]["license_file"] == "COPYING"
    assert license_text.split()[:6] == ["GNU", "GENERAL", "PUBLIC", "LICENSE", "Version", "3,"]
    assert "END OF TERMS AND CONDITIONS" in license_text and "How to Apply These Terms to Your New Programs" in license_text
    with open(os.path.join(ROOT, "COPYING")) as handle:
        assert license_text == handle.read()


def test_unit_tests_pass_in_the_installed_copy(installed):
    """The shipped tests/unit run where there is no galaxy.yml and no development file.

    As a user runs them: cd into the installed collection, python -m pytest tests/unit (tests/unit/conftest.py
    points the collection loader at the ansible_collections tree the copy sits in).
    """
    proc = subprocess.run([sys.executable, "-m", "pytest", "tests/unit", "-v", "-p", "no:cacheprovider", "-p", "no:xdist", "-rs"],
                          cwd=str(installed), env=user_env(installed.parents[2]), capture_output=True, text=True, timeout=600, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # The tests ran from the installed copy, and the version test read MANIFEST.json instead of being skipped.
    assert "rootdir: %s" % installed in proc.stdout
    assert "test_version_matches_galaxy_yml PASSED" in proc.stdout
    assert "test_lowest_tested_ansible_core_is_the_claimed_floor SKIPPED" in proc.stdout
    assert " passed" in proc.stdout.splitlines()[-1]


def test_emulator_requirements_admit_the_pinned_versions(installed):
    with open(os.path.join(ROOT, "constraints-dev.txt")) as handle:
        pins = dict(line.strip().lower().split("==") for line in handle if "==" in line and not line.startswith("#"))
    with open(str(installed / "tests" / "emulator" / "requirements.txt")) as handle:
        wanted = [Requirement(line) for line in (raw.split("#")[0].strip() for raw in handle) if line]
    assert sorted(req.name for req in wanted) == ["fastapi", "pydantic", "uvicorn"]
    for req in wanted:
        assert req.specifier.contains(pins[req.name]), (str(req), pins[req.name])


def test_emulator_runs_from_the_installed_copy(installed, tmp_path):
    """The command of tests/emulator/README.md: cd into the installed collection, python -m tests.emulator."""
    bootstrap = tmp_path / "huc.json"
    process = subprocess.Popen([sys.executable, "-m", "tests.emulator", "--port", "0", "--bootstrap-file", str(bootstrap),
                                "--quiet", "--seed-projects", "production,staging"],
                               cwd=str(installed), env=user_env(installed.parents[2]),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while not bootstrap.exists():
            assert process.poll() is None, process.communicate()[1].decode()
            assert time.monotonic() < deadline, "no bootstrap file after 30 s"
            time.sleep(0.05)
        facts = json.loads(bootstrap.read_text())
        assert facts["pid"] == process.pid
        request = urllib.request.Request(facts["api_url"] + "/projects", headers={"Authorization": "Bearer " + facts["write_key"]})
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(request, timeout=30) as response:
            assert response.status == 200
            projects = json.load(response)["data"]
        assert [project["name"] for project in projects] == ["default", "production", "staging"]
        # It is the installed copy's code that runs: python -m imports tests.emulator from the working directory.
        if os.path.exists("/proc/%d/cwd" % process.pid):
            assert os.path.realpath("/proc/%d/cwd" % process.pid) == os.path.realpath(str(installed))
    finally:
        process.terminate()
        process.wait(timeout=10)
        process.stdout.close()
        process.stderr.close()


def test_installed_copy_runs_against_the_emulator(tarball, tmp_path, emulator):
    target = tmp_path / "installed"
    run([os.path.join(BIN, "ansible-galaxy"), "collection", "install", "--offline", "--force", "-p", str(target), tarball])
    run([os.path.join(BIN, "ansible-galaxy"), "collection", "verify", "--offline", "-p", str(target),
         "hostupcloud.cloud"],
        env=base_env(extra={"ANSIBLE_COLLECTIONS_PATH": str(target)}))
    result = run_playbook(PROJECTS, emulator=emulator, env={"ANSIBLE_COLLECTIONS_PATH": str(target)}, args=["-vvv"])
    assert result.rc == 0, result
    assert result.task("list")["projects"][0]["id"] == emulator.project_id
    # The module really came from the installed copy, not from this checkout.
    installed = target / "ansible_collections" / "hostupcloud" / "cloud" / "plugins" / "modules" / "huc_project_info.py"
    assert "Using module file %s" % installed in result.output


def test_execution_environment_context_builds_offline(tarball, tmp_path):
    (tmp_path / "ee").mkdir()
    (tmp_path / "dist").mkdir()
    shutil.copy(os.path.join(ROOT, "ee", "execution-environment.yml"), str(tmp_path / "ee"))
    shutil.copy(tarball, str(tmp_path / "dist" / "hostupcloud-cloud.tar.gz"))
    context = tmp_path / "context"
    run([os.path.join(BIN, "ansible-builder"), "create", "-f", str(tmp_path / "ee" / "execution-environment.yml"),
         "-c", str(context), "--output-filename", "Containerfile"])
    containerfile = (context / "Containerfile").read_text()
    assert "ansible-core==2.21.5" in containerfile
    assert (context / "_build" / "collections" / "hostupcloud-cloud.tar.gz").exists()
    with open(str(context / "_build" / "requirements.yml")) as handle:
        assert yaml.safe_load(handle)["collections"][0]["type"] == "file"
    introspect = run([os.path.join(BIN, "ansible-builder"), "introspect", collections_path()])
    assert "requests>=2.31" in introspect.stdout


@pytest.mark.heavy
def test_demo_runs_through_ansible_runner(emulator, tmp_path, monkeypatch):
    import ansible_runner
    monkeypatch.setenv("PATH", BIN + os.pathsep + os.environ.get("PATH", ""))
    data = tmp_path / "runner"
    (data / "project").mkdir(parents=True)
    (data / "inventory").mkdir()
    (data / "env").mkdir()
    shutil.copy(os.path.join(ROOT, "playbooks", "demo.yml"), str(data / "project" / "demo.yml"))
    (data / "inventory" / "hosts.yml").write_text(yaml.safe_dump(
        {"all": {"hosts": {"localhost": {"ansible_connection": "local", "ansible_python_interpreter": sys.executable}}}}))
    envvars = {"ANSIBLE_COLLECTIONS_PATH": collections_path(), "HUC_API_URL": emulator.api_url,
               "HUC_API_KEY": emulator.write_key, "HUC_PROJECT": emulator.project_id,
               "HUC_EMULATOR_URL": emulator.base_url}
    (data / "env" / "envvars").write_text(yaml.safe_dump(envvars))
    (data / "env" / "settings").write_text(yaml.safe_dump({"process_isolation": False}))
    result = ansible_runner.run(private_data_dir=str(data), playbook="demo.yml", quiet=True)
    assert result.status == "successful" and result.rc == 0, result.stdout.read()
    artifacts = data / "artifacts" / result.config.ident
    assert (artifacts / "rc").read_text().strip() == "0"
    assert (artifacts / "status").read_text().strip() == "successful"
    ok = [e for e in result.events if e["event"] == "runner_on_ok"]
    assert any(e["event_data"]["task_action"].startswith("hostupcloud.cloud.") for e in ok)
    assert emulator.write_key not in (artifacts / "stdout").read_text()


def test_every_module_has_an_integration_target():
    """The hcloud layout: a target per module, against an emulator it starts and stops in always."""
    targets = os.path.join(ROOT, "tests", "integration", "targets")
    modules = sorted(name[:-3] for name in os.listdir(os.path.join(ROOT, "plugins", "modules")) if name.endswith(".py"))
    assert sorted(set(os.listdir(targets)) - {"setup_emulator"}) == modules
    for module in modules:
        with open(os.path.join(targets, module, "aliases")) as handle:
            assert "needs/target/setup_emulator" in handle.read().split(), module
        with open(os.path.join(targets, module, "tasks", "main.yml")) as handle:
            (play,) = yaml.safe_load(handle)
        assert play["block"][0]["ansible.builtin.include_role"]["name"] == "setup_emulator", module
        # the stop is in always, or in the always of a cleanup block there
        last = play["always"][-1]
        stop = (last["always"][-1] if "always" in last else last)["ansible.builtin.include_role"]
        assert stop == {"name": "setup_emulator", "tasks_from": "stop"}, module
        with open(os.path.join(targets, module, "tasks", "test.yml")) as handle:
            tasks = yaml.safe_load(handle)
        uses = {key for task in tasks for key in task if key.startswith("hostupcloud.cloud.")}
        assert "hostupcloud.cloud." + module in uses, module
        if not module.endswith("_info"):
            assert any(task.get("check_mode") is True for task in tasks), module
