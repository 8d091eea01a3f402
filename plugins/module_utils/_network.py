# -*- coding: utf-8 -*-
# Copyright: HostUpCloud collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Firewall rules and private network CIDRs: checks and canonical forms. Private to this collection.

A source CIDR is canonical as the network it names: a bare address is its /32 (/128 for IPv6); one with
host bits set (10.0.0.1/8) is refused, naming the network that was probably meant. A port is the API's
string: "22", "8000-8100", or None for every port (always None for icmp).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress
import re

PROTOCOLS = ("tcp", "udp", "icmp")
PORT_PATTERN = re.compile(r"^\s*([0-9]{1,6})\s*(?:-\s*([0-9]{1,6})\s*)?$")
PRIVATE_RANGES = tuple(ipaddress.ip_network(text) for text in (u"10.0.0.0/8", u"172.16.0.0/12", u"192.168.0.0/16"))
PREFIX_LOW, PREFIX_HIGH = 16, 29
MAX_RULES = 50
MAX_SOURCES = 50


class RuleError(ValueError):
    pass


def canonical_port(port, protocol):
    """The API port string of an option value (int or "a-b"); RuleError says what is wrong."""
    if port is None:
        return None
    if protocol == "icmp":
        raise RuleError("port %s: icmp has no ports; leave port out" % (port,))
    if isinstance(port, bool) or not isinstance(port, (int, str)):
        raise RuleError("port must be a number such as 22 or a range such as \"8000-8100\", got %r" % (port,))
    match = PORT_PATTERN.match(str(port))
    if not match:
        raise RuleError("port must be a number such as 22 or a range such as \"8000-8100\", got %r" % (port,))
    low, high = int(match.group(1)), int(match.group(2) or match.group(1))
    for value in (low, high):
        if not 1 <= value <= 65535:
            raise RuleError("port %s: ports must be between 1 and 65535" % (port,))
    if low > high:
        raise RuleError("port %s: a range goes from the lower port to the higher one, such as %d-%d" % (port, high, low))
    return str(low) if low == high else "%d-%d" % (low, high)


def canonical_source(source):
    """The CIDR a source names: 10.0.0.1 is 10.0.0.1/32; host bits set are refused.

    A zone id (fe80::1%eth0) is refused on every Python: 3.9 and later parse it as a scoped address, 3.8 does not,
    and a firewall rule has no interface to scope it to.
    """
    text = str(source).strip()
    if "%" in text:
        raise RuleError("source %r has a zone id (after '%%'), which a firewall rule cannot use; give the address or "
                        "network without it" % (text,))
    try:
        return str(ipaddress.ip_network(u"%s" % text, strict=True))
    except ValueError:
        pass
    try:
        meant = ipaddress.ip_network(u"%s" % text, strict=False)
    except ValueError:
        raise RuleError("source %r is not an IPv4 or IPv6 address or CIDR such as 10.0.0.0/8" % (source,))
    raise RuleError("source %s has host bits set; give the network, %s" % (text, meant))


def canonical_cidr(value):
    """cidr of a private network as the API holds it, the one form checked, compared, sent and checked for overlaps:
    without surrounding spaces, a netmask as its prefix length (10.10.0.0/255.255.255.0 is 10.10.0.0/24). A value that
    is no IPv4 network with its prefix comes back stripped only, for the check to say what is wrong with it."""
    text = str(value).strip()
    if "/" not in text:
        return text
    try:
        return str(ipaddress.IPv4Network(u"%s" % text, strict=True))
    except ValueError:
        return text


def canonical_rule(rule):
    """A rule option as the API holds it: {protocol, port, sources}; RuleError says what is wrong."""
    if not isinstance(rule, dict):
        raise RuleError("must be a dict with protocol, port and sources, got %r" % (rule,))
    protocol = rule.get("protocol")
    if protocol not in PROTOCOLS:
        raise RuleError("protocol must be one of %s, got %r" % (", ".join(PROTOCOLS), protocol))
    port = canonical_port(rule.get("port"), protocol)
    sources = rule.get("sources")
    if not sources:
        raise RuleError("sources must name at least one CIDR, such as 0.0.0.0/0 for anywhere")
    if len(sources) > MAX_SOURCES:
        raise RuleError("sources: at most %d CIDRs" % MAX_SOURCES)
    problems, canonical = [], []
    for source in sources:
        try:
            canonical.append(canonical_source(source))
        except RuleError as error:
            problems.append(str(error))
    if problems:
        raise RuleError("; ".join(problems))
    return {"protocol": protocol, "port": port, "sources": sorted(set(canonical), key=network_key)}


def network_key(text):
    network = ipaddress.ip_network(u"%s" % text)
    return network.version, network.network_address.packed, network.prefixlen


def rule_key(rule):
    """What makes two rules the same rule: protocol, port and the set of sources."""
    return rule.get("protocol"), rule.get("port"), frozenset(rule.get("sources") or [])


def rule_line(rule):
    """One line of a diff: tcp 22 from 10.0.0.0/8, 192.168.0.0/16."""
    port = rule.get("port")
    where = "every port" if port is None and rule.get("protocol") != "icmp" else port
    sources = sorted(rule.get("sources") or [], key=network_key)
    return " ".join(str(part) for part in (rule.get("protocol"), where, "from", ", ".join(sources)) if part)


def overlaps(cidr, other):
    return ipaddress.ip_network(u"%s" % cidr).overlaps(ipaddress.ip_network(u"%s" % other))
