# -*- coding: utf-8 -*-
# Copyright: HostUpCloud collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""HTTP client for the HostUpCloud Console API.

Private to this collection: the import path and the API may change without notice. It has no
dependency on AnsibleModule, so the inventory plugin and the modules share it.

The client owns the wire (HTTP, retries, pagination, errors, masking); its budget (_rate.py) owns
the rate: it reads every answer's rate headers and says how long to wait, which the client sleeps
on its clock (client.clock). Every client is made by HucClient.from_options.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress
import json
import math
import re
import uuid
from urllib.parse import quote, urlsplit

try:
    import requests
    HAS_REQUESTS = True
    REQUESTS_IMPORT_ERROR = None
except ImportError as exc:  # pragma: no cover - exercised by the sanity import test
    HAS_REQUESTS = False
    REQUESTS_IMPORT_ERROR = exc

from ansible_collections.hostupcloud.cloud.plugins.module_utils._errors import HucApiError, camel_to_snake
from ansible_collections.hostupcloud.cloud.plugins.module_utils._rate import SYSTEM_CLOCK, RateBudget, retry_after, server_date
from ansible_collections.hostupcloud.cloud.plugins.module_utils._version import COLLECTION_VERSION

DEFAULT_API_URL = "https://console.hostupcloud.com/api"
PAGE_SIZE = 100
# Answers that mean "the server did not do it, try again later". Only sent again where that is safe:
# idempotent methods, and POSTs that carry an Idempotency-Key (the server replays a finished one).
RETRYABLE_STATUS = (500, 502, 503, 504)
IDEMPOTENT_METHODS = ("GET", "HEAD", "PUT", "PATCH", "DELETE")
READ_METHODS = ("GET", "HEAD")  # the only ones check mode sends; they change nothing
UUID_PATTERN = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\Z")


def item_path(base, item, suffix=""):
    """The path of one item of a collection: its id quoted, so that no value can reach another path."""
    return "%s/%s%s" % (base, quote(str(item), safe=""), suffix)


def looks_like_id(value):
    """Resource ids are UUIDs; a value of that shape is tried as an id before a name."""
    return bool(UUID_PATTERN.match(str(value)))


def snake_to_camel(name):
    head, _sep, tail = name.partition("_")
    return head + "".join(part.capitalize() for part in tail.split("_")) if tail else head


def to_snake(value):
    """API object (camelCase keys) to Ansible result (snake_case keys); label keys and addresses are kept."""
    if isinstance(value, list):
        return [to_snake(item) for item in value]
    if isinstance(value, dict):
        return dict((camel_to_snake(k), v if k in ("labels", "reverseDns") else to_snake(v)) for k, v in value.items())
    return value


def _parse_api_url(api_url):
    """(api_url without a trailing slash, its urlsplit parts); a URL urlsplit cannot take is refused."""
    if api_url is None or api_url == "":
        api_url = DEFAULT_API_URL
    if not isinstance(api_url, str):
        raise HucApiError("api_url is not a valid URL: %r (expected a string)" % (api_url,), code="invalid_api_url")
    api_url = api_url.rstrip("/")
    try:
        parts = urlsplit(api_url)
        # .port raises ValueError for a port that is not a number or is out of range.
        parts.port  # pylint: disable=pointless-statement
        if "[" in parts.netloc:
            # Older Pythons take any text between brackets; only an IPv6 address belongs there.
            ipaddress.IPv6Address(parts.hostname or "")
    except ValueError as exc:
        raise HucApiError("api_url is not a valid URL: %r (%s)" % (api_url, exc), code="invalid_api_url")
    return api_url, parts


def _check_timeout(timeout):
    """timeout when it is a finite number of seconds greater than 0; else HucApiError naming api_timeout."""
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not math.isfinite(timeout) or timeout <= 0:
        raise HucApiError("api_timeout must be a number of seconds greater than 0, got %r" % (timeout,),
                          code="invalid_api_timeout")
    return timeout


def _is_loopback(host):
    if host in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def page_items(body, path):
    """The items of one answer to a list: a bare array, or the data of the envelope (null data is empty)."""
    if isinstance(body, list):
        return body
    data = body.get("data") if isinstance(body, dict) else None
    data = [] if data is None else data
    if not isinstance(data, list):
        raise HucApiError("the API answered a list with data that is not a list: %s"
                          % json.dumps(data)[:200], code="invalid_response", method="GET", path=path)
    return data


def page_info(body):
    """The pagination object of one answer to a list ({} when it has none); under `meta` too, which some APIs use."""
    found = (body.get("pagination") or body.get("meta")) if isinstance(body, dict) else None
    return found if isinstance(found, dict) else {}


class HucClient:
    """One API session: authentication, retries, pagination and errors; the rate is its budget's."""

    @classmethod
    def from_options(cls, options, user_agent_extra=None, read_only=False, warn=None, clock=None):
        """The one way to make a client: from a dict of the API options (the keys of _module.API_OPTIONS)."""
        return cls(options.get("api_key"), api_url=options.get("api_url", DEFAULT_API_URL),
                   timeout=options.get("api_timeout", 30), validate_certs=options.get("validate_certs", True),
                   retries=options.get("api_retries", 5), rate_limit_timeout=options.get("rate_limit_timeout", 300),
                   rate_limit=options.get("rate_limit", 60), rate_limit_shared=options.get("rate_limit_shared", True),
                   user_agent_extra=user_agent_extra, read_only=read_only, warn=warn, clock=clock)

    def __init__(self, api_key, api_url=DEFAULT_API_URL, timeout=30, validate_certs=True, retries=5,
                 rate_limit_timeout=300, user_agent_extra=None, read_only=False, rate_limit=60,
                 rate_limit_shared=True, warn=None, clock=None):
        if not HAS_REQUESTS:
            raise HucApiError("the Python library 'requests' is required: %s" % REQUESTS_IMPORT_ERROR,
                              code="missing_requests")
        if not api_key:
            raise HucApiError("no API key given: set api_key or the HUC_API_KEY environment variable",
                              code="missing_api_key")
        self.api_url, parts = _parse_api_url(api_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise HucApiError("api_url must be an http(s) URL, got %r" % self.api_url, code="invalid_api_url")
        if parts.scheme == "http" and not _is_loopback(parts.hostname):
            raise HucApiError(
                "refusing to send the API key over plain http:// to %s; use https:// "
                "(plain http is allowed for loopback addresses only, such as the emulator)" % parts.hostname,
                code="insecure_api_url")
        self.timeout = _check_timeout(timeout)
        self.validate_certs = validate_certs
        self.retries = max(0, int(retries))
        self.rate_limit_timeout = float(rate_limit_timeout)
        self.rate_limit = _check_rate_limit(rate_limit)
        self.read_only = read_only
        self.clock = clock or SYSTEM_CLOCK
        self.user_agent_extra = user_agent_extra
        self._warn = warn
        # What with_key() needs to make the same client for another key.
        self._options = dict(api_url=self.api_url, api_timeout=self.timeout, validate_certs=validate_certs,
                             api_retries=self.retries, rate_limit_timeout=self.rate_limit_timeout,
                             rate_limit=self.rate_limit, rate_limit_shared=rate_limit_shared)
        # Every process of this controller that uses this key takes its requests from one budget.
        self.budget = RateBudget(api_key, rate=self.rate_limit, shared=rate_limit_shared, clock=self.clock, warn=warn,
                                 timeout=self.rate_limit_timeout)
        # wrote: a request that may have changed something was sent (a failure after it reports changed).
        self.rate_waited, self.request_count, self.wrote = 0.0, 0, False
        self.server_time = None
        self.retry_hint = None
        agent = "hostupcloud.cloud/%s python-requests/%s" % (COLLECTION_VERSION, requests.__version__)
        if user_agent_extra:
            agent += " " + user_agent_extra
        self.session = requests.Session()
        self.session.headers.update({"Authorization": "Bearer %s" % api_key, "Accept": "application/json",
                                     "User-Agent": agent})

    def with_key(self, api_key):
        """A client like this one that authenticates with another key (say, a key just issued)."""
        return self.from_options(dict(self._options, api_key=api_key), self.user_agent_extra, self.read_only,
                                 self._warn, self.clock)

    # -- public verbs -------------------------------------------------------------------------

    def get(self, path, params=None):
        return self.request("GET", path, params=params)

    def get_or_none(self, path):
        """GET one object; None when the API answers 404 (it is gone, or never was)."""
        return self._unless_gone("GET", path, None)

    def list(self, path, params=None):
        """Every item of a paginated list, reading pages of PAGE_SIZE; accepts a bare array."""
        items = []
        for _response, body in self.pages(path, params):
            items.extend(page_items(body, path))
        return items

    def pages(self, path, params=None, per_page=PAGE_SIZE):
        """(answer, decoded body) of each page of a list, page after page: a bare array, no pagination or no
        totalPages is one page; an empty page ends it. params may set perPage."""
        page = 1
        while True:
            query = dict({"perPage": per_page}, **dict(params or {}, page=page))
            response, _found = self.exchange("GET", path, query)
            body = self._decode(response, True, "GET", path)
            yield response, body
            pages = page_info(body).get("totalPages")
            if not isinstance(pages, int) or isinstance(pages, bool) or page >= pages or not page_items(body, path):
                return
            page += 1

    def post(self, path, body=None, idempotent=False, before_retry=None):
        """POST; with idempotent=True an Idempotency-Key is sent and failures may be retried.

        before_retry is called before each retry of the POST: if it returns something (the
        object found by looking it up), that is the result and nothing is sent again.
        """
        key = str(uuid.uuid4()) if idempotent else None
        return self.request("POST", path, body=body, idempotency_key=key, before_retry=before_retry)

    def patch(self, path, body):
        return self.request("PATCH", path, body=body)

    def put(self, path, body):
        return self.request("PUT", path, body=body)

    def delete(self, path):
        return self.request("DELETE", path)

    def delete_if_exists(self, path, gone=None):
        """DELETE; the answer (None when empty), or gone when the API answers 404: it is gone already
        (a retry whose first answer was lost, or someone else's delete)."""
        return self._unless_gone("DELETE", path, gone)

    def _unless_gone(self, method, path, gone):
        """The one place where a 404 means "not there": the answer to method path, else gone."""
        try:
            return self.request(method, path)
        except HucApiError as error:
            if error.status != 404:
                raise
        return gone

    # -- machinery ----------------------------------------------------------------------------

    def request(self, method, path, params=None, body=None, idempotency_key=None, envelope=False,
                before_retry=None):
        """Send one logical request, waiting out 429s and retrying what is safe to retry; the decoded answer."""
        response, found = self.exchange(method, path, params, body, idempotency_key, before_retry=before_retry)
        return found if response is None else self._decode(response, envelope, method, path)

    def exchange(self, method, path, params=None, body=None, idempotency_key=None, expect=(), before_retry=None):
        """(the final answer, None) of one logical request: below 400 or a status in expect, after waiting
        out 429s and retrying what is safe to retry; (None, found) when before_retry found the object."""
        if self.read_only and method not in READ_METHODS:
            raise HucApiError("internal error: a %s was attempted in check mode" % method,
                              code="check_mode_write", method=method, path=path)
        url = self.api_url + path
        headers = {}
        if body is not None:
            headers["Content-Type"] = "application/json"
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        retry_allowed = method in IDEMPOTENT_METHODS or bool(idempotency_key)
        failures = 0
        throttled = 0
        while True:
            try:
                response = self._send(method, url, params, body, headers)
            except requests.exceptions.RequestException as exc:
                response = None
                error = HucApiError("could not reach the API at %s: %s" % (self.api_url, _network_reason(exc)),
                                    code="network_error", method=method, path=path)
            if response is not None and response.status_code == 429:
                self._wait_rate_limit(response.headers, method, path, throttled)
                throttled += 1
                continue
            # Only a 4xx says for sure that the server did nothing.
            self.wrote = self.wrote or method not in READ_METHODS and (response is None or not 400 <= response.status_code < 500)
            if response is not None:
                if response.status_code < 400 or response.status_code in expect:
                    return response, None
                error = self._error(response, method, path)
                if response.status_code not in RETRYABLE_STATUS:
                    raise error
            # A network failure or a retryable answer: sent again where that is safe.
            failures = self._retry_or_raise(error, failures, retry_allowed)
            found = before_retry() if before_retry and method == "POST" else None
            if found is not None:
                return None, found

    def _send(self, method, url, params, body, headers):
        self.budget.acquire()
        self.request_count += 1
        try:
            response = self.session.request(
                method, url, params=params, data=json.dumps(body) if body is not None else None,
                headers=headers, timeout=self.timeout, verify=self.validate_certs, allow_redirects=False)
        except requests.exceptions.RequestException:
            self.budget.observe_response({})  # no answer: the request's token counts from now all the same
            raise
        self.server_time = server_date(response.headers) or self.server_time
        self.budget.observe_response(response.headers, self.server_time)
        # A success that says when to look again (the ETA of a transition): the waits poll then.
        self.retry_hint = retry_after(response.headers, self.server_time) if response.status_code < 300 else None
        return response

    def _retry_or_raise(self, error, failures, retry_allowed):
        if not retry_allowed or failures >= self.retries:
            if failures:
                error.api_message = "%s (after %d retries)" % (error.api_message, failures)
                error.args = (error.describe(),)
            raise error
        self.clock.sleep(self.budget.retry_delay(failures))
        return failures + 1

    def _wait_rate_limit(self, headers, method, path, attempt):
        delay = self.budget.delay_after_429(headers, attempt, self.server_time)
        if self.rate_waited + delay > self.rate_limit_timeout:
            rate = ("rate_limit %d requests a minute per key" % self.rate_limit if self.rate_limit
                    else "rate_limit 0: pacing off")
            raise HucApiError(
                "rate limit still exceeded after waiting %d seconds (429 Too Many Requests, %s); raise "
                "rate_limit_timeout or use fewer parallel forks" % (round(self.rate_waited), rate),
                status=429, code="rate_limited", method=method, path=path)
        self.rate_waited += delay
        self.budget.observe(pause=delay)  # every process of this key holds back, not only this one
        self.clock.sleep(delay)

    @staticmethod
    def _decode(response, envelope, method, path):
        if response.status_code == 204 or not response.content:
            return None
        try:
            body = response.json()
        except ValueError:
            raise HucApiError("the API answered %s with a body that is not JSON: %s"
                              % (response.status_code, response.text[:200]),
                              status=response.status_code, code="invalid_response", method=method, path=path)
        if envelope:
            return body
        if isinstance(body, dict) and "data" in body and len(set(body) - {"data", "pagination"}) == 0:
            return body["data"]
        return body

    def _error(self, response, method, path):
        try:
            body = response.json()
        except ValueError:
            body = None
        if response.status_code == 404 and path.count("/") == 1:
            # A listing is never missing from the API: the URL is, most often without its /api.
            return HucApiError("the API at %s has no %s %s (404): api_url must be the API's base URL, which usually "
                               "ends in /api" % (self.api_url, method, path), status=404, code="not_found",
                               method=method, path=path)
        error = body.get("error") if isinstance(body, dict) else None
        if isinstance(error, dict):
            return HucApiError(error.get("message") or "HTTP %s" % response.status_code, status=response.status_code,
                               code=error.get("code"), details=error.get("details"), method=method, path=path)
        reason = response.reason or ""
        return HucApiError("the API answered %s %s: %s" % (response.status_code, reason, response.text[:200]),
                           status=response.status_code, code="http_%s" % response.status_code,
                           method=method, path=path)


def _check_rate_limit(value):
    try:
        rate = int(value)
    except (TypeError, ValueError):
        rate = -1
    if isinstance(value, bool) or rate < 0:
        raise HucApiError("rate_limit must be a whole number of requests a minute (0 turns pacing off), got %r" % (value,),
                          code="invalid_rate_limit")
    return rate


def _network_reason(exc):
    if isinstance(exc, requests.exceptions.Timeout):
        return "timed out"
    if isinstance(exc, requests.exceptions.SSLError):
        return "TLS error (%s); set validate_certs=false only for a trusted test endpoint" % type(exc).__name__
    if isinstance(exc, requests.exceptions.ConnectionError):
        return "connection failed or dropped"
    return type(exc).__name__
