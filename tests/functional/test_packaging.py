"""The collection as users get it: built tarball, installed copy, execution environment, runner."""

import os
import shutil
import subprocess
import sys
import tarfile

import pytest
import yaml

from tests.functional.playbook import BIN, ROOT, base_env, collections_path, run_playbook

PROJECTS = [{"name": "list", "hostupcloud.cloud.huc_project_info": {}, "register": "out"}]


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


def test_tarball_is_complete_and_free_of_clutter(tarball):
    with tarfile.open(tarball) as archive:
        names = archive.getnames()
    for needed in ("MANIFEST.json", "FILES.json", "meta/runtime.yml", "meta/execution-environment.yml",
                   "requirements.txt", "bindep.txt", "plugins/module_utils/_client.py",
                   "plugins/modules/huc_project_info.py", "tests/emulator/__main__.py", "README.md"):
        assert needed in names, needed
    clutter = (".venv", ".cache", ".git", "dist", "tests/output", ".ci", ".pytest_cache", "collections")
    leaked = [n for n in names if n.split("/")[0] in clutter or n.startswith(clutter) or "__pycache__" in n]
    assert leaked == []


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
    assert "ansible-core==2.19.14" in containerfile
    assert (context / "_build" / "collections" / "hostupcloud-cloud.tar.gz").exists()
    with open(str(context / "_build" / "requirements.yml")) as handle:
        assert yaml.safe_load(handle)["collections"][0]["type"] == "file"
    introspect = run([os.path.join(BIN, "ansible-builder"), "introspect", collections_path()])
    assert "requests>=2.31" in introspect.stdout


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
