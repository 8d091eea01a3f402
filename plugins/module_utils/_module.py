# -*- coding: utf-8 -*-
# Copyright: HostUpCloud collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Base class of every hostupcloud.cloud module. Private to this collection.

HucModule owns the client, the one error channel (every failure carries
``failure: {status, code, message, details}``), the check and diff plumbing and the one poll
loop every wait goes through. Resources build on it in _resource.py.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible.module_utils import basic
from ansible.module_utils.basic import AnsibleModule, env_fallback, missing_required_lib

from ansible_collections.hostupcloud.cloud.plugins.module_utils._client import (
    DEFAULT_API_URL,
    HAS_REQUESTS,
    REQUESTS_IMPORT_ERROR,
    HucApiError,
    HucClient,
    item_path,
    looks_like_id,
    to_snake,
)
from ansible_collections.hostupcloud.cloud.plugins.module_utils._ssh_keys import looks_private


# An API with numeric ids (the emulator's numeric-ids variant) answers 7 where ours gives a UUID.
NUMERIC_ID = re.compile(r"[1-9][0-9]{0,18}\Z")


def path_safe_id(value):
    """Whether an id option may go into a path: a UUID, or a plain positive integer; nothing else."""
    return looks_like_id(value) or bool(NUMERIC_ID.match(str(value)))


class Option:
    """One module option, declared once: its Ansible spec (type, elements, choices, default, no_log,
    aliases, sub-options, fallback). define_module() builds the argument spec from these; the
    DOCUMENTATION is held to it by validate-modules."""

    def __init__(self, name, type="str", elements=None, choices=None, default=None, no_log=None, aliases=None,
                 options=None, fallback=None, required=False):
        self.name = name
        self.spec = dict((key, value) for key, value in (
            ("type", type), ("elements", elements), ("choices", list(choices) if choices else None),
            ("default", default), ("no_log", no_log), ("aliases", aliases), ("options", options),
            ("fallback", fallback), ("required", required or None)) if value is not None)


def env(name):
    return (env_fallback, [name])


API_OPTIONS = (
    Option("api_key", required=True, no_log=True, aliases=["api_token"], fallback=env("HUC_API_KEY")),
    Option("api_url", default=DEFAULT_API_URL, fallback=env("HUC_API_URL")),
    Option("api_timeout", "int", default=30, fallback=env("HUC_API_TIMEOUT")),
    Option("validate_certs", "bool", default=True),
    Option("api_retries", "int", default=5),
    Option("rate_limit_timeout", "int", default=300),
    Option("rate_limit", "int", default=60, fallback=env("HUC_RATE_LIMIT")),
    Option("rate_limit_shared", "bool", default=True, fallback=env("HUC_RATE_LIMIT_SHARED")),
)
API_ARGUMENT_SPEC = dict((option.name, option.spec) for option in API_OPTIONS)
PROJECT = Option("project", fallback=env("HUC_PROJECT"))
EXAMPLE_ID = "0f9d3c1e-6a2b-4c8d-9e7f-1a2b3c4d5e6f"
ID = Option("id")


def wait_options(timeout):
    """wait and wait_timeout, for a module that waits for status changes (timeout: the default)."""
    return (Option("wait", "bool", default=True), Option("wait_timeout", "int", default=timeout))


class WaitSchedule(object):
    """When one kind of wait polls: first at the transition's expected time, then each interval
    factor times the last, at most cap apart, never past the deadline. A Retry-After on the answer
    that began the transition or on a poll's answer (the API's ETA) wins over the schedule."""

    def __init__(self, waits_for, first, factor=2.0, cap=30.0):
        self.waits_for, self.first, self.factor, self.cap = waits_for, float(first), float(factor), float(cap)

    def sleeps(self, hint=lambda: None):
        """The sleep before each poll (endless; the wait stops it): hint(), the API's latest
        Retry-After, when it gave one, else the schedule's next interval."""
        interval = self.first
        while True:
            latest = hint()
            yield max(HINT_MIN, latest) if latest is not None else min(interval, self.cap)
            interval *= self.factor

    def intervals(self, timeout):
        """The sleeps of a wait of at most timeout seconds without hints, the last one cut at the deadline."""
        spent = 0.0
        for step in self.sleeps():
            if spent >= timeout:
                return
            yield min(step, timeout - spent)
            spent += step

    def __repr__(self):
        return "WaitSchedule(%r, first=%s)" % (self.waits_for, self.first)


# One schedule per kind of wait, named by what it waits for. Requests are the scarce resource (60 a
# minute per key): a create that provisions in 5 s costs 2 polls, a 5-minute wait 13.
PROVISION = WaitSchedule("a new resource to be ready", 3.0)
POWER = WaitSchedule("a power transition (start, stop, shutdown, reboot)", 2.0)
DELETE = WaitSchedule("a deletion", 2.0)
HINT_MIN = 1.0  # an ETA of 0 (or in the past) still waits this long: never a busy loop


def failure(message, code=None, details=None, status=None):
    """The machine-readable part of every failed result."""
    return {"status": status, "code": code, "message": message, "details": details or {}}


class HucAnsibleModule(AnsibleModule):
    """AnsibleModule whose every failure, argument errors included, carries a failure dict, and that never echoes
    a private key pasted into any option (in the invocation, the log or a result), even on an argument error."""

    def mask_private_keys(self):
        for value in (getattr(self, "params", None) or {}).values():
            if isinstance(value, str) and looks_private(value):
                self.no_log_values.update(text for text in (value, value.strip()) if text)

    def _log_invocation(self):
        self.mask_private_keys()
        super(HucAnsibleModule, self)._log_invocation()

    def exit_json(self, **kwargs):
        self.mask_private_keys()
        super(HucAnsibleModule, self).exit_json(**kwargs)

    def fail_json(self, msg, **kwargs):
        self.mask_private_keys()
        kwargs.setdefault("failure", failure(msg, "invalid_argument" if not getattr(self, "_huc_started", False)
                                             else "module_error"))
        # A failure after a request that may have changed something reports changed: the one place for it.
        client = getattr(self, "_huc_client", None)
        if client is not None and client.wrote:
            kwargs["changed"] = True
        super(HucAnsibleModule, self).fail_json(msg=msg, **kwargs)


class HucModule:
    """Base of every module: subclasses set result_key and implement run()."""

    result_key = None
    # Statuses that fail a wait for another status.
    broken = ("error",)
    # The kind of resource the module returns (a Reference of _references.REFERENCES).
    resource = None
    # The options of the module besides the API options (Option declarations).
    options = ()
    # AnsibleModule's rules across options: required_one_of, mutually_exclusive, required_by, ...
    option_rules = {}

    def __init__(self, module):
        self.module = module
        self.params = module.params
        self.check_mode = module.check_mode
        self.result = {"changed": False}
        self.before = None
        self.after = None
        self._deadline = None
        self.client = HucClient.from_options(self.params, user_agent_extra="ansible-module/%s" % module._name,
                                             read_only=module.check_mode, warn=module.warn)
        module._huc_client = self.client

    # -- definition and execution -------------------------------------------------------------

    @classmethod
    def declared_options(cls):
        """Every option of the module besides the API options, each once (subclasses add theirs)."""
        return tuple(cls.options)

    @classmethod
    def argument_spec(cls):
        spec = dict(API_ARGUMENT_SPEC)
        spec.update((option.name, dict(option.spec)) for option in cls.declared_options())
        return spec

    @classmethod
    def define_module(cls):
        """The AnsibleModule of the declared options and rules; check mode always supported."""
        module = HucAnsibleModule(argument_spec=cls.argument_spec(), supports_check_mode=True, **cls.rules())
        module._huc_started = True
        return module

    @classmethod
    def rules(cls):
        return cls.option_rules

    @classmethod
    def api_names(cls):
        """API field -> option name, where the plain snake_case of the field is not the option."""
        return {}

    @classmethod
    def main(cls):
        """Define the module, run it and exit: every API or network error becomes one clean fail_json."""
        module = cls.define_module()
        given = module.params.get("id")
        if given is not None and not path_safe_id(given):
            # Never put into a path: an id such as ../instances/... would reach another resource.
            module.fail_json(msg="invalid input (validation_error): id: must be an id such as %s, got %r" % (EXAMPLE_ID, given),
                             failure=failure("invalid request: id", "validation_error", {"id": "must be a UUID"}))
        if not HAS_REQUESTS:
            module.fail_json(msg=missing_required_lib("requests"), exception=str(REQUESTS_IMPORT_ERROR),
                             failure=failure("requests is missing", "missing_requests"))
        try:
            instance = cls(module)
            instance.run()
        except HucApiError as error:
            module.fail_json(msg=error.describe(cls.api_names()), failure=error.failure())
        module.exit_json(**instance.finish())

    def run(self):
        raise NotImplementedError

    def fail(self, msg, code="module_error", details=None, **kwargs):
        """Fail the task; msg says what and how to fix it, code and details are for machines."""
        self.module.fail_json(msg=msg, failure=failure(msg, code, details), **kwargs)

    def explicitly_set(self, option):
        """Whether the task (or module_defaults) set option, even to null: null can mean "clear"."""
        raw = basic._load_params() if basic._ANSIBLE_ARGS is not None else {}
        return option in raw

    def finish(self):
        """The result: the diff only when asked for and only when something is compared."""
        if self.module._diff and (self.before is not None or self.after is not None):
            self.result["diff"] = {"before": self.before or {}, "after": self.after or {}}
        return self.result

    def set_result(self, value, changed=None):
        self.result[self.result_key] = value
        if changed is not None:
            self.result["changed"] = self.result["changed"] or changed

    def view(self, obj):
        """An API object as a result: exactly the resource's result fields (None where the API left one out)."""
        if obj is None:
            return None
        snake = to_snake(obj)
        return dict((field, snake.get(field)) for field in self.resource.fields)

    # -- the resource the module works on --------------------------------------------------

    @property
    def kind(self):
        return self.resource.kind

    def item_path(self, obj, suffix=""):
        return item_path(self.resource.path, obj["id"] if isinstance(obj, dict) else obj, suffix)

    def name_of(self, obj):
        return obj.get(self.resource.name_key) or obj.get("id")

    def refetch(self, obj):
        return self.client.get_or_none(self.item_path(obj))

    def act(self, obj, action, body=None):
        """POST an action on one resource (attach, detach, power, ...) with an Idempotency-Key."""
        return self.client.post(self.item_path(obj, "/" + action), body, idempotent=True)

    def wait_status(self, obj, statuses, give_up=None, schedule=PROVISION):
        """Poll obj until its status is one of statuses; fails when it vanishes or breaks."""
        statuses = (statuses,) if isinstance(statuses, str) else tuple(statuses)
        name, wanted = self.name_of(obj), " or ".join(statuses)

        def failed(found):
            if found is None:
                return "%s %s disappeared while waiting for status %s" % (self.kind, name, wanted)
            if found.get("status") in self.broken and found.get("status") not in statuses:
                return "%s %s entered status %s while waiting for status %s" % (self.kind, name, found["status"], wanted)
            return None

        return self.wait_for(lambda: self.refetch(obj), lambda found: found is not None and found.get("status") in statuses,
                             "%s %s to be %s" % (self.kind, name, wanted), failed=failed, give_up=give_up,
                             schedule=schedule)

    def wait_gone(self, obj, schedule=DELETE):
        """Poll until GET answers 404."""
        self.wait_for(lambda: self.refetch(obj), lambda found: found is None,
                      "%s %s to be deleted" % (self.kind, self.name_of(obj)), schedule=schedule)

    # -- the one wait -------------------------------------------------------------------------

    def wait_seconds_left(self):
        """wait_timeout counts once per task: from its first wait, for every wait it makes."""
        if self._deadline is None:
            self._deadline = self.client.clock.now() + (self.params.get("wait_timeout") or 0)
        return max(0.0, self._deadline - self.client.clock.now())

    def waited_seconds(self):
        """Seconds since the task's first wait began; 0 when it has not waited."""
        if self._deadline is None:
            return 0.0
        return round(self.client.clock.now() - self._deadline + (self.params.get("wait_timeout") or 0), 3)

    def wait_for(self, fetch, done, what, failed=None, describe=None, give_up=None, schedule=POWER):
        """Poll fetch() on schedule until done(obj); fail once wait_timeout is spent.

        The first poll comes at the schedule's first interval, or when the answer that began the
        transition (the client's last answer) said with Retry-After; later polls grow by the
        schedule's factor up to its cap, unless the poll's own answer carries a Retry-After.
        failed(obj) may return a message to fail at once (the resource entered error, vanished).
        give_up, a client.clock.now() deadline, ends the wait early without failing (the caller then
        decides, as a graceful shutdown does before its hard stop); no sleep goes past it.
        Returns the last object.
        """
        clock = self.client.clock
        obj = None
        for step in schedule.sleeps(lambda: getattr(self.client, "retry_hint", None)):
            left = self.wait_seconds_left()
            if left <= 0:
                break
            if give_up is not None:
                step = min(step, max(0.0, give_up - clock.now()))
            clock.sleep(min(step, left))
            obj = fetch()
            if done(obj):
                return obj
            message = failed(obj) if failed else None
            if message:
                self.fail(message, code="wait_failed")
            if give_up is not None and clock.now() >= give_up:
                return obj
        if describe is not None:
            last = describe(obj)
        else:
            last = "last status: %s" % (obj.get("status") if isinstance(obj, dict) else obj)
        self.fail("timed out after %s seconds waiting for %s (%s); raise wait_timeout to wait longer"
                  % (self.params.get("wait_timeout"), what() if callable(what) else what, last), code="wait_timeout")
