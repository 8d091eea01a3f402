# -*- coding: utf-8 -*-
# Copyright: HostUpCloud collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
name: contract_checks
short_description: Judge the answers of the HostUpCloud API against its contract
version_added: 1.1.0
description:
  - The judging half of the C(hostupcloud.cloud.contract_check) playbook. It takes the registered
    results of its M(hostupcloud.cloud.huc_api_request) tasks and gives one check per contract item, each with
    the item's id from the contract document, a verdict and what was seen.
  - A verdict is V(✓) (the item holds), V(✗) (it does not) or V(?) (the answers cannot tell, for example an
    empty listing has no object whose fields could be checked).
  - "Every answer is read the same way, enveloped (C({\"data\": ...})) or bare, answered or failed, so a check
    never fails on an answer of an unexpected shape: that shape is what its verdict reports."
  - Runs on the controller and sends no request.
author:
  - HostUpCloud collection maintainers (@hostupcloud)
positional: listings
options:
  _input:
    description:
      - The registered results of the requests, by name. The names the checks read are V(projects) and
        V(instances) (both asked with C(perPage=100)), V(project) (one project by id), V(unknown) (an id no API
        has handed out), V(nodes), V(node) (one node by id), and for the write checks V(ssh_key_create), V(ssh_key_read), V(ssh_key_delete). Each entry of
        O(listings) names its own.
      - Every other entry counts only towards RV(_value.requests) and the id, timestamp and rate-limit checks.
      - "A skipped task's result, or C({\"skipped\": true}), is an answer not asked."
    type: dict
    required: true
  listings:
    description:
      - The list routes, one check of the route and one of the fields of every listed object each.
    type: list
    elements: dict
    required: true
    suboptions:
      answer:
        description: The name of its result in the input.
        type: str
        required: true
      route:
        description: The route as the report names it, for example C(GET /api/nodes).
        type: str
        required: true
      id:
        description: The contract's id of the route check.
        type: str
        required: true
      fields_id:
        description: The contract's id of the fields check.
        type: str
        required: true
      fields:
        description: The fields every listed object must have.
        type: list
        elements: str
        required: true
      unasked:
        description: Why the route may not have been asked; the report says it when it was not.
        type: str
        default: no project
  project_id:
    description: The id of the project asked for by id; its answer must carry it.
    type: raw
  write_checks:
    description: Also judge the write checks (create, read and delete of an SSH key).
    type: bool
    default: false
  write_failure:
    description: What the failed step of the write checks said, if one failed; the report names it.
    type: str
    default: ""
  fingerprint:
    description: The fingerprint the created SSH key must have (OpenSSH's C(SHA256:...)).
    type: str
    default: ""
"""

EXAMPLES = r"""
- name: Judge the answers
  ansible.builtin.set_fact:
    contract_report: "{{ answers | hostupcloud.cloud.contract_checks(listings, project_id=project_id) }}"
  vars:
    answers:
      projects: "{{ answer_projects }}"
      project: "{{ answer_project }}"
      unknown: "{{ answer_unknown }}"
      nodes: "{{ answer_nodes }}"
      node: "{{ answer_node }}"
    listings:
      - {answer: nodes, route: GET /api/nodes, id: C-NODES, fields_id: C-NODE-FIELDS, fields: [id, name, location, status]}
"""

RETURN = r"""
_value:
  description: The checks, in the order the report lists them, and how many requests the answers took.
  type: dict
  contains:
    checks:
      description: One check per contract item judged.
      type: list
      elements: dict
      contains:
        id:
          description: The item's id in the contract document.
          type: str
          sample: C-LIST-ENVELOPE
        item:
          description: What the item says.
          type: str
          sample: 'a list answers {"data": [...], "pagination": {...}}'
        verdict:
          description: V(✓), V(✗) or V(?).
          type: str
          sample: ✓
        saw:
          description: What the answers showed, on one line.
          type: str
          sample: 12 list(s) enveloped
    requests:
      description: The HTTP requests the answers took, retries included.
      type: int
      sample: 17
"""

import json
import re
from collections.abc import Mapping

from ansible.errors import AnsibleFilterError
from jinja2 import Environment
from jinja2.filters import do_truncate

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
TIMESTAMP = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$")
PAGINATION = ("page", "perPage", "total", "totalPages")
ID_KEYS = ("id", "projectId", "nodeId", "instanceId")
TIME_KEYS = ("createdAt", "updatedAt", "expiresAt", "lastUsedAt")
MISSING = object()
_JINJA = Environment()  # for its truncate filter, with Jinja's default leeway
HOLDS = "✓"
FAILS = "✗"
UNKNOWN = "?"


def _one_line(text):
    return re.sub(r"\s+", " ", "%s" % (text,)).strip()


def _integer(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _get(value, key, default=None):
    return value.get(key, default) if isinstance(value, Mapping) else default


def _unique(values):
    seen = []
    for value in values:
        if value not in seen:
            seen.append(value)
    return seen


def _good_rate(rate):
    """Rate-limit headers as integers, the reset in epoch seconds."""
    integers = isinstance(rate, Mapping) and all(_integer(rate.get(key)) for key in ("limit", "remaining", "reset"))
    return integers and rate["reset"] >= 1000000000


def _check(ident, item, verdict, saw):
    return {"id": ident, "item": item, "verdict": verdict, "saw": "%s" % (saw,)}


def read_answer(result):
    """One registered result, read the same way whatever its shape: enveloped or bare, answered or failed."""
    result = result if isinstance(result, Mapping) else {}
    body = result.get("json")
    data = _get(body, "data")
    enveloped = isinstance(data, list)
    bare = isinstance(body, list)
    pagination = _get(body, "pagination")
    failure = result.get("failure")
    if "requests" in result:
        requests = result["requests"]
    else:
        requests = sum(_get(each, "requests", 0) or 0 for each in result.get("results") or [])
    return {
        "asked": not result.get("skipped", False),
        "status": result["status"] if "status" in result else _get(failure, "status"),
        "message": _one_line(failure["message"] if isinstance(failure, Mapping) and "message" in failure else result.get("msg", "")),
        "body": body,
        "keys": list(body) if isinstance(body, Mapping) else [],
        "text": _one_line(result.get("text") or ""),
        "content_type": _get(result.get("headers"), "content-type", ""),
        "enveloped": enveloped,
        "bare": bare,
        "objects": [each for each in (data if enveloped else (body if bare else [])) if isinstance(each, Mapping)],
        "object": (data if isinstance(data, Mapping) else body) if isinstance(body, Mapping) else None,
        "pagination": pagination if isinstance(pagination, Mapping) else None,
        "pagination_ints": [key for key, value in pagination.items() if key in PAGINATION and _integer(value)]
        if isinstance(pagination, Mapping) else [],
        "rate_limit": result.get("rate_limit"),
        "requests": requests,
    }


def listing_checks(listing, seen):
    """The route check and the fields check of one list route."""
    status = seen["status"]
    if not seen["asked"]:
        saw = "not asked: %s" % listing.get("unasked", "no project")
    elif status == 200:
        saw = "%s, %d object(s)" % (status, len(seen["objects"]))
    else:
        saw = "%s %s" % (status, seen["message"])
    verdict = HOLDS if status == 200 else (FAILS if status in (404, 405) else UNKNOWN)
    route = _check(listing["id"], "%s answers a list" % listing["route"], verdict, saw)

    fields, api_keys = listing["fields"], listing["answer"] == "api_keys"
    keysets = [list(each) for each in seen["objects"]]
    incomplete = [keys for keys in keysets if not set(keys) >= set(fields)]
    missing = [field for field in fields if field not in incomplete[0]] if incomplete else []
    extra = [key for key in _unique(key for keys in keysets for key in keys) if key not in fields]
    # An API key object never shows its secret.
    leaked = [key for key in extra if key in ("key", "secret")] if api_keys else []
    if not keysets:
        saw = "nothing listed"
    else:
        saw = "; ".join(part for part in (
            "%d object(s)" % len(keysets),
            "%d without %s" % (len(incomplete), ", ".join(missing)) if incomplete else "",
            "a secret in: " + ", ".join(leaked) if leaked else "",
            "also: " + ", ".join(extra) if extra else "") if part)
    item = "%s: every object has %s%s" % (listing["route"], ", ".join(fields), " and no secret" if api_keys else "")
    verdict = UNKNOWN if not keysets else (FAILS if incomplete or leaked else HOLDS)
    return [route, _check(listing["fields_id"], item, verdict, saw)]


def shape_checks(seen, listed, project_id):
    """Envelopes, pagination, one object by id, errors, ids, timestamps and rate-limit headers, over every answer."""
    lists = [seen[name] for name in listed if seen[name]["status"] == 200]
    not_enveloped = [name for name in listed if seen[name]["status"] == 200 and not seen[name]["enveloped"]]
    enveloped = [each for each in lists if each["enveloped"]]
    bad_pagination = [each for each in enveloped if not set(each["pagination_ints"]) >= set(PAGINATION)]
    # What perPage the lists asked with perPage=100 (projects, instances) and without (the others) answered.
    asked_100 = ("projects", "instances")
    per_page_100 = _unique(_get(seen[name]["pagination"], "perPage") for name in asked_100 if seen[name]["enveloped"])
    per_page_default = _unique(_get(seen[name]["pagination"], "perPage") for name in listed
                               if name not in asked_100 and seen[name]["status"] == 200 and seen[name]["enveloped"])
    one = dict((name, seen[name]["object"] if seen[name]["status"] == 200 else None) for name in ("project", "node"))
    singles = [seen[name] for name in ("project", "node") if seen[name]["status"] == 200]
    unknown = seen["unknown"]
    error = _get(unknown["body"], "error")
    objects = [each for answer in seen.values() for each in answer["objects"]]
    objects += [each for each in one.values() if isinstance(each, Mapping)]
    pairs = [pair for each in objects for pair in each.items()]
    ids = [value for key, value in pairs if key in ID_KEYS and value is not None]
    odd_ids = [value for value in ids if not isinstance(value, str)]
    not_uuids = [value for value in ids if isinstance(value, str) and not UUID.match(value)]
    times = [value for key, value in pairs if key in TIME_KEYS and value is not None]
    odd_times = [value for value in times if not isinstance(value, str)]
    odd_times += [value for value in times if isinstance(value, str) and not TIMESTAMP.match(value)]
    rates = [each["rate_limit"] for each in seen.values() if each["rate_limit"]]
    good_rates = [rate for rate in rates if _good_rate(rate)]
    nodes = seen["nodes"]["objects"]

    def joined(values, sep=", "):
        return sep.join("%s" % (value,) for value in values)

    checks = []
    if not lists:
        verdict, saw = UNKNOWN, "no list answered"
    elif not not_enveloped:
        verdict, saw = HOLDS, "%d list(s) enveloped" % len(lists)
    else:
        first = seen[not_enveloped[0]]
        verdict, saw = FAILS, "%s: %s" % (joined(not_enveloped), "a bare array" if first["bare"] else "keys " + joined(first["keys"]))
    checks.append(_check("C-LIST-ENVELOPE", 'a list answers {"data": [...], "pagination": {...}}', verdict, saw))

    if not enveloped:
        verdict, saw = UNKNOWN, "no enveloped list answered"
    elif not bad_pagination:
        verdict, saw = HOLDS, "e.g. %s" % json.dumps(enveloped[0]["pagination"])
    else:
        verdict, saw = FAILS, "pagination %s; keys %s" % (json.dumps(bad_pagination[0]["pagination"]), joined(bad_pagination[0]["keys"]))
    checks.append(_check("C-PAGINATION", 'a list has "pagination": {page, perPage, total, totalPages}, integers', verdict, saw))

    if not enveloped or bad_pagination:
        verdict, saw = UNKNOWN, "no pagination seen"
    else:
        verdict = HOLDS if per_page_100 == [100] and per_page_default in ([50], []) else FAILS
        saw = "perPage=100 gave perPage %s; no perPage gave %s" % (joined(per_page_100, "/") or "-", joined(per_page_default, "/") or "-")
    checks.append(_check("C-PER-PAGE", "perPage is honoured up to 100 (default 50)", verdict, saw))

    key_sets = _unique(joined(each["keys"], ",") for each in singles)
    if not singles:
        verdict, saw = UNKNOWN, "no object answered"
    else:
        verdict = HOLDS if key_sets == ["data"] and all(isinstance(_get(each["body"], "data"), Mapping) for each in singles) else FAILS
        saw = "keys " + " / ".join(_unique(joined(each["keys"]) for each in singles))
    checks.append(_check("C-OBJECT-ENVELOPE", 'one object answers {"data": {...}}', verdict, saw))

    project = one["project"]
    if not seen["project"]["asked"] or unknown["status"] is None:
        verdict = UNKNOWN
    else:
        verdict = HOLDS if _get(project, "id") == project_id and unknown["status"] == 404 else FAILS
    checks.append(_check("C-PROJECT-BY-ID", "GET /api/projects/{id} answers that project, an unknown id 404", verdict,
                         "%s for the project (id %s), %s for an unknown id" % (seen["project"]["status"], _get(project, "id", "-"),
                                                                               unknown["status"])))

    node = one["node"]
    if not seen["node"]["asked"]:
        verdict, saw = UNKNOWN, "no node listed"
    else:
        verdict = HOLDS if _get(node, "id") == (nodes[0].get("id", MISSING) if nodes else MISSING) else FAILS
        saw = "%s, id %s" % (seen["node"]["status"], _get(node, "id", "-"))
    checks.append(_check("C-NODE-BY-ID", "GET /api/nodes/{id} answers that node", verdict, saw))

    if unknown["status"] is None:
        verdict = UNKNOWN
    else:
        enveloped_error = _get(error, "code", "") == "not_found" and isinstance(_get(error, "message"), str)
        verdict = HOLDS if unknown["status"] == 404 and enveloped_error else FAILS
    shown = json.dumps(unknown["body"]) if unknown["body"] is not None else unknown["content_type"] + " " + do_truncate(_JINJA, unknown["text"], 80)
    checks.append(_check("C-ERROR-ENVELOPE", 'an error answers {"error": {"code", "message"}}; an unknown id: 404 not_found', verdict,
                         "%s %s" % (unknown["status"], shown)))

    if not ids:
        verdict, saw = UNKNOWN, "no id seen"
    elif odd_ids:
        verdict, saw = FAILS, "not strings: %s" % joined(odd_ids[:3])
    else:
        verdict, saw = HOLDS, "%d ids, %s" % (len(ids), "all UUID-shaped" if not not_uuids else "not UUID-shaped, e.g. " + not_uuids[0])
    checks.append(_check("C-IDS", "ids are opaque strings (UUID-shaped in the emulator)", verdict, saw))

    if not times:
        verdict, saw = UNKNOWN, "no timestamp seen"
    elif odd_times:
        verdict, saw = FAILS, "e.g. %s" % (odd_times[0],)
    else:
        verdict, saw = HOLDS, "%d timestamps, e.g. %s" % (len(times), times[0])
    checks.append(_check("C-TIMESTAMPS", "timestamps are ISO 8601 UTC with second precision (2026-11-26T10:00:00Z)", verdict, saw))

    if not rates:
        verdict, saw = UNKNOWN, "no answer"
    elif len(good_rates) < len(rates):
        verdict, saw = FAILS, "%d of %d answers without them" % (len(rates) - len(good_rates), len(rates))
    else:
        verdict, saw = HOLDS, "limit %s, remaining %s, reset %s" % tuple(_get(rates[-1], key) for key in ("limit", "remaining", "reset"))
    checks.append(_check("C-RATE-HEADERS", "every answer has X-RateLimit-Limit, X-RateLimit-Remaining and X-RateLimit-Reset (epoch seconds)",
                         verdict, saw))
    return checks


def ssh_key_checks(seen, failure, fingerprint):
    """Create, read and delete of the throw-away SSH key."""
    create, read, delete = seen["ssh_key_create"], seen["ssh_key_read"], seen["ssh_key_delete"]
    created = create["object"] if create["status"] == 201 else None
    created_id = _get(created, "id", MISSING)
    checks = []
    verdict = UNKNOWN if create["status"] in (None, 401, 403) else (HOLDS if created_id is not MISSING else FAILS)
    saw = "%s, id %s" % (create["status"], created_id) if created_id is not MISSING else failure or create["status"]
    checks.append(_check("C-SSH-KEY-CREATE", "POST /api/ssh-keys {projectId, name, publicKey} answers 201 and the key", verdict, saw))

    if created_id is MISSING:
        verdict, saw = UNKNOWN, "no key created"
    else:
        verdict = HOLDS if _get(created, "fingerprint") == fingerprint else FAILS
        saw = _get(created, "fingerprint", "no fingerprint")
    checks.append(_check("C-SSH-KEY-FINGERPRINT", "an SSH key's fingerprint is OpenSSH's SHA256:... (ssh-keygen -l)", verdict, saw))

    if read["status"] is None:
        verdict, saw = UNKNOWN, "not asked"
    else:
        verdict = HOLDS if read["status"] == 200 and _get(read["object"], "id") == created_id else FAILS
        saw = "%s, id %s" % (read["status"], _get(read["object"], "id", "-")) if read["status"] == 200 else failure or read["status"]
    checks.append(_check("C-SSH-KEY-BY-ID", "GET /api/ssh-keys/{id} answers that key", verdict, saw))

    if delete["status"] is None:
        verdict, saw = UNKNOWN, "not asked" + (": " + failure if failure else "")
    else:
        verdict, saw = HOLDS if delete["status"] == 204 else FAILS, delete["status"]
    checks.append(_check("C-SSH-KEY-DELETE", "DELETE /api/ssh-keys/{id} answers 204", verdict, saw))
    return checks


def contract_checks(answers, listings, project_id=None, write_checks=False, write_failure="", fingerprint=""):
    """The checks of the contract, judged from the answers (see DOCUMENTATION)."""
    if not isinstance(answers, Mapping):
        raise AnsibleFilterError("contract_checks: the input must be a dict of registered results, got %s" % type(answers).__name__)
    if not isinstance(listings, list) or not all(isinstance(each, Mapping) for each in listings):
        raise AnsibleFilterError("contract_checks: listings must be a list of dicts")
    for listing in listings:
        absent = [key for key in ("answer", "route", "id", "fields_id", "fields") if key not in listing]
        if absent:
            raise AnsibleFilterError("contract_checks: a listing without %s: %r" % (", ".join(absent), dict(listing)))
    seen = dict((name, read_answer(result)) for name, result in answers.items())
    listed = [listing["answer"] for listing in listings]
    for name in ["projects", "project", "unknown", "nodes", "node", "instances", "ssh_key_create", "ssh_key_read", "ssh_key_delete"] + listed:
        seen.setdefault(name, read_answer({"skipped": True}))
    pairs = [listing_checks(listing, seen[listing["answer"]]) for listing in listings]
    checks = [route for route, _fields in pairs] + [fields for _route, fields in pairs] + shape_checks(seen, listed, project_id)
    if write_checks:
        checks += ssh_key_checks(seen, write_failure or "", fingerprint)
    return {"checks": checks, "requests": sum(each["requests"] or 0 for each in seen.values())}


class FilterModule(object):
    """hostupcloud.cloud's filters."""

    def filters(self):
        return {"contract_checks": contract_checks}
