"""The emulators' fork server (tests/emulator/forkserver.py): its socket appears only once it listens, and a thread
is handed it only once it exists."""

import os
import shutil
import socket
import tempfile
import threading

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


def test_a_thread_gets_the_socket_only_once_it_exists(monkeypatch):
    """Two threads starting emulators at once: the second asks while the first still waits for the new server's
    socket. It must wait too, not be handed a path that does not exist yet (FileNotFoundError at connect)."""
    from tests.emulator import harness

    class Fresh(harness.ForkServer):
        server = None
        path = None

    got = []

    def second():
        path = Fresh.ensure()
        got.append(os.path.exists(path))

    sleep, started = harness.time.sleep, []

    def first_wait(seconds):
        if not started:  # the first thread is waiting for the socket: the second asks now
            started.append(threading.Thread(target=second))
            started[0].start()
            started[0].join(0.5)  # returns at once without the lock, and then with a path that does not exist
        sleep(seconds)

    monkeypatch.setattr(harness.time, "sleep", first_wait)
    try:
        assert os.path.exists(Fresh.ensure())
        started[0].join(30)
        assert got == [True]
    finally:
        if Fresh.server is not None:
            Fresh.stop(Fresh.server, os.path.dirname(Fresh.path))
