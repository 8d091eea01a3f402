"""Building blocks of the emulator's data: time formats, ids, key secrets, addresses, the catalogue."""

import base64
import hashlib
import ipaddress
import json
import os
import secrets
import string
import tempfile
import time
import uuid
from datetime import datetime, timezone
from typing import Any, Dict, List, Optional, Tuple

ISO_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
KEY_ALPHABET = string.ascii_letters + string.digits
KEY_PREFIX_LENGTH = 8

STATUSES = ("provisioning", "running", "stopping", "stopped", "starting", "rebooting", "deleting", "error")

NODES = (
    {"name": "fra1-n1", "location": "fra1", "availableVcpus": 128, "availableMemoryMb": 524288, "availableDiskGb": 16384},
    {"name": "ams1-n1", "location": "ams1", "availableVcpus": 96, "availableMemoryMb": 393216, "availableDiskGb": 12288},
    {"name": "nyc1-n1", "location": "nyc1", "availableVcpus": 64, "availableMemoryMb": 262144, "availableDiskGb": 8192},
)

OS_TEMPLATES = (
    {"name": "Ubuntu 24.04", "family": "ubuntu", "version": "24.04"},
    {"name": "Ubuntu 22.04", "family": "ubuntu", "version": "22.04"},
    {"name": "Debian 12", "family": "debian", "version": "12"},
    {"name": "Rocky Linux 9", "family": "rocky", "version": "9"},
    {"name": "AlmaLinux 9", "family": "almalinux", "version": "9"},
)

INSTANCE_NET = ipaddress.ip_network("100.64.0.0/10")
INSTANCE_NET6 = ipaddress.ip_network("2001:db8::/32")
FLOATING_NETS = tuple(ipaddress.ip_network(net) for net in ("203.0.113.0/24", "198.51.100.0/24", "192.0.2.0/24"))

SSH_KEY_TYPES = ("ssh-ed25519", "ssh-rsa", "ssh-dss", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521",
                 "sk-ssh-ed25519@openssh.com", "sk-ecdsa-sha2-nistp256@openssh.com")


def iso(ts: float) -> str:
    """ISO 8601 UTC with Z, second precision."""
    return time.strftime(ISO_FORMAT, time.gmtime(ts))


def parse_iso(text: str) -> float:
    """Epoch seconds of an ISO 8601 timestamp; a timestamp without offset is UTC. ValueError when unreadable."""
    value = text.strip()
    if value[-1:] in ("Z", "z"):
        value = value[:-1] + "+00:00"
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.timestamp()


def new_id() -> str:
    """A fresh resource id (UUID4)."""
    return str(uuid.uuid4())


def public(record: Dict[str, Any]) -> Dict[str, Any]:
    """The API view of a record: internal fields start with an underscore."""
    return {name: value for name, value in record.items() if not name.startswith("_")}


def new_secret() -> str:
    """A new API key secret: huc_ and 40 random letters and digits."""
    return "huc_" + "".join(secrets.choice(KEY_ALPHABET) for _position in range(40))


def hash_key(secret: str) -> str:
    """The only form in which a key secret is stored."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def normalize_permissions(permissions: List[str]) -> List[str]:
    """Write implies read."""
    return ["read", "write"] if "write" in permissions else ["read"]


def api_key_record(name: str, permissions: List[str], expires: Optional[float], now: float, status: str = "active") -> Tuple[Dict[str, Any], str]:
    """A new API key record and its secret."""
    secret = new_secret()
    record = {
        "id": new_id(),
        "name": name,
        "prefix": secret[:KEY_PREFIX_LENGTH],
        "permissions": normalize_permissions(permissions),
        "status": status,
        "expiresAt": None if expires is None else iso(expires),
        "createdAt": iso(now),
        "lastUsedAt": None,
        "_hash": hash_key(secret),
        "_expires": expires,
        "_t": now,
    }
    return record, secret


def next_counter(data: Dict[str, Any], name: str) -> int:
    """Advance one of the allocation counters kept in the data."""
    counters = data.setdefault("counters", {})
    counters[name] = counters.get(name, 0) + 1
    return counters[name]


def next_ipv4(data: Dict[str, Any]) -> str:
    """A never-used instance IPv4 address from 100.64.0.0/10."""
    return str(INSTANCE_NET.network_address + next_counter(data, "ipv4"))


def next_ipv6(data: Dict[str, Any]) -> str:
    """A never-used instance IPv6 address from 2001:db8::/32."""
    return str(INSTANCE_NET6.network_address + (next_counter(data, "ipv6") << 64) + 1)


def free_floating_address(used: set) -> Optional[str]:
    """The lowest documentation-range address that no floating IP holds, or None when all are taken."""
    for net in FLOATING_NETS:
        for host in net.hosts():
            if str(host) not in used:
                return str(host)
    return None


def ssh_fingerprint(public_key: str) -> str:
    """OpenSSH SHA256 fingerprint of a public key line; ValueError when it is not one."""
    parts = public_key.split()
    if len(parts) < 2 or parts[0] not in SSH_KEY_TYPES:
        raise ValueError("must be an OpenSSH public key line: TYPE BASE64 [COMMENT]")
    try:
        blob = base64.b64decode(parts[1].encode("ascii"), validate=True)
    except (ValueError, UnicodeEncodeError):
        raise ValueError("the key data is not valid base64")
    digest = base64.b64encode(hashlib.sha256(blob).digest()).decode("ascii").rstrip("=")
    return "SHA256:" + digest


def write_json_atomic(path: str, payload: Dict[str, Any], indent: Optional[int] = None) -> None:
    """Write JSON to a temporary file beside path (mode 0600) and rename it over path."""
    directory = os.path.dirname(os.path.abspath(path))
    handle, tmp_path = tempfile.mkstemp(prefix=".tmp-", dir=directory)
    try:
        with os.fdopen(handle, "w") as stream:
            json.dump(payload, stream, indent=indent, sort_keys=True)
        os.replace(tmp_path, path)
    except BaseException:
        if os.path.exists(tmp_path):
            os.unlink(tmp_path)
        raise
