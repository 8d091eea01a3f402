"""Command line: python -m tests.emulator --host 127.0.0.1 --port 0 --bootstrap-file FILE [options].

Run it from the repository root, or from an installed collection's directory
(.../ansible_collections/hostupcloud/cloud), where tests/ is the same package.
"""

import argparse
import math
import os
import socket
import sys
from typing import Any, Callable, Dict, List, Optional

# What tests/emulator/requirements.txt installs (and what those pull in).
REQUIREMENTS = ("fastapi", "uvicorn", "pydantic", "pydantic_core", "starlette", "h11", "anyio", "annotated_types", "typing_extensions")


def missing_requirements_message(missing: str) -> str:
    """What `python -m tests.emulator` prints when FastAPI, uvicorn or pydantic is not installed."""
    requirements = os.path.join(os.path.dirname(os.path.abspath(__file__)), "requirements.txt")
    return ("The HostUpCloud API emulator needs FastAPI, uvicorn and pydantic, which are listed in "
            "tests/emulator/requirements.txt; %r is not installed for this Python (%s).\nInstall them with:\n"
            "    %s -m pip install -r %s\n" % (missing, sys.executable, sys.executable, requirements))


try:
    import uvicorn

    from .app import create_app
    from .reachable import Listeners, LoopbackBlock, ReachableError
    from .records import MAX_CLOCK_MOVE, YEAR_SECONDS, write_json_atomic
    from .seed import parse_seed_projects
    from .state import Store
    from .variants import VARIANTS, parse_variants
except ModuleNotFoundError as exc:
    if __name__ != "__main__" or (exc.name or "").split(".")[0] not in REQUIREMENTS:
        raise
    sys.stderr.write(missing_requirements_message((exc.name or "").split(".")[0]))
    sys.exit(1)


def seed_projects_option(text: str) -> Any:
    """--seed-projects: a count or comma-separated names (argparse shows the ValueError's message)."""
    try:
        return parse_seed_projects(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc))


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    """The options."""
    parser = argparse.ArgumentParser(prog="python -m tests.emulator", description="Local emulator of the HostUpCloud Console API.")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8080, help="port to listen on; 0 picks a free one (default 8080)")
    parser.add_argument("--bootstrap-file", help="write the URL, keys and ids as JSON to this file once ready")
    parser.add_argument("--rate-limit", type=int, default=60, help="accepted requests per key per window (default 60)")
    parser.add_argument("--rate-window", type=float, default=60.0, help="rate window in seconds (default 60)")
    parser.add_argument("--provision-seconds", type=float, default=5.0, help="provisioning -> running time (default 5)")
    parser.add_argument("--transition-seconds", type=float, default=2.0, help="power transitions and deletion time (default 2)")
    parser.add_argument("--snapshot-seconds", type=float, default=3.0, help="snapshot creating -> available time (default 3)")
    parser.add_argument("--clock-step", type=float, default=0.0, help="advance the emulator clock by S seconds after each /api request (default 0: off)")
    parser.add_argument("--seed-projects", type=seed_projects_option, default=0, metavar="P|NAME,NAME",
                        help="create project-01..project-P, or the named projects (production,staging), besides default")
    parser.add_argument("--seed-instances", type=int, default=0, help="create N running instances round-robin over the seeded projects")
    parser.add_argument("--state-file", help="load the state from this file if it exists, save it after every change")
    parser.add_argument("--variant", action="append", default=[], metavar="NAME[,NAME]",
                        help="break one named assumption of the API contract at the wire (repeatable): " + ", ".join(VARIANTS))
    parser.add_argument("--reachable", action="store_true",
                        help="tests only (Linux): every IPv4 address is a loopback one of 127.X.0.0/16, and a booted instance answers "
                             "with an SSH banner on its addresses at --ssh-port")
    parser.add_argument("--boot-seconds", type=float, help="with --reachable: how long an instance is running before it answers (default 3)")
    parser.add_argument("--ssh-port", type=int, help="with --reachable: the port of the listeners; 0 picks a free one (default 22, which needs root)")
    parser.add_argument("--quiet", action="store_true", help="do not print the banner")
    parser.add_argument("--verbose", action="store_true", help="log every request (uvicorn access log)")
    args = parser.parse_args(argv)
    at_least_zero = (args.provision_seconds, args.transition_seconds, args.snapshot_seconds, args.clock_step, args.seed_instances)
    if args.rate_limit < 1 or args.rate_window <= 0 or min(at_least_zero) < 0:
        parser.error("--rate-limit must be >= 1, --rate-window > 0, and --provision-seconds, --transition-seconds, --snapshot-seconds, "
                     "--clock-step and --seed-instances >= 0")
    if not args.reachable and (args.boot_seconds is not None or args.ssh_port is not None):
        parser.error("--boot-seconds and --ssh-port go with --reachable")
    args.boot_seconds = 3.0 if args.boot_seconds is None else args.boot_seconds
    args.ssh_port = 22 if args.ssh_port is None else args.ssh_port
    if not 0 <= args.ssh_port <= 65535 or args.boot_seconds < 0:
        parser.error("--ssh-port must be 0 to 65535 and --boot-seconds >= 0")
    try:
        args.variant = parse_variants(args.variant)
    except ValueError as exc:
        parser.error("--variant: %s" % exc)
    durations = (args.rate_window, args.provision_seconds, args.transition_seconds, args.snapshot_seconds, args.clock_step, args.boot_seconds)
    if not all(math.isfinite(value) and value <= MAX_CLOCK_MOVE for value in durations):
        parser.error("--rate-window, --provision-seconds, --transition-seconds, --snapshot-seconds, --clock-step and --boot-seconds must be "
                     "finite and at most "
                     "%d seconds (%d years)" % (MAX_CLOCK_MOVE, MAX_CLOCK_MOVE // YEAR_SECONDS))
    return args


def bind(host: str, port: int) -> socket.socket:
    """A bound socket; port 0 picks a free port."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)  # IPPROTO_TCP: asyncio sets TCP_NODELAY then
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.set_inheritable(True)
    return sock


def base_url(host: str, port: int) -> str:
    """The URL clients use (a wildcard address is reached through loopback)."""
    if host in ("0.0.0.0", ""):
        host = "127.0.0.1"
    elif host == "::":
        host = "::1"
    return "http://%s:%d" % ("[%s]" % host if ":" in host else host, port)


def bootstrap_payload(store: Store, base: str, variants: Optional[List[str]] = None) -> Dict[str, Any]:
    """The bootstrap file's content (variants only when there are some, reachable and ssh_port only in reachable mode)."""
    payload = dict(store.bootstrap, api_url=base + "/api", base_url=base, pid=os.getpid())
    if variants:
        payload["variants"] = list(variants)
    if store.loopback is not None:
        payload.update(reachable=True, ssh_port=store.loopback.port, boot_seconds=store.settings["bootSeconds"])
    return payload


def banner(payload: Dict[str, Any]) -> str:
    """What a person sees when the emulator starts."""
    lines = [
        "HostUpCloud API emulator listening on %s" % payload["base_url"],
        "  api_url     %s" % payload["api_url"],
        "  write key   %s" % payload["write_key"],
        "  read key    %s" % payload["read_key"],
        "  project     %s (%s)" % (payload["project_id"], payload["project_name"]),
        "  node        %s (%s)" % (payload["node_id"], payload["node_name"]),
        "  docs        %s/_emulator/docs" % payload["base_url"],
        "  try: curl -s -H 'Authorization: Bearer %s' '%s/instances?projectId=%s'" % (payload["read_key"], payload["api_url"], payload["project_id"]),
        "Press Ctrl+C to stop.",
    ]
    if payload.get("variants"):
        lines.insert(-1, "  variants    %s (assumptions of the API contract broken on purpose)" % ", ".join(payload["variants"]))
    if payload.get("reachable"):
        lines.insert(-1, "  reachable   instances answer with an SSH banner on port %d of their 127.x addresses %g s after they run"
                     % (payload["ssh_port"], payload["boot_seconds"]))
    return "\n".join(lines)


class EmulatorServer(uvicorn.Server):
    """uvicorn's server, calling on_ready once it accepts connections."""

    def __init__(self, config: uvicorn.Config, on_ready: Callable[[], None]) -> None:
        super().__init__(config)
        self.on_ready = on_ready

    async def startup(self, sockets: Optional[List[socket.socket]] = None) -> None:
        await super().startup(sockets=sockets)
        if not self.should_exit:
            self.on_ready()


def main(argv: Optional[List[str]] = None) -> int:
    """Run the emulator until interrupted."""
    args = parse_args(argv)
    settings = {
        "rateLimit": args.rate_limit,
        "rateWindow": args.rate_window,
        "provisionSeconds": args.provision_seconds,
        "transitionSeconds": args.transition_seconds,
        "clockStepSeconds": args.clock_step,
        "snapshotSeconds": args.snapshot_seconds,
    }
    block = listeners = None
    if args.reachable:
        try:
            block = LoopbackBlock.claim(args.ssh_port)
        except ReachableError as exc:
            print(str(exc), file=sys.stderr)
            return 1
        settings.update(reachable=True, bootSeconds=args.boot_seconds, sshPort=block.port)
    store = Store(settings, state_file=args.state_file, seed_projects=args.seed_projects, seed_instances=args.seed_instances, loopback=block)
    if block is not None:
        listeners = Listeners(store, block)
    try:
        sock = bind(args.host, args.port)
    except OSError as exc:
        print("cannot listen on %s:%d: %s" % (args.host, args.port, exc), file=sys.stderr)
        return 1
    payload = bootstrap_payload(store, base_url(args.host, sock.getsockname()[1]), args.variant)

    def on_ready() -> None:
        if args.bootstrap_file:
            write_json_atomic(args.bootstrap_file, payload, indent=2)
        if not args.quiet:
            print(banner(payload), flush=True)

    config = uvicorn.Config(
        create_app(store, args.variant, listeners),
        http="h11",
        lifespan="on",
        log_level="info" if args.verbose else "warning",
        access_log=args.verbose,
        date_header=False,
        server_header=False,
        proxy_headers=False,
        timeout_graceful_shutdown=2,
    )
    try:
        EmulatorServer(config, on_ready).run(sockets=[sock])
    except KeyboardInterrupt:
        pass  # uvicorn re-raises Ctrl+C once it has shut down cleanly
    return 0


if __name__ == "__main__":
    sys.exit(main())
