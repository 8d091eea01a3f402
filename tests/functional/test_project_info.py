"""huc_project_info through ansible-playbook: the first module on the shared client and base."""

LIST = {"name": "list", "hostupcloud.cloud.huc_project_info": {}, "register": "out"}


def test_credentials_from_environment_only(play, emulator):
    run = play([LIST])
    assert run.rc == 0, run
    projects = run.task("list")["projects"]
    assert projects == [{"id": emulator.project_id, "name": "default", "created_at": projects[0]["created_at"]}]
    assert projects[0]["created_at"].endswith("Z")
    assert [(r["method"], r["path"]) for r in emulator.requests()] == [("GET", "/api/projects")]


def test_credentials_from_module_defaults(emulator):
    from tests.functional.playbook import run_playbook
    run = run_playbook(
        [{"name": "find", "hostupcloud.cloud.huc_project_info": {"name": "default"}}],
        play={"module_defaults": {"group/hostupcloud.cloud.huc": {"api_key": "{{ key }}", "api_url": "{{ url }}"}}},
        vars={"key": emulator.read_key, "url": emulator.api_url})
    assert run.rc == 0, run
    assert run.task("find")["projects"][0]["id"] == emulator.project_id
    assert emulator.requests()[0]["keyPrefix"] == emulator.read_key[:8]


def test_by_id_is_one_request_and_unknown_id_is_empty(play, emulator):
    run = play([
        {"name": "by id", "hostupcloud.cloud.huc_project_info": {"id": emulator.project_id}},
        {"name": "unknown", "hostupcloud.cloud.huc_project_info": {"id": "7d3c2a4e-0b1f-4c55-9a51-2f6a1c0e8b90"}},
        {"name": "by name", "hostupcloud.cloud.huc_project_info": {"name": "nope"}},
    ], args=["--check"])
    assert run.rc == 0, run
    assert run.task("by id")["projects"][0]["name"] == "default"
    assert run.task("unknown")["projects"] == []
    assert run.task("by name")["projects"] == []
    assert [r["path"] for r in emulator.requests()][:2] == [
        "/api/projects/%s" % emulator.project_id, "/api/projects/7d3c2a4e-0b1f-4c55-9a51-2f6a1c0e8b90"]


def test_bad_key_fails_cleanly_without_leaking(play, emulator):
    bad = "huc_" + "Zz9" * 13 + "z"
    run = play([LIST], key=bad, args=["-vvvv"])
    assert run.rc != 0
    result = run.task("list")
    assert result["failed"] and "not accepted (invalid_api_key)" in result["msg"]
    assert result["failure"]["status"] == 401 and result["failure"]["code"] == "invalid_api_key"
    assert "Traceback" not in run.output
    assert bad not in run.output and emulator.write_key not in run.output


def test_plain_http_to_a_remote_host_is_refused_before_any_request(play, emulator):
    run = play([{"name": "list", "hostupcloud.cloud.huc_project_info": {"api_url": "http://huc-console.invalid/api"}}])
    assert run.rc != 0
    assert "refusing to send the API key over plain http://" in run.task("list")["msg"]
    assert emulator.requests() == []


def test_missing_key_names_the_option(emulator):
    from tests.functional.playbook import run_playbook
    run = run_playbook([LIST], env={"HUC_API_URL": emulator.api_url})
    assert run.rc != 0
    assert "api_key" in run.task("list")["msg"]
