#!/usr/bin/env python
"""Start or stop the HostUpCloud API emulator (tests/emulator) of an integration target.

  emulator.py start BOOTSTRAP_FILE [EMULATOR OPTION...]
      Start the emulator in the background on a free port with this Python, wait until it has
      written BOOTSTRAP_FILE (it does once it accepts connections) and print that file (JSON).
      The emulator runs from the collection root, the nearest directory above this file that holds
      tests/emulator/__main__.py (ansible-test runs targets from a copy under tests/output/.tmp), in
      a session of its own; its output goes to BOOTSTRAP_FILE.log. Should the stop never come (a
      play that aborts skips always sections), a detached watchdog ends it once BOOTSTRAP_FILE is
      gone (ansible-test empties the output directory before the next target, the wrapper removes
      its whole copy) or after an hour.
  emulator.py stop BOOTSTRAP_FILE
      Stop the emulator whose pid BOOTSTRAP_FILE names, if that process still is the emulator, and
      remove the file. Prints {"changed": bool, "pid": ...}. Nothing to stop is not an error.
"""

import json
import os
import signal
import subprocess
import sys
import time

START_TIMEOUT = 30
STOP_TIMEOUT = 15
LIFETIME = 3600


def collection_root():
    here = os.path.dirname(os.path.realpath(__file__))
    while True:
        if os.path.isfile(os.path.join(here, "tests", "emulator", "__main__.py")):
            return here
        parent = os.path.dirname(here)
        if parent == here:
            sys.exit("no tests/emulator/__main__.py in any directory above %s" % os.path.realpath(__file__))
        here = parent


def start(bootstrap, options):
    if os.path.exists(bootstrap):
        stop(bootstrap, quiet=True)
    argv = [sys.executable, "-m", "tests.emulator", "--port", "0", "--bootstrap-file", bootstrap, "--quiet"] + options
    with open(bootstrap + ".log", "wb") as log:
        process = subprocess.Popen(argv, cwd=collection_root(), stdin=subprocess.DEVNULL, stdout=log,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.time() + START_TIMEOUT
    while not os.path.exists(bootstrap):
        if process.poll() is not None or time.time() > deadline:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
            with open(bootstrap + ".log", "rb") as log:
                output = log.read().decode("utf-8", "replace")[-4000:]
            sys.exit("the emulator did not start (%s): %s" % (
                "exit status %s" % process.returncode if process.returncode is not None else "timeout", output))
        time.sleep(0.05)
    with open(bootstrap) as handle:
        content = handle.read()
    sys.stdout.flush()
    if os.fork() == 0:
        watch(process.pid, bootstrap)
    sys.stdout.write(content)


def watch(pid, bootstrap):
    """In a forked child: end the emulator when its bootstrap file is gone or after LIFETIME."""
    try:
        os.setsid()
        devnull = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):  # the caller (Ansible's command module) waits for its pipes to close
            os.dup2(devnull, fd)
        deadline = time.time() + LIFETIME
        while is_emulator(pid):
            if not os.path.exists(bootstrap) or time.time() > deadline:
                os.kill(pid, signal.SIGTERM)
                break
            time.sleep(0.5)
    finally:
        os._exit(0)


def is_emulator(pid):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as handle:
            return b"tests.emulator" in handle.read()
    except OSError:
        return False


def stop(bootstrap, quiet=False):
    pid, changed = None, False
    try:
        with open(bootstrap) as handle:
            pid = int(json.load(handle)["pid"])
    except (OSError, ValueError, KeyError):
        pass
    if pid and is_emulator(pid):
        os.kill(pid, signal.SIGTERM)
        changed = True
        deadline = time.time() + STOP_TIMEOUT
        while is_emulator(pid) and time.time() < deadline:
            time.sleep(0.05)
        if is_emulator(pid):
            os.kill(pid, signal.SIGKILL)
    for path in (bootstrap, bootstrap + ".log"):
        if os.path.exists(path):
            os.remove(path)
    if not quiet:
        print(json.dumps({"changed": changed, "pid": pid}))


def main(argv):
    if len(argv) < 2 or argv[0] not in ("start", "stop") or (argv[0] == "stop" and len(argv) != 2):
        sys.exit(__doc__)
    if argv[0] == "start":
        start(argv[1], argv[2:])
    else:
        stop(argv[1])


if __name__ == "__main__":
    main(sys.argv[1:])
