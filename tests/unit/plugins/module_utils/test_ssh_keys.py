"""Unit tests of the OpenSSH public key parser (_ssh_keys.py): accepted types, refusals in the API's words, fingerprints.

Keys are built in SSH wire format here. Where the emulator's own parser is importable (plain pytest from a checkout),
both must give the same answer for every line, so a task fails before any request exactly where the API would refuse.
"""

import base64
import hashlib
import struct

import pytest

from ansible_collections.hostupcloud.cloud.plugins.module_utils._ssh_keys import (
    SshKeyError,
    line_fingerprint,
    looks_private,
    parse_public_key,
)

try:
    from tests.emulator.records import ssh_fingerprint as emulator_fingerprint
except ImportError:  # ansible-test units copies the collection without the emulator's dependencies on the path
    emulator_fingerprint = None

TYPES = "must be an ssh-ed25519, ssh-rsa (2048 bits or more) or ecdsa-sha2-nistp256/384/521 key"


def string(value):
    value = value.encode("ascii") if isinstance(value, str) else value
    return struct.pack(">I", len(value)) + value


def mpint(number):
    return string(number.to_bytes(number.bit_length() // 8 + 1, "big"))


def rsa_blob(bits):
    return string("ssh-rsa") + mpint(65537) + mpint((1 << (bits - 1)) | 12345)


def ec_blob(curve, size):
    return string("ecdsa-sha2-" + curve) + string(curve) + string(b"\x04" + bytes(range(size)) * 2)


ED25519 = string("ssh-ed25519") + string(bytes(range(32)))
DSA = string("ssh-dss") + mpint(2 ** 1023 + 1) + mpint(2 ** 159 + 1) + mpint(3) + mpint(5)


def line(key_type, blob, comment="me@example"):
    return " ".join(part for part in (key_type, base64.b64encode(blob).decode(), comment) if part)


def sha256(blob):
    return "SHA256:" + base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")


ACCEPTED = {
    "ed25519": (line("ssh-ed25519", ED25519), 256),
    "rsa 2048": (line("ssh-rsa", rsa_blob(2048)), 2048),
    "rsa 4096": (line("ssh-rsa", rsa_blob(4096)), 4096),
    "p256": (line("ecdsa-sha2-nistp256", ec_blob("nistp256", 32)), 256),
    "p384": (line("ecdsa-sha2-nistp384", ec_blob("nistp384", 48)), 384),
    "p521": (line("ecdsa-sha2-nistp521", ec_blob("nistp521", 66)), 521),
}

REFUSED = {
    "dsa": (line("ssh-dss", DSA), TYPES + ", not ssh-dss"),
    "sk": (line("sk-ssh-ed25519@openssh.com", string("sk-ssh-ed25519@openssh.com") + string(bytes(32)) + string("ssh:")),
           TYPES + ", not sk-ssh-ed25519@openssh.com"),
    "certificate": ("ssh-rsa-cert-v01@openssh.com AAAA", TYPES + ", not ssh-rsa-cert-v01@openssh.com"),
    "long type": ("A" * 100 + " AAAA", TYPES + ", not " + "A" * 37 + "..."),
    "rsa 1024": (line("ssh-rsa", rsa_blob(1024)), "ssh-rsa keys must have at least 2048 bits, this one has 1024"),
    "rsa 2047": (line("ssh-rsa", rsa_blob(2047)), "ssh-rsa keys must have at least 2048 bits, this one has 2047"),
    "mismatch": (line("ssh-ed25519", rsa_blob(2048)), "the key data is an ssh-rsa key, but the line says ssh-ed25519"),
    "dsa inside": (line("ssh-rsa", DSA), "the key data is an ssh-dss key, but the line says ssh-rsa"),
    "garbage base64": ("ssh-ed25519 not*base64", "the key data is not valid base64"),
    "non-ascii base64": (u"ssh-ed25519 AAAA\u00e9", "the key data is not valid base64"),
    "garbage blob": (line("ssh-ed25519", b"deploy" * 8), "the key data is not a valid ssh-ed25519 key"),
    "binary type": (line("ssh-ed25519", string(b"\xff\xfe") + string(bytes(32))), "the key data is not a valid ssh-ed25519 key"),
    "odd type": (line("ssh-ed25519", string("Not A Type") + string(bytes(32))), "the key data is not a valid ssh-ed25519 key"),
    "empty blob": ("ssh-ed25519 AAAAAA==", "the key data is not a valid ssh-ed25519 key"),
    "short ed25519": (line("ssh-ed25519", string("ssh-ed25519") + string(bytes(31))), "the key data is not a valid ssh-ed25519 key"),
    "trailing": (line("ssh-ed25519", ED25519 + b"\x00"), "the key data is not a valid ssh-ed25519 key"),
    "rsa no modulus": (line("ssh-rsa", string("ssh-rsa") + mpint(65537)), "the key data is not a valid ssh-rsa key"),
    "rsa negative": (line("ssh-rsa", string("ssh-rsa") + mpint(65537) + string(b"\xff" * 256)), "the key data is not a valid ssh-rsa key"),
    "rsa zero exponent": (line("ssh-rsa", string("ssh-rsa") + string(b"") + mpint(1 << 2048)), "the key data is not a valid ssh-rsa key"),
    "wrong curve": (line("ecdsa-sha2-nistp256", string("ecdsa-sha2-nistp256") + string("nistp521") + string(b"\x04" + bytes(64))),
                    "the key data is not a valid ecdsa-sha2-nistp256 key"),
    "short point": (line("ecdsa-sha2-nistp384", ec_blob("nistp384", 47)), "the key data is not a valid ecdsa-sha2-nistp384 key"),
    "one token": ("ssh-ed25519", "must be an OpenSSH public key line: TYPE BASE64 [COMMENT]"),
    "empty": ("   ", "must be an OpenSSH public key line: TYPE BASE64 [COMMENT]"),
    "two lines": (line("ssh-ed25519", ED25519) + "\n" + line("ssh-rsa", rsa_blob(2048)), "must be one OpenSSH public key line, not 2 lines"),
    "carriage return": (line("ssh-ed25519", ED25519) + "\r" + line("ssh-ed25519", ED25519), "must be one OpenSSH public key line, not 2 lines"),
}


@pytest.mark.parametrize("case", sorted(ACCEPTED))
def test_accepted(case):
    text, bits = ACCEPTED[case]
    key = parse_public_key("  %s  \n" % text)
    assert (key.key_type, key.bits, key.comment, key.line) == (text.split()[0], bits, "me@example", text)
    assert key.fingerprint == sha256(base64.b64decode(text.split()[1])) == line_fingerprint(text)
    if emulator_fingerprint is not None:
        assert emulator_fingerprint(text) == key.fingerprint


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_refused_in_the_apis_words(case):
    text, message = REFUSED[case]
    with pytest.raises(SshKeyError) as raised:
        parse_public_key(text)
    assert str(raised.value) == message
    if emulator_fingerprint is not None:
        with pytest.raises(ValueError) as answered:
            emulator_fingerprint(text)
        assert str(answered.value) == message


def test_the_comment_and_spacing_are_not_the_key():
    plain = parse_public_key(line("ssh-ed25519", ED25519, ""))
    spaced = parse_public_key("ssh-ed25519\t%s   a comment  with  spaces " % base64.b64encode(ED25519).decode())
    assert plain.comment == "" and plain.line == line("ssh-ed25519", ED25519, "")
    assert spaced.comment == "a comment  with  spaces"
    assert plain.fingerprint == spaced.fingerprint == sha256(ED25519)


def test_a_private_key_is_refused_without_quoting_it():
    armour = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n"
    assert looks_private(armour) and not looks_private(line("ssh-ed25519", ED25519))
    with pytest.raises(SshKeyError) as raised:
        parse_public_key(armour)
    assert "private key" in str(raised.value) and "b3BlbnNzaC1rZXktdjEAAAAA" not in str(raised.value)


BODY = "MIIEowIBAAKCAQEAvK3xqkJ0d8o5M1bB0n7h3Uo0oVQ2a1v4H7uC0Zq2xN9yE6kT"
PRIVATE = {
    "openssh": "-----BEGIN OPENSSH PRIVATE KEY-----\n%s\n-----END OPENSSH PRIVATE KEY-----\n" % BODY,
    "pem rsa": "-----BEGIN RSA PRIVATE KEY-----\n%s\n-----END RSA PRIVATE KEY-----" % BODY,
    "pem rsa encrypted": "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00FF\n\n%s\n"
                         "-----END RSA PRIVATE KEY-----" % BODY,
    "pem ec": "-----BEGIN EC PRIVATE KEY-----\n%s\n-----END EC PRIVATE KEY-----" % BODY,
    "pem dsa": "-----BEGIN DSA PRIVATE KEY-----\n%s\n-----END DSA PRIVATE KEY-----" % BODY,
    "pkcs8": "-----BEGIN PRIVATE KEY-----\n%s\n-----END PRIVATE KEY-----" % BODY,
    "pkcs8 encrypted": "-----BEGIN ENCRYPTED PRIVATE KEY-----\n%s\n-----END ENCRYPTED PRIVATE KEY-----" % BODY,
    "ppk 2": "PuTTY-User-Key-File-2: ssh-rsa\nEncryption: none\nComment: rsa-key\nPublic-Lines: 1\n%s\n"
             "Private-Lines: 1\n%s\nPrivate-MAC: 00ff\n" % (BODY, BODY),
    "ppk 3": "PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: aes256-cbc\nComment: eddsa-key\nPublic-Lines: 1\n%s\n"
             "Key-Derivation: Argon2id\nPrivate-Lines: 1\n%s\nPrivate-MAC: 00ff\n" % (BODY, BODY),
    "ssh2 encrypted": "---- BEGIN SSH2 ENCRYPTED PRIVATE KEY ----\nComment: \"rsa-key\"\n%s\n"
                      "---- END SSH2 ENCRYPTED PRIVATE KEY ----\n" % BODY,
    "ssh2": "---- BEGIN SSH2 PRIVATE KEY ----\n%s\n---- END SSH2 PRIVATE KEY ----" % BODY,
    "lower case": "-----begin openssh private key-----\n%s\n-----end openssh private key-----" % BODY,
    "only its end": "%s\n-----END RSA PRIVATE KEY-----" % BODY,
    "ppk without its first line": "Private-Lines: 1\n%s\nPrivate-MAC: 00ff" % BODY,
    "openssh body without armour": "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW",
}
PUBLIC = {
    "ed25519 line": line("ssh-ed25519", ED25519),
    "rfc 4716": "---- BEGIN SSH2 PUBLIC KEY ----\nComment: \"rsa-key\"\n%s\n---- END SSH2 PUBLIC KEY ----" % BODY,
    "pem public": "-----BEGIN PUBLIC KEY-----\n%s\n-----END PUBLIC KEY-----" % BODY,
    "comment about keys": line("ssh-ed25519", ED25519, "private-keys-live-in-the-vault@example"),
    "nothing": "",
}


@pytest.mark.parametrize("case", sorted(PRIVATE))
def test_every_private_key_format_is_refused_without_quoting_it(case):
    for text in (PRIVATE[case], " ".join(PRIVATE[case].split())):  # also folded into one line (a YAML ">" scalar)
        assert looks_private(text), case
        with pytest.raises(SshKeyError) as raised:
            parse_public_key(text)
        assert str(raised.value) == ("holds a private key, which must stay on its host: give the public key (the .pub "
                                     "file) instead")


@pytest.mark.parametrize("case", sorted(PUBLIC))
def test_public_keys_do_not_look_private(case):
    assert not looks_private(PUBLIC[case])
    assert not looks_private(None)


def test_line_fingerprint_of_any_line():
    assert line_fingerprint(line("ssh-dss", DSA)) == sha256(DSA)  # the type is not checked: it reads what the API holds
    assert line_fingerprint("ssh-ed25519 not*base64") is None
    assert line_fingerprint("") is None and line_fingerprint(None) is None
