"""Start, drive and stop the HostUpCloud API emulator from tests. Standard library only.

    with Emulator(rate_limit=10).start() as emu:
        status, headers, body = emu.call("GET", "/instances", query={"projectId": emu.project_id})
        emu.advance(5)
"""

import atexit
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any, Dict, List, Optional, Tuple

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
NO_KEY = ""
BOOTSTRAP_FIELDS = ("api_url", "base_url", "write_key", "read_key", "project_id", "project_name", "node_id", "node_name", "os_template")


class EmulatorError(RuntimeError):
    """The emulator did not start, or a control call failed."""


def _opener() -> urllib.request.OpenerDirector:
    """An opener that never goes through a proxy (the emulator is on loopback)."""
    return urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _decode(headers: Dict[str, str], raw: bytes) -> Any:
    """JSON when the answer says so, else text; None for an empty body."""
    if not raw:
        return None
    text = raw.decode("utf-8", "replace")
    if "json" in headers.get("content-type", ""):
        try:
            return json.loads(text)
        except ValueError:
            return text
    return text


class ForkedProcess:
    """An emulator forked by the fork server (forkserver.py), driven like the subprocess.Popen it stands for.

    It is the server's child, not ours: it is watched by pid, and its exit status read from the file it writes.
    """

    def __init__(self, pid: int, exit_file: str) -> None:
        self.pid = pid
        self.exit_file = exit_file
        self.returncode = None  # type: Optional[int]

    def poll(self) -> Optional[int]:
        if self.returncode is None:
            try:
                os.kill(self.pid, 0)
                return None
            except ProcessLookupError:
                pass
            try:
                with open(self.exit_file) as stream:
                    self.returncode = int(stream.read().strip() or 1)
            except (OSError, ValueError):
                self.returncode = -1  # killed before it could say
        return self.returncode

    def _signal(self, signum: int) -> None:
        try:
            os.kill(self.pid, signum)
        except ProcessLookupError:
            pass

    def terminate(self) -> None:
        self._signal(signal.SIGTERM)

    def kill(self) -> None:
        self._signal(signal.SIGKILL)

    def wait(self, timeout: Optional[float] = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired("emulator %d" % self.pid, timeout)
            time.sleep(0.01)
        return self.returncode


class ForkServer:
    """This process's one fork server (started on first use, stopped at exit): emulators forked from a warm parent."""

    server = None  # type: Optional[subprocess.Popen]
    path = None  # type: Optional[str]
    # Threads that start emulators at once: one starts the server, the others wait for its socket.
    lock = threading.Lock()

    @classmethod
    def usable(cls, python: str) -> bool:
        return (hasattr(os, "fork") and hasattr(socket, "AF_UNIX") and python == sys.executable
                and os.environ.get("HUC_EMULATOR_FORK", "1") != "0")

    @classmethod
    def ensure(cls) -> str:
        with cls.lock:
            return cls._ensure()

    @classmethod
    def _ensure(cls) -> str:
        if cls.server is not None and cls.server.poll() is None:
            return cls.path
        directory = tempfile.mkdtemp(prefix="huc-forkserver-")
        cls.path = os.path.join(directory, "socket")
        cls.server = subprocess.Popen([sys.executable, "-m", "tests.emulator.forkserver", cls.path], cwd=REPO_ROOT,
                                      stdin=subprocess.DEVNULL, env=dict(os.environ, PYTHONUNBUFFERED="1"))
        atexit.register(cls.stop, cls.server, directory)
        deadline = time.monotonic() + 30
        while not os.path.exists(cls.path):
            if cls.server.poll() is not None or time.monotonic() > deadline:
                raise EmulatorError("the emulator fork server did not start")
            time.sleep(0.01)
        return cls.path

    @staticmethod
    def stop(server: subprocess.Popen, directory: str) -> None:
        server.terminate()
        try:
            server.wait(timeout=5)
        except subprocess.TimeoutExpired:
            server.kill()
        shutil.rmtree(directory, ignore_errors=True)

    @classmethod
    def fork(cls, argv: List[str], stdout: str, stderr: str, exit_file: str) -> ForkedProcess:
        request = {"argv": argv, "stdout": stdout, "stderr": stderr, "exit": exit_file}
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
            conn.settimeout(30)
            conn.connect(cls.ensure())
            conn.sendall((json.dumps(request) + "\n").encode())
            answer = json.loads(conn.makefile("r").readline())
        return ForkedProcess(answer["pid"], exit_file)


class Emulator:
    """One emulator process on a free port of 127.0.0.1."""

    def __init__(self, *, rate_limit=60, rate_window=60, provision_seconds=5, transition_seconds=2, snapshot_seconds=3, clock_step=0,
                 seed_projects=0, seed_instances=0, state_file=None, variants=(), reachable=False, boot_seconds=3, ssh_port=0,
                 extra_args=(), python=sys.executable):
        self.options = {
            "--rate-limit": rate_limit,
            "--rate-window": rate_window,
            "--provision-seconds": provision_seconds,
            "--transition-seconds": transition_seconds,
            "--snapshot-seconds": snapshot_seconds,
            "--clock-step": clock_step,
            # a count (project-01..project-P) or project names: "production,staging" or ["production", "staging"]
            "--seed-projects": seed_projects if isinstance(seed_projects, (int, str)) else ",".join(seed_projects),
            "--seed-instances": seed_instances,
        }
        self.reachable = bool(reachable)
        if self.reachable:  # tests only ever use a free port (ssh_port=0): 22 needs root
            self.options.update({"--boot-seconds": boot_seconds, "--ssh-port": ssh_port})
        self.state_file = state_file
        # variant names (tests/emulator/variants.py): a list, or one string, comma-separated
        self.variants = [variants] if isinstance(variants, str) else list(variants)
        self.extra_args = list(extra_args)
        self.python = python
        self.process = None  # type: Optional[subprocess.Popen]
        self.bootstrap = {}  # type: Dict[str, Any]
        self.workdir = None  # type: Optional[str]
        self._opener = _opener()

    # -- life cycle -------------------------------------------------------------------------------

    def command(self, bootstrap_file: str) -> List[str]:
        """The command line that starts the emulator."""
        cmd = [self.python, "-m", "tests.emulator", "--host", "127.0.0.1", "--port", "0", "--bootstrap-file", bootstrap_file, "--quiet"]
        for option, value in self.options.items():
            cmd += [option, str(value)]
        if self.state_file:
            cmd += ["--state-file", str(self.state_file)]
        for variant in self.variants:
            cmd += ["--variant", variant]
        if self.reachable:
            cmd.append("--reachable")
        return cmd + self.extra_args

    def start(self, timeout: float = 30) -> "Emulator":
        """Launch the process and wait for its bootstrap file; raise EmulatorError with its stderr if it exits first."""
        if self.process is not None:
            raise EmulatorError("already started")
        self.workdir = tempfile.mkdtemp(prefix="huc-emulator-")
        bootstrap_file = os.path.join(self.workdir, "bootstrap.json")
        command = self.command(bootstrap_file)
        if ForkServer.usable(self.python):  # the same emulator, without paying for its imports again
            self.process = ForkServer.fork(command[3:], self._log_path("stdout"), self._log_path("stderr"),
                                           self._log_path("exit"))
        else:
            env = dict(os.environ, PYTHONUNBUFFERED="1")
            with open(self._log_path("stdout"), "wb") as out, open(self._log_path("stderr"), "wb") as err:
                self.process = subprocess.Popen(command, cwd=REPO_ROOT, stdout=out, stderr=err, stdin=subprocess.DEVNULL, env=env)
        self._wait_for(bootstrap_file, timeout)
        with open(bootstrap_file) as stream:
            self.bootstrap = json.load(stream)
        return self

    def _log_path(self, name: str) -> str:
        return os.path.join(self.workdir or tempfile.gettempdir(), name + ".log")

    def _wait_for(self, path: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not os.path.exists(path):
            if self.process.poll() is not None:
                message = "emulator exited with %s before it was ready:\n%s" % (self.process.returncode, self.stderr())
                self.stop()
                raise EmulatorError(message)
            if time.monotonic() > deadline:
                self.stop()
                raise EmulatorError("emulator not ready after %s s" % timeout)
            time.sleep(0.01)

    def stderr(self) -> str:
        """What the process wrote to stderr so far."""
        try:
            with open(self._log_path("stderr"), "rb") as stream:
                return stream.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def stop(self) -> None:
        """Terminate the process (kill it if it lingers) and remove its files; safe to call twice."""
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if self.workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)
            self.workdir = None

    def __enter__(self) -> "Emulator":
        return self if self.process is not None else self.start()

    def __exit__(self, *exc_info: Any) -> None:
        self.stop()

    @property
    def ssh_port(self) -> Optional[int]:
        """Reachable mode: the port every instance address answers on (the one the emulator picked for ssh_port=0);
        None without reachable=True."""
        if not self.reachable:
            return None
        if "ssh_port" not in self.bootstrap:
            raise EmulatorError("the emulator is not started")
        return self.bootstrap["ssh_port"]

    def __getattr__(self, name: str) -> Any:
        if name in BOOTSTRAP_FIELDS:
            if name not in self.bootstrap:
                raise EmulatorError("the emulator is not started")
            return self.bootstrap[name]
        raise AttributeError(name)

    # -- HTTP -------------------------------------------------------------------------------------

    def http(self, method: str, url: str, body: Any = None, headers: Optional[Dict[str, str]] = None, timeout: float = 30) -> Tuple[int, Dict[str, str], Any]:
        """One HTTP request: (status, headers with lower-case names, JSON or text or None)."""
        data = None
        headers = dict(headers or {})
        if isinstance(body, (dict, list)):
            data = json.dumps(body).encode("utf-8")
            headers.setdefault("Content-Type", "application/json")
        elif isinstance(body, str):
            data = body.encode("utf-8")
        elif body is not None:
            data = body
        request = urllib.request.Request(url, data=data, headers=headers, method=method.upper())
        try:
            with self._opener.open(request, timeout=timeout) as response:
                status, raw_headers, raw = response.status, response.headers, response.read()
        except urllib.error.HTTPError as exc:
            status, raw_headers, raw = exc.code, exc.headers, exc.read()
        lowered = {name.lower(): value for name, value in raw_headers.items()}
        return status, lowered, _decode(lowered, raw)

    def call(self, method: str, path: str, key: Optional[str] = None, body: Any = None,
             headers: Optional[Dict[str, str]] = None, query: Optional[Dict[str, Any]] = None) -> Tuple[int, Dict[str, str], Any]:
        """A real /api call. path is under /api ("/instances" or "/api/instances"); key defaults to the write key, NO_KEY ("") sends none."""
        if not (path == "/api" or path.startswith("/api/")):
            path = "/api" + path
        url = self.base_url + path
        if query:
            url += "?" + urllib.parse.urlencode(query)
        all_headers = dict(headers or {})
        token = self.write_key if key is None else key
        if token:
            all_headers.setdefault("Authorization", "Bearer " + token)
        return self.http(method, url, body, all_headers)

    def control(self, method: str, path: str, body: Any = None) -> Any:
        """A /_emulator call; EmulatorError unless it answers 2xx."""
        status, _headers, payload = self.http(method, self.base_url + "/_emulator" + path, body)
        if status >= 300:
            raise EmulatorError("%s /_emulator%s answered %d: %s" % (method, path, status, payload))
        return payload

    # -- control shortcuts ------------------------------------------------------------------------

    def requests(self) -> List[Dict[str, Any]]:
        """The request log of /api, oldest first."""
        return self.control("GET", "/requests")["requests"]

    def clear_requests(self) -> None:
        """Empty the request log."""
        self.control("DELETE", "/requests")

    def api_requests(self, method: Optional[str] = None, path_prefix: Optional[str] = None) -> List[Dict[str, Any]]:
        """The request log filtered by method and path prefix."""
        return [entry for entry in self.requests()
                if (method is None or entry["method"] == method.upper()) and (path_prefix is None or entry["path"].startswith(path_prefix))]

    def fault(self, **rule: Any) -> Dict[str, Any]:
        """Add a fault rule (status, rate, count, methods, pathPrefix, delaySeconds, drop, headers, body, seed, afterAction)."""
        return self.control("POST", "/faults", rule)

    def lose_answer(self, **rule: Any) -> Dict[str, Any]:
        """Add an afterAction fault rule: the request acts, then its answer is dropped (the default), replaced by
        the error of status, or delayed by delaySeconds. Other fields as for fault()."""
        rule["afterAction"] = True
        if "status" not in rule and "delaySeconds" not in rule:
            rule.setdefault("drop", True)
        return self.fault(**rule)

    def clear_faults(self) -> None:
        """Remove every fault rule."""
        self.control("DELETE", "/faults")

    def advance(self, seconds: float) -> Dict[str, Any]:
        """Move the emulator clock forward."""
        return self.control("POST", "/clock", {"advanceSeconds": seconds})

    def clock_step(self, seconds: float) -> Dict[str, Any]:
        """Advance the emulator clock by seconds after each /api request from now on (0 turns it off); the settings."""
        return self.config(clockStepSeconds=seconds)

    def clock(self) -> Dict[str, Any]:
        """The emulator clock: now and offsetSeconds."""
        return self.control("GET", "/clock")

    def reset(self) -> None:
        """Back to the initial state."""
        self.control("POST", "/reset")

    def state(self) -> Dict[str, Any]:
        """Everything the emulator holds (no secrets)."""
        return self.control("GET", "/state")

    def set_instance(self, instance_id: str, **fields: Any) -> Dict[str, Any]:
        """Force status and/or ignoreShutdown of an instance."""
        return self.control("PATCH", "/instances/" + instance_id, fields)

    def make_backup(self, instance_id: str) -> Dict[str, Any]:
        """Make a backup of an instance at once (the instance's UUID, as control routes speak); the backup."""
        return self.control("POST", "/instances/%s/backups" % instance_id)

    def create_key(self, **fields: Any) -> Dict[str, Any]:
        """Create an API key directly (name, permissions, expiresAt, status); the answer holds its secret in key."""
        return self.control("POST", "/api-keys", fields)

    def add_project(self, name: str) -> Dict[str, Any]:
        """Add a project (EmulatorError when the name is taken or invalid); the project: id, name, createdAt."""
        return self.control("POST", "/projects", {"name": name})

    def project(self, name: str) -> Dict[str, Any]:
        """The project with this name (from the state; EmulatorError when there is none)."""
        for project in self.state()["projects"]:
            if project["name"] == name:
                return project
        raise EmulatorError("no project named %s" % name)

    def config(self, **fields: Any) -> Dict[str, Any]:
        """Change runtime settings (rateLimit, rateWindow, provisionSeconds, transitionSeconds, clockStepSeconds, snapshotSeconds); no fields: read them
        (in reachable mode also reachable, bootSeconds and sshPort, which cannot be changed)."""
        if not fields:
            return self.control("GET", "/config")
        return self.control("PATCH", "/config", fields)


def make_instances(emulator: Emulator, names: List[str], status: Any = "running") -> Dict[str, str]:
    """Create instances through the API, force their status (one for all, or by name), clear the request log.

    Returns {name: id}, the ids as the API answered them (with variants: numbers under numeric-ids). For tests and
    benchmarks that need instances in a given status.
    """
    ids = {}
    for name in names:
        code, _headers, body = emulator.call("POST", "/instances", body={
            "projectId": emulator.project_id, "name": name, "nodeId": emulator.node_id,
            "osTemplate": emulator.os_template, "vcpus": 1, "memoryMb": 1024, "diskGb": 20})
        if code != 201:
            raise EmulatorError("creating instance %s answered %s: %s" % (name, code, body))
        ids[name] = (body["data"] if "data" in body else body)["id"]  # bare-objects: no envelope
    # The control routes know the UUIDs, which the ids on the wire are not under numeric-ids.
    uuids = {item["name"]: item["id"] for item in emulator.state()["instances"]} if emulator.variants else ids
    for name in ids:
        emulator.set_instance(uuids[name], status=status if isinstance(status, str) else status[name])
    emulator.clear_requests()
    return ids
