# -*- coding: utf-8 -*-
# Copyright: HostUpCloud collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Label selectors as Kubernetes and hcloud write them, parsed once. Private to this collection.

``k=v`` (or ``k==v``), ``k!=v``, ``k``, ``!k``, ``k in (a,b)``, ``k notin (a,b)``; a comma
joins terms (and), a comma inside parentheses separates the values of a set. As in Kubernetes,
``k!=v`` and ``notin`` also match objects without the label. No Ansible imports: the inventory uses it.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.hostupcloud.cloud.plugins.module_utils._errors import HucApiError

OPTION = "label_selector"
FORMS = "key, !key, key=value, key!=value, key in (v1,v2) or key notin (v1,v2)"
# A key or a value: no whitespace, none of the characters of the syntax (nor < >). Lengths as the API limits labels.
_WORD = r"[^\s,=!()<>]"
_SET = re.compile(r"^(%s+)\s+(in|notin)\s*\((.*)\)$" % _WORD, re.S)
_EQUALITY = re.compile(r"^(%s+)\s*(==|=|!=)\s*(%s*)$" % (_WORD, _WORD))
_EXISTS = re.compile(r"^(!?)\s*(%s+)$" % _WORD)
KEY_MAX, VALUE_MAX = 63, 255


# op -> test(labels, key, values); "!=" and "notin" hold for an object without the key (Kubernetes)
TESTS = {
    "=": lambda labels, key, values: key in labels and labels[key] in values,
    "in": lambda labels, key, values: key in labels and labels[key] in values,
    "!=": lambda labels, key, values: key not in labels or labels[key] not in values,
    "notin": lambda labels, key, values: key not in labels or labels[key] not in values,
    "exists": lambda labels, key, values: key in labels,
    "!": lambda labels, key, values: key not in labels,
}


def split_terms(text):
    """The comma-separated terms of text; commas inside parentheses stay in their term."""
    terms, depth, start = [], 0, 0
    for index, char in enumerate(text):
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        if depth < 0 or depth > 1:
            raise _bad(text, None, "unbalanced parentheses" if depth < 0 else "nested parentheses (a set holds plain values)")
        if char == "," and depth == 0:
            terms.append(text[start:index])
            start = index + 1
    if depth:
        raise _bad(text, None, "unbalanced parentheses")
    return terms + [text[start:]]


def _bad(text, term, why):
    """The error of a bad term (term None: of the selector as a whole)."""
    message = "%s: %s in %r: %s" % (OPTION, "bad selector" if term is None else "bad term %r" % term.strip(), text, why)
    return HucApiError(message, code="invalid_argument", details={OPTION: message})


def _checked(text, term, key, values):
    if len(key) > KEY_MAX:
        raise _bad(text, term, "label keys are at most %d characters long" % KEY_MAX)
    for value in values:
        if len(value) > VALUE_MAX:
            raise _bad(text, term, "label values are at most %d characters long" % VALUE_MAX)
    return key, values


def parse_term(text, term):
    """(op, key, values) of one term."""
    stripped = term.strip()
    if not stripped:
        raise _bad(text, term, "an empty term (a comma too many?); write " + FORMS)
    found = _SET.match(stripped)
    if found:
        values = [value.strip() for value in found.group(3).split(",")]
        if not all(values) or not all(re.match(r"^%s+$" % _WORD, value) for value in values):
            raise _bad(text, term, "the set must list values separated by commas, such as (a,b)")
        return (found.group(2),) + _checked(text, term, found.group(1), frozenset(values))
    found = _EQUALITY.match(stripped)
    if found:
        op = "=" if found.group(2) == "==" else found.group(2)
        return (op,) + _checked(text, term, found.group(1), frozenset([found.group(3)]))
    found = _EXISTS.match(stripped)
    if found and found.group(2) not in ("in", "notin"):
        return (found.group(1) or "exists",) + _checked(text, term, found.group(2), frozenset())
    raise _bad(text, term, "write " + FORMS)


class Selector:
    """A parsed label selector: text as given (sent to the API as is), terms as (op, key, values)."""

    def __init__(self, text):
        if not isinstance(text, str) or not text.strip():
            raise _bad(str(text), None, "an empty selector; write " + FORMS)
        self.text = text
        self.terms = tuple(parse_term(text, term) for term in split_terms(text))

    def matches(self, labels):
        """Whether labels (a dict, or None for none) satisfy every term."""
        labels = labels or {}
        return all(TESTS[op](labels, key, values) for op, key, values in self.terms)

    def select(self, objects):
        """The objects whose labels match, in their order."""
        return [obj for obj in objects if self.matches(obj.get("labels"))]

    def __str__(self):
        return self.text


def parse_selector(text):
    """A Selector, or HucApiError (code invalid_argument) naming label_selector and the bad term."""
    return Selector(text)
