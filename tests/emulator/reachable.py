"""Reachable mode (--reachable): loopback addresses and SSH-banner listeners that follow the instances' lives.

Tests only. Every IPv4 address the emulator hands out (instance ipv4, private network address, floating IP)
comes from one 127.X.0.0/16 block of this emulator; the block is claimed with a lock file, so the emulators
running at the same time on a machine never share one. A running instance that has been running for
bootSeconds (emulator clock) has a TCP listener on each of its loopback addresses at sshPort that sends
BANNER; before that, and once it stops, reboots or is gone, nothing listens there and a connect is refused.

The listeners live on uvicorn's event loop: every route is a coroutine on that one thread, so the listeners
read the state there as the routes see it, without a lock, and one selector serves every socket. Every HTTP
answer brings the listeners up to date before its last bytes go out, so a client that has the answer of
POST /_emulator/clock, a power action or a detach finds them as the new state wants them; a timer set for
the next moment the state changes by itself (a transition due, a boot complete) follows wall time, so an
idle emulator wakes about once a second.
"""

import asyncio
import errno
import functools
import ipaddress
import os
import random
import socket
import sys
import tempfile
import time
from typing import Any, Callable, Dict, Optional, Tuple

try:
    import fcntl
except ImportError:  # not POSIX: no lock, the bind checks alone keep addresses apart
    fcntl = None

BANNER = b"SSH-2.0-HucEmulator_1.0\r\n"
LOOPBACK = ipaddress.ip_network("127.0.0.0/8")
IDLE_SECONDS = 1.0  # the longest the listeners go without a look at the state
HOLD_SECONDS = 2.0  # how long an accepted connection stays open when the client does not close it
MAX_CONNECTIONS = 256  # beyond this, a connection gets the banner and is closed at once
RETRY_SECONDS = 1.0  # how often a listener whose address is taken by another program is tried again
LOCK_DIR = os.path.join(tempfile.gettempdir(), "huc-emulator-loopback")


class ReachableError(RuntimeError):
    """--reachable cannot work here; the message says why and what to do."""


@functools.lru_cache(maxsize=4096)  # asked for every address at every sync
def is_loopback(address: Optional[str]) -> bool:
    """Whether address is an IPv4 address of 127.0.0.0/8: the only ones ever bound."""
    try:
        return ipaddress.IPv4Address(address or "") in LOOPBACK
    except ValueError:
        return False


def _lock_block(block: int) -> Optional[int]:
    """A descriptor holding the lock of 127.block.0.0/16, None when another emulator holds it, -1 when no lock is possible."""
    if fcntl is None:
        return -1
    try:
        if not os.path.isdir(LOCK_DIR):
            os.makedirs(LOCK_DIR, exist_ok=True)
            os.chmod(LOCK_DIR, 0o1777)  # shared by every user's emulators, as /tmp is
        fd = os.open(os.path.join(LOCK_DIR, "127.%d" % block), os.O_RDWR | os.O_CREAT, 0o666)
    except OSError:
        return -1
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return None
    return fd


class LoopbackBlock:
    """This emulator's 127.X.0.0/16 block and SSH port; hands out its addresses once each."""

    def __init__(self, block: int, port: int, lock_fd: int) -> None:
        self.block = block
        self.port = port
        self.lock_fd = lock_fd
        self.offset = 0
        self.used = set()  # type: set - addresses of a restored state file, never handed out again

    @classmethod
    def claim(cls, port: int, rng: Optional[random.Random] = None) -> "LoopbackBlock":
        """A free block (a random one whose lock is free) and the port: port, or a free one for 0. ReachableError when
        127.X.Y.Z cannot be bound (not Linux) or the port cannot be had."""
        blocks = list(range(1, 255))  # not 127.0/16 (127.0.0.1 is everybody's) nor 127.255/16 (the /8's broadcast)
        (rng or random.SystemRandom()).shuffle(blocks)
        in_use = []
        for block in blocks:
            lock_fd = _lock_block(block)
            if lock_fd is None:
                continue
            try:
                chosen = cls._check_port("127.%d.0.1" % block, port)
            except ReachableError:
                if lock_fd >= 0:
                    os.close(lock_fd)
                raise
            if chosen is None:  # this address:port is taken by a program that holds no lock: try another block
                if lock_fd >= 0:
                    os.close(lock_fd)
                in_use.append("127.%d.0.1" % block)
                if port and len(in_use) >= 3:
                    raise ReachableError("--reachable: port %d is in use on %s (a server listening on every address, such as "
                                         "sshd?); use --ssh-port 0 (a free port) or another port" % (port, ", ".join(in_use)))
                continue
            return cls(block, chosen, lock_fd)
        raise ReachableError("--reachable: no free 127.X.0.0/16 block is left (254 emulators running?)")

    @staticmethod
    def _check_port(address: str, port: int) -> Optional[int]:
        """The port a listener can have on address (port, or a free one for 0); None when it is in use there."""
        probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            probe.bind((address, port))
            return probe.getsockname()[1]
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return None
            if exc.errno in (errno.EACCES, errno.EPERM):
                raise ReachableError("--reachable: cannot listen on port %d (%s): ports below 1024 need root; use --ssh-port 0 "
                                     "(a free port, in the bootstrap file as ssh_port) or a port above 1023" % (port, exc.strerror))
            raise ReachableError("--reachable needs every address of 127.0.0.0/8 to be loopback, as on Linux (on macOS only "
                                 "127.0.0.1 is): cannot bind %s: %s" % (address, exc.strerror))
        finally:
            probe.close()

    def allocate(self) -> Optional[str]:
        """The next address of the block that nothing is bound to at the port (one bound is skipped: a collision), or
        None when the block is used up."""
        while self.offset < 65535:
            self.offset += 1
            if self.offset % 256 in (0, 255):
                continue  # .0 and .255: valid on lo, but they look like network and broadcast addresses
            address = "127.%d.%d.%d" % (self.block, self.offset // 256, self.offset % 256)
            if address not in self.used and self._check_port(address, self.port) is not None:
                return address
        return None

    def release(self) -> None:
        """Give the block back (the process's exit does it too)."""
        if self.lock_fd >= 0:
            os.close(self.lock_fd)
            self.lock_fd = -1


def addresses_in(data: Dict[str, Any]) -> set:
    """Every IPv4 address the data holds: instances', floating IPs', private networks'."""
    found = {inst["ipv4"] for inst in data["instances"].values()}
    found.update(record["address"] for record in data["floatingIps"].values())
    found.update(item["ip"] for network in data.get("networks", {}).values() for item in network["attachments"])
    return found


class Listener:
    """One listening socket and the connections it accepted."""

    def __init__(self, sock: socket.socket, owner: Tuple[str, float]) -> None:
        self.sock = sock
        self.owner = owner  # (instance id, boot time): another boot is another listener
        self.connections = {}  # type: Dict[socket.socket, asyncio.TimerHandle]


class Listeners:
    """Opens and closes the listeners as the instances boot, stop and go.

    sync() runs before every HTTP answer (SyncOnAnswer) and on a timer set for the next moment the state changes
    by itself (a transition due, a boot complete), at most IDLE_SECONDS ahead: what an answer that never went
    out (a dropped one) changed is followed within that.
    """

    def __init__(self, store: Any, block: LoopbackBlock) -> None:
        self.store = store
        self.block = block
        self.listeners = {}  # type: Dict[str, Listener]
        self.taken = {}  # type: Dict[str, float] - address -> when a bind last found it taken by another program
        self.loop = None  # type: Optional[asyncio.AbstractEventLoop]
        self.timer = None  # type: Optional[asyncio.TimerHandle]
        self.running = False

    def start(self) -> None:
        """Begin, on the running loop."""
        self.loop = asyncio.get_running_loop()
        self.running = True
        self.safe_sync()

    def safe_sync(self) -> None:
        """sync() and set the timer, once started and until stopped; an error goes to stderr (the timer tries again)."""
        if not self.running:
            return
        due = None
        try:
            due = self.sync()
        except Exception as exc:  # noqa: B902 - neither the timer nor an answer may die of it
            sys.stderr.write("reachable: %s: %s\n" % (type(exc).__name__, exc))
        delay = IDLE_SECONDS if due is None else min(IDLE_SECONDS, max(0.0, due - self.store.now()) + 0.001)
        if self.taken:
            delay = min(delay, RETRY_SECONDS)
        if self.timer is not None:
            self.timer.cancel()
        self.timer = self.loop.call_later(delay, self.safe_sync)

    async def stop(self) -> None:
        """Stop and close every socket."""
        self.running = False
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        for address in list(self.listeners):
            self._close(address)
        self.block.release()

    def wanted(self) -> Tuple[Dict[str, Tuple[str, float]], Optional[float]]:
        """{address: (instance id, boot time)} of every loopback address that should answer now, and the emulator time
        of the next change that comes without a request (a transition due, a boot complete), None when none is ahead."""
        store = self.store
        store.settle()
        now = store.now()
        boot_seconds = float(store.settings.get("bootSeconds") or 0)
        dues = [store.data["instances"][inst_id]["_transition"]["at"] for inst_id in store.pending
                if (store.data["instances"].get(inst_id) or {}).get("_transition")]
        booted = {}
        for inst in store.data["instances"].values():
            if inst["status"] == "running" and inst.get("_transition") is None:
                boot = store.booted.get(inst["id"], inst["_t"])
                if boot + boot_seconds <= now:
                    booted[inst["id"]] = boot
                else:
                    dues.append(boot + boot_seconds)
        wanted = {}
        for inst_id, boot in booted.items():
            wanted[store.data["instances"][inst_id]["ipv4"]] = (inst_id, boot)
        for record in store.data["floatingIps"].values():
            if record.get("instanceId") in booted:
                wanted[record["address"]] = (record["instanceId"], booted[record["instanceId"]])
        for network in store.data["networks"].values():
            for item in network["attachments"]:
                if item["instanceId"] in booted:
                    wanted[item["ip"]] = (item["instanceId"], booted[item["instanceId"]])
        return {address: owner for address, owner in wanted.items() if is_loopback(address)}, min(dues, default=None)

    def sync(self) -> Optional[float]:
        """Make the listeners what wanted() says; the emulator time of the next change, as wanted() gives it."""
        wanted, due = self.wanted()
        for address, listener in list(self.listeners.items()):
            if wanted.get(address) != listener.owner:
                self._close(address)
        for address, owner in wanted.items():
            if address not in self.listeners:
                self._open(address, owner)
        return due

    def _open(self, address: str, owner: Tuple[str, float]) -> None:
        if time.monotonic() - self.taken.get(address, -RETRY_SECONDS) < RETRY_SECONDS:
            return
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # our own closed connections' TIME_WAIT is no obstacle
            sock.setblocking(False)
            sock.bind((address, self.block.port))
            sock.listen(64)
        except OSError as exc:
            sock.close()
            if address not in self.taken:
                sys.stderr.write("reachable: cannot listen on %s:%d (%s); trying again every %g s\n"
                                 % (address, self.block.port, exc.strerror, RETRY_SECONDS))
            self.taken[address] = time.monotonic()
            return
        self.taken.pop(address, None)
        listener = Listener(sock, owner)
        self.listeners[address] = listener
        self.loop.add_reader(sock.fileno(), self._accept, listener)

    def _close(self, address: str) -> None:
        listener = self.listeners.pop(address)
        self.loop.remove_reader(listener.sock.fileno())
        listener.sock.close()
        for conn in list(listener.connections):
            self._drop(listener, conn)

    def _accept(self, listener: Listener) -> None:
        while True:
            try:
                conn, _peer = listener.sock.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError:  # e.g. out of descriptors: the next readiness tries again
                return
            conn.setblocking(False)
            try:
                conn.send(BANNER)
            except OSError:
                conn.close()
                continue
            if sum(len(item.connections) for item in self.listeners.values()) >= MAX_CONNECTIONS:
                conn.close()
                continue
            listener.connections[conn] = self.loop.call_later(HOLD_SECONDS, self._drop, listener, conn)
            self.loop.add_reader(conn.fileno(), self._readable, listener, conn)

    def _readable(self, listener: Listener, conn: socket.socket) -> None:
        try:
            data = conn.recv(4096)  # what the client says is ignored; only its close matters
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if not data:
            self._drop(listener, conn)

    def _drop(self, listener: Listener, conn: socket.socket) -> None:
        handle = listener.connections.pop(conn, None)
        if handle is None:
            return
        handle.cancel()
        self.loop.remove_reader(conn.fileno())
        conn.close()


class SyncOnAnswer:
    """ASGI wrapper: brings the listeners up to date just before the last bytes of each answer (after the clock step)."""

    def __init__(self, app: Callable, listeners: Listeners) -> None:
        self.app = app
        self.listeners = listeners

    async def __call__(self, scope: Dict[str, Any], receive: Callable, send: Callable) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def sending(message: Dict[str, Any]) -> None:
            if message["type"] == "http.response.body" and not message.get("more_body", False):
                self.listeners.safe_sync()
            await send(message)

        await self.app(scope, receive, sending)
