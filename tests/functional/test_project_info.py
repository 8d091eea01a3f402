"""huc_project_info through ansible-playbook: the first module on the shared client and base."""

from tests.functional.playbook import run_playbook

LIST = {"name": "list", "hostupcloud.cloud.huc_project_info": {}, "register": "out"}
UNKNOWN_ID = "7d3c2a4e-0b1f-4c55-9a51-2f6a1c0e8b90"


def test_credentials_from_environment_by_id_and_plain_http_refused(play, emulator):
    """One playbook, its requests in task order: plain http (none), list (one), then the lookups by id."""
    run = play([
        {"name": "plain http to a remote host", "ignore_errors": True,
         "hostupcloud.cloud.huc_project_info": {"api_url": "http://huc-console.invalid/api"}},
        LIST,
        {"name": "by id", "hostupcloud.cloud.huc_project_info": {"id": emulator.project_id}, "check_mode": True},
        {"name": "unknown", "hostupcloud.cloud.huc_project_info": {"id": UNKNOWN_ID}, "check_mode": True},
        {"name": "by name", "hostupcloud.cloud.huc_project_info": {"name": "nope"}, "check_mode": True},
    ])
    assert run.rc == 0, run
    log = [(r["method"], r["path"]) for r in emulator.requests()]

    # Plain http to a remote host is refused before any request.
    assert run.status("plain http to a remote host") == "failed"
    assert "refusing to send the API key over plain http://" in run.task("plain http to a remote host")["msg"]

    # Credentials from the environment only: one listing, the first request of all (none before it).
    projects = run.task("list")["projects"]
    assert projects == [{"id": emulator.project_id, "name": "default", "created_at": projects[0]["created_at"]}]
    assert projects[0]["created_at"].endswith("Z")
    assert log[:1] == [("GET", "/api/projects")]

    # By id is one request; an unknown id is empty (check mode).
    assert run.task("by id")["projects"][0]["name"] == "default"
    assert run.task("unknown")["projects"] == []
    assert run.task("by name")["projects"] == []
    assert [path for _method, path in log][1:3] == ["/api/projects/%s" % emulator.project_id, "/api/projects/" + UNKNOWN_ID]


def test_credentials_from_module_defaults_and_a_missing_key_names_the_option(emulator):
    """No HUC_API_KEY or HUC_API_URL in the environment: the first task gets both from module_defaults,
    the second gets only the URL (from the task's environment) and must name the missing api_key."""
    run = run_playbook([
        {"name": "find", "hostupcloud.cloud.huc_project_info": {"name": "default"},
         "module_defaults": {"group/hostupcloud.cloud.huc": {"api_key": "{{ key }}", "api_url": "{{ url }}"}}},
        dict(LIST, ignore_errors=True, environment={"HUC_API_URL": emulator.api_url}),
    ], vars={"key": emulator.read_key, "url": emulator.api_url})
    assert run.status("find") == "ok", run
    assert run.task("find")["projects"][0]["id"] == emulator.project_id
    assert emulator.requests()[0]["keyPrefix"] == emulator.read_key[:8]
    assert run.status("list") == "failed"
    assert "api_key" in run.task("list")["msg"]


def test_bad_key_fails_cleanly_without_leaking(play, emulator):
    bad = "huc_" + "Zz9" * 13 + "z"
    run = play([LIST], key=bad, args=["-vvvv"])
    assert run.rc != 0
    result = run.task("list")
    assert result["failed"] and "not accepted (invalid_api_key)" in result["msg"]
    assert result["failure"]["status"] == 401 and result["failure"]["code"] == "invalid_api_key"
    assert "Traceback" not in run.output
    assert bad not in run.output and emulator.write_key not in run.output
