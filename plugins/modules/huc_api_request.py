#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: HostUpCloud collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: huc_api_request
short_description: Send one request to the HostUpCloud API, for what no module covers yet
version_added: 1.1.0
description:
  - Sends one request (or, with O(all_pages), the requests for every page of a list) to the HostUpCloud
    Console API, through the same client as every module of this collection, with its retries, its waits
    for the rate limit, its request budget, its error messages and its masking of API keys.
  - For the API's features no module of this collection covers yet, and to look at the API's answers as
    they are. Prefer the modules where they exist; they are idempotent, and this module is not.
  - A write (V(POST), V(PUT), V(PATCH), V(DELETE)) reports RV(ignore:changed=true) when it succeeds; use
    C(changed_when) on the task to say otherwise. V(GET) and V(HEAD) report RV(ignore:changed=false).
  - An API key secret in the answer (an answer to the creation of an API key, say) is masked as
    C(huc_abcd…) with a warning; issue keys with M(hostupcloud.cloud.huc_api_key), which hands the secret over.
author:
  - HostUpCloud collection maintainers (@hostupcloud)
options:
  method:
    description:
      - The HTTP method.
    type: str
    choices: [GET, HEAD, POST, PUT, PATCH, DELETE]
    default: GET
  path:
    description:
      - The path relative to O(api_url), for example V(/instances) or V(/instances/0f9d3c1e-6a2b-4c8d-9e7f-1a2b3c4d5e6f/power).
        The leading V(/) may be left out.
      - The query string goes in O(query), not here.
    type: str
    required: true
  query:
    description:
      - "Query parameters, for example V({\"perPage\": 100}). A list value repeats the parameter;
        V(true) and V(false) are sent as C(true) and C(false)."
    type: dict
  body:
    description:
      - The JSON body of a write, in the API's camelCase field names.
      - Not allowed with V(GET) or V(HEAD).
    type: raw
  status_code:
    description:
      - The statuses the task expects, for example V([200, 404]) to look for something that may be gone.
      - An answer with another status fails the task, with RV(failure) saying what the API said.
      - If not set, any V(2xx) status.
      - A V(429) is never an answer here; the client waits as the API tells it and sends the request again.
    type: list
    elements: int
  all_pages:
    description:
      - With V(true), a V(GET) of a list reads every page (following C(pagination.totalPages)) and returns
        their items as one list in C(data) of RV(json).
      - O(query) may set C(perPage); its C(page) is ignored.
    type: bool
    default: false
  idempotency_key:
    description:
      - Sent as the C(Idempotency-Key) header, so that the API does a write at most once however often it is sent.
      - A V(POST) gets a new random key unless one is given here; with a key a failed V(POST) is sent again
        (up to O(api_retries) times), without one it never is.
      - Give the same key on a rerun of the same request to make the rerun a replay.
    type: str
notes:
  - Check mode sends V(GET) and V(HEAD) requests and sends no write; a write then reports
    RV(ignore:changed=true) with RV(status) null.
extends_documentation_fragment:
  - hostupcloud.cloud.api
  - hostupcloud.cloud.api.ATTRIBUTES
attributes:
  diff_mode:
    description: Returns nothing to diff.
    support: none
seealso:
  - name: The HostUpCloud API contract
    description: The API this collection is built against, what is documented and what is assumed.
    link: https://github.com/hostupcloud/ansible-collection-cloud/blob/main/docs/dev/api-contract.md
"""

EXAMPLES = r"""
- name: Read one instance as the API sends it
  hostupcloud.cloud.huc_api_request:
    path: /instances/0f9d3c1e-6a2b-4c8d-9e7f-1a2b3c4d5e6f
  register: answer

- name: Every instance of a project, every page
  hostupcloud.cloud.huc_api_request:
    path: /instances
    query:
      projectId: "{{ project_id }}"
    all_pages: true
  register: listing

- name: Show their names
  ansible.builtin.debug:
    msg: "{{ listing.json.data | map(attribute='name') | list }}"

- name: Look for something that may be gone
  hostupcloud.cloud.huc_api_request:
    path: /ssh-keys/0f9d3c1e-6a2b-4c8d-9e7f-1a2b3c4d5e6f
    status_code: [200, 404]
  register: key

- name: A write with a key of our own, so that a rerun replays it instead of doing it twice
  hostupcloud.cloud.huc_api_request:
    method: POST
    path: /ssh-keys
    body:
      name: deploy
      publicKey: "{{ lookup('ansible.builtin.file', 'deploy.pub') }}"
    idempotency_key: "create-deploy-key-{{ project_id }}"
    status_code: [201]

- name: How many requests are left this minute
  hostupcloud.cloud.huc_api_request:
    method: HEAD
    path: /projects
  register: head

- name: Say it
  ansible.builtin.debug:
    msg: "{{ head.rate_limit.remaining }} of {{ head.rate_limit.limit }} left"
"""

RETURN = r"""
status:
  description: The HTTP status of the answer (of the last page with O(all_pages)); null for a write in check mode.
  returned: always
  type: int
  sample: 200
json:
  description:
    - The answer's body, decoded; null when it was empty or not JSON.
    - With O(all_pages), a dict with C(data), every item of every page, and C(pagination), the last page's;
      or a list when the API answered bare arrays.
  returned: always
  type: raw
  sample: {"data": {"id": "0f9d3c1e-6a2b-4c8d-9e7f-1a2b3c4d5e6f", "name": "web-1", "status": "running"}}
text:
  description: The answer's body as text (its first 4096 characters) when it is not JSON; null otherwise.
  returned: always
  type: str
  sample: null
headers:
  description: The answer's headers, with lower-case names.
  returned: always
  type: dict
  sample: {"content-type": "application/json", "x-ratelimit-remaining": "59"}
rate_limit:
  description: The rate limit headers of the answer, as numbers; each is null where the header was missing.
  returned: always
  type: dict
  contains:
    limit:
      description: C(X-RateLimit-Limit), the requests allowed per window.
      returned: always
      type: int
      sample: 60
    remaining:
      description: C(X-RateLimit-Remaining), the requests left in this window.
      returned: always
      type: int
      sample: 59
    reset:
      description: C(X-RateLimit-Reset), when the window resets, in seconds since the epoch.
      returned: always
      type: int
      sample: 1796520000
pages:
  description: The pages read (1 without O(all_pages); 0 for a write in check mode).
  returned: always
  type: int
  sample: 1
requests:
  description: The HTTP requests the task sent, retries and requests answered V(429) included.
  returned: always
  type: int
  sample: 1
url:
  description: The URL of the request, without its query.
  returned: always
  type: str
  sample: https://console.hostupcloud.com/api/instances
idempotency_key:
  description: The C(Idempotency-Key) sent, if any.
  returned: always
  type: str
  sample: 9b2f4b8e-1c0d-4c55-8a57-3f1e0c2d4b6a
failure:
  description: Why the task failed, for machines; the status and the API's error code, message and details.
  returned: failure
  type: dict
  sample: {"status": 404, "code": "not_found", "message": "instance not found", "details": {}}
"""

import re
import uuid

from ansible_collections.hostupcloud.cloud.plugins.module_utils._client import READ_METHODS, page_info, page_items
from ansible_collections.hostupcloud.cloud.plugins.module_utils._errors import mask_secrets
from ansible_collections.hostupcloud.cloud.plugins.module_utils._module import HucModule, Option, failure

TEXT_LIMIT = 4096
SECRET = re.compile(r"huc_[A-Za-z0-9]{20,}")  # a whole secret; the prefixes the API shows are shorter
RATE_HEADERS = (("limit", "X-RateLimit-Limit"), ("remaining", "X-RateLimit-Remaining"), ("reset", "X-RateLimit-Reset"))


def checked_path(path):
    """The path as sent after api_url, or the reason it cannot be one."""
    path = path.strip()
    path = path if path.startswith("/") else "/" + path
    if path.startswith("//") or "://" in path:
        return None, "must be a path relative to api_url, such as /instances, not a URL"
    if "?" in path or "#" in path:
        return None, "must not carry a query string or a fragment: give the query parameters in query"
    if ".." in path.split("/") or re.search(r"[\s\x00-\x1f]", path):
        return None, "must not contain '..' segments, spaces or control characters"
    return path, None


def wire_query(query):
    """Query values as the API reads them: booleans in lower case, lists repeated."""
    def one(value):
        return ("true" if value else "false") if isinstance(value, bool) else value
    return dict((key, [one(v) for v in value] if isinstance(value, list) else one(value))
                for key, value in (query or {}).items())


def masked(value, found):
    """value with every whole API key secret masked; found collects what was masked."""
    if isinstance(value, dict):
        return dict((key, masked(item, found)) for key, item in value.items())
    if isinstance(value, list):
        return [masked(item, found) for item in value]
    if isinstance(value, str) and SECRET.search(value):
        found.append(value)
        return mask_secrets(value)
    return value


def rate_limit(headers):
    numbers = {}
    for name, header in RATE_HEADERS:
        try:
            numbers[name] = int(float(headers.get(header)))
        except (TypeError, ValueError):
            numbers[name] = None
    return numbers


class HucApiRequest(HucModule):
    options = (
        Option("method", choices=("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"), default="GET"),
        Option("path", required=True),
        Option("query", "dict"),
        Option("body", "raw"),
        Option("status_code", "list", elements="int"),
        Option("all_pages", "bool", default=False),
        Option("idempotency_key", no_log=False),
    )

    def run(self):
        method, expected = self.params["method"], self.params["status_code"]
        path, problem = checked_path(self.params["path"])
        if problem:
            self.fail("path: %s, got %r" % (problem, self.params["path"]), code="validation_error")
        if method in READ_METHODS and self.params["body"] is not None:
            self.fail("body: a %s sends no body" % method, code="validation_error")
        if self.params["all_pages"] and method != "GET":
            self.fail("all_pages: only for method GET, got %s" % method, code="validation_error")
        key = self.params["idempotency_key"] or (str(uuid.uuid4()) if method == "POST" else None)
        self.result.update(status=None, json=None, text=None, headers={}, rate_limit=rate_limit({}), pages=0,
                           requests=0, url=self.client.api_url + path, idempotency_key=key,
                           changed=method not in READ_METHODS)
        if self.check_mode and method not in READ_METHODS:
            return
        query = wire_query(self.params["query"])
        if self.params["all_pages"]:
            response, body = self.all_pages(path, query)
        else:
            response, _found = self.client.exchange(method, path, query, self.params["body"], key, expect=expected or ())
            body = self.decode(response)
            self.result["pages"] = 1
        status = response.status_code
        self.result.update(status=status, headers=dict((k.lower(), v) for k, v in response.headers.items()),
                           rate_limit=rate_limit(response.headers), requests=self.client.request_count)
        secrets = []
        self.result["json"] = masked(body, secrets)
        if secrets:
            self.module.warn("the answer held an API key secret, masked here; issue keys with "
                             "hostupcloud.cloud.huc_api_key, which hands the secret over safely")
        if not (status in expected if expected else 200 <= status < 300):
            msg = "%s %s answered %s, not one of the statuses expected (%s)" % (
                method, path, status, ", ".join(map(str, expected)) if expected else "2xx")
            answer = dict((k, v) for k, v in self.result.items() if k != "changed")
            self.module.fail_json(msg=msg, failure=failure(msg, "unexpected_status", status=status), **answer)

    def decode(self, response):
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            self.result["text"] = mask_secrets(response.text[:TEXT_LIMIT])
            return None

    def all_pages(self, path, query):
        """The last page's answer, and every item of every page: {"data": items, "pagination": the last page's},
        or the bare list."""
        items, response, body = [], None, None
        for response, body in self.client.pages(path, dict((k, v) for k, v in query.items() if k != "page"),
                                                per_page=query.get("perPage", 100)):
            items.extend(page_items(body, path))
            self.result["pages"] += 1
        combined = items if isinstance(body, list) else {"data": items, "pagination": page_info(body) or None}
        return response, combined


def main():
    HucApiRequest.main()


if __name__ == "__main__":
    main()
