# -*- coding: utf-8 -*-
# Copyright: HostUpCloud collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""HTTP client for the HostUpCloud Console API.

Private to this collection: the import path and the API may change without notice. It has no
dependency on AnsibleModule, so the inventory plugin and the modules share it.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import email.utils
import ipaddress
import json
import math
import random
import re
import time
import uuid

try:
    from urllib.parse import urlsplit
except ImportError:  # pragma: no cover - Python 2 is not supported, import kept tolerant
    from urlparse import urlsplit  # type: ignore

try:
    import requests
    HAS_REQUESTS = True
    REQUESTS_IMPORT_ERROR = None
except ImportError as exc:  # pragma: no cover - exercised by the sanity import test
    HAS_REQUESTS = False
    REQUESTS_IMPORT_ERROR = exc

from ansible_collections.hostupcloud.cloud.plugins.module_utils._rate import RateBudget
from ansible_collections.hostupcloud.cloud.plugins.module_utils._version import COLLECTION_VERSION

DEFAULT_API_URL = "https://console.hostupcloud.com/api"
PAGE_SIZE = 100
# A reset further away than this is not believed (the window is a minute).
WINDOW_CAP = 60.0
# Answers that mean "the server did not do it, try again later". Only sent again where that is safe:
# idempotent methods, and POSTs that carry an Idempotency-Key (the server replays a finished one).
RETRYABLE_STATUS = (500, 502, 503, 504)
IDEMPOTENT_METHODS = ("GET", "HEAD", "PUT", "PATCH", "DELETE")
KEY_PATTERN = re.compile(r"huc_[A-Za-z0-9]{4}[A-Za-z0-9_\-]*")
UUID_PATTERN = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


def mask_secrets(text):
    """Replace every API key in text by its first characters, e.g. ``huc_abcd…``."""
    if not text:
        return text
    return KEY_PATTERN.sub(lambda m: m.group(0)[:8] + u"\u2026", str(text))


def looks_like_id(value):
    """Resource ids are UUIDs; a value of that shape is tried as an id before a name."""
    return bool(UUID_PATTERN.match(str(value)))


def camel_to_snake(name):
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


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


class HucApiError(Exception):
    """Any failure talking to the API: an error answer, a network problem or a refused setting."""

    def __init__(self, message, status=None, code=None, details=None, method=None, path=None):
        self.status = status
        self.code = code
        self.api_message = mask_secrets(message)
        self.details = details or {}
        self.method = method
        self.path = path
        super(HucApiError, self).__init__(self.describe())

    def describe(self, field_names=None):
        """A readable message in user terms; field_names maps API fields to option names."""
        field_names = field_names or {}
        where = " (%s %s)" % (self.method, self.path) if self.method else ""
        if self.code == "invalid_api_key":
            text = "the API key was not accepted (invalid_api_key): check api_key or HUC_API_KEY"
        elif self.code == "api_key_revoked":
            text = "the API key has been revoked (api_key_revoked): re-enable it or use another key"
        elif self.code == "api_key_expired":
            text = "the API key has expired (api_key_expired): issue a new key"
        elif self.status == 403:
            text = "this API key has the Read permission only; this task needs Write (forbidden)"
        elif self.status == 404:
            text = "not found: %s" % self.api_message
        elif self.details and isinstance(self.details, dict) and self.status in (400, 422):
            fields = "; ".join(
                "%s: %s" % (field_names.get(k, camel_to_snake(k)), v) for k, v in sorted(self.details.items()))
            text = "invalid input (%s): %s" % (self.code or self.status, fields)
        else:
            text = self.api_message
            # Codes the API sent are worth showing; our own (no status) are said by the text.
            if self.code and self.status is not None and self.code not in text:
                text = "%s (%s)" % (text, self.code)
        return mask_secrets(text + where)

    def failure(self):
        return {"status": self.status, "code": self.code, "message": self.api_message, "details": self.details}


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
    if (isinstance(timeout, bool) or not isinstance(timeout, (int, float))
            or not math.isfinite(timeout) or timeout <= 0):
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


class HucClient:
    """One API session: authentication, retries, rate limits, pagination and errors."""

    def __init__(self, api_key, api_url=DEFAULT_API_URL, timeout=30, validate_certs=True, retries=5,
                 rate_limit_timeout=300, user_agent_extra=None, read_only=False, sleep=time.sleep,
                 rate_limit=60, rate_limit_shared=True, warn=None):
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
        self.read_only = read_only
        self._given_sleep = sleep
        self._slept = 0.0

        def counted_sleep(seconds):
            sleep(seconds)
            self._slept += seconds
        self._sleep = counted_sleep
        # An injected sleep (tests) may not pass real time: the budget's clock then moves with it.
        clock = time.time if sleep is time.sleep else (lambda: time.time() + self._slept)
        self.rate_limit = _check_rate_limit(rate_limit)
        self.rate_limit_shared = rate_limit_shared
        self._warn = warn
        # Every process of this controller that uses this key takes its requests from one budget.
        self.budget = RateBudget(api_key, rate=self.rate_limit, shared=rate_limit_shared, clock=clock, sleep=self._sleep,
                                 warn=warn)
        self.rate_waited = 0.0
        self.request_count = 0
        self.server_time = None
        self.key_hint = mask_secrets(api_key)
        agent = "hostupcloud.cloud/%s python-requests/%s" % (COLLECTION_VERSION, requests.__version__)
        if user_agent_extra:
            agent += " " + user_agent_extra
        self.session = requests.Session()
        self.session.headers.update({
            "Authorization": "Bearer %s" % api_key,
            "Accept": "application/json",
            "User-Agent": agent,
        })

    def with_key(self, api_key):
        """A client like this one that authenticates with another key (say, a key just issued)."""
        other = HucClient(api_key, self.api_url, self.timeout, self.validate_certs, self.retries, self.rate_limit_timeout,
                          read_only=self.read_only, sleep=self._given_sleep, rate_limit=self.rate_limit,
                          rate_limit_shared=self.rate_limit_shared, warn=self._warn)
        other.session.headers["User-Agent"] = self.session.headers["User-Agent"]
        return other

    # -- public verbs -------------------------------------------------------------------------

    def get(self, path, params=None):
        return self.request("GET", path, params=params)

    def get_or_none(self, path):
        """GET one object; None when the API answers 404 (it is gone, or never was)."""
        try:
            return self.get(path)
        except HucApiError as error:
            if error.status != 404:
                raise
        return None

    def list(self, path, params=None):
        """Every item of a paginated list, reading pages of PAGE_SIZE; accepts a bare array."""
        items = []
        page = 1
        while True:
            query = dict(params or {}, page=page, perPage=PAGE_SIZE)
            body = self.request("GET", path, params=query, envelope=True)
            if isinstance(body, list):
                return items + body
            if not isinstance(body, dict):
                return items
            # null data is an empty page, and null pagination (or no totalPages) means one page.
            data = body.get("data")
            if data is None:
                data = []
            if not isinstance(data, list):
                raise HucApiError("the API answered a list with data that is not a list: %s"
                                  % json.dumps(data)[:200], code="invalid_response", method="GET", path=path)
            items.extend(data)
            pagination = body.get("pagination")
            pages = pagination.get("totalPages") if isinstance(pagination, dict) else None
            if not isinstance(pages, int) or isinstance(pages, bool) or page >= pages or not data:
                return items
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

    def delete_if_exists(self, path):
        """DELETE; a 404 (a retry after a lost answer, someone else's delete) means done: None."""
        try:
            return self.delete(path)
        except HucApiError as error:
            if error.status != 404:
                raise
        return None

    # -- machinery ----------------------------------------------------------------------------

    def request(self, method, path, params=None, body=None, idempotency_key=None, envelope=False,
                before_retry=None):
        """Send one logical request, waiting out 429s and retrying what is safe to retry."""
        if self.read_only and method != "GET":
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
                error = HucApiError("could not reach the API at %s: %s" % (self.api_url, _network_reason(exc)),
                                    code="network_error", method=method, path=path)
                failures = self._retry_or_raise(error, failures, retry_allowed)
                found = before_retry() if before_retry and method == "POST" else None
                if found is not None:
                    return found
                continue
            if response.status_code == 429:
                self._wait_rate_limit(response, method, path, throttled)
                throttled += 1
                continue
            if response.status_code in RETRYABLE_STATUS:
                failures = self._retry_or_raise(self._error(response, method, path), failures, retry_allowed)
                found = before_retry() if before_retry and method == "POST" else None
                if found is not None:
                    return found
                continue
            if response.status_code >= 400:
                raise self._error(response, method, path)
            return self._decode(response, envelope, method, path)

    def _send(self, method, url, params, body, headers):
        self.budget.acquire()
        self.request_count += 1
        response = self.session.request(
            method, url, params=params, data=json.dumps(body) if body is not None else None,
            headers=headers, timeout=self.timeout, verify=self.validate_certs, allow_redirects=False)
        date = response.headers.get("Date")
        if date:
            try:
                self.server_time = email.utils.parsedate_to_datetime(date)
            except (TypeError, ValueError):
                pass
        remaining, reset_in = rate_limit_signals(response.headers, self.server_time)
        self.budget.observe(remaining=remaining, reset_in=reset_in, limit=server_limit(response.headers))
        return response

    def _retry_or_raise(self, error, failures, retry_allowed):
        if not retry_allowed or failures >= self.retries:
            if failures:
                error.api_message = "%s (after %d retries)" % (error.api_message, failures)
                error.args = (error.describe(),)
            raise error
        self._sleep(backoff(failures, base=0.5, cap=10))
        return failures + 1

    def _wait_rate_limit(self, response, method, path, attempt):
        delay = rate_limit_delay(response.headers, self.server_time, attempt=attempt)
        if self.rate_waited + delay > self.rate_limit_timeout:
            raise HucApiError(
                "rate limit still exceeded after waiting %d seconds (429 Too Many Requests, 60 requests a "
                "minute per key); raise rate_limit_timeout or use fewer parallel forks" % round(self.rate_waited),
                status=429, code="rate_limited", method=method, path=path)
        self.rate_waited += delay
        self.budget.observe(pause=delay)  # every process of this key holds back, not only this one
        self._sleep(delay)

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

    @staticmethod
    def _error(response, method, path):
        try:
            body = response.json()
        except ValueError:
            body = None
        error = body.get("error") if isinstance(body, dict) else None
        if isinstance(error, dict):
            return HucApiError(error.get("message") or "HTTP %s" % response.status_code, status=response.status_code,
                               code=error.get("code"), details=error.get("details"), method=method, path=path)
        reason = response.reason or ""
        return HucApiError("the API answered %s %s: %s" % (response.status_code, reason, response.text[:200]),
                           status=response.status_code, code="http_%s" % response.status_code,
                           method=method, path=path)


def backoff(attempt, base=1.0, cap=30.0):
    """Exponential backoff with jitter: between half and all of base * 2**attempt, capped."""
    delay = min(cap, base * (2 ** attempt))
    return delay / 2 + random.uniform(0, delay / 2)


def rate_limit_signals(headers, server_time=None):
    """(X-RateLimit-Remaining, seconds until X-RateLimit-Reset on the server's clock); None where absent."""
    try:
        remaining = int(headers.get("X-RateLimit-Remaining"))
    except (TypeError, ValueError):
        return None, None
    try:
        now = server_time.timestamp() if server_time is not None else time.time()
        reset_in = min(WINDOW_CAP, max(0.0, float(headers.get("X-RateLimit-Reset")) - now))
    except (TypeError, ValueError):
        reset_in = None
    return remaining, reset_in


def server_limit(headers):
    """X-RateLimit-Limit as a number, or None."""
    try:
        return int(headers.get("X-RateLimit-Limit")) or None
    except (TypeError, ValueError):
        return None


def _check_rate_limit(value):
    try:
        rate = int(value)
    except (TypeError, ValueError):
        rate = -1
    if isinstance(value, bool) or rate < 0:
        raise HucApiError("rate_limit must be a whole number of requests a minute (0 turns pacing off), got %r" % (value,),
                          code="invalid_rate_limit")
    return rate


def rate_limit_delay(headers, server_time=None, attempt=0):
    """Seconds to wait after a 429: Retry-After, else X-RateLimit-Reset, else backoff."""
    retry_after = headers.get("Retry-After")
    if retry_after:
        try:
            return max(0.0, float(retry_after))
        except ValueError:
            try:
                when = email.utils.parsedate_to_datetime(retry_after)
                if server_time is not None:
                    return max(0.0, (when - server_time).total_seconds())
            except (TypeError, ValueError):
                pass
    reset = headers.get("X-RateLimit-Reset")
    if reset:
        try:
            # Reset is an epoch on the server's clock: compare it with the server's Date.
            now = server_time.timestamp() if server_time is not None else time.time()
            return min(60.0, max(1.0, float(reset) - now))
        except ValueError:
            pass
    return backoff(attempt, base=1.0, cap=30.0)


def _network_reason(exc):
    if isinstance(exc, requests.exceptions.Timeout):
        return "timed out"
    if isinstance(exc, requests.exceptions.SSLError):
        return "TLS error (%s); set validate_certs=false only for a trusted test endpoint" % type(exc).__name__
    if isinstance(exc, requests.exceptions.ConnectionError):
        return "connection failed or dropped"
    return type(exc).__name__
