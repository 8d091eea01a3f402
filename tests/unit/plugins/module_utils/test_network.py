"""Unit tests of the canonical forms and limits of firewall rules and private network CIDRs (_network.py, and the
checks of _limits.py built on them)."""

import pytest

from ansible_collections.hostupcloud.cloud.plugins.module_utils._limits import check_private_cidr, check_rules
from ansible_collections.hostupcloud.cloud.plugins.module_utils._network import RuleError, canonical_cidr, canonical_source


@pytest.mark.parametrize("given, canonical", [
    ("10.10.0.0/24", "10.10.0.0/24"),
    (" 10.10.0.0/24 ", "10.10.0.0/24"),
    ("\t10.10.0.0/24\n", "10.10.0.0/24"),
    ("10.10.0.0/255.255.255.0", "10.10.0.0/24"),
    (" 192.168.1.0/29", "192.168.1.0/29"),
    # Not an IPv4 network with its prefix: stripped only, for check_private_cidr to say what is wrong.
    (" 10.10.0.0 ", "10.10.0.0"),
    (" 10.10.0.5/24 ", "10.10.0.5/24"),
    (" 10.10.0.300/24", "10.10.0.300/24"),
    ("fd00::/64 ", "fd00::/64"),
])
def test_canonical_cidr(given, canonical):
    assert canonical_cidr(given) == canonical
    assert canonical_cidr(canonical) == canonical  # once is enough


def test_the_canonical_cidr_is_what_is_checked():
    assert check_private_cidr(canonical_cidr(" 10.10.0.0/24 ")) is None
    assert check_private_cidr(canonical_cidr(" 10.10.0.5/24 ")) == (
        "10.10.0.5/24 has host bits set; give the network, 10.10.0.0/24")
    assert check_private_cidr(canonical_cidr("10.0.0.0/255.0.0.0")) == (
        "10.0.0.0/8: the prefix length must be between /16 and /29")


ZONE = "has a zone id (after '%'), which a firewall rule cannot use; give the address or network without it"


@pytest.mark.parametrize("source", ["fe80::1%eth0", "fe80::1%1", "fe80::%eth0/64", " fe80::1%eth0 ", "10.0.0.1%eth0",
                                    "%", "fe80::1%"])
def test_a_zone_id_is_refused_on_every_python(source):
    """Python 3.9+ parses fe80::1%eth0 (a scoped address) and 3.8 does not: refused alike, before any request."""
    with pytest.raises(RuleError) as raised:
        canonical_source(source)
    assert str(raised.value) == "source %r %s" % (source.strip(), ZONE)


def test_check_rules_names_rules_and_the_source_of_a_zone_id():
    rules = [{"protocol": "tcp", "port": 22, "sources": ["10.0.0.0/8"]},
             {"protocol": "tcp", "port": 443, "sources": ["2001:db8::/32", "fe80::1%eth0"]}]
    assert check_rules(rules) == "item 2: source 'fe80::1%%eth0' %s" % ZONE
    assert canonical_source("fe80::1") == "fe80::1/128" and canonical_source("fe80::/64") == "fe80::/64"
