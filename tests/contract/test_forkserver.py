"""The emulators' fork server (tests/emulator/forkserver.py): its socket appears only once it listens."""

import shutil
import socket
import tempfile

import pytest

from tests.emulator import forkserver


class Stop(Exception):
    """Ends forkserver.run at its socket's rename, before it serves anything."""


def test_the_socket_appears_only_once_it_listens(monkeypatch):
    """The harness connects as soon as the socket's name appears (ForkServer.ensure): a server that listened only
    after the rename refused a client on a loaded machine. The rename here probes the socket first."""
    seen = []

    def rename(source, _target):
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
            try:
                probe.connect(source)
                seen.append("accepted")
            except ConnectionRefusedError:
                seen.append("refused")
        raise Stop()

    monkeypatch.setattr(forkserver.signal, "signal", lambda *args: None)  # this process's SIGCHLD stays as it is
    monkeypatch.setattr(forkserver.os, "rename", rename)
    directory = tempfile.mkdtemp(prefix="huc-fs-")  # short: a Unix socket path has ~100 bytes
    try:
        with pytest.raises(Stop):
            forkserver.run(directory + "/socket")
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    assert seen == ["accepted"]
