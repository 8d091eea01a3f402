# -*- coding: utf-8 -*-
# Copyright: HostUpCloud collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Base classes of every hostupcloud.cloud module. Private to this collection.

A module declares its options and implements run(); the client, error reporting, check and diff
plumbing, name-or-id references and waiting live here once.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

from ansible.module_utils.basic import AnsibleModule, env_fallback, missing_required_lib

from ansible_collections.hostupcloud.cloud.plugins.module_utils._client import (
    DEFAULT_API_URL,
    HAS_REQUESTS,
    REQUESTS_IMPORT_ERROR,
    HucApiError,
    HucClient,
    looks_like_id,
    pick_reference,
    snake_to_camel,
    to_snake,
)

API_ARGUMENT_SPEC = dict(
    api_key=dict(type="str", required=True, no_log=True, aliases=["api_token"], fallback=(env_fallback, ["HUC_API_KEY"])),
    api_url=dict(type="str", default=DEFAULT_API_URL, fallback=(env_fallback, ["HUC_API_URL"])),
    api_timeout=dict(type="int", default=30, fallback=(env_fallback, ["HUC_API_TIMEOUT"])),
    validate_certs=dict(type="bool", default=True),
    api_retries=dict(type="int", default=5),
    rate_limit_timeout=dict(type="int", default=300),
)

PROJECT_SPEC = dict(type="str", fallback=(env_fallback, ["HUC_PROJECT"]))

# Polling: first look after 1 s, then each interval 1.5 times the last, at most 15 s apart, so a
# 20 s provisioning costs about 7 polls and a 10 min wait about 45.
POLL_FIRST = 1.0
POLL_FACTOR = 1.5
POLL_MAX = 15.0


def poll_intervals(timeout, first=POLL_FIRST, factor=POLL_FACTOR, cap=POLL_MAX):
    """The sleeps of a wait of at most timeout seconds: growing, capped, never past the deadline."""
    spent = 0.0
    interval = first
    while spent < timeout:
        step = min(interval, cap, timeout - spent)
        yield step
        spent += step
        interval *= factor


class HucModule:
    """Base of every module: subclasses set result_key and implement run()."""

    result_key = None
    # API field -> option name, where the plain snake_case of the field is not the option.
    field_names = {}

    def __init__(self, module):
        self.module = module
        self.params = module.params
        self.check_mode = module.check_mode
        self.result = {"changed": False}
        self.before = None
        self.after = None
        self._projects = None
        self._project_id = None
        self.client = HucClient(
            api_key=self.params["api_key"],
            api_url=self.params["api_url"],
            timeout=self.params["api_timeout"],
            validate_certs=self.params["validate_certs"],
            retries=self.params["api_retries"],
            rate_limit_timeout=self.params["rate_limit_timeout"],
            user_agent_extra="ansible-module/%s" % module._name,
            read_only=module.check_mode,
        )

    # -- definition and execution -------------------------------------------------------------

    @staticmethod
    def define_module(argument_spec, **kwargs):
        """AnsibleModule with the shared API options merged in; check mode always supported."""
        spec = dict(API_ARGUMENT_SPEC)
        spec.update(argument_spec)
        kwargs.setdefault("supports_check_mode", True)
        return AnsibleModule(argument_spec=spec, **kwargs)

    @classmethod
    def execute(cls, module):
        """Run the module and exit: every API or network error becomes one clean fail_json."""
        if not HAS_REQUESTS:
            module.fail_json(msg=missing_required_lib("requests"), exception=str(REQUESTS_IMPORT_ERROR))
        try:
            instance = cls(module)
            instance.run()
        except HucApiError as error:
            module.fail_json(msg=error.describe(cls.field_names), failure=error.failure())
        module.exit_json(**instance.finish())

    def run(self):
        raise NotImplementedError

    def fail(self, msg, **kwargs):
        self.module.fail_json(msg=msg, **kwargs)

    def finish(self):
        """The result: the diff only when asked for and only when something is compared."""
        if self.module._diff and (self.before is not None or self.after is not None):
            self.result["diff"] = {"before": self.before or {}, "after": self.after or {}}
        return self.result

    def set_result(self, value, changed=None):
        self.result[self.result_key] = value
        if changed is not None:
            self.result["changed"] = self.result["changed"] or changed

    # -- comparing ----------------------------------------------------------------------------

    def wanted(self, options):
        """{api_field: value} for each option the user set (None means unset, so not compared).

        options maps option names to API fields; a field of None means camelCase of the option.
        """
        body = {}
        for option, field in options.items():
            value = self.params.get(option)
            if value is not None:
                body[field or snake_to_camel(option)] = value
        return body

    @staticmethod
    def differences(current, wanted):
        """The subset of wanted whose values differ from the current API object."""
        return dict((field, value) for field, value in wanted.items() if current.get(field) != value)

    # -- references ---------------------------------------------------------------------------

    def projects(self):
        if self._projects is None:
            self._projects = self.client.list("/projects")
        return self._projects

    def project_id(self, value=None, verify=False):
        """The id of the project named by value (default: the project option), by id or name.

        A UUID-shaped value is used as an id without a request (callers that list with it fall
        back to a lookup on 404 through resolve_project_by_listing); verify=True looks it up.
        """
        value = value if value is not None else self.params.get("project")
        if not value:
            self.fail("project is required: give its name or id, or set HUC_PROJECT")
        if value == self.params.get("project") and self._project_id and not verify:
            return self._project_id
        if looks_like_id(value) and not verify:
            project_id = value
        else:
            project_id = self.find_reference("project", self.projects(), value, required=True)["id"]
        if value == self.params.get("project"):
            self._project_id = project_id
        return project_id

    def list_in_project(self, path, params=None, project=None):
        """List a project's resources; a UUID-shaped project that is really a name is looked up."""
        project = project if project is not None else self.params.get("project")
        query = dict(params or {}, projectId=self.project_id(project))
        try:
            return self.client.list(path, query)
        except HucApiError as error:
            if error.status != 404 or not looks_like_id(project):
                raise
        query["projectId"] = self.project_id(project, verify=True)
        if project == self.params.get("project"):
            self._project_id = query["projectId"]
        return self.client.list(path, query)

    @staticmethod
    def find_reference(kind, items, value, required=False, name_key="name"):
        """The one item whose id or name is value; several matches or (if required) none fail."""
        return pick_reference(kind, items, value, required, name_key)

    def get_or_none(self, path):
        """GET one object; None when the API answers 404."""
        try:
            return self.client.get(path)
        except HucApiError as error:
            if error.status == 404:
                return None
            raise

    def resolve(self, kind, path, value, params=None):
        """Look a catalogue item up by id or name with one list request and return it."""
        return self.find_reference(kind, self.client.list(path, params), value, required=True)

    # -- waiting ------------------------------------------------------------------------------

    def wait_for(self, fetch, done, timeout, what, failed=None):
        """Poll fetch() with growing intervals until done(obj); fail after timeout seconds.

        failed(obj) may return a message to stop at once (e.g. the resource entered error).
        Returns the last object fetched.
        """
        deadline = time.time() + timeout
        obj = None
        for interval in poll_intervals(timeout):
            time.sleep(interval)
            obj = fetch()
            if done(obj):
                return obj
            message = failed(obj) if failed else None
            if message:
                self.fail(message)
            if time.time() >= deadline:
                break
        status = obj.get("status") if isinstance(obj, dict) else obj
        self.fail("timed out after %s seconds waiting for %s (last status: %s)" % (timeout, what, status))
        return obj

    @staticmethod
    def to_result(obj):
        return to_snake(obj) if obj is not None else None
