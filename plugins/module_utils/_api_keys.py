# -*- coding: utf-8 -*-
# Copyright: HostUpCloud collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""API key helpers of huc_api_key and huc_api_key_info. Private to this collection.

Times are counted on the API's clock (the Date header of its last answer), so a skewed controller
clock never makes a key look fresher or older than the API thinks it is.

A new secret travels from the module to the action plugin sealed (seal_secret, open_sealed): the
action plugin hands the module a one-time X25519 public key, so the module's raw output, which
ANSIBLE_DEBUG prints, holds only a ciphertext that the action plugin alone can open.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import hmac
import os
import tempfile
from datetime import datetime, timedelta, timezone

from ansible_collections.hostupcloud.cloud.plugins.module_utils._client import HucApiError, to_snake

KEY_FIELDS = ("id", "name", "prefix", "permissions", "status", "expires_at", "created_at", "last_used_at")
DIFF_FIELDS = ("id", "name", "prefix", "permissions", "status", "expires_at")
ISO_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
DAY = 86400.0


def parse_time(text):
    """An aware UTC datetime from an ISO 8601 date or date-time; no offset means UTC. ValueError if unreadable."""
    value = str(text).strip()
    if value[-1:] in ("Z", "z"):
        value = value[:-1] + "+00:00"
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).replace(microsecond=0)


def format_time(moment):
    return moment.astimezone(timezone.utc).strftime(ISO_FORMAT)


def normalize_time(text):
    """The API form (2027-01-31T00:00:00Z) of an ISO 8601 date or date-time; None stays None."""
    return None if text in (None, "") else format_time(parse_time(text))


def normalize_permissions(permissions):
    """Write implies read, as the API stores it."""
    return ["read", "write"] if "write" in (permissions or []) else ["read"]


def api_now(client):
    """The API's clock from the Date header of its last answer; the local clock only if it sent none."""
    now = client.server_time
    if now is None:
        return datetime.now(timezone.utc)
    return now if now.tzinfo else now.replace(tzinfo=timezone.utc)


def in_days(now, days):
    return format_time(now + timedelta(days=days))


def days_left(key, now):
    """Days until an API key object expires (negative once expired); None when it never does."""
    if not key.get("expiresAt"):
        return None
    return (parse_time(key["expiresAt"]) - now).total_seconds() / DAY


def same_lifetime(key, now):
    """An expiry as far from now as the key's was from its creation; None for a key without expiry."""
    if not key.get("expiresAt") or not key.get("createdAt"):
        return None
    return format_time(now + (parse_time(key["expiresAt"]) - parse_time(key["createdAt"])))


def key_view(key):
    """The result form of an API key object: the documented fields in snake_case, never a secret."""
    if key is None:
        return None
    snake = to_snake(key)
    return dict((field, snake.get(field)) for field in KEY_FIELDS)


def diff_view(key):
    """What a diff shows of a key: its identity and managed fields, no times of use, never a secret."""
    view = key_view(key)
    return dict((field, view[field]) for field in DIFF_FIELDS) if view else None


def select_key(keys, key_id, name):
    """(the key meant, the other keys of its name, a message when it is ambiguous).

    Keys replaced with old_key=revoke keep their name, so among keys of one name the single active
    one is meant, or the newest when all are revoked; several active keys are ambiguous.
    """
    if key_id:
        return next((key for key in keys if key.get("id") == key_id), None), [], None
    named = sorted((key for key in keys if key.get("name") == name), key=lambda key: key.get("createdAt") or "")
    active = [key for key in named if key.get("status") == "active"]
    if len(active) > 1:
        return None, [], "%d active API keys are named %r: %s; set id to choose one" % (
            len(active), name, ", ".join("%s (prefix %s)" % (key.get("id"), key.get("prefix")) for key in named))
    chosen = active[0] if active else (named[-1] if named else None)
    return chosen, [key for key in named if key is not chosen], None


def fixed_changes(key, name, permissions, expires_at):
    """How the wished name, permissions and expiry (None: not wished) differ from a key, as text; "" if not."""
    have = {"name": key.get("name"), "permissions": normalize_permissions(key.get("permissions")),
            "expires_at": normalize_time(key.get("expiresAt"))}
    wanted = {"name": name, "permissions": normalize_permissions(permissions) if permissions else None,
              "expires_at": expires_at}
    return "; ".join("%s from %r to %r" % (option, have[option], value)
                     for option, value in sorted(wanted.items()) if value is not None and value != have[option])


def new_key_body(old, name, permissions, expires_at, expires_in_days, now):
    """The create body of a key replacing old ({} for none); unset options fall back to old's settings.

    A replacement without an expiry wish gets the lifetime of the key it replaces, counted from now.
    """
    body = {"name": name or old.get("name"), "permissions": normalize_permissions(permissions or old.get("permissions"))}
    if expires_at or expires_in_days:
        body["expiresAt"] = expires_at or in_days(now, expires_in_days)
    elif old.get("expiresAt"):
        body["expiresAt"] = same_lifetime(old, now)
    return body


def check_writable(path):
    """None when a file can be written at path, else the reason."""
    directory = os.path.dirname(os.path.abspath(path)) or "."
    if not os.path.isdir(directory):
        return "directory %s does not exist" % directory
    if not os.access(directory, os.W_OK | os.X_OK):
        return "directory %s is not writable" % directory
    if os.path.isdir(path):
        return "%s is a directory" % path
    return None


def write_secret_file(path, secret):
    """Write secret to path atomically with mode 0600: a temporary file beside it, then a rename."""
    path = os.path.abspath(path)
    handle, tmp_path = tempfile.mkstemp(prefix=".%s." % os.path.basename(path), dir=os.path.dirname(path))
    try:
        os.fchmod(handle, 0o600)
        with os.fdopen(handle, "w") as stream:
            stream.write(secret)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(tmp_path, path)
    except BaseException:
        if os.path.exists(tmp_path):
            os.unlink(tmp_path)
        raise


def create_key(client, body, key_file=None):
    """Create a key: (the key object, its secret). A key_file that cannot be written fails before anything is issued."""
    problem = key_file and check_writable(key_file)
    if problem:
        raise HucApiError("key_file: cannot write %s: %s; no key was issued" % (key_file, problem), code="key_file")
    # The Idempotency-Key makes a retried create return the first answer, secret included; a
    # lookup by name cannot (names repeat and lists hold no secrets), so none is made.
    try:
        new = client.post("/api-keys", body, idempotent=True)
    except HucApiError as error:
        if error.code == "network_error" or (error.status or 0) >= 500:
            error.api_message += ("; the API may have issued the key all the same, its secret lost on the way: "
                                  "a rerun finds such a key (never used) and replaces it, or says how to")
            error.args = (error.describe(),)
        raise
    return new, new.pop("key", None)


def write_key_file(client, new, secret, key_file):
    """Write the secret of the key new to key_file; if that fails, delete new again and raise."""
    try:
        write_secret_file(key_file, secret)
    except OSError as error:
        delete_key(client, new["id"])
        raise HucApiError("key_file: cannot write %s: %s; the new key was deleted again and the old one kept"
                          % (key_file, error.strerror or type(error).__name__), code="key_file")


def key_file_state(path, key):
    """What key_file holds of the key: missing, empty (a placeholder), match (its secret), other, or unknown."""
    if not os.path.exists(path):
        return "missing"
    try:
        with open(path) as stream:
            content = stream.read(256).strip()
    except (OSError, UnicodeDecodeError):
        return "unknown"
    if not content:
        return "empty"
    prefix = key.get("prefix")
    return "match" if prefix and content.startswith(prefix) else "other"


def oldest_key(keys, candidates):
    """Of candidates (keys of the list keys), the one created first: the oldest createdAt, then the first listed.

    createdAt has whole seconds; the API lists keys in the order they were created (below the second),
    so of keys created within one second the first listed is the oldest, for every run that lists them.
    The id breaks a tie that is left.
    """
    position = dict((id(key), index) for index, key in enumerate(keys))

    def order(key):
        try:
            created = format_time(parse_time(key.get("createdAt")))
        except (TypeError, ValueError, IndexError):
            created = "~"  # unreadable: after every real time
        return created, position.get(id(key), len(keys)), str(key.get("id"))

    return min(candidates, key=order)


def rivals_of(new, keys, known_ids):
    """The active keys of new's name in keys that were not there before (known_ids) and are not new."""
    return [key for key in keys if key.get("name") == new.get("name") and key.get("status") == "active"
            and key.get("id") not in known_ids and key.get("id") != new.get("id")]


def delete_key(client, key_id):
    """Delete a key; True when this call deleted it, False when it was gone already.

    A 404 means the key is gone: a retried DELETE whose first answer was lost, or someone else's.
    """
    try:
        client.delete("/api-keys/%s" % key_id)
    except HucApiError as error:
        if error.status == 404:
            return False
        raise
    return True


def retire_key(client, key, how):
    """Delete a replaced key, or revoke it (how="revoke") unless it is revoked already. A key gone already is retired."""
    if how == "delete":
        delete_key(client, key["id"])
    elif key.get("status") != "revoked":
        try:
            client.post("/api-keys/%s/revoke" % key["id"], idempotent=True)
        except HucApiError as error:
            if error.status != 404:
                raise


# -- sealing a new secret for its way to the action plugin -----------------------------------------

SEAL_ENV = "HUC_API_KEY_SEAL"
SEAL_FIELD = "_huc_sealed_key"
_P25519 = 2 ** 255 - 19
_BASE_POINT = (9).to_bytes(32, "little")
_SEAL_CONTEXT = b"hostupcloud.cloud huc_api_key seal v1"


def relist(client, secret):
    """The key list, read with the new key itself when it can (setting its last use), else with the task's key."""
    if secret:
        try:
            return client.with_key(secret).list("/api-keys")
        except HucApiError:
            pass  # the new key cannot list (already expired, say): the task's own key can
    return client.list("/api-keys")


def converge(client, new, secret, known_ids, warn, key_file=False):
    """(the key that keeps the name once new is issued, whether it is new): new, or an older rival.

    Two runs issuing one name at once both find no key and both create one. Each lists the keys again
    (with its new key, which marks that key used: its secret has arrived), and of the active keys of
    the name that were not there before (known_ids), the oldest stays (createdAt, then the API's list
    order, which is the order of creation within a second, then id). A run whose key is not that one
    deletes its own; a run whose key it is leaves the others alone (their runs delete their own). The
    run that created a key later always sees the earlier key, so one key stays however the re-lists
    interleave.
    """
    try:
        keys = relist(client, secret)
    except HucApiError as error:
        warn("API key %r (%s) was issued, but the keys could not be listed again to check that no other run "
             "issued one of this name at the same time: %s" % (new.get("name"), new["id"], error.describe()))
        return new, True
    mine = next((key for key in keys if key.get("id") == new["id"]), None)
    if mine is None:  # not listed (yet): nothing to compare it with
        return new, True
    rivals = rivals_of(new, keys, known_ids)
    kept = oldest_key(keys, [mine] + rivals)
    if kept is mine:
        return mine, True
    try:
        delete_key(client, new["id"])
    except HucApiError as error:  # keep our key and its secret: better two keys than one nobody has
        warn("another run issued API key %r (%s) at the same time, and the key this task issued (%s) could not be "
             "deleted again: %s; %d active keys now have this name"
             % (kept.get("name"), kept["id"], new["id"], error.describe(), len(rivals) + 1))
        return mine, True
    warn("another run issued API key %r at the same time (%s, prefix %s, created %s): it keeps the name, and the key "
         "this task issued (%s, created %s) was deleted again. This task has no secret for the key that stays%s"
         % (kept.get("name"), kept["id"], kept.get("prefix"), kept.get("createdAt"), new["id"], new.get("createdAt"),
            "; key_file was not written" if key_file else ""))
    return kept, False


def x25519(scalar, point):
    """RFC 7748 X25519: scalar (32 bytes) times the u-coordinate point (32 bytes), little-endian bytes."""
    k = bytearray(scalar)
    k[0] &= 248
    k[31] &= 127
    k[31] |= 64
    k = int.from_bytes(bytes(k), "little")
    p = _P25519
    x1 = int.from_bytes(point, "little") & ((1 << 255) - 1)
    x2, z2, x3, z3, swap = 1, 0, x1, 1, 0
    for t in range(254, -1, -1):
        bit = (k >> t) & 1
        swap ^= bit
        if swap:
            x2, x3, z2, z3 = x3, x2, z3, z2
        swap = bit
        a, b, c, d = x2 + z2, x2 - z2, x3 + z3, x3 - z3
        aa, bb = a * a % p, b * b % p
        e = aa - bb
        da, cb = d * a % p, c * b % p
        x3, z3 = (da + cb) ** 2 % p, x1 * (da - cb) ** 2 % p
        x2, z2 = aa * bb % p, e * (aa + 121665 * e) % p
    if swap:
        x2, z2 = x3, z3
    return (x2 * pow(z2, p - 2, p) % p).to_bytes(32, "little")


def seal_keypair():
    """(private key, public key as hex) of a one-time seal."""
    private = os.urandom(32)
    return private, x25519(private, _BASE_POINT).hex()


def _seal_keys(shared, ephemeral, recipient):
    if not any(bytearray(shared)):
        raise ValueError("degenerate seal key")
    root = hashlib.sha256(_SEAL_CONTEXT + shared + ephemeral + recipient).digest()
    return hashlib.sha256(root + b"enc").digest(), hashlib.sha256(root + b"mac").digest()


def _keystream_xor(key, data):
    stream = b"".join(hashlib.sha256(key + counter.to_bytes(4, "big")).digest() for counter in range(len(data) // 32 + 1))
    return bytes(bytearray(x ^ y for x, y in zip(bytearray(data), bytearray(stream))))


def seal_secret(secret, recipient_hex):
    """The secret sealed to the public key recipient_hex: a dict of hex strings; ValueError for a bad key."""
    recipient = bytes.fromhex(recipient_hex)
    if len(recipient) != 32:
        raise ValueError("a seal key has 32 bytes")
    private = os.urandom(32)
    ephemeral = x25519(private, _BASE_POINT)
    enc, mac = _seal_keys(x25519(private, recipient), ephemeral, recipient)
    sealed = _keystream_xor(enc, secret.encode("utf-8"))
    return {"version": 1, "ephemeral": ephemeral.hex(), "sealed": sealed.hex(),
            "tag": hmac.new(mac, ephemeral + sealed, hashlib.sha256).hexdigest()}


def open_sealed(private, box):
    """The secret seal_secret sealed to the public key of private; ValueError when it is not intact."""
    try:
        ephemeral, sealed = bytes.fromhex(box["ephemeral"]), bytes.fromhex(box["sealed"])
        tag = bytes.fromhex(box["tag"])
    except (KeyError, TypeError, ValueError, AttributeError):
        raise ValueError("the sealed secret is malformed")
    recipient = x25519(private, _BASE_POINT)
    enc, mac = _seal_keys(x25519(private, ephemeral), ephemeral, recipient)
    if not hmac.compare_digest(hmac.new(mac, ephemeral + sealed, hashlib.sha256).digest(), tag):
        raise ValueError("the sealed secret does not match its seal")
    return _keystream_xor(enc, sealed).decode("utf-8")
