"""Unit tests of label selectors (_selectors.py): every form, Kubernetes semantics, every error."""

import pytest

from ansible_collections.hostupcloud.cloud.plugins.module_utils._errors import HucApiError
from ansible_collections.hostupcloud.cloud.plugins.module_utils._selectors import Selector, parse_selector
from ansible_collections.hostupcloud.cloud.tests.unit.plugins.module_utils.fakes import FakeModule

WEB = {"role": "web", "env": "prod"}
DB = {"role": "db", "env": "test"}
BARE = {}
OBJECTS = {"web": WEB, "db": DB, "bare": BARE}


def picked(text):
    selector = parse_selector(text)
    return sorted(name for name, labels in OBJECTS.items() if selector.matches(labels))


@pytest.mark.parametrize("text, names", [
    ("role=web", ["web"]),
    ("role==web", ["web"]),
    ("role = web", ["web"]),
    ("role!=web", ["bare", "db"]),          # Kubernetes: also matches objects without the label
    ("role", ["db", "web"]),
    ("!role", ["bare"]),
    ("! role", ["bare"]),
    ("role in (web,db)", ["db", "web"]),
    ("role in ( web , cache )", ["web"]),
    ("role notin (web)", ["bare", "db"]),    # also matches objects without the label
    ("role notin (web, db)", ["bare"]),
    ("role,env=prod", ["web"]),
    ("role in (web,db), env notin (prod)", ["db"]),
    ("env!=prod,!missing", ["bare", "db"]),
    ("role=", []),
    ("role=nothing", []),
])
def test_every_form(text, names):
    assert picked(text) == names


def test_parsed_once_text_kept():
    selector = Selector("role in (web,db), env")
    assert str(selector) == selector.text == "role in (web,db), env"
    assert selector.terms == (("in", "role", frozenset(["web", "db"])), ("exists", "env", frozenset()))
    assert selector.select([{"labels": WEB}, {"labels": None}, {}]) == [{"labels": WEB}]


def test_empty_value_matches_empty_label():
    assert parse_selector("k=").matches({"k": ""})
    assert not parse_selector("k=").matches({})


@pytest.mark.parametrize("text, term, why", [
    ("", "", "empty selector"),
    ("   ", "", "empty selector"),
    ("role=web,", "", "empty term"),
    ("role=web,,env", "", "empty term"),
    ("role=web=x", "role=web=x", "write key"),
    ("role in web", "role in web", "write key"),
    ("role in ()", "role in ()", "the set must list values"),
    ("role in (a,,b)", "role in (a,,b)", "the set must list values"),
    ("role in (a b)", "role in (a b)", "the set must list values"),
    ("role in (a,(b))", None, "nested parentheses"),
    ("role in (a,b", None, "unbalanced parentheses"),
    ("role)", None, "unbalanced parentheses"),
    ("role web", "role web", "write key"),
    ("!role=web", "!role=web", "write key"),
    ("role<3", "role<3", "write key"),
    ("in", "in", "write key"),
    ("=web", "=web", "write key"),
    ("k" * 64, "k" * 64, "at most 63"),
    ("k=" + "v" * 256, "k=" + "v" * 256, "at most 255"),
])
def test_every_error(text, term, why):
    with pytest.raises(HucApiError) as raised:
        parse_selector(text)
    error = raised.value
    message = str(error)
    assert message.startswith("label_selector: ")
    assert why in message
    assert repr(text) in message
    if term:
        assert "bad term %r" % term in message
    assert error.code == "invalid_argument" and error.status is None
    assert error.failure()["details"] == {"label_selector": message}


def test_not_a_string():
    with pytest.raises(HucApiError, match="label_selector: bad selector"):
        parse_selector(None)


# -- the info modules: sent as labelSelector=, applied again to an API that ignores it --------------

PROJECT = "7d3c2a4e-0b1f-4c55-9a51-2f6a1c0e8b90"


class IgnoringClient:
    """An API that ignores labelSelector: every listing returns every object. Records every call."""

    def __init__(self, objects):
        self.objects = objects
        self.calls = []

    def list(self, path, params=None):
        self.calls.append(("LIST", path, dict(params or {})))
        return [dict(obj) for obj in self.objects]

    def get_or_none(self, path):
        self.calls.append(("GET", path))
        return dict(self.objects[0])


def info_module(cls, **params):
    params = dict(dict((option.name, None) for option in cls.declared_options()), project=PROJECT, **params)
    self = cls.__new__(cls)
    self.module = FakeModule(params)
    self.params, self.check_mode, self.result = params, False, {"changed": False}
    self.before = self.after = self._deadline = None
    self.client = IgnoringClient([dict(id="i-%s" % name, name=name, labels=labels) for name, labels in sorted(OBJECTS.items())])
    return self


@pytest.mark.parametrize("module_name, cls_name, key", [
    ("huc_instance_info", "HucInstanceInfo", "instances"),
    ("huc_floating_ip_info", "HucFloatingIpInfo", "floating_ips"),
])
def test_info_modules_apply_the_selector_themselves(monkeypatch, module_name, cls_name, key):
    import importlib
    cls = getattr(importlib.import_module("ansible_collections.hostupcloud.cloud.plugins.modules." + module_name), cls_name)
    monkeypatch.setattr(cls, "view", lambda self, obj: obj["name"])
    module = info_module(cls, label_selector="role notin (web), env ")
    module.run()
    assert module.result[key] == ["db"]
    path = cls.resource.path
    assert module.client.calls == [("LIST", path, {"projectId": PROJECT, "labelSelector": "role notin (web), env "})]


def test_info_module_refuses_before_any_request():
    from ansible_collections.hostupcloud.cloud.plugins.modules.huc_floating_ip_info import HucFloatingIpInfo
    module = info_module(HucFloatingIpInfo, label_selector="role in (web", instance="web-1")
    with pytest.raises(HucApiError, match=r"label_selector: bad selector in 'role in \(web'"):
        module.run()
    assert module.client.calls == []


# -- huc_power: the instances to act on ------------------------------------------------------------

def power_targets(**params):
    from ansible_collections.hostupcloud.cloud.plugins.module_utils._references import References
    from ansible_collections.hostupcloud.cloud.plugins.modules.huc_power import HucPower
    self = HucPower.__new__(HucPower)
    self.params = dict(dict((option.name, None) for option in HucPower.declared_options()), project=PROJECT, **params)
    self.module = FakeModule(self.params)
    self.client = IgnoringClient([dict(id="i-%s" % name, name=name, labels=labels) for name, labels in sorted(OBJECTS.items())])
    return [obj["name"] for obj in self.targets(References(self.client, PROJECT))], self.client.calls


def test_power_applies_the_selector_itself():
    names, calls = power_targets(label_selector="role!=web")
    assert names == ["bare", "db"]
    assert calls == [("LIST", "/instances", {"projectId": PROJECT, "labelSelector": "role!=web"})]


def test_power_names_and_selector_one_listing():
    names, calls = power_targets(label_selector="role", instances=["bare", "web"])
    assert names == ["bare", "web", "db"]
    assert calls == [("LIST", "/instances", {"projectId": PROJECT})]


def test_power_refuses_a_bad_selector_before_any_request():
    with pytest.raises(HucApiError, match=r"label_selector: bad term 'role=web=x'"):
        power_targets(label_selector="role=web=x", instances=["web"])
