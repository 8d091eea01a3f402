"""Unit tests of the canonical forms and limits of firewall rules and private network CIDRs (_network.py, and the
checks of _limits.py built on them)."""

import pytest

from ansible_collections.hostupcloud.cloud.plugins.module_utils._limits import check_private_cidr
from ansible_collections.hostupcloud.cloud.plugins.module_utils._network import canonical_cidr


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
