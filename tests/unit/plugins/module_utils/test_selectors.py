"""Unit tests of label selectors (_selectors.py): every form, Kubernetes semantics, every error."""

import pytest

from ansible_collections.hostupcloud.cloud.plugins.module_utils._errors import HucApiError
from ansible_collections.hostupcloud.cloud.plugins.module_utils._selectors import Selector, parse_selector

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
    ("role in (a,(b))", None, "unbalanced parentheses"),
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
