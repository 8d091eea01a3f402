"""huc_ssh_key and huc_ssh_key_info through ansible-playbook against the emulator: check mode, add, reruns compared by
fingerprint, --diff, replacement only with force, every refusal before any request, budgets; and huc_instance's
warning for an instance made without SSH keys.

Keys are real ones made with the cryptography package (a dependency of ansible-core); the types no library makes any
more (DSA, security keys) are built in wire format. Fingerprints are computed here from the blob, independently of the
collection's parser.
"""

import base64
import hashlib
import json
import os
import struct

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed25519, rsa

from tests.functional.playbook import run_playbook
from tests.functional.steps import PAGE, UNKNOWN_ID, calls, run_ok, steps

MODULE = "hostupcloud.cloud.huc_ssh_key"
INFO = "hostupcloud.cloud.huc_ssh_key_info"
task, failing, checked = steps(MODULE)
FIELDS = ["created_at", "fingerprint", "id", "name", "project_id", "public_key"]
TYPES = "must be an ssh-ed25519, ssh-rsa (2048 bits or more) or ecdsa-sha2-nistp256/384/521 key"


# -- keys ----------------------------------------------------------------------------------------

def openssh(private_key, comment):
    raw = private_key.public_key().public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
    return "%s %s" % (raw.decode(), comment)


def wire(*parts):
    """An SSH wire-format blob of strings (mpints given as ints)."""
    out = b""
    for part in parts:
        if isinstance(part, int):
            part = part.to_bytes(part.bit_length() // 8 + 1, "big")
        part = part.encode() if isinstance(part, str) else part
        out += struct.pack(">I", len(part)) + part
    return out


def fingerprint(line):
    blob = base64.b64decode(line.split()[1])
    return "SHA256:" + base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")


@pytest.fixture(scope="module")
def keys():
    made = {
        "a": openssh(ed25519.Ed25519PrivateKey.generate(), "alice@laptop"),
        "b": openssh(ed25519.Ed25519PrivateKey.generate(), "alice@new-laptop"),
        "rsa2048": openssh(rsa.generate_private_key(65537, 2048), "rsa@example"),
        "rsa1024": openssh(rsa.generate_private_key(65537, 1024), "old@example"),
        "p256": openssh(ec.generate_private_key(ec.SECP256R1()), "ec@example"),
        "dsa": "ssh-dss %s dsa@example" % base64.b64encode(wire("ssh-dss", 2 ** 1023 + 1, 2 ** 159 + 1, 3, 5)).decode(),
        "sk": "sk-ssh-ed25519@openssh.com %s yubikey" % base64.b64encode(wire("sk-ssh-ed25519@openssh.com", bytes(32), "ssh:")).decode(),
        "private": ed25519.Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH, serialization.NoEncryption()).decode(),
    }
    return made


# -- helpers -------------------------------------------------------------------------------------

def ssh_keys(emulator):
    return [(k["name"], k["publicKey"]) for k in emulator.state()["sshKeys"]]


def add_directly(emulator, name, public_key):
    status, _headers, body = emulator.call("POST", "/ssh-keys", body={
        "projectId": emulator.project_id, "name": name, "publicKey": public_key})
    assert status == 201, body
    return body["data"]


# -- the lifecycle -------------------------------------------------------------------------------

def test_check_add_reruns_and_budgets(emulator, keys):
    """check mode writes nothing and predicts the key -> add -> reruns unchanged (another comment, no public_key,
    by id, project by name), each within its budget; no diff without --diff."""
    args = dict(project=emulator.project_id, name="deploy", public_key=keys["a"])
    run = run_ok([
        checked("check add", args),
        task("add", args),
        task("rerun", args),
        task("other comment", dict(args, public_key=keys["a"].rsplit(" ", 1)[0] + "   someone else's comment")),
        task("no comment, other spacing", dict(args, public_key="  %s\t%s\n" % tuple(keys["a"].split()[:2]))),
        task("no public_key", dict(project=emulator.project_id, name="deploy")),
        task("by id", dict(id="{{ out.ssh_key.id }}", public_key=keys["a"])),
        task("by id and name", dict(id="{{ out.ssh_key.id }}", name="deploy")),
        task("project by name", dict(args, project="default")),
    ], emulator)

    predicted = run.task("check add")
    assert predicted["changed"] is True and "diff" not in predicted
    assert predicted["ssh_key"] == {"id": None, "project_id": emulator.project_id, "name": "deploy", "public_key": keys["a"],
                                    "fingerprint": fingerprint(keys["a"]), "created_at": None}

    added = run.task("add")
    key = added["ssh_key"]
    assert added["changed"] is True and "diff" not in added and sorted(key) == FIELDS
    assert key["id"] and key["created_at"] and dict(key, id=None, created_at=None) == predicted["ssh_key"]
    for name in ("rerun", "other comment", "no comment, other spacing", "no public_key", "by id", "by id and name", "project by name"):
        result = run.task(name)
        assert result["changed"] is False and result["ssh_key"] == key, name
        assert "diff" not in result and "warnings" not in result, name
    # The key keeps the comment it was added with.
    assert ssh_keys(emulator) == [("deploy", keys["a"])]

    listing = ("GET", "/api/ssh-keys", dict(PAGE, projectId=emulator.project_id, name="deploy"))
    one = ("GET", "/api/ssh-keys/" + key["id"], {})
    assert calls(emulator) == [
        listing,                                        # check add: reads only
        listing, ("POST", "/api/ssh-keys", {}),         # add
        listing,                                        # rerun: 1 request
        listing,                                        # another comment: the same key, 1 request
        listing,                                        # other spacing
        listing,                                        # no public_key: nothing to compare
        one,                                            # by id: 1 request
        one,                                            # by id and name
        ("GET", "/api/projects", PAGE), listing,        # project by name: 1 more
    ]


def test_diff_replace_only_with_force_and_absent(emulator, keys):
    """--diff shows name and fingerprint; another key under the name fails without force and is replaced with it
    (delete, then add: a new id); check mode predicts both; absent deletes; every write is accounted for."""
    old = add_directly(emulator, "deploy", keys["a"])
    emulator.clear_requests()
    args = dict(project=emulator.project_id, name="deploy", public_key=keys["b"])
    gone = dict(project=emulator.project_id, name="deploy", state="absent")
    run = run_ok([
        task("same key", dict(args, public_key=keys["a"])),
        failing("other key", args),
        checked("check force", dict(args, force=True)),
        task("force", dict(args, force=True)),
        task("rerun", dict(args, force=True)),
        checked("check absent", gone),
        task("absent", gone),
        task("absent again", gone),
        task("absent by id", dict(id=UNKNOWN_ID, state="absent")),
    ], emulator, args=["--diff"])

    view_a = {"name": "deploy", "fingerprint": fingerprint(keys["a"])}
    view_b = {"name": "deploy", "fingerprint": fingerprint(keys["b"])}
    same = run.task("same key")
    assert same["changed"] is False and same["diff"] == {"before": view_a, "after": view_a}

    refused = run.task("other key")
    assert run.status("other key") == "failed"
    assert refused["msg"] == (
        "SSH key deploy holds another key (%s; public_key is %s) and an SSH key cannot be changed in place: set force: "
        "true to delete it and add the new key under the same name (instances already created keep the old key)"
        % (fingerprint(keys["a"]), fingerprint(keys["b"])))
    assert refused["failure"]["code"] == "key_differs"
    assert refused["failure"]["details"] == {"fingerprint": fingerprint(keys["a"]), "wantedFingerprint": fingerprint(keys["b"])}

    predicted = run.task("check force")
    assert predicted["changed"] is True and predicted["diff"] == {"before": view_a, "after": view_b}
    assert predicted["ssh_key"] == {"id": None, "project_id": emulator.project_id, "name": "deploy", "public_key": keys["b"],
                                    "fingerprint": fingerprint(keys["b"]), "created_at": None}
    forced = run.task("force")
    new = forced["ssh_key"]
    assert forced["changed"] is True and forced["diff"] == predicted["diff"]
    assert new["id"] not in (None, old["id"]) and dict(new, id=None, created_at=None) == predicted["ssh_key"]
    assert run.task("rerun")["changed"] is False and run.task("rerun")["ssh_key"] == new

    assert run.task("check absent")["changed"] is True
    assert run.task("check absent")["diff"] == {"before": view_b, "after": {}}
    assert run.task("absent")["changed"] is True and run.task("absent")["ssh_key"] == new
    assert run.task("absent")["diff"] == {"before": view_b, "after": {}}
    assert run.task("absent again")["changed"] is False and run.task("absent again")["ssh_key"] is None
    assert run.task("absent by id")["changed"] is False and run.task("absent by id")["ssh_key"] is None
    # The diff never holds more than the (public) key's name and fingerprint.
    for record in run.records:
        for side in ("before", "after"):
            assert set(record["result"].get("diff", {}).get(side, {})) <= {"name", "fingerprint"}

    listing = ("GET", "/api/ssh-keys", dict(PAGE, projectId=emulator.project_id, name="deploy"))
    assert calls(emulator) == [
        listing,                                                               # same key
        listing,                                                               # other key: refused, no write
        listing,                                                               # check force: reads only
        listing, ("DELETE", "/api/ssh-keys/" + old["id"], {}), ("POST", "/api/ssh-keys", {}),  # force
        listing,                                                               # rerun
        listing,                                                               # check absent
        listing, ("DELETE", "/api/ssh-keys/" + new["id"], {}),                 # absent
        listing,                                                               # absent again
        ("GET", "/api/ssh-keys/" + UNKNOWN_ID, {}),                            # absent by id: 404 is absent
    ]
    assert ssh_keys(emulator) == []


def test_other_accepted_types_and_public_key_file(emulator, keys, tmp_path):
    """RSA 2048 and ECDSA P-256 are added; public_key_file is read where the module runs (here: local), and the
    same key given as text is the same key."""
    key_file = tmp_path / "id_ecdsa.pub"
    key_file.write_text(keys["p256"] + "\n")
    run = run_ok([
        task("rsa", dict(project=emulator.project_id, name="rsa", public_key=keys["rsa2048"])),
        task("from file", dict(project=emulator.project_id, name="ec", public_key_file=str(key_file))),
        task("file again", dict(project=emulator.project_id, name="ec", public_key_file=str(key_file))),
        task("as text", dict(project=emulator.project_id, name="ec", public_key=keys["p256"])),
    ], emulator)
    assert run.task("rsa")["ssh_key"]["fingerprint"] == fingerprint(keys["rsa2048"])
    assert run.task("from file")["changed"] is True
    assert run.task("from file")["ssh_key"]["public_key"] == keys["p256"]
    assert run.task("from file")["ssh_key"]["fingerprint"] == fingerprint(keys["p256"])
    assert run.task("file again")["changed"] is False and run.task("as text")["changed"] is False
    assert ssh_keys(emulator) == [("rsa", keys["rsa2048"]), ("ec", keys["p256"])]


def test_a_lost_answer_adds_one_key(emulator, keys):
    """The POST acts but its answer is lost: the module looks the key up by name before resending, and finds it."""
    emulator.lose_answer(methods=["POST"], pathPrefix="/api/ssh-keys", count=1)
    run = run_ok([task("add", dict(project=emulator.project_id, name="deploy", public_key=keys["a"]))], emulator)
    assert run.task("add")["changed"] is True
    assert [k["id"] for k in emulator.state()["sshKeys"]] == [run.task("add")["ssh_key"]["id"]]
    assert [(method, path) for method, path, _query in calls(emulator)] == [
        ("GET", "/api/ssh-keys"), ("POST", "/api/ssh-keys"), ("GET", "/api/ssh-keys")]


# -- refusals ------------------------------------------------------------------------------------

def test_every_bad_key_is_refused_before_any_request(emulator, keys, tmp_path):
    """DSA, RSA 1024, garbage, a security key, two lines, a private key, a bad name, an unreadable file: each fails
    with a message naming the option, the same in check mode, and nothing is sent."""
    private_file = tmp_path / "id_ed25519"
    private_file.write_text(keys["private"])
    base = dict(project=emulator.project_id, name="deploy")
    cases = {
        "dsa": (dict(base, public_key=keys["dsa"]), "public_key: %s, not ssh-dss" % TYPES),
        "rsa 1024": (dict(base, public_key=keys["rsa1024"]), "public_key: ssh-rsa keys must have at least 2048 bits, this one has 1024"),
        "garbage": (dict(base, public_key="ssh-ed25519 this-is-not-a-key!"), "public_key: the key data is not valid base64"),
        "garbage blob": (dict(base, public_key="ssh-ed25519 %s x" % base64.b64encode(b"deploy" * 8).decode()),
                         "public_key: the key data is not a valid ssh-ed25519 key"),
        "not a key line": (dict(base, public_key="hello"), "public_key: must be an OpenSSH public key line: TYPE BASE64 [COMMENT]"),
        "security key": (dict(base, public_key=keys["sk"]), "public_key: %s, not sk-ssh-ed25519@openssh.com" % TYPES),
        "type mismatch": (dict(base, public_key="ssh-ed25519 " + keys["rsa2048"].split()[1]),
                          "public_key: the key data is an ssh-rsa key, but the line says ssh-ed25519"),
        "two lines": (dict(base, public_key=keys["a"] + "\n" + keys["b"]), "public_key: must be one OpenSSH public key line, not 2 lines"),
        "private key": (dict(base, public_key=keys["private"]), "public_key: holds a private key, which must stay on its host: "
                                                                "give the public key (the .pub file) instead"),
        "private key file": (dict(base, public_key_file=str(private_file)), "public_key_file %s: holds a private key" % private_file),
        "missing file": (dict(base, public_key_file=str(tmp_path / "nope.pub")),
                         "public_key_file %s: cannot be read: No such file or directory" % (tmp_path / "nope.pub")),
        "name and key": (dict(base, name="x" * 101, public_key=keys["dsa"]),
                         "invalid input (validation_error): name: must be 1 to 100 characters long; public_key: %s" % TYPES),
    }
    # One playbook: every case in check mode ("check <case>"), then for real.
    run = run_playbook([dict(failing("check " + title, args), check_mode=True) for title, (args, _message) in cases.items()]
                       + [failing(title, args) for title, (args, _message) in cases.items()], emulator=emulator)
    for prefix in ("check ", ""):
        for title, (_args, message) in cases.items():
            name = prefix + title
            result = run.task(name)
            assert run.status(name) == "failed", name
            assert result["msg"].startswith("invalid input (validation_error): ") and message in result["msg"], (name, result["msg"])
            assert result["failure"]["code"] == "validation_error" and result["failure"]["status"] is None, name
            assert set(result["failure"]["details"]) <= {"name", "publicKey"}, name
    assert "Traceback" not in run.output
    # A private key is never echoed back, not even in the invocation.
    assert keys["private"].splitlines()[1] not in run.output + repr(run.records)
    assert emulator.requests() == []


def test_other_refusals_name_what_to_do(emulator, keys):
    """Create without a key, a rename by id, an unknown id, both key options, a read-only API key (403)."""
    added = add_directly(emulator, "deploy", keys["a"])
    emulator.clear_requests()
    base = dict(project=emulator.project_id, name="new")
    cases = {
        "no key to add": (base, "missing_options", "SSH key new does not exist; to add it also give: public_key or public_key_file"),
        "rename by id": (dict(id=added["id"], name="renamed"), "rename_unsupported",
                         "SSH key deploy cannot be renamed to renamed"),
        "unknown id": (dict(id=UNKNOWN_ID, public_key=keys["a"]), "not_found",
                       "no SSH key with id %s; to add one give project, name and public_key, not id" % UNKNOWN_ID),
        "both key options": (dict(base, public_key=keys["a"], public_key_file="/tmp/x.pub"), "invalid_argument",
                             "parameters are mutually exclusive: public_key|public_key_file"),
        "neither name nor id": (dict(project=emulator.project_id, public_key=keys["a"]), "invalid_argument",
                                "one of the following is required: name, id"),
    }
    run = run_playbook([failing(title, args) for title, (args, _code, _message) in cases.items()], emulator=emulator)
    for title, (_args, code, message) in cases.items():
        result = run.task(title)
        assert run.status(title) == "failed" and message in result["msg"], (title, result["msg"])
        assert result["failure"]["code"] == code, (title, result["failure"])
    assert "Traceback" not in run.output

    # A read-only key: check mode only reads, so it predicts; the real run is refused by the API, clearly.
    read_only = dict(base, public_key=keys["b"])
    run = run_playbook([checked("check read only", read_only), failing("read only", read_only)],
                       emulator=emulator, key=emulator.read_key)
    assert run.status("check read only") == "changed" and run.task("check read only")["changed"] is True
    result = run.task("read only")
    assert run.status("read only") == "failed" and "Traceback" not in run.output
    assert result["msg"] == "this API key has the Read permission only; this task needs Write (forbidden) (POST /ssh-keys)"
    assert (result["failure"]["status"], result["failure"]["code"]) == (403, "forbidden")
    assert emulator.read_key not in run.output
    assert ssh_keys(emulator) == [("deploy", keys["a"])]


# -- huc_ssh_key_info ----------------------------------------------------------------------------

def test_info_filters_and_budgets(emulator, keys):
    """Every filter in one playbook; the request log is checked request by request, so each case's budget is exact
    (cases are ordered so that neighbours send different requests)."""
    a = add_directly(emulator, "alice", keys["a"])
    b = add_directly(emulator, "bob", keys["b"])
    again = add_directly(emulator, "alice-again", keys["a"].replace("alice@laptop", "alice@desktop"))
    emulator.clear_requests()
    project = dict(project=emulator.project_id)

    def listing(**query):
        return ("GET", "/api/ssh-keys", dict(PAGE, projectId=emulator.project_id, **query))

    def one(key_id):
        return ("GET", "/api/ssh-keys/" + key_id, {})

    cases = [
        ("all", project, [a, b, again], 1, [listing()]),
        ("by name", dict(project, name="bob"), [b], 1, [listing(name="bob")]),
        ("by fingerprint", dict(project, fingerprint=fingerprint(keys["a"])), [a, again], 1, [listing()]),
        ("by id", dict(id=a["id"]), [a], 1, [one(a["id"])]),
        ("fingerprint without prefix", dict(project, fingerprint=fingerprint(keys["b"]).split(":", 1)[1]), [b], 1, [listing()]),
        ("unknown id", dict(id=UNKNOWN_ID), [], 1, [one(UNKNOWN_ID)]),
        ("unknown fingerprint", dict(project, fingerprint=fingerprint(keys["p256"])), [], 1, [listing()]),
        ("fingerprint and name", dict(project, fingerprint=fingerprint(keys["a"]), name="alice-again"), [again], 1,
         [listing(name="alice-again")]),
        ("project by name", dict(project="default", name="alice"), [a], 2, [("GET", "/api/projects", PAGE), listing(name="alice")]),
    ]
    run = run_ok([task(title, args, INFO) for title, args, _expected, _budget, _requests in cases] + [
        task("shape", dict(id=b["id"]), INFO),
        failing("md5", dict(project, fingerprint="MD5:16:27:ac:a5:76:28:2d:36:63:1b:56:4d:eb:df:a6:48"), INFO),
    ], emulator)
    for title, args, expected, budget, requests in cases:
        result = run.task(title)
        assert result["changed"] is False, title
        assert [k["id"] for k in result["ssh_keys"]] == [k["id"] for k in expected], title
        assert all(sorted(k) == FIELDS for k in result["ssh_keys"]), title
        assert len(requests) == budget and all(method == "GET" for method, _path, _query in requests), title
    assert run.task("shape")["ssh_keys"] == [{
        "id": b["id"], "project_id": emulator.project_id, "name": "bob", "public_key": keys["b"],
        "fingerprint": fingerprint(keys["b"]), "created_at": b["createdAt"]}]

    assert run.status("md5") == "failed"
    assert run.task("md5")["msg"].startswith("fingerprint must be an OpenSSH SHA256 fingerprint such as SHA256:")
    assert run.task("md5")["failure"]["code"] == "validation_error"
    # Each case within its budget, the shape read by id, and the MD5 fingerprint refused before any request.
    assert calls(emulator) == [r for _title, _args, _expected, _budget, requests in cases for r in requests] + [one(b["id"])]


# -- huc_instance: a warning for an instance made without SSH keys -------------------------------

def test_an_instance_made_without_ssh_keys_warns(emulator, keys):
    instance = dict(project=emulator.project_id, node=emulator.node_id, os_template=emulator.os_template, vcpus=1,
                    memory_mb=1024, disk_gb=20, wait=False)
    warning = "instance %s is created with no SSH key: most images have password login off; give ssh_keys to be able to log in"
    run = run_ok([
        task("key", dict(project=emulator.project_id, name="deploy", public_key=keys["a"])),
        dict(task("check without keys", dict(instance, name="bare"), "hostupcloud.cloud.huc_instance"), check_mode=True),
        task("without keys", dict(instance, name="bare"), "hostupcloud.cloud.huc_instance"),
        task("empty keys", dict(instance, name="empty", ssh_keys=[]), "hostupcloud.cloud.huc_instance"),
        task("with keys", dict(instance, name="keyed", ssh_keys=["deploy"]), "hostupcloud.cloud.huc_instance"),
        task("rerun without keys", dict(project=emulator.project_id, name="bare"), "hostupcloud.cloud.huc_instance"),
    ], emulator)
    for title, name in (("check without keys", "bare"), ("without keys", "bare"), ("empty keys", "empty")):
        assert run.task(title)["changed"] is True and run.task(title)["warnings"] == [warning % name], title
    assert run.task("with keys")["changed"] is True and "warnings" not in run.task("with keys")
    assert run.task("with keys")["instance"]["ssh_key_ids"] == [run.task("key")["ssh_key"]["id"]]
    # Only a creation warns: an existing instance is not created again.
    assert run.task("rerun without keys")["changed"] is False and "warnings" not in run.task("rerun without keys")
    assert sorted(i["name"] for i in emulator.state()["instances"]) == ["bare", "empty", "keyed"]


# -- private keys of every format ------------------------------------------------------------------

def b64_lines(size, width=64):
    text = base64.b64encode(os.urandom(size)).decode()
    return [text[i:i + width] for i in range(0, len(text), width)]


def private_keys():
    """A private key in every format people paste by mistake: OpenSSH (encrypted ones have the same armour), PEM (PKCS#1 RSA, EC, DSA, PKCS#8, encrypted
    PKCS#8, encrypted PKCS#1), PuTTY .ppk v2 and v3 (encrypted or not), ssh.com (SSH2, encrypted or not), and a few
    of them folded into one line (a YAML ">" scalar)."""
    fmt, none = serialization.PrivateFormat, serialization.NoEncryption()
    secret = serialization.BestAvailableEncryption(b"passphrase")

    def pem(key, form, encryption=none, encoding=serialization.Encoding.PEM):
        return key.private_bytes(encoding, form, encryption).decode()

    rsa_key = rsa.generate_private_key(65537, 2048)
    blob = base64.b64encode(wire("ssh-ed25519", os.urandom(32))).decode()

    def ppk(version, encryption):
        lines = ["PuTTY-User-Key-File-%d: ssh-ed25519" % version, "Encryption: %s" % encryption,
                 "Comment: eddsa-key-20261126", "Public-Lines: 2"] + [blob[:64], blob[64:]]
        if version == 3 and encryption != "none":
            lines += ["Key-Derivation: Argon2id", "Argon2-Memory: 8192", "Argon2-Passes: 13",
                      "Argon2-Parallelism: 1", "Argon2-Salt: " + os.urandom(16).hex()]
        body = b64_lines(48)
        return "\n".join(lines + ["Private-Lines: %d" % len(body)] + body + ["Private-MAC: " + os.urandom(32).hex()]) + "\n"

    def ssh2(header):
        return "\n".join(["---- BEGIN %s ----" % header, 'Comment: "rsa-key-20261126"'] + b64_lines(900)
                         + ["---- END %s ----" % header]) + "\n"

    made = {
        "openssh": pem(ed25519.Ed25519PrivateKey.generate(), fmt.OpenSSH),
        "pem rsa": pem(rsa_key, fmt.TraditionalOpenSSL),
        "pem rsa encrypted": pem(rsa_key, fmt.TraditionalOpenSSL, secret),
        "pem ec": pem(ec.generate_private_key(ec.SECP256R1()), fmt.TraditionalOpenSSL),
        "pem dsa": pem(dsa.generate_private_key(2048), fmt.TraditionalOpenSSL),
        "pkcs8": pem(rsa_key, fmt.PKCS8),
        "pkcs8 encrypted": pem(rsa_key, fmt.PKCS8, secret),
        "ppk 2": ppk(2, "none"),
        "ppk 2 encrypted": ppk(2, "aes256-cbc"),
        "ppk 3": ppk(3, "none"),
        "ppk 3 encrypted": ppk(3, "aes256-cbc"),
        "ssh2 encrypted": ssh2("SSH2 ENCRYPTED PRIVATE KEY"),
        "ssh2": ssh2("SSH2 PRIVATE KEY"),
    }
    for name in ("openssh", "pem rsa", "ppk 3", "ssh2 encrypted"):
        made[name + " on one line"] = " ".join(made[name].split())
    return made


def secret_parts(text):
    """The lines of a key that hold key material (not its armour or headers), as they could be quoted."""
    headers = ("-----", "---- ", "Proc-Type:", "DEK-Info:", "Comment:", "PuTTY-User-Key-File", "Encryption:",
               "Public-Lines:", "Private-Lines:", "Key-Derivation:", "Argon2-")
    return [line for line in text.splitlines() if len(line) >= 16 and not line.startswith(headers)]


@pytest.mark.heavy
def test_a_private_key_of_any_format_is_refused_and_never_shown(emulator):
    """A private key given as public_key, whatever its format, is refused before any request with the private key
    message, and neither the -vvv output (which shows the invocation) nor the registered result holds any of it."""
    cases = private_keys()
    base = dict(project=emulator.project_id, name="deploy")
    # One playbook: every case in check mode ("check <case>"), then for real; each result is registered under its
    # own name and a last task shows them all, as a playbook author might.
    tasks, registered = [], []
    for prefix in ("check ", ""):
        for title, text in cases.items():
            register = "out_%d" % len(tasks)
            tasks.append(dict(failing(prefix + title, dict(base, public_key=text)), register=register,
                              check_mode=prefix == "check "))
            registered.append(register)
    tasks.append({"name": "show every result", "ansible.builtin.debug": {"msg": "{{ [%s] }}" % ", ".join(registered)}})
    run = run_playbook(tasks, emulator=emulator, args=["-vvv"])
    assert run.status("show every result") == "ok", run
    recorded = json.dumps(run.records)
    for prefix in ("check ", ""):
        for title, text in cases.items():
            name = prefix + title
            result = run.task(name)
            assert run.status(name) == "failed", (name, result)
            assert result["msg"] == ("invalid input (validation_error): public_key: holds a private key, which must "
                                     "stay on its host: give the public key (the .pub file) instead"), (name, result["msg"])
            assert result["failure"]["code"] == "validation_error", name
            assert "invocation" in result, name  # shown at -vvv: masked, not left out
            for part in [text, text.strip()] + secret_parts(text):
                assert part not in run.output and part not in recorded, (name, part)
    assert "Traceback" not in run.output
    assert emulator.requests() == []
