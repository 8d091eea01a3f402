"""The command line: bootstrap file, banner, seeding, state file across restarts, start-up errors."""

import json
import os
import subprocess
import sys
import time

import pytest

from tests.contract.helpers import Api
from tests.emulator.harness import REPO_ROOT, Emulator, EmulatorError

BOOTSTRAP_KEYS = {"api_url", "base_url", "write_key", "read_key", "project_id", "project_name", "node_id", "node_name", "os_template", "pid"}


def test_bootstrap_file(emulator):
    assert set(emulator.bootstrap) == BOOTSTRAP_KEYS
    assert emulator.api_url == emulator.base_url + "/api"
    assert emulator.base_url.startswith("http://127.0.0.1:") and not emulator.base_url.endswith(":0")
    assert emulator.bootstrap["pid"] == emulator.process.pid
    assert emulator.project_name == "default" and emulator.node_name == "fra1-n1" and emulator.os_template == "Ubuntu 24.04"
    assert emulator.write_key != emulator.read_key


def test_banner_for_a_person(tmp_path):
    bootstrap = tmp_path / "bootstrap.json"
    out = (tmp_path / "out.txt").open("wb")
    process = subprocess.Popen([sys.executable, "-m", "tests.emulator", "--port", "0", "--bootstrap-file", str(bootstrap)],
                               cwd=REPO_ROOT, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while not bootstrap.exists() and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.02)
        facts = json.loads(bootstrap.read_text())
        time.sleep(0.1)
        text = (tmp_path / "out.txt").read_text()
    finally:
        process.terminate()
        process.wait(timeout=10)
        out.close()
    for value in (facts["api_url"], facts["write_key"], facts["read_key"], facts["project_id"]):
        assert value in text
    assert [name for name in os.listdir(str(tmp_path)) if name.startswith(".tmp")] == []


@pytest.mark.parametrize("fork", ["1", "0"], ids=["forked", "plain process"])
def test_start_failure_reports_stderr(monkeypatch, fork):
    monkeypatch.setenv("HUC_EMULATOR_FORK", fork)
    with pytest.raises(EmulatorError) as caught:
        Emulator(rate_limit=0).start()
    assert "emulator exited with 2 before it was ready" in str(caught.value) and "--rate-limit" in str(caught.value)


@pytest.mark.parametrize("fork", ["1", "0"], ids=["forked", "plain process"])
def test_an_emulator_is_its_own_process_and_stops(monkeypatch, fork):
    """Forked from the warm server or started plainly: its own pid and port, gone once stopped."""
    monkeypatch.setenv("HUC_EMULATOR_FORK", fork)
    first, second = Emulator().start(), Emulator().start()
    try:
        assert first.process.pid != second.process.pid and first.base_url != second.base_url
        assert first.call("GET", "/projects")[0] == 200 and second.call("GET", "/projects")[0] == 200
        process = first.process
    finally:
        first.stop()
        second.stop()
    assert process.poll() is not None
    with pytest.raises(OSError):
        os.kill(process.pid, 0)


def test_seed_projects_and_instances(emulator_factory):
    emulator = emulator_factory(seed_projects=3, seed_instances=300)
    state = emulator.state()
    projects = {project["name"]: project["id"] for project in state["projects"]}
    assert sorted(projects) == ["default", "project-01", "project-02", "project-03"]
    instances = state["instances"]
    assert len(instances) == 300
    assert {inst["status"] for inst in instances} == {"running"}
    assert instances[0]["name"] == "web-0001" and instances[1]["name"] == "db-0002" and instances[2]["name"] == "cache-0003"
    assert {inst["labels"]["role"] for inst in instances} == {"web", "db", "cache"}
    assert {inst["labels"]["env"] for inst in instances} == {"prod", "staging"}
    assert len({inst["ipv4"] for inst in instances}) == 300
    # Seeded instances 1, 3, 5, ... have IPv6 (each its own /64), the others have none.
    with_ipv6 = [inst for inst in instances if inst["ipv6"] is not None]
    assert [inst["name"] for inst in with_ipv6] == [inst["name"] for inst in instances[::2]]
    assert len({inst["ipv6"] for inst in with_ipv6}) == 150 == len({inst["ipv6Prefix"] for inst in with_ipv6})
    assert all(inst["ipv6Prefix"] is None for inst in instances[1::2])
    assert len({inst["nodeId"] for inst in instances}) == 3
    api = Api(emulator)
    for name in ("project-01", "project-02", "project-03"):
        body = api.get("/instances", params={"projectId": projects[name], "perPage": 100}).json()
        assert body["pagination"]["total"] == 100 and len(body["data"]) == 100
    assert api.get("/instances", params={"projectId": projects["default"]}).json()["data"] == []
    api.close()


def test_ten_thousand_instances_have_unique_addresses(emulator_factory):
    started = time.monotonic()
    emulator = emulator_factory(seed_projects=10, seed_instances=10000)
    assert time.monotonic() - started < 20
    instances = emulator.state()["instances"]
    assert len({inst["ipv4"] for inst in instances}) == 10000
    api = Api(emulator)
    body = api.get("/instances", params={"perPage": 100, "page": 100}).json()
    assert body["pagination"] == {"page": 100, "perPage": 100, "total": 10000, "totalPages": 100}
    api.close()


def test_state_file_survives_a_restart(tmp_path):
    path = str(tmp_path / "state.json")
    with Emulator(state_file=path) as first:
        api = Api(first)
        inst = api.create_instance(name="keep-me")
        key = api.post("/api-keys", json={"name": "kept", "permissions": ["read"]}).json()["data"]
        first.advance(100)
        facts = dict(first.bootstrap)
        api.close()
    saved = open(path).read()
    assert key["key"] not in saved and facts["write_key"] not in json.dumps(json.loads(saved)["data"])
    with Emulator(state_file=path) as second:
        api = Api(second)
        assert {name: second.bootstrap[name] for name in ("write_key", "read_key", "project_id", "node_id")} == \
            {name: facts[name] for name in ("write_key", "read_key", "project_id", "node_id")}
        shown = api.instance(inst["id"])
        assert shown["name"] == "keep-me" and shown["status"] == "running"
        assert api.get("/projects", key=key["key"]).status_code == 200
        assert second.clock()["offsetSeconds"] == 100
        api.close()


def test_state_file_is_written_after_each_change(tmp_path):
    path = str(tmp_path / "state.json")
    with Emulator(state_file=path) as emulator:
        api = Api(emulator)
        inst = api.create_instance(name="on-disk")
        with open(path) as stream:
            assert inst["id"] in json.load(stream)["data"]["instances"]
        api.close()


def test_help():
    result = subprocess.run([sys.executable, "-m", "tests.emulator", "--help"], cwd=REPO_ROOT, capture_output=True, text=True, timeout=30, check=True)
    for option in ("--rate-limit", "--rate-window", "--provision-seconds", "--transition-seconds", "--seed-projects", "--seed-instances", "--state-file"):
        assert option in result.stdout


def test_missing_requirements_are_named(tmp_path):
    """Without FastAPI, uvicorn and pydantic (python -S: no site-packages, the standard library only), the
    command says what to install instead of a ModuleNotFoundError traceback, and exits 1."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("PYTHON")}
    bootstrap = tmp_path / "bootstrap.json"
    result = subprocess.run([sys.executable, "-S", "-m", "tests.emulator", "--port", "0", "--bootstrap-file", str(bootstrap)],
                            cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=30, check=False)
    assert result.returncode == 1, result
    assert "Traceback" not in result.stderr and "ModuleNotFoundError" not in result.stderr
    assert "tests/emulator/requirements.txt" in result.stderr
    assert "-m pip install -r %s" % os.path.join(REPO_ROOT, "tests", "emulator", "requirements.txt") in result.stderr
    assert result.stdout == "" and not bootstrap.exists()
