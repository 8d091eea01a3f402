"""huc_api_request through ansible-playbook: reads, every page of a list, a POST whose answer is lost, check
mode, an error answer with its failure, refusals before any request and secrets masked. One playbook, each
task with a key of its own, so that the emulator's log splits by task and every request count is exact."""

from tests.emulator.harness import make_instances
from tests.functional.test_return_docs import PUBLIC_KEY
from tests.functional.steps import UNKNOWN_ID, keyed_run, refused_in_one_run, steps

task, failing, checked = steps("hostupcloud.cloud.huc_api_request")


def test_reads_pages_writes_and_errors(emulator):
    names = ["api-%d" % number for number in range(5)]
    make_instances(emulator, names)
    project = {"projectId": emulator.project_id}
    # The POST acts, then its answer is lost: the client sends it again with the same Idempotency-Key.
    emulator.lose_answer(methods=["POST"], pathPrefix="/api/ssh-keys", count=1)
    run, calls, _keys = keyed_run(emulator, [
        task("get", {"path": "projects"}),
        task("one page", {"path": "/instances", "query": dict(project, perPage=2)}),
        task("every page", {"path": "/instances", "query": dict(project, perPage=2, page=3), "all_pages": True}),
        task("head", {"method": "HEAD", "path": "/nodes"}),
        task("post", {"method": "POST", "path": "/ssh-keys",
                      "body": {"projectId": emulator.project_id, "name": "deploy", "publicKey": PUBLIC_KEY},
                      "status_code": [201]}),
        checked("check get", {"path": "/projects"}),
        checked("check delete", {"method": "DELETE", "path": "/ssh-keys/" + UNKNOWN_ID}),
        failing("missing", {"path": "/instances/" + UNKNOWN_ID}),
        task("missing expected", {"path": "/instances/" + UNKNOWN_ID, "status_code": [200, 404]}),
        failing("unexpected success", {"path": "/projects", "status_code": [204]}),
    ])
    assert "Traceback" not in run.output

    get = run.task("get")
    assert (get["status"], get["changed"], get["pages"], get["requests"]) == (200, False, 1, 1)
    assert [p["id"] for p in get["json"]["data"]] == [emulator.project_id]
    assert get["rate_limit"]["limit"] == 60 and get["rate_limit"]["remaining"] == 59
    assert get["headers"]["content-type"].startswith("application/json") and get["url"].endswith("/api/projects")
    assert calls["get"] == [("GET", "/api/projects", {})]

    page = run.task("one page")
    assert [i["name"] for i in page["json"]["data"]] == names[:2] and page["json"]["pagination"]["totalPages"] == 3
    every = run.task("every page")
    assert [i["name"] for i in every["json"]["data"]] == names and every["pages"] == 3 and every["requests"] == 3
    assert every["json"]["pagination"]["page"] == 3
    # all_pages starts at page 1, whatever page the query names, and keeps its perPage.
    assert [c[2].get("page") for c in calls["every page"]] == ["1", "2", "3"]
    assert set(c[2]["perPage"] for c in calls["every page"]) == {"2"}

    head = run.task("head")
    assert (head["status"], head["json"], head["changed"]) == (200, None, False)
    assert calls["head"] == [("HEAD", "/api/nodes", {})]

    post = run.task("post")
    assert (post["status"], post["changed"], post["requests"]) == (201, True, 2)
    assert post["headers"]["idempotent-replayed"] == "true" and post["json"]["data"]["name"] == "deploy"
    posts = emulator_posts(calls["post"])
    assert posts == 2
    assert [k["name"] for k in emulator.state()["sshKeys"]] == ["deploy"]

    assert (run.task("check get")["status"], run.task("check get")["changed"]) == (200, False)
    check_delete = run.task("check delete")
    assert (check_delete["status"], check_delete["changed"], check_delete["requests"]) == (None, True, 0)
    assert calls["check get"] == [("GET", "/api/projects", {})] and calls["check delete"] == []

    missing = run.task("missing")
    assert run.status("missing") == "failed" and not missing["changed"]
    assert (missing["failure"]["status"], missing["failure"]["code"]) == (404, "not_found")
    assert "not found" in missing["msg"]
    expected = run.task("missing expected")
    assert run.status("missing expected") == "ok"
    assert expected["status"] == 404 and expected["json"]["error"]["code"] == "not_found"

    unexpected = run.task("unexpected success")
    assert run.status("unexpected success") == "failed" and unexpected["status"] == 200
    assert unexpected["failure"]["code"] == "unexpected_status" and "204" in unexpected["msg"]


def emulator_posts(calls):
    return len([call for call in calls if call[0] == "POST"])


def test_the_idempotency_key_given_is_sent_and_a_rerun_replays(play, emulator):
    """The API keeps Idempotency-Keys per API key: both runs use the same one."""
    body = {"projectId": emulator.project_id, "name": "once", "publicKey": PUBLIC_KEY}
    args = {"method": "POST", "path": "/ssh-keys", "body": body, "idempotency_key": "make-once-1"}
    run = play([task("first", args), task("again", args)])
    assert run.rc == 0, run
    assert run.task("first")["idempotency_key"] == "make-once-1"
    assert "idempotent-replayed" not in run.task("first")["headers"]
    assert run.task("again")["headers"]["idempotent-replayed"] == "true"
    assert len(emulator.state()["sshKeys"]) == 1
    assert [(r["method"], r["idempotencyKey"]) for r in emulator.requests()] == [("POST", "make-once-1")] * 2


def test_refusals_come_before_any_request(emulator):
    run, logs = refused_in_one_run(emulator, failing, {
        "url": ({"path": "https://example.com/api/projects"}, "path: must be a path relative to api_url"),
        "query in path": ({"path": "/instances?projectId=x"}, "path: must not carry a query string"),
        "dot dot": ({"path": "/projects/../api-keys"}, "path: must not contain '..'"),
        "body on get": ({"path": "/projects", "body": {"a": 1}}, "body: a GET sends no body"),
        "pages of a post": ({"method": "POST", "path": "/ssh-keys", "all_pages": True}, "all_pages: only for method GET"),
        "bad method": ({"method": "TRACE", "path": "/projects"}, "method"),
    })
    assert all(calls == [] for calls in logs.values()), logs


def test_an_api_key_secret_in_an_answer_is_masked(emulator):
    args = {"method": "POST", "path": "/api-keys", "body": {"name": "raw", "permissions": ["read"]}}
    run, _calls, _keys = keyed_run(emulator, [task("issue", args)])
    assert run.rc == 0, run
    issued = [key for key in emulator.state()["apiKeys"] if key["name"] == "raw"]
    assert len(issued) == 1
    result = run.task("issue")
    assert "huc_api_key" in " ".join(result.get("warnings", []))
    secret_fields = [value for value in result["json"]["data"].values() if isinstance(value, str) and value.endswith("\u2026")]
    assert secret_fields, result["json"]
