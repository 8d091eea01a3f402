"""Unit tests of the resource driver (_resource.py) with a fake client: no network, no Ansible run."""

import pytest

from ansible_collections.hostupcloud.cloud.plugins.module_utils._client import HucApiError
from ansible_collections.hostupcloud.cloud.plugins.module_utils._limits import (
    between,
    max_bytes,
    multiple_of,
    resource_name,
    string_labels,
)
from ansible_collections.hostupcloud.cloud.plugins.module_utils._declarations import Field
from ansible_collections.hostupcloud.cloud.plugins.module_utils._info import (
    Filter,
    HucInfoModule,
    equals,
    has_labels,
    name_or_id,
)
from ansible_collections.hostupcloud.cloud.plugins.module_utils._references import Reference, References, pick
from ansible_collections.hostupcloud.cloud.plugins.module_utils._resource import HucResourceModule
from ansible_collections.hostupcloud.cloud.tests.unit.plugins.module_utils.fakes import Failed, FakeClock, FakeModule

PROJECT = "7d3c2a4e-0b1f-4c55-9a51-2f6a1c0e8b90"
NODE = "3b1e6f0a-2c4d-4e8f-9a0b-1c2d3e4f5a6b"
KEY = "5e2c8b7a-1d3f-4a6b-8c9d-0e1f2a3b4c5d"


class FakeClient:
    """Answers from a dict of path -> list of objects; records every call."""

    def __init__(self, data, errors=None):
        self.data = data
        self.errors = errors or {}
        self.calls = []
        self.server_time = None
        self.clock = None  # a test that waits sets a FakeClock

    def _maybe_fail(self, method, path):
        error = self.errors.pop((method, path), None)
        if error:
            raise error

    def list(self, path, params=None):
        self.calls.append(("LIST", path, dict(params or {})))
        self._maybe_fail("LIST", path)
        return [dict(obj) for obj in self.data.get(path, [])]

    def get(self, path, params=None):
        self.calls.append(("GET", path))
        self._maybe_fail("GET", path)
        collection, _sep, item = path.rpartition("/")
        for obj in self.data.get(collection, []):
            if obj["id"] == item:
                return dict(obj)
        raise HucApiError("no such thing", status=404, code="not_found")

    def get_or_none(self, path):
        try:
            return self.get(path)
        except HucApiError as error:
            if error.status != 404:
                raise
        return None

    def post(self, path, body=None, idempotent=False, before_retry=None):
        self.calls.append(("POST", path, body, idempotent, before_retry is not None))
        self._maybe_fail("POST", path)
        obj = dict(body, id="new-id", status="ready")
        self.data.setdefault(path, []).append(obj)
        return dict(obj)

    def patch(self, path, body):
        self.calls.append(("PATCH", path, body))
        collection, _sep, item = path.rpartition("/")
        obj = next(o for o in self.data[collection] if o["id"] == item)
        obj.update(body)
        return dict(obj)

    def delete_if_exists(self, path, gone=None):
        self.calls.append(("DELETE", path))
        try:
            self._maybe_fail("DELETE", path)
        except HucApiError as error:
            if error.status != 404:
                raise
            return gone
        return None

    def writes(self):
        return [call for call in self.calls if call[0] in ("POST", "PATCH", "DELETE")]


class Widget(HucResourceModule):
    """A toy resource declared like the real ones."""

    result_key = "widget"
    resource = Reference("widget", "/widgets", ("id", "name", "node_id", "size_gb", "instance_id", "status"))
    fields = (
        Field("name", identity=True, check=resource_name),
        Field("node", api="nodeId", ref="node", required=True, existing="the widget sits on %s"),
        Field("size_gb", "int", update=True, required=True, check=between(1, 100)),
        Field("owner", api="instanceId", ref="instance", update=True, clear=""),
        Field("ssh_keys", "list", elements="str", api="sshKeyIds", ref="ssh_key"),
    )
    diff_fields = ("name", "size_gb", "instance_id")
    defaults = {"instanceId": None}


BASE_PARAMS = dict(project=PROJECT, name="w-1", id=None, node=None, size_gb=None, owner=None, ssh_keys=None,
                   state="present", wait=False, wait_timeout=10)


def build(cls, params, data=None, check_mode=False, explicit=(), errors=None):
    """A module of cls as __init__ makes it, with a fake module and client; explicit: the options the task set."""
    module = FakeModule(params, check_mode=check_mode, diff=True)
    self = cls.__new__(cls)
    self.module, self.params, self.check_mode = module, module.params, check_mode
    self.result, self.before, self.after, self._deadline = {"changed": False}, None, None, None
    self.client = FakeClient(data if data is not None else {}, errors)
    self.refs = References(self.client, params.get("project"))
    self.explicitly_set = lambda option: option in explicit
    return self


def driver(cls, params, data=None, check_mode=False, explicit=(), errors=None):
    base = dict(BASE_PARAMS)
    base.update(params)
    return build(cls, base, data, check_mode, explicit, errors)


def widget(**fields):
    obj = {"id": "w-id", "projectId": PROJECT, "name": "w-1", "nodeId": NODE, "sizeGb": 10, "instanceId": None,
           "status": "ready", "sshKeyIds": []}
    obj.update(fields)
    return obj


# -- limits ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("check, value, problem", [
    (between(1, 64), 0, "must be between 1 and 64"),
    (between(1, 64), 64, None),
    (multiple_of(512, 512, 262144), 1000, "must be a multiple of 512"),
    (multiple_of(512, 512, 262144), 256, "must be between 512 and 262144"),
    (multiple_of(512, 512, 262144), 1024, None),
    (resource_name, "web-1", None),
    (resource_name, "1web", "must be 1-63 characters of a-z, 0-9 and '-', starting with a letter"),
    (resource_name, "a" * 64, "must be 1-63 characters of a-z, 0-9 and '-', starting with a letter"),
    (max_bytes(4), u"\u00e9\u00e9\u00e9", "must be at most 4 bytes"),
    (string_labels, {"a": 1}, "the value of a must be a string, got 1; quote it"),
    (string_labels, {"": "x"}, "label keys must be 1 to 63 characters long"),
    (string_labels, {"a": "b"}, None),
])
def test_limits(check, value, problem):
    assert check(value) == problem


def test_validation_reports_every_bad_option_before_any_request():
    self = driver(Widget, {"size_gb": 0, "name": "Bad"})
    with pytest.raises(Failed) as failed:
        self.run()
    assert failed.value.result["msg"] == ("invalid input (validation_error): name: must be 1-63 characters of a-z, "
                                          "0-9 and '-', starting with a letter; size_gb: must be between 1 and 100")
    assert failed.value.result["failure"] == {
        "status": None, "code": "validation_error", "message": "invalid request: name, sizeGb",
        "details": {"name": "must be 1-63 characters of a-z, 0-9 and '-', starting with a letter",
                    "sizeGb": "must be between 1 and 100"}}
    assert self.client.calls == []


# -- references -------------------------------------------------------------------------------------

def test_pick_by_id_then_name_and_the_failures():
    items = [{"id": "1", "name": "a"}, {"id": "2", "name": "b"}, {"id": "3", "name": "b"}]
    assert pick("node", items, "1")["name"] == "a"
    assert pick("node", items, "a")["id"] == "1"
    assert pick("node", items, "zz") is None
    with pytest.raises(HucApiError, match=r"node name 'b' is ambiguous: it matches 2, 3; give the id instead"):
        pick("node", items, "b")
    with pytest.raises(HucApiError, match=r"node 'zz' not found \(by id or name\); known: a, b, b"):
        pick("node", items, "zz", required=True)


def test_references_cost_no_request_for_ids_and_one_listing_per_kind_for_names():
    self = driver(Widget, {}, data={"/nodes": [{"id": NODE, "name": "fra1-n1"}, {"id": "n2", "name": "ams1-n1"}]})
    assert self.refs.id("node", NODE) == NODE and self.client.calls == []
    assert self.refs.id("node", "fra1-n1") == NODE
    assert self.refs.id("node", "ams1-n1") == "n2"
    assert self.refs.ids("ssh_key", [KEY]) == [KEY]
    assert self.client.calls == [("LIST", "/nodes", {})]
    with pytest.raises(HucApiError, match="node 'mars' not found"):
        self.refs.id("node", "mars")


def test_project_reference_by_name_and_an_id_shaped_name():
    projects = [{"id": PROJECT, "name": "default"}, {"id": "p2", "name": NODE}]
    self = driver(Widget, {"project": "default"}, data={"/projects": projects, "/widgets": []})
    assert self.refs.project_id() == PROJECT and self.refs.project_id() == PROJECT
    assert self.client.calls == [("LIST", "/projects", {})]
    # A UUID-shaped value is tried as an id; a 404 makes it a name, looked up once.
    self = driver(Widget, {"project": NODE}, data={"/projects": projects, "/widgets": []},
                  errors={("LIST", "/widgets"): HucApiError("no project", status=404, code="not_found")})
    assert self.refs.in_project("/widgets") == []
    assert self.client.calls == [("LIST", "/widgets", {"projectId": NODE}), ("LIST", "/projects", {}),
                                 ("LIST", "/widgets", {"projectId": "p2"})]


# -- the flow -------------------------------------------------------------------------------------

def test_check_mode_create_predicts_and_writes_nothing():
    data = {"/nodes": [{"id": NODE, "name": "fra1-n1"}], "/widgets": []}
    self = driver(Widget, {"node": "fra1-n1", "size_gb": 5}, data=data, check_mode=True)
    self.run()
    assert self.result["changed"] is True and self.client.writes() == []
    assert self.result["widget"] == {"id": None, "name": "w-1", "node_id": NODE, "size_gb": 5, "instance_id": None,
                                     "status": None}
    assert (self.before, self.after) == ({}, {"name": "w-1", "size_gb": 5, "instance_id": None})


def test_create_sends_an_idempotent_post_with_a_lookup_before_retry():
    self = driver(Widget, {"node": NODE, "size_gb": 5}, data={"/widgets": []})
    self.run()
    assert self.client.writes() == [("POST", "/widgets", {"projectId": PROJECT, "name": "w-1", "nodeId": NODE,
                                                          "sizeGb": 5}, True, True)]
    assert self.result["widget"]["id"] == "new-id"


def test_create_names_the_missing_options_and_refuses_an_id():
    with pytest.raises(Failed, match="widget w-1 does not exist; to create it also give: node, size_gb"):
        driver(Widget, {}, data={"/widgets": []}).run()
    # The driver's default create_hint says "one" (it was "a widget" before the redesign).
    self = driver(Widget, {"id": "w-9", "size_gb": 5}, data={"/widgets": []})
    with pytest.raises(Failed, match="no widget with id w-9; to create one give project and name, not id"):
        self.run()
    assert self.client.writes() == []


def test_a_409_on_create_converges_on_the_one_found():
    """Another run took the name between our lookup and our POST: compare and update it instead."""
    self = driver(Widget, {"node": NODE, "size_gb": 20}, data={"/widgets": []})
    rival = widget(sizeGb=10)

    def taken(*_args, **_kwargs):
        self.client.data["/widgets"] = [rival]
        raise HucApiError("name taken", status=409, code="conflict")
    self.client.post = taken
    self.run()
    assert self.result["changed"] is True and self.result["widget"]["size_gb"] == 20
    assert self.client.writes() == [("PATCH", "/widgets/w-id", {"sizeGb": 20})]
    assert "created by someone else" in self.module.warnings[0]


def test_update_compares_only_what_is_set_and_warns_on_creation_only_options():
    self = driver(Widget, {"node": "9b1e6f0a-2c4d-4e8f-9a0b-1c2d3e4f5a6b", "size_gb": 10}, data={"/widgets": [widget()]})
    self.run()
    assert self.result["changed"] is False and self.client.writes() == []
    assert self.module.warnings == ["widget w-1 exists and these options differ from it, but they only apply at "
                                    "creation, so they were ignored: node (the widget sits on %s); delete and recreate "
                                    "the widget to change them" % NODE]
    self = driver(Widget, {"size_gb": 30}, data={"/widgets": [widget(instanceId="i-1")]})
    self.run()
    assert self.client.writes() == [("PATCH", "/widgets/w-id", {"sizeGb": 30})]  # owner unset: not compared
    assert (self.before["size_gb"], self.after["size_gb"]) == (10, 30)


def test_a_creation_only_name_is_compared_only_when_its_listing_is_at_hand():
    """The warning is all such a comparison can change: a name costs no request of its own."""
    nodes = [{"id": NODE, "name": "fra1-n1"}, {"id": "9b1e6f0a-2c4d-4e8f-9a0b-1c2d3e4f5a6b", "name": "ams1-n1"}]
    warning = ("widget w-1 exists and these options differ from it, but they only apply at creation, so they were "
               "ignored: node (the widget sits on %s); delete and recreate the widget to change them" % NODE)
    for name in ("fra1-n1", "ams1-n1", "mars"):
        # Not listed this run: no /nodes request and no warning (an unknown name is not looked up either).
        self = driver(Widget, {"node": name, "size_gb": 10}, data={"/widgets": [widget()], "/nodes": nodes})
        self.run()
        assert self.result["changed"] is False and self.module.warnings == []
        assert [call[1] for call in self.client.calls] == ["/widgets"], name
    for name, warnings in (("fra1-n1", []), ("ams1-n1", [warning])):
        # Listed already this run: compared for free, the warning given as before.
        self = driver(Widget, {"node": name, "size_gb": 10}, data={"/widgets": [widget()], "/nodes": nodes})
        self.refs.listing("node")
        self.run()
        assert self.module.warnings == warnings, name
        assert [call[1] for call in self.client.calls] == ["/nodes", "/widgets"], name
    # The id equal to the one the widget has: no request, no warning (a different id warns, see above).
    self = driver(Widget, {"node": NODE, "size_gb": 10}, data={"/widgets": [widget()], "/nodes": nodes})
    self.run()
    assert self.module.warnings == [] and [call[1] for call in self.client.calls] == ["/widgets"]


def test_an_explicit_null_clears_where_declared():
    self = driver(Widget, {}, data={"/widgets": [widget(instanceId="i-1")]}, explicit=("owner",))
    self.run()
    assert self.client.writes() == [("PATCH", "/widgets/w-id", {"instanceId": ""})]
    self = driver(Widget, {}, data={"/widgets": [widget(instanceId="i-1")]})
    self.run()
    assert self.client.writes() == []


def test_rename_by_id_and_ambiguous_names():
    self = driver(Widget, {"id": "w-id", "name": "w-2"}, data={"/widgets": [widget()]})
    self.run()
    assert self.client.writes() == [("PATCH", "/widgets/w-id", {"name": "w-2"})]
    self = driver(Widget, {}, data={"/widgets": [widget(id="a"), widget(id="b")]})
    with pytest.raises(Failed, match="2 widgets are named 'w-1' in this project: a, b; give id instead of name"):
        self.run()


def test_delete_treats_404_as_done_and_absent_as_unchanged():
    self = driver(Widget, {"state": "absent"}, data={"/widgets": [widget()]},
                  errors={("DELETE", "/widgets/w-id"): HucApiError("gone", status=404, code="not_found")})
    self.run()
    assert self.result["changed"] is True and self.after == {}
    self = driver(Widget, {"state": "absent"}, data={"/widgets": []})
    self.run()
    assert self.result == {"changed": False, "widget": None} and self.client.writes() == []


class DoneWhenAnswered(Widget):
    delete_wait = None  # as snapshots: a DELETE answers 204, the resource is gone


@pytest.mark.parametrize("cls, polls", [(Widget, [("GET", "/widgets/w-id")]), (DoneWhenAnswered, [])])
def test_delete_waits_unless_a_delete_is_declared_done_when_answered(cls, polls):
    self = driver(cls, {"state": "absent", "wait": True}, data={"/widgets": [widget()]},
                  errors={("GET", "/widgets/w-id"): HucApiError("gone", status=404, code="not_found")})
    self.client.clock = FakeClock()
    self.run()
    assert self.result["changed"] is True
    assert [call for call in self.client.calls if call[0] != "LIST"] == [("DELETE", "/widgets/w-id")] + polls


def test_wait_fails_at_once_on_a_broken_status():
    self = driver(Widget, {}, data={"/widgets": [widget(status="error")]})
    self.client.clock = FakeClock()
    with pytest.raises(Failed) as failed:
        self.wait_status(widget(status="creating"), "ready")
    assert failed.value.result["msg"] == "widget w-1 entered status error while waiting for status ready"
    assert failed.value.result["failure"]["code"] == "wait_failed"
    assert self.client.calls == [("GET", "/widgets/w-id")]


def test_wait_times_out():
    self = driver(Widget, {"wait_timeout": 30}, data={"/widgets": [widget(status="creating")]})
    clock = self.client.clock = FakeClock(1000.0)
    with pytest.raises(Failed) as failed:
        self.wait_status(widget(status="creating"), "ready")
    assert failed.value.result["msg"] == ("timed out after 30 seconds waiting for widget w-1 to be ready "
                                          "(last status: creating); raise wait_timeout to wait longer")
    assert failed.value.result["failure"]["code"] == "wait_timeout"
    assert clock.time == 1030.0 and 4 <= len(self.client.calls) <= 8


class WidgetInfo(HucInfoModule):
    result_key = "widgets"
    resource = Reference("widget", "/widgets", ("id", "name"))
    filters = (Filter("name", server=True), Filter("node", match=name_or_id), Filter("labels", "dict", match=has_labels))


def test_info_filters_server_and_client_side():
    data = {"/widgets": [widget(id="a", labels={"x": "1"}), widget(id="b", name="w-2", labels={})]}
    self = driver(WidgetInfo, {"name": "w-1", "labels": {"x": "1"}, "node": None}, data=data)
    self.run()
    assert self.result["widgets"] == [{"id": "a", "name": "w-1"}]
    assert self.client.calls == [("LIST", "/widgets", {"name": "w-1", "projectId": PROJECT})]
    self = driver(WidgetInfo, {"id": "b", "name": None, "labels": None, "node": None}, data=data)
    self.run()
    assert self.result["widgets"] == [{"id": "b", "name": "w-2"}] and self.client.calls == [("GET", "/widgets/b")]


class WidgetByOwnerInfo(WidgetInfo):
    filters = (Filter("owner", match=equals("instanceId"), ref="instance"),
               Filter("node", match=equals("nodeId"), ref="node"))


def test_info_filter_refs_compare_ids_a_name_costs_one_listing():
    data = {"/widgets": [widget(id="a", instanceId="i-1"), widget(id="b", instanceId=None)],
            "/instances": [{"id": "i-1", "name": "web-1"}]}
    self = driver(WidgetByOwnerInfo, {"owner": "web-1", "node": NODE}, data=data)
    self.run()
    assert self.result["widgets"] == [{"id": "a", "name": "w-1"}]
    assert self.client.calls == [("LIST", "/instances", {"projectId": PROJECT}), ("LIST", "/widgets", {"projectId": PROJECT})]
    self = driver(WidgetByOwnerInfo, {"owner": None, "node": "9b1e6f0a-2c4d-4e8f-9a0b-1c2d3e4f5a6b"}, data=data)
    self.run()
    assert self.result["widgets"] == [] and self.client.calls == [("LIST", "/widgets", {"projectId": PROJECT})]
    # A name that names nothing matches nothing: an empty result at the cost of the lookup, not a failure.
    self = driver(WidgetByOwnerInfo, {"owner": "web-9", "node": None}, data=data)
    self.run()
    assert self.result["widgets"] == [] and self.client.calls == [("LIST", "/instances", {"projectId": PROJECT})]
