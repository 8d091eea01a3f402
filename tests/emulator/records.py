"""Building blocks of the emulator's data: time formats, ids, key secrets, addresses, the catalogue."""

import base64
import hashlib
import ipaddress
import json
import os
import re
import secrets
import string
import tempfile
import time
import uuid
from datetime import datetime, timezone
from typing import Any, Dict, List, Optional, Tuple

ISO_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
# The emulator clock: one move (POST /_emulator/clock, a configured duration) is at most 100 years (a test may jump
# past a key's expiry in 2099), and the clock is at most 1000 years ahead of wall time in all, so every timestamp
# stays printable (README, "Identifiers and time").
YEAR_SECONDS = 365 * 86400
MAX_CLOCK_MOVE = 100 * YEAR_SECONDS
MAX_CLOCK_OFFSET = 1000 * YEAR_SECONDS
# How deeply a request body may nest arrays and objects (the outer object is level 1); deeper is 400 bad_request.
MAX_BODY_DEPTH = 64
JSON_NESTING = re.compile(r'"(?:[^"\\]|\\.)*"|[\[{]|[\]}]')
KEY_ALPHABET = string.ascii_letters + string.digits
KEY_PREFIX_LENGTH = 8

STATUSES = ("provisioning", "running", "stopping", "stopped", "starting", "rebooting", "rebuilding", "deleting", "error")

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

# The key types the provider accepts (docs/dev/api-contract.md, SSH keys), and nothing else.
SSH_KEY_TYPES = ("ssh-ed25519", "ssh-rsa", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521")
SSH_KEY_TYPES_TEXT = "must be an ssh-ed25519, ssh-rsa (2048 bits or more) or ecdsa-sha2-nistp256/384/521 key"
SSH_RSA_MIN_BITS = 2048
# ECDSA curve name -> length of its uncompressed point (0x04 || x || y).
SSH_EC_POINTS = {"nistp256": 65, "nistp384": 97, "nistp521": 133}
# What a key type name looks like (ssh-dss, sk-ssh-ed25519@openssh.com, ...): shown in messages, other text is not.
SSH_TYPE_NAME = re.compile(r"^[a-z0-9][a-z0-9@.-]{0,63}$")


def json_depth(text: str, limit: int) -> int:
    """How deeply text nests arrays and objects, counted up to limit + 1 (strings skipped; no recursion)."""
    depth = deepest = 0
    for match in JSON_NESTING.finditer(text):
        token = match.group()
        if token in "[{":
            depth += 1
            deepest = max(deepest, depth)
            if deepest > limit:
                break
        elif token in "]}":
            depth -= 1
    return deepest


class TooDeep(ValueError):
    """A JSON body nests deeper than the emulator parses; str() says so, for the client."""


def load_json(raw: Any, limit: int = MAX_BODY_DEPTH) -> Any:
    """The JSON value of a request body (bytes decoded as json.loads does). ValueError when it is not JSON, TooDeep
    when it nests deeper than limit levels: checked before parsing, so no body can exhaust the parser's recursion."""
    text = raw.decode(json.detect_encoding(raw), "surrogatepass") if isinstance(raw, bytes) else raw
    if json_depth(text, limit) > limit:
        raise TooDeep("the request body nests arrays and objects more than %d levels deep" % limit)
    try:
        return json.loads(text)
    except RecursionError:  # not reached within the limit; a safety net all the same
        raise TooDeep("the request body nests arrays and objects too deeply")


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


def ipv6_prefix(address: str) -> str:
    """The /64 an instance IPv6 address lies in, as "2001:db8:0:N::/64"."""
    return str(ipaddress.ip_network(address + "/64", strict=False))


# A PTR name: 1-253 characters, at least two dot-separated labels of 1-63 of [a-z0-9-], no label
# starting or ending with '-'; one trailing dot is allowed; stored lowercase without it.
PTR_LABEL = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")


def normalize_ptr(name: str) -> str:
    """The stored form of a PTR name (lowercase, no trailing dot); ValueError naming what is wrong."""
    text = name.lower()
    text = text[:-1] if text.endswith(".") else text
    if not text or len(text) > 253:
        raise ValueError("must be a fully qualified domain name of 1 to 253 characters")
    labels = text.split(".")
    if len(labels) < 2:
        raise ValueError("must be a fully qualified domain name such as host.example.com")
    for label in labels:
        if len(label) > 63:
            raise ValueError("labels must be at most 63 characters long")
        if not PTR_LABEL.match(label):
            raise ValueError("each label must be 1 to 63 of a-z, 0-9 and '-', not starting or ending with '-'")
    return text


def free_floating_address(used: set) -> Optional[str]:
    """The lowest documentation-range address that no floating IP holds, or None when all are taken."""
    for net in FLOATING_NETS:
        for host in net.hosts():
            if str(host) not in used:
                return str(host)
    return None


def ssh_key_blob(public_key: str) -> bytes:
    """The wire-format blob of an OpenSSH public key line, once its type and content are accepted.

    ValueError, with the message the API answers on publicKey, for anything else: not one line, a type
    outside SSH_KEY_TYPES (DSA, security keys, certificates), data that is not base64, a blob whose own
    type differs from the line's or that is malformed, an RSA modulus under 2048 bits.
    """
    text = public_key.strip()
    if "\n" in text or "\r" in text:
        raise ValueError("must be one OpenSSH public key line, not %d lines" % len(text.splitlines()))
    parts = text.split()
    if len(parts) < 2:
        raise ValueError("must be an OpenSSH public key line: TYPE BASE64 [COMMENT]")
    key_type = parts[0]
    if key_type not in SSH_KEY_TYPES:
        shown = key_type if len(key_type) <= 40 else key_type[:37] + "..."
        raise ValueError("%s, not %s" % (SSH_KEY_TYPES_TEXT, shown))
    try:
        blob = base64.b64decode(parts[1].encode("ascii"), validate=True)
    except (ValueError, UnicodeEncodeError):
        raise ValueError("the key data is not valid base64")
    check_ssh_key_blob(key_type, blob)
    return blob


def check_ssh_key_blob(key_type: str, blob: bytes) -> None:
    """The blob is a well-formed key of key_type (RFC 4253 6.6, RFC 5656 3.1, RFC 8709 4); ValueError if not."""
    malformed = ValueError("the key data is not a valid %s key" % key_type)
    fields, offset = [], 0
    while offset < len(blob):
        if offset + 4 > len(blob):
            raise malformed
        size = int.from_bytes(blob[offset:offset + 4], "big")
        offset += 4
        if offset + size > len(blob):
            raise malformed
        fields.append(blob[offset:offset + size])
        offset += size
    try:
        embedded = fields[0].decode("ascii") if fields else ""
    except UnicodeDecodeError:
        raise malformed
    if embedded != key_type:
        if SSH_TYPE_NAME.match(embedded):
            raise ValueError("the key data is an %s key, but the line says %s" % (embedded, key_type))
        raise malformed
    if key_type == "ssh-ed25519":
        if len(fields) != 2 or len(fields[1]) != 32:
            raise malformed
    elif key_type == "ssh-rsa":
        if len(fields) != 3:
            raise malformed
        exponent, modulus = (int.from_bytes(field, "big", signed=True) for field in fields[1:])
        if exponent <= 0 or modulus <= 0:
            raise malformed
        if modulus.bit_length() < SSH_RSA_MIN_BITS:
            raise ValueError("ssh-rsa keys must have at least %d bits, this one has %d" % (SSH_RSA_MIN_BITS, modulus.bit_length()))
    else:
        curve = key_type[len("ecdsa-sha2-"):]
        if len(fields) != 3 or fields[1] != curve.encode("ascii"):
            raise malformed
        if len(fields[2]) != SSH_EC_POINTS[curve] or fields[2][:1] != b"\x04":
            raise malformed


def ssh_fingerprint(public_key: str) -> str:
    """OpenSSH SHA256 fingerprint of an accepted public key line (ssh_key_blob); ValueError when it is not one.

    "SHA256:" and the unpadded base64 of the SHA-256 of the blob, as ssh-keygen -l shows it.
    """
    digest = base64.b64encode(hashlib.sha256(ssh_key_blob(public_key)).digest()).decode("ascii").rstrip("=")
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
