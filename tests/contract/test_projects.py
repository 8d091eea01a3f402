"""Projects: seeded by count or by name (--seed-projects), added at run time (POST /_emulator/projects)."""

import json
import subprocess
import sys

import pytest

from tests.contract.helpers import Api
from tests.emulator.harness import REPO_ROOT, Emulator, EmulatorError


def names(emulator):
    return [project["name"] for project in emulator.state()["projects"]]


def test_named_seed_projects_besides_default(pooled_emulator):
    emulator = pooled_emulator(seed_projects="production,staging")
    api = Api(emulator)
    listed = api.get("/projects").json()["data"]
    assert [project["name"] for project in listed] == ["default", "production", "staging"]
    assert emulator.project_name == "default" and listed[0]["id"] == emulator.project_id
    production = emulator.project("production")
    assert api.get("/projects/" + production["id"]).json()["data"] == production
    assert api.create_instance(projectId=production["id"], name="web-1")["projectId"] == production["id"]
    api.close()


def test_a_single_name_and_a_list_pass_through_the_harness(emulator_factory):
    assert names(emulator_factory(seed_projects="production")) == ["default", "production"]
    assert names(emulator_factory(seed_projects=["qa", "prod-eu-1"])) == ["default", "qa", "prod-eu-1"]


def test_a_plain_integer_keeps_its_meaning(pooled_emulator):
    assert names(pooled_emulator(seed_projects="2")) == ["default", "project-01", "project-02"]
    assert names(pooled_emulator(seed_projects=0)) == ["default"]


def test_seed_instances_round_robin_over_the_named_projects(emulator_factory):
    emulator = emulator_factory(seed_projects="production,staging", seed_instances=4)
    state = emulator.state()
    ids = {project["name"]: project["id"] for project in state["projects"]}
    assert [inst["projectId"] for inst in state["instances"]] == [ids["production"], ids["staging"]] * 2


@pytest.mark.parametrize("value,message", [
    ("default", "project default always exists"),
    ("production,production", "project name 'production' is given twice"),
    ("Production", "project name 'Production' must be 1-63 characters"),
    ("a,,b", "project name '' must be"),
    ("9lives", "project name '9lives' must be"),
    ("-1", "a count of projects must be >= 0"),
])
def test_bad_seed_projects_are_refused(value, message):
    result = subprocess.run([sys.executable, "-m", "tests.emulator", "--seed-projects", value, "--quiet"], cwd=REPO_ROOT,
                            capture_output=True, text=True, timeout=30, check=False)
    assert result.returncode == 2
    assert "argument --seed-projects: " + message in result.stderr


def test_add_a_project_at_run_time(api, emulator):
    answer = api.control("POST", "/projects", json={"name": "production"})
    assert answer.status_code == 201, answer.text
    project = answer.json()
    assert set(project) == {"id", "name", "createdAt"} and project["name"] == "production"
    assert project["createdAt"] <= emulator.clock()["now"]
    assert api.get("/projects/" + project["id"]).json()["data"] == project
    assert [item["name"] for item in api.get("/projects").json()["data"]] == ["default", "production"]
    inst = api.create_instance(projectId=project["id"])
    assert api.get("/instances", params={"projectId": project["id"]}).json()["data"][0]["id"] == inst["id"]
    assert all(entry["path"].startswith("/api/") for entry in emulator.requests())


def test_a_taken_project_name_is_a_conflict(api, emulator):
    emulator.add_project("production")
    for name in ("production", "default"):
        answer = api.control("POST", "/projects", json={"name": name})
        assert answer.status_code == 409
        assert answer.json()["error"] == {"code": "conflict", "message": "a project named %s already exists" % name,
                                          "details": {"name": "is already taken"}}
    with pytest.raises(EmulatorError) as caught:
        emulator.add_project("production")
    assert "409" in str(caught.value)
    assert names(emulator) == ["default", "production"]


@pytest.mark.parametrize("body,field,message", [
    ({}, "name", "is required"),
    ({"name": "Prod"}, "name", "must be 1-63 characters of a-z, 0-9 and '-', starting with a letter"),
    ({"name": 7}, "name", "must be a string"),
    ({"name": "p", "id": "x"}, "id", "is not a known field"),
])
def test_a_bad_project_body_is_refused(api, body, field, message):
    answer = api.control("POST", "/projects", json=body)
    assert answer.status_code == 422
    assert answer.json()["error"]["details"][field] == message


def test_a_project_added_at_run_time_is_gone_after_a_reset(api, emulator):
    emulator.add_project("production")
    emulator.reset()
    assert names(emulator) == ["default"]


def test_the_control_route_needs_no_key_and_is_not_rate_limited(emulator):
    emulator.config(rateLimit=1)
    for number in range(3):
        assert emulator.add_project("p%d" % number)["name"] == "p%d" % number
    assert emulator.requests() == []


def test_an_added_project_survives_a_restart_with_a_state_file(tmp_path):
    path = str(tmp_path / "state.json")
    with Emulator(state_file=path) as first:
        added = first.add_project("production")
    with open(path) as stream:
        assert added["id"] in json.load(stream)["data"]["projects"]
    with Emulator(state_file=path) as second:
        assert second.project("production") == added
