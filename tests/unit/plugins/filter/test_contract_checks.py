"""The contract check's verdicts (hostupcloud.cloud.contract_checks) from registered results of every shape."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.hostupcloud.cloud.plugins.filter.contract_checks import FilterModule, contract_checks

PROJECT = "7d3c2a4e-0b1f-4c55-9a51-2f6a1c0e8b90"
NODE = "0e5b7a1c-3d2f-4e6a-8b9c-1a2b3c4d5e6f"
KEY = "5b1e2a4c-8d3f-4a6e-9b7c-0a1b2c3d4e5f"
WHEN = "2026-11-26T10:00:00Z"
FINGERPRINT = "SHA256:JSnCa74NQmy2XZ0UOgWekm5Zy2RJIeEOOiu64d/7Fw4"
RATE = {"limit": 60, "remaining": 50, "reset": 1796569924}
LISTINGS = [
    {"answer": "projects", "route": "GET /api/projects", "id": "C-PROJECTS", "fields_id": "C-PROJECT-FIELDS",
     "fields": ["id", "name", "createdAt"]},
    {"answer": "nodes", "route": "GET /api/nodes", "id": "C-NODES", "fields_id": "C-NODE-FIELDS", "fields": ["id", "name"]},
    {"answer": "api_keys", "route": "GET /api/api-keys", "id": "C-API-KEYS", "fields_id": "C-API-KEY-FIELDS",
     "fields": ["id", "name"]},
    {"answer": "backups", "route": "GET /api/instances/{id}/backups", "id": "C-BACKUPS", "fields_id": "C-BACKUP-FIELDS",
     "fields": ["id"], "unasked": "no instance listed"},
]


def listed(objects, per_page=50, status=200, envelope=True):
    body = {"data": objects, "pagination": {"page": 1, "perPage": per_page, "total": len(objects), "totalPages": 1}}
    return {"status": status, "json": body if envelope else objects, "rate_limit": RATE, "requests": 1}


def one(obj, status=200):
    return {"status": status, "json": {"data": obj}, "rate_limit": RATE, "requests": 1}


def failed(status, message, **extra):
    result = {"failed": True, "failure": {"status": status, "message": message}, "rate_limit": RATE, "requests": 1}
    result.update(extra)
    return result


def answers(**changes):
    """Answers of an API that keeps the contract, with changes."""
    good = {
        "projects": listed([{"id": PROJECT, "name": "default", "createdAt": WHEN}], per_page=100),
        "project": one({"id": PROJECT, "name": "default", "createdAt": WHEN}),
        "unknown": failed(404, "project x not found",
                          json={"error": {"code": "not_found", "message": "project x not found"}}),
        "nodes": listed([{"id": NODE, "name": "ams1-n1"}]),
        "node": one({"id": NODE, "name": "ams1-n1"}),
        "api_keys": listed([{"id": KEY, "name": "ci"}]),
        "backups": {"skipped": True},
        # A loop's result: the requests of its items.
        "cleanup": {"results": [{"requests": 1}, {"requests": 2}, {"skipped": True}]},
    }
    good.update(changes)
    return good


def judged(given=None, **kwargs):
    report = contract_checks(answers() if given is None else given, LISTINGS, project_id=PROJECT, fingerprint=FINGERPRINT, **kwargs)
    return dict((check["id"], (check["verdict"], check["saw"])) for check in report["checks"]), report


def test_an_api_that_keeps_the_contract_holds_every_check_in_the_report_order():
    checks, report = judged()
    assert [check["id"] for check in report["checks"]] == [
        "C-PROJECTS", "C-NODES", "C-API-KEYS", "C-BACKUPS",
        "C-PROJECT-FIELDS", "C-NODE-FIELDS", "C-API-KEY-FIELDS", "C-BACKUP-FIELDS",
        "C-LIST-ENVELOPE", "C-PAGINATION", "C-PER-PAGE", "C-OBJECT-ENVELOPE", "C-PROJECT-BY-ID", "C-NODE-BY-ID",
        "C-ERROR-ENVELOPE", "C-IDS", "C-TIMESTAMPS", "C-RATE-HEADERS"]
    unknown = dict((ident, saw) for ident, (verdict, saw) in checks.items() if verdict != "✓")
    assert unknown == {"C-BACKUPS": "not asked: no instance listed", "C-BACKUP-FIELDS": "nothing listed"}
    assert checks["C-PROJECTS"] == ("✓", "200, 1 object(s)")
    assert checks["C-LIST-ENVELOPE"] == ("✓", "3 list(s) enveloped")
    assert checks["C-PAGINATION"] == ("✓", 'e.g. {"page": 1, "perPage": 100, "total": 1, "totalPages": 1}')
    assert checks["C-PER-PAGE"] == ("✓", "perPage=100 gave perPage 100; no perPage gave 50")
    assert checks["C-PROJECT-BY-ID"] == ("✓", "200 for the project (id %s), 404 for an unknown id" % PROJECT)
    assert checks["C-IDS"] == ("✓", "5 ids, all UUID-shaped")
    assert checks["C-TIMESTAMPS"] == ("✓", "2 timestamps, e.g. %s" % WHEN)
    assert checks["C-RATE-HEADERS"] == ("✓", "limit 60, remaining 50, reset 1796569924")
    assert report["requests"] == 6 + 3
    assert all(isinstance(check["saw"], str) for check in report["checks"])


def test_a_bare_array_fails_the_envelope_and_leaves_its_pagination_unseen():
    checks, _report = judged(answers(nodes=dict(listed([{"id": NODE, "name": "n"}]), json=[{"id": NODE, "name": "n"}])))
    assert checks["C-LIST-ENVELOPE"] == ("✗", "nodes: a bare array")
    assert checks["C-NODES"] == ("✓", "200, 1 object(s)") and checks["C-NODE-FIELDS"] == ("✓", "1 object(s)")
    everything_bare = answers(**dict((name, dict(listed([]), json=[])) for name in ("projects", "nodes", "api_keys")))
    checks, _report = judged(everything_bare)
    assert checks["C-PAGINATION"] == ("?", "no enveloped list answered") and checks["C-PER-PAGE"][0] == "?"


def test_pagination_of_other_keys_or_types_fails_and_per_page_is_judged_only_on_good_pagination():
    other = dict(listed([]), json={"data": [], "meta": {"page": 1}})
    checks, _report = judged(answers(nodes=other))
    assert checks["C-LIST-ENVELOPE"][0] == "✓"
    assert checks["C-PAGINATION"] == ("✗", "pagination null; keys data, meta")
    assert checks["C-PER-PAGE"] == ("?", "no pagination seen")
    text = listed([])
    text["json"]["pagination"]["total"] = "0"
    assert judged(answers(nodes=text))[0]["C-PAGINATION"][0] == "✗"
    checks, _report = judged(answers(nodes=listed([], per_page=25)))
    assert checks["C-PER-PAGE"] == ("✗", "perPage=100 gave perPage 100; no perPage gave 25/50")


def test_fields_missing_extra_and_a_leaked_secret():
    checks, _report = judged(answers(nodes=listed([{"id": NODE, "name": "a", "zone": "x"}, {"id": NODE, "zone": "y"}]),
                                     api_keys=listed([{"id": KEY, "name": "ci", "secret": "s3cr3t"}])))
    assert checks["C-NODE-FIELDS"] == ("✗", "2 object(s); 1 without name; also: zone")
    assert checks["C-API-KEY-FIELDS"] == ("✗", "1 object(s); a secret in: secret; also: secret")


def test_a_route_that_is_missing_fails_and_one_that_errs_cannot_tell():
    checks, _report = judged(answers(api_keys=failed(404, "no  such\nroute"), nodes=failed(500, "boom"), node={"skipped": True}))
    assert checks["C-API-KEYS"] == ("✗", "404 no such route")
    assert checks["C-NODES"] == ("?", "500 boom") and checks["C-NODE-FIELDS"] == ("?", "nothing listed")
    assert checks["C-NODE-BY-ID"] == ("?", "no node listed")


@pytest.mark.parametrize("body, saw", [
    (None, "404 text/plain Not Found"),
    ({"message": "nope"}, '404 {"message": "nope"}'),
])
def test_an_error_without_the_envelope_fails(body, saw):
    unknown = failed(404, "Not Found", text="Not\nFound", headers={"content-type": "text/plain"}, json=body)
    checks, _report = judged(answers(unknown=unknown))
    assert checks["C-ERROR-ENVELOPE"] == ("✗", saw)


def test_a_long_error_text_is_cut_at_a_word():
    unknown = failed(502, "bad", text="word " * 40, headers={"content-type": "text/html"})
    checks, _report = judged(answers(unknown=unknown))
    assert checks["C-ERROR-ENVELOPE"] == ("✗", "502 text/html " + ("word " * 15).strip() + "...")
    assert checks["C-PROJECT-BY-ID"][0] == "✗"


def test_numeric_ids_offset_timestamps_and_bare_objects():
    checks, _report = judged(answers(nodes=listed([{"id": 1, "name": "a"}, {"id": 2, "name": "b"}]),
                                     node=one({"id": 1, "name": "a"}),
                                     projects=listed([{"id": PROJECT, "name": "d", "createdAt": "2026-11-26T10:00:00+00:00"}], per_page=100),
                                     project={"status": 200, "json": {"id": PROJECT}, "requests": 1}))
    assert checks["C-IDS"] == ("✗", "not strings: 1, 2, 1")
    assert checks["C-NODE-BY-ID"] == ("✓", "200, id 1")
    assert checks["C-TIMESTAMPS"] == ("✗", "e.g. 2026-11-26T10:00:00+00:00")
    assert checks["C-OBJECT-ENVELOPE"] == ("✗", "keys id / data")
    assert checks["C-PROJECT-BY-ID"][0] == "✓"


def test_answers_without_rate_headers_fail_that_check():
    checks, _report = judged(answers(nodes=dict(listed([]), rate_limit=None), node=dict(one({"id": NODE}), rate_limit={"limit": "60"})))
    assert checks["C-RATE-HEADERS"] == ("✗", "1 of 5 answers without them")


def test_write_checks_judge_the_round_trip_and_name_the_failed_step():
    key = {"id": KEY, "name": "huc-contract-check-1", "fingerprint": FINGERPRINT}
    whole = answers(ssh_key_create={"status": 201, "json": {"data": key}}, ssh_key_read=one(key), ssh_key_delete={"status": 204})
    checks, report = judged(whole, write_checks=True)
    assert [check["id"] for check in report["checks"]][-4:] == [
        "C-SSH-KEY-CREATE", "C-SSH-KEY-FINGERPRINT", "C-SSH-KEY-BY-ID", "C-SSH-KEY-DELETE"]
    assert [checks[ident] for ident in ("C-SSH-KEY-CREATE", "C-SSH-KEY-FINGERPRINT", "C-SSH-KEY-BY-ID", "C-SSH-KEY-DELETE")] == [
        ("✓", "201, id %s" % KEY), ("✓", FINGERPRINT), ("✓", "200, id %s" % KEY), ("✓", "204")]

    failure = "GET /ssh-keys/{id} (the key just added): not found"
    broken = answers(ssh_key_create={"status": 201, "json": {"data": dict(key, fingerprint="MD5:aa")}},
                     ssh_key_read=failed(404, "not found"))
    checks, _report = judged(broken, write_checks=True, write_failure=failure)
    assert checks["C-SSH-KEY-FINGERPRINT"] == ("✗", "MD5:aa")
    assert checks["C-SSH-KEY-BY-ID"] == ("✗", failure)
    assert checks["C-SSH-KEY-DELETE"] == ("?", "not asked: " + failure)

    checks, _report = judged(answers(ssh_key_create=failed(403, "forbidden")), write_checks=True)
    assert checks["C-SSH-KEY-CREATE"] == ("?", "403") and checks["C-SSH-KEY-FINGERPRINT"] == ("?", "no key created")
    assert "C-SSH-KEY-CREATE" not in judged()[0]


@pytest.mark.parametrize("given, listings, message", [
    ([], LISTINGS, "the input must be a dict of registered results, got list"),
    ({}, {"answer": "x"}, "listings must be a list of dicts"),
    ({}, [{"answer": "x", "route": "GET /x"}], "a listing without id, fields_id, fields"),
])
def test_wrong_arguments_are_named(given, listings, message):
    with pytest.raises(AnsibleFilterError, match=message):
        contract_checks(given, listings)


def test_results_of_any_shape_are_judged_not_raised():
    odd = {"status": 200, "json": "text", "headers": None, "rate_limit": [1], "failure": "x"}
    checks, _report = judged(dict((name, odd) for name in answers()))
    assert checks["C-LIST-ENVELOPE"] == ("✗", "projects, nodes, api_keys, backups: keys ")
    assert checks["C-RATE-HEADERS"][0] == "✗" and checks["C-IDS"] == ("?", "no id seen")


def test_the_filter_is_registered_under_its_name():
    assert FilterModule().filters() == {"contract_checks": contract_checks}
