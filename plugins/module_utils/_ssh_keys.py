# -*- coding: utf-8 -*-
# Copyright: HostUpCloud collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""OpenSSH public keys: read one line, check it is a key the API accepts, fingerprint it. Private.

Standard library only (it runs wherever the module runs). The API accepts ssh-ed25519, ssh-rsa of
2048 bits or more and ecdsa-sha2-nistp256/384/521, nothing else (docs/dev/api-contract.md, SSH keys);
parse_public_key() refuses everything else with the message the API answers on publicKey, so a
task fails before any request. Fingerprints are OpenSSH's SHA256 form, as `ssh-keygen -l` shows
them and as the API reports them in `fingerprint`.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import binascii
import hashlib
import re

# The SSH key as huc_ssh_key and huc_ssh_key_info return it (snake_case of the API object), in this order.
ACCEPTED_TYPES = ("ssh-ed25519", "ssh-rsa", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521")
TYPES_TEXT = "must be an ssh-ed25519, ssh-rsa (2048 bits or more) or ecdsa-sha2-nistp256/384/521 key"
MIN_RSA_BITS = 2048
# ECDSA curve -> (bits, length of its uncompressed point 0x04 || x || y).
EC_CURVES = {"nistp256": (256, 65), "nistp384": (384, 97), "nistp521": (521, 133)}
# What a key type name looks like (ssh-dss, sk-ssh-ed25519@openssh.com, ...): only such text is quoted back.
TYPE_NAME = re.compile(r"^[a-z0-9][a-z0-9@.-]{0,63}$")
# What only a private key holds (looks_private): an armour naming a private key, the headers of a PuTTY .ppk file,
# the base64 of "openssh-key-v1" (an OpenSSH private key's body).
PRIVATE_MARKERS = re.compile(r"(BEGIN|END)\s[\w\s]{0,40}PRIVATE\s+KEY|PRIVATE\s+KEY\s*-{3,}|PuTTY-User-Key-File-\d+\s*:"
                             r"|Private-(Lines|MAC|Hash)\s*:|b3BlbnNzaC1rZXktdjE", re.IGNORECASE)


class SshKeyError(ValueError):
    """The text is not an accepted OpenSSH public key; str() says why, in the API's words."""


class PublicKey:
    """One accepted public key: its type, base64 data, comment (may be empty), wire blob and size in bits."""

    def __init__(self, key_type, data, comment, blob, bits):
        self.key_type = key_type
        self.data = data
        self.comment = comment
        self.blob = blob
        self.bits = bits

    @property
    def line(self):
        """The key as one OpenSSH line: TYPE BASE64 [COMMENT], single-spaced."""
        return " ".join(part for part in (self.key_type, self.data, self.comment) if part)

    @property
    def fingerprint(self):
        return fingerprint(self.blob)


def fingerprint(blob):
    """OpenSSH's SHA256 fingerprint of a key blob: "SHA256:" and the unpadded base64 of its SHA-256."""
    return "SHA256:" + base64.b64encode(hashlib.sha256(blob).digest()).decode("ascii").rstrip("=")


def line_fingerprint(text):
    """The SHA256 fingerprint of any OpenSSH key line (its type not checked); None when it has no base64 data."""
    parts = (text or "").split()
    if len(parts) < 2:
        return None
    try:
        return fingerprint(base64.b64decode(parts[1].encode("ascii"), validate=True))
    except (ValueError, UnicodeEncodeError, binascii.Error):
        return None


def looks_private(text):
    """Whether text holds a private key, in any format or part of one: it is then never quoted, shown or sent.

    Recognised, also folded into one line and in any letter case: the armour of OpenSSH and PEM keys (RSA, EC, DSA,
    PKCS#8, encrypted or not) and of ssh.com keys (---- BEGIN SSH2 [ENCRYPTED] PRIVATE KEY ----), PuTTY .ppk files
    (PuTTY-User-Key-File-N:, Private-Lines:, Private-MAC:) and the base64 of an OpenSSH private key without its
    armour (it starts with "openssh-key-v1").
    """
    return bool(PRIVATE_MARKERS.search(text or ""))


def parse_public_key(text):
    """The PublicKey of one OpenSSH public key line; SshKeyError when the API would refuse it.

    Refused: a private key, more than one line, no TYPE BASE64, a type other than ACCEPTED_TYPES (DSA,
    security keys, certificates), data that is not base64, a blob whose own type differs from the line's
    or that is malformed, an RSA modulus under 2048 bits.
    """
    if looks_private(text):
        raise SshKeyError("holds a private key, which must stay on its host: give the public key (the .pub file) instead")
    text = (text or "").strip()
    if "\n" in text or "\r" in text:
        raise SshKeyError("must be one OpenSSH public key line, not %d lines" % len(text.splitlines()))
    parts = text.split(None, 2)
    if len(parts) < 2:
        raise SshKeyError("must be an OpenSSH public key line: TYPE BASE64 [COMMENT]")
    key_type, data = parts[0], parts[1]
    comment = parts[2].strip() if len(parts) > 2 else ""
    if key_type not in ACCEPTED_TYPES:
        shown = key_type if len(key_type) <= 40 else key_type[:37] + "..."
        raise SshKeyError("%s, not %s" % (TYPES_TEXT, shown))
    try:
        blob = base64.b64decode(data.encode("ascii"), validate=True)
    except (ValueError, UnicodeEncodeError, binascii.Error):
        raise SshKeyError("the key data is not valid base64")
    return PublicKey(key_type, data, comment, blob, key_bits(key_type, blob))


def wire_strings(blob):
    """The strings of an SSH wire-format blob (uint32 length, then that many bytes, repeated); None if malformed."""
    fields, offset = [], 0
    while offset < len(blob):
        if offset + 4 > len(blob):
            return None
        size = int.from_bytes(blob[offset:offset + 4], "big")
        offset += 4
        if offset + size > len(blob):
            return None
        fields.append(blob[offset:offset + size])
        offset += size
    return fields


def key_bits(key_type, blob):
    """The size in bits of a well-formed key blob of key_type (RFC 4253 6.6, RFC 5656 3.1, RFC 8709 4)."""
    malformed = SshKeyError("the key data is not a valid %s key" % key_type)
    fields = wire_strings(blob)
    if not fields:
        raise malformed
    try:
        embedded = fields[0].decode("ascii")
    except UnicodeDecodeError:
        raise malformed
    if embedded != key_type:
        if TYPE_NAME.match(embedded):
            raise SshKeyError("the key data is an %s key, but the line says %s" % (embedded, key_type))
        raise malformed
    if key_type == "ssh-ed25519":
        if len(fields) != 2 or len(fields[1]) != 32:
            raise malformed
        return 256
    if key_type == "ssh-rsa":
        if len(fields) != 3:
            raise malformed
        exponent, modulus = [int.from_bytes(field, "big", signed=True) for field in fields[1:]]
        if exponent <= 0 or modulus <= 0:
            raise malformed
        if modulus.bit_length() < MIN_RSA_BITS:
            raise SshKeyError("ssh-rsa keys must have at least %d bits, this one has %d" % (MIN_RSA_BITS, modulus.bit_length()))
        return modulus.bit_length()
    curve = key_type[len("ecdsa-sha2-"):]
    bits, point = EC_CURVES[curve]
    if len(fields) != 3 or fields[1] != curve.encode("ascii") or len(fields[2]) != point or fields[2][:1] != b"\x04":
        raise malformed
    return bits
