"""Unit tests of the hand-over of a new API key secret (_key_delivery.py), and that plugins/ holds no home-made crypto."""

import os
import re
import stat

import pytest

from ansible_collections.hostupcloud.cloud.plugins.module_utils._key_delivery import (
    DELIVERY_ENV,
    delivery_path,
    delivery_problem,
    write_delivery_file,
)

SECRET = "huc_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789abcd"
PLUGINS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "..", "plugins")


def mode(path):
    return stat.S_IMODE(os.lstat(str(path)).st_mode)


def test_the_file_is_new_0600_and_holds_exactly_the_secret_whatever_the_umask(tmp_path):
    path = tmp_path / "drop"
    old = os.umask(0)
    try:
        write_delivery_file(str(path), SECRET)
    finally:
        os.umask(old)
    assert path.read_text() == SECRET and mode(path) == 0o600
    assert os.lstat(str(path)).st_uid == os.geteuid()


def test_a_symlink_planted_at_the_path_is_refused_and_never_followed(tmp_path):
    target = tmp_path / "target"
    target.write_text("keep me")
    target.chmod(0o644)
    path = tmp_path / "drop"
    path.symlink_to(target)
    with pytest.raises(OSError):
        write_delivery_file(str(path), SECRET)
    assert os.path.islink(str(path)) and os.readlink(str(path)) == str(target)  # left as it was
    assert target.read_text() == "keep me" and mode(target) == 0o644

    dangling = tmp_path / "dangling"
    dangling.symlink_to(tmp_path / "would-be-created")
    with pytest.raises(OSError):
        write_delivery_file(str(dangling), SECRET)
    assert not (tmp_path / "would-be-created").exists() and os.path.islink(str(dangling))
    assert delivery_problem(str(path)) == "%s exists already" % path
    assert delivery_problem(str(dangling)) == "%s exists already" % dangling


def test_an_existing_file_is_refused_and_kept(tmp_path):
    path = tmp_path / "drop"
    path.write_text("someone else's")
    with pytest.raises(OSError):
        write_delivery_file(str(path), SECRET)
    assert path.read_text() == "someone else's"


def test_a_file_that_cannot_be_written_whole_is_removed_again(tmp_path, monkeypatch):
    path = tmp_path / "drop"

    def full(_handle, _data):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "write", full)
    with pytest.raises(OSError):
        write_delivery_file(str(path), SECRET)
    assert not os.path.lexists(str(path))


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="only root can hand a file to another user")
def test_as_root_the_file_goes_to_the_owner_of_the_directory(tmp_path):
    """become root: the file belongs to the connection user, who owns the task's tmp dir and fetches it."""
    directory = tmp_path / "ansible-tmp"
    directory.mkdir(mode=0o700)
    os.chown(str(directory), 65534, 65534)
    path = directory / "drop"
    write_delivery_file(str(path), SECRET)
    assert os.lstat(str(path)).st_uid == 65534 and mode(path) == 0o600


def test_delivery_path_and_problems(tmp_path):
    assert delivery_path({}) is None and delivery_path({DELIVERY_ENV: ""}) is None
    assert delivery_path({DELIVERY_ENV: "/tmp/x/drop"}) == "/tmp/x/drop"
    assert delivery_problem(str(tmp_path / "drop")) is None
    missing = tmp_path / "gone"
    assert delivery_problem(str(missing / "drop")) == "directory %s does not exist" % missing


# Names and constants of the primitives the module once carried itself (X25519, a SHA-256 keystream,
# an HMAC): a collection uses a library's cryptography or none, never its own.
HOME_MADE = re.compile(r"x25519|curve25519|keystream|\bhmac\b|\bseal(_secret|_keypair|ed)\b|open_sealed"
                       r"|2\s*\*\*\s*255\s*-\s*19|121665", re.IGNORECASE)


def test_no_cryptographic_primitive_is_implemented_under_plugins():
    found = []
    for directory, _dirs, files in os.walk(PLUGINS):
        for name in files:
            if name.endswith(".py"):
                path = os.path.join(directory, name)
                with open(path) as stream:
                    for number, line in enumerate(stream, 1):
                        if HOME_MADE.search(line):
                            found.append("%s:%d: %s" % (os.path.relpath(path, PLUGINS), number, line.strip()))
    assert os.path.isdir(os.path.join(PLUGINS, "module_utils"))
    assert found == []
