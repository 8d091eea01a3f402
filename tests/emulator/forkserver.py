"""A warm parent for test emulators: imports the emulator once, then forks one emulator per request.

`python -m tests.emulator` spends ~0.4 CPU-seconds before it listens, nearly all of it importing
FastAPI and pydantic; a suite that starts hundreds of emulators on two cores loses minutes to that.
The harness (Emulator.start) asks this server, one per test process, for a fork that runs
`tests.emulator.__main__.main(argv)` with its output in the files it names. Every emulator is still
its own process on its own free port, started and stopped by its test; only the imports are shared.

Protocol, one request per connection on a Unix socket: the client sends one JSON line
{"argv": [...], "stdout": FILE, "stderr": FILE, "exit": FILE} and reads back {"pid": N}. The child
writes its exit status to the exit file as it ends. The server reaps its children itself and exits
when its parent (the test process) is gone. POSIX only; the harness falls back to a plain process
elsewhere and when HUC_EMULATOR_FORK=0.
"""

import importlib
import json
import os
import signal
import socket
import sys


def serve_child(request):
    """In the forked child: become the emulator the request describes; never returns."""
    code = 1
    try:
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        for fd, path, flags in ((0, os.devnull, os.O_RDONLY), (1, request["stdout"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC),
                                (2, request["stderr"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC)):
            target = os.open(path, flags, 0o600)
            os.dup2(target, fd)
            os.close(target)
        from tests.emulator.__main__ import main
        code = main(request["argv"])
    except SystemExit as exc:  # argparse errors exit 2, as the command line would
        code = exc.code if isinstance(exc.code, int) else 1
    except BaseException:  # noqa: B902 - the child reports every failure in its stderr and exit file
        import traceback
        traceback.print_exc()
    finally:
        try:
            with open(request["exit"], "w") as stream:
                stream.write(str(code))
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


def run(path):
    """Listen on the Unix socket path and fork an emulator for each request until the parent is gone."""
    importlib.import_module("tests.emulator.__main__")  # the imports every child shares: the point of this server

    parent = os.getppid()
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped by the kernel; their status is in their exit file
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path + ".tmp")
    listener.listen(16)
    # The client connects as soon as this name appears: it must name a socket that listens already (renamed
    # between bind and listen, a client on a loaded machine got there first and was refused).
    os.rename(path + ".tmp", path)
    listener.settimeout(1.0)
    while os.getppid() == parent:
        try:
            conn, _address = listener.accept()
        except socket.timeout:
            continue
        with conn:
            conn.settimeout(10)
            request = json.loads(conn.makefile("r").readline())
            pid = os.fork()
            if pid == 0:
                listener.close()
                conn.close()
                serve_child(request)
            conn.sendall((json.dumps({"pid": pid}) + "\n").encode())
    return 0


if __name__ == "__main__":
    sys.exit(run(sys.argv[1]))
