# -*- coding: utf-8 -*-
# Copyright: HostUpCloud collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every limit of every option, checked before any request. Private to this collection.

A check takes an option's value and returns None when it is within the API's limits, else what
is wrong with it (docs/dev/api-contract.md, "Limits"). Fields declare them (Field(check=...)).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress
import re

from ansible_collections.hostupcloud.cloud.plugins.module_utils._network import (
    MAX_RULES, PREFIX_HIGH, PREFIX_LOW, PRIVATE_RANGES, RuleError, canonical_rule, rule_key)

NAME_PATTERN = re.compile(r"^[a-z][a-z0-9-]{0,62}$")
PTR_LABEL = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")


def between(low, high):
    def check(value):
        return None if low <= value <= high else "must be between %d and %d" % (low, high)
    return check


def multiple_of(step, low, high):
    def check(value):
        return between(low, high)(value) or (None if value % step == 0 else "must be a multiple of %d" % step)
    return check


def resource_name(value):
    return None if NAME_PATTERN.match(value) else "must be 1-63 characters of a-z, 0-9 and '-', starting with a letter"


def length(low, high):
    def check(value):
        return None if low <= len(value) <= high else "must be %d to %d characters long" % (low, high)
    return check


def max_bytes(limit):
    def check(value):
        return None if len(value.encode("utf-8")) <= limit else "must be at most %d bytes" % limit
    return check


def string_labels(value):
    for key, item in value.items():
        if not isinstance(item, str):
            return "the value of %s must be a string, got %r; quote it" % (key, item)
        if not 1 <= len(key) <= 63:
            return "label keys must be 1 to 63 characters long"
        if len(item) > 255:
            return "label %s: values must be at most 255 characters long" % key
    return None


def ipv4_address(value):
    try:
        ipaddress.IPv4Address(value)
    except ValueError:
        return "must be an IPv4 address such as 203.0.113.10, got %r" % value
    return None


def canonical_address(text):
    """An IP address in the form the API shows it, or None when text is not one."""
    try:
        return str(ipaddress.ip_address(str(text)))
    except ValueError:
        return None


# -- reverse DNS --------------------------------------------------------------------------------

def normalize_ptr(value):
    """A PTR name as the API stores it: lowercase, without the trailing dot."""
    text = value.lower()
    return text[:-1] if text.endswith(".") else text


def ptr_name(value):
    """A reverse DNS (PTR) name: a fully qualified name of at most 253 characters, labels of 1-63 [a-z0-9-]."""
    if not isinstance(value, str):
        return "must be a host name such as host.example.com, got %r" % (value,)
    text = normalize_ptr(value)
    labels = text.split(".")
    if not text or len(text) > 253:
        return "must be a fully qualified domain name of 1 to 253 characters, got %d" % len(text)
    if len(labels) < 2:
        return "must be a fully qualified domain name such as host.example.com, got %r" % value
    for label in labels:
        if len(label) > 63:
            return "%r: labels must be at most 63 characters long" % value
        if not PTR_LABEL.match(label):
            return "%r: each label must be 1 to 63 of a-z, 0-9 and '-', not starting or ending with '-'" % value
    return None


def reverse_dns_map(value):
    """reverse_dns of an instance: keys ipv4, ipv6 or an IP address; values a PTR name or null."""
    for key, ptr in value.items():
        if key not in ("ipv4", "ipv6") and canonical_address(key) is None:
            return "%r is neither ipv4, ipv6 nor an IP address" % key
        problem = ptr_name(ptr) if ptr is not None else None
        if problem:
            return "%s: %s" % (key, problem)
    return None


# -- networking ---------------------------------------------------------------------------------

def check_rules(rules):
    """The problems of a firewall's rules option, item by item (1-based), or None."""
    problems = []
    if len(rules) > MAX_RULES:
        problems.append("at most %d rules" % MAX_RULES)
    seen = set()
    for index, rule in enumerate(rules, start=1):
        try:
            key = rule_key(canonical_rule(rule))
        except RuleError as error:
            problems.append("item %d: %s" % (index, error))
            continue
        if key in seen:
            problems.append("item %d: the same rule is given twice" % index)
        seen.add(key)
    return "; ".join(problems) or None


def check_private_cidr(value):
    """cidr of a private network: IPv4, inside 10/8, 172.16/12 or 192.168/16, /16 to /29, no host bits."""
    text = str(value).strip()
    if "/" not in text:
        return "must be an IPv4 CIDR with its prefix length, such as 10.10.0.0/24, got %r" % (value,)
    try:
        network = ipaddress.IPv4Network(u"%s" % text, strict=True)
    except ValueError:
        try:
            meant = ipaddress.IPv4Network(u"%s" % text, strict=False)
        except ValueError:
            return "must be an IPv4 CIDR such as 10.10.0.0/24, got %r" % (value,)
        return "%s has host bits set; give the network, %s" % (text, meant)
    if not PREFIX_LOW <= network.prefixlen <= PREFIX_HIGH:
        return "%s: the prefix length must be between /%d and /%d" % (text, PREFIX_LOW, PREFIX_HIGH)
    if not any(network.subnet_of(private) for private in PRIVATE_RANGES):
        return "%s is not a private range: use one inside 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16" % text
    return None
