"""SSH keys: only the types the provider accepts (ssh-ed25519, ssh-rsa of 2048 bits or more, ecdsa-sha2-nistp256/384/521),
the blob parsed and checked, the OpenSSH SHA256 fingerprint. Keys are built here in wire format (RFC 4253 6.6), so the
test needs no crypto library; when ssh-keygen is installed, real keys are checked against it too."""

import base64
import hashlib
import os
import shutil
import struct
import subprocess

import pytest

TYPES = "must be an ssh-ed25519, ssh-rsa (2048 bits or more) or ecdsa-sha2-nistp256/384/521 key"
EC_POINTS = {"nistp256": 32, "nistp384": 48, "nistp521": 66}


def string(value):
    """An SSH wire-format string: uint32 length, then the bytes."""
    value = value.encode("ascii") if isinstance(value, str) else value
    return struct.pack(">I", len(value)) + value


def mpint(number):
    """An SSH mpint (positive): big-endian two's complement, a leading zero byte when the top bit is set."""
    return string(number.to_bytes(number.bit_length() // 8 + 1, "big"))


def modulus(bits, seed=1):
    """An odd number of exactly bits bits (the emulator checks the size, not that it is a product of primes)."""
    filler = int.from_bytes(hashlib.sha512(b"%d" % seed).digest() * (bits // 512 + 1), "big")
    return (1 << (bits - 1)) | (filler & ((1 << (bits - 1)) - 1)) | 1


def blob_of(kind, bits=2048, seed=1):
    if kind == "ssh-ed25519":
        return string(kind) + string(hashlib.sha256(b"%d" % seed).digest())
    if kind == "ssh-rsa":
        return string(kind) + mpint(65537) + mpint(modulus(bits, seed))
    if kind == "ssh-dss":
        return string(kind) + b"".join(mpint(modulus(size, seed + n)) for n, size in enumerate((1024, 160, 1024, 1024)))
    if kind.startswith("ecdsa-sha2-"):
        curve = kind[len("ecdsa-sha2-"):]
        point = b"\x04" + hashlib.shake_256(b"%d" % seed).digest(2 * EC_POINTS[curve])
        return string(kind) + string(curve) + string(point)
    if kind == "sk-ssh-ed25519@openssh.com":
        return string(kind) + string(bytes(32)) + string("ssh:")
    if kind == "sk-ecdsa-sha2-nistp256@openssh.com":
        return string(kind) + string("nistp256") + string(b"\x04" + bytes(64)) + string("ssh:")
    raise AssertionError(kind)


def line(kind, blob=None, comment="test@example", **options):
    blob = blob_of(kind, **options) if blob is None else blob
    return " ".join(part for part in (kind, base64.b64encode(blob).decode(), comment) if part)


def fingerprint(blob):
    return "SHA256:" + base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")


def add(api, emulator, public_key, name="k"):
    return api.post("/ssh-keys", json={"projectId": emulator.project_id, "name": name, "publicKey": public_key})


ACCEPTED = [
    ("ssh-ed25519", {}),
    ("ssh-rsa", {"bits": 2048}),
    ("ssh-rsa", {"bits": 3072}),
    ("ssh-rsa", {"bits": 4096}),
    ("ecdsa-sha2-nistp256", {}),
    ("ecdsa-sha2-nistp384", {}),
    ("ecdsa-sha2-nistp521", {}),
]


@pytest.mark.parametrize("kind, options", ACCEPTED, ids=["%s-%s" % (kind, options.get("bits", "")) for kind, options in ACCEPTED])
def test_accepted_types_are_added_with_their_sha256_fingerprint(api, emulator, kind, options):
    blob = blob_of(kind, **options)
    key = api.create("/ssh-keys", {"projectId": emulator.project_id, "name": "k", "publicKey": "  %s\n" % line(kind, blob)})
    assert key["publicKey"] == line(kind, blob)  # stored as one line, surrounding whitespace dropped
    assert key["fingerprint"] == fingerprint(blob)
    assert [k["fingerprint"] for k in emulator.state()["sshKeys"]] == [fingerprint(blob)]


def test_the_comment_is_optional_and_not_part_of_the_fingerprint(api, emulator):
    blob = blob_of("ssh-ed25519")
    bare = api.create("/ssh-keys", {"projectId": emulator.project_id, "name": "bare", "publicKey": line("ssh-ed25519", blob, "")})
    other = api.create("/ssh-keys", {"projectId": emulator.project_id, "name": "other",
                                     "publicKey": line("ssh-ed25519", blob, "another comment with spaces")})
    assert bare["fingerprint"] == other["fingerprint"] == fingerprint(blob)


def ed25519_with(key_bytes):
    return string("ssh-ed25519") + string(key_bytes)


def p256_with(curve="nistp256", point=b"\x04" + bytes(64)):
    return string("ecdsa-sha2-nistp256") + string(curve) + string(point)


REFUSED = {
    # types the provider does not take, whatever the blob holds
    "dsa": (line("ssh-dss"), TYPES + ", not ssh-dss"),
    "sk-ed25519": (line("sk-ssh-ed25519@openssh.com"), TYPES + ", not sk-ssh-ed25519@openssh.com"),
    "sk-ecdsa": (line("sk-ecdsa-sha2-nistp256@openssh.com"), TYPES + ", not sk-ecdsa-sha2-nistp256@openssh.com"),
    "certificate": ("ssh-ed25519-cert-v01@openssh.com AAAA", TYPES + ", not ssh-ed25519-cert-v01@openssh.com"),
    "unknown type": ("ssh-foo AAAA", TYPES + ", not ssh-foo"),
    "long type": ("x" * 200 + " AAAA", TYPES + ", not " + "x" * 37 + "..."),
    # RSA size: n.bit_length() of the modulus
    "rsa 1024": (line("ssh-rsa", bits=1024), "ssh-rsa keys must have at least 2048 bits, this one has 1024"),
    "rsa 2047": (line("ssh-rsa", bits=2047), "ssh-rsa keys must have at least 2048 bits, this one has 2047"),
    # the blob's own type must be the line's
    "rsa blob as ed25519": (line("ssh-ed25519", blob_of("ssh-rsa")), "the key data is an ssh-rsa key, but the line says ssh-ed25519"),
    "dsa blob as rsa": (line("ssh-rsa", blob_of("ssh-dss")), "the key data is an ssh-dss key, but the line says ssh-rsa"),
    "p384 blob as p256": (line("ecdsa-sha2-nistp256", blob_of("ecdsa-sha2-nistp384")),
                          "the key data is an ecdsa-sha2-nistp384 key, but the line says ecdsa-sha2-nistp256"),
    # not base64, or base64 of something that is not a key
    "not base64": ("ssh-ed25519 not*base64 me", "the key data is not valid base64"),
    "bad padding": ("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5A me", "the key data is not valid base64"),
    "random bytes": (line("ssh-ed25519", b"hello world, this is not a key"), "the key data is not a valid ssh-ed25519 key"),
    "arbitrary text blob": (line("ssh-ed25519", b"deploy" * 8), "the key data is not a valid ssh-ed25519 key"),
    "short ed25519": (line("ssh-ed25519", ed25519_with(bytes(31))), "the key data is not a valid ssh-ed25519 key"),
    "trailing bytes": (line("ssh-ed25519", blob_of("ssh-ed25519") + b"\x00"), "the key data is not a valid ssh-ed25519 key"),
    "truncated": (line("ssh-rsa", blob_of("ssh-rsa")[:-10]), "the key data is not a valid ssh-rsa key"),
    "negative modulus": (line("ssh-rsa", string("ssh-rsa") + mpint(65537) + string(b"\x80" + bytes(256))),
                         "the key data is not a valid ssh-rsa key"),
    "wrong curve": (line("ecdsa-sha2-nistp256", p256_with(curve="nistp384")), "the key data is not a valid ecdsa-sha2-nistp256 key"),
    "short point": (line("ecdsa-sha2-nistp256", p256_with(point=b"\x04" + bytes(63))), "the key data is not a valid ecdsa-sha2-nistp256 key"),
    "compressed point": (line("ecdsa-sha2-nistp256", p256_with(point=b"\x02" + bytes(64))),
                         "the key data is not a valid ecdsa-sha2-nistp256 key"),
    # not one line
    "no data": ("ssh-ed25519", "must be an OpenSSH public key line: TYPE BASE64 [COMMENT]"),
    "two lines": (line("ssh-ed25519") + "\n" + line("ssh-ed25519", seed=2), "must be one OpenSSH public key line, not 2 lines"),
}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_everything_else_is_refused_on_public_key(api, emulator, case):
    public_key, message = REFUSED[case]
    error = api.error(add(api, emulator, public_key), 422)
    assert error["code"] == "validation_error"
    assert error["details"] == {"publicKey": message}
    assert emulator.state()["sshKeys"] == []


def test_a_refused_key_is_reported_with_the_other_bad_fields_and_before_a_taken_name(api, emulator):
    api.create("/ssh-keys", {"projectId": emulator.project_id, "name": "taken", "publicKey": line("ssh-ed25519")})
    error = api.error(api.post("/ssh-keys", json={"projectId": emulator.project_id, "name": "", "publicKey": line("ssh-dss")}), 422)
    assert set(error["details"]) == {"name", "publicKey"}
    error = api.error(add(api, emulator, line("ssh-rsa", bits=1024), name="taken"), 422)  # 422 comes before 409
    assert error["details"] == {"publicKey": "ssh-rsa keys must have at least 2048 bits, this one has 1024"}
    assert [k["name"] for k in emulator.state()["sshKeys"]] == ["taken"]


@pytest.mark.skipif(shutil.which("ssh-keygen") is None, reason="ssh-keygen is not installed")
def test_real_keys_match_ssh_keygen(api, emulator, tmp_path):
    """Keys made by ssh-keygen: the accepted ones get ssh-keygen's own fingerprint, DSA and RSA 1024 are refused."""
    made = {}
    for name, argv in {"ed25519": ["-t", "ed25519"], "rsa2048": ["-t", "rsa", "-b", "2048"], "ecdsa384": ["-t", "ecdsa", "-b", "384"],
                       "rsa1024": ["-t", "rsa", "-b", "1024"], "dsa": ["-t", "dsa"]}.items():
        path = os.path.join(str(tmp_path), name)
        if subprocess.run(["ssh-keygen", "-q", "-N", "", "-C", name, "-f", path] + argv, capture_output=True, check=False).returncode:
            continue  # a build without DSA (OpenSSH 9.8+ may drop it)
        shown = subprocess.run(["ssh-keygen", "-l", "-E", "sha256", "-f", path + ".pub"], capture_output=True, text=True, check=True)
        with open(path + ".pub") as handle:
            made[name] = (handle.read(), shown.stdout.split()[1])
    for name in ("ed25519", "rsa2048", "ecdsa384"):
        public_key, expected = made[name]
        assert api.create("/ssh-keys", {"projectId": emulator.project_id, "name": name, "publicKey": public_key})["fingerprint"] == expected
    assert api.error(add(api, emulator, made["rsa1024"][0]), 422)["details"]["publicKey"].endswith("this one has 1024")
    if "dsa" in made:
        assert api.error(add(api, emulator, made["dsa"][0]), 422)["details"]["publicKey"] == TYPES + ", not ssh-dss"
