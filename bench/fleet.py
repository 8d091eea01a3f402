"""Benchmark: 30 instances to SSH-ready, hostupcloud.cloud.huc_fleet against a plain loop, at the scaled rate limit.

The emulator runs in reachable mode (each instance a loopback address that answers with an SSH banner
once it has been running for --boot-seconds) and allows 10 requests per 5 s per key, the real 60 a
minute scaled as in bench/rate_budget.py; the collection is told the same (HUC_RATE_LIMIT=10,
HUC_RATE_LIMIT_WINDOW=5). Each column runs on a fresh emulator and a fresh HUC_RATE_LIMIT_DIR:
  collection  one hostupcloud.cloud.huc_fleet task with the N items, the shared options in defaults,
              wait_for: ssh, ssh_port: the emulator's,
  plain loop  what a user writes without huc_fleet: hostupcloud.cloud.huc_instance, wait: true, in a loop
              over the N names, then ansible.builtin.wait_for (the instance's ipv4, the SSH port,
              search_regex: SSH) in a loop over the results,
  ssh loop    (--columns ...,ssh-loop) hostupcloud.cloud.huc_instance in a loop with wait_for: ssh per item.
Provision 5 s and boot 10 s by default: provision + boot (15 s) is then about what the collection's
requests take at 2 a second (some 33 requests, 16.5 s), so neither term of the floor hides the other,
and a plain loop, which pays provision (and boot) once per instance, still ends in a few minutes.
For each column: requests and 429 answers (the emulator's log), failed tasks (the PLAY RECAP), wall
time, instances reached (this script connects to each instance's ipv4, only in 127.0.0.0/8, and reads
the banner after the run), the floor max(requests / rate, provision + boot) with rate = 2 requests a
second, wall / floor, and for the collection the issue's budget of a new fleet N + ceil(N/100) x
(polls + 1) + 2 with the polls counted from the log. The goal: the collection <= 1.2 x its floor.
Beside it the paced floor: the start of the window in which the key may send the request of the last
create (10 at once, then 10 more each 5 s), plus provision and boot - the earliest the last instance
can answer, given the requests the run sent before it, whatever the client does while it waits.
Results go to bench/results/; the exit status is 1 when the goal is missed or a column failed.

    .venv/bin/python bench/fleet.py                 # 30 instances, about 5 minutes
    .venv/bin/python bench/fleet.py --quick         # 10 instances
    .venv/bin/python bench/fleet.py --columns collection,plain,ssh-loop     # the third column too (8 minutes more)
    .venv/bin/python bench/fleet.py --columns collection --boot-seconds 90   # the collection alone, a long boot
"""

import argparse
import calendar
import collections
import ipaddress
import json
import math
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from bench.inventory import RESULTS  # noqa: E402  pylint: disable=wrong-import-position
from tests.emulator.harness import Emulator  # noqa: E402  pylint: disable=wrong-import-position
from tests.functional.playbook import BIN, base_env  # noqa: E402  pylint: disable=wrong-import-position

LIMIT, WINDOW = 10, 5  # the emulator's limit per key: 60 a minute scaled as in rate_budget.py
GOAL_FACTOR = 1.2
OURS, PLAIN, SSH_LOOP = "collection", "plain loop", "ssh loop"
COLUMNS = collections.OrderedDict([("collection", OURS), ("plain", PLAIN), ("ssh-loop", SSH_LOOP)])
LOOPBACK = ipaddress.ip_network("127.0.0.0/8")
RECAP = re.compile(r"^(\S+)\s+:\s+ok=\d+\s+changed=\d+\s+unreachable=(\d+)\s+failed=(\d+)", re.M)
TIMEOUT = 1800  # seconds one ansible-playbook run may take before it is killed


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--instances", type=int, default=30, help="instances to create (default 30)")
    parser.add_argument("--quick", action="store_true", help="10 instances")
    parser.add_argument("--provision-seconds", type=float, default=5, help="emulator --provision-seconds (default 5)")
    parser.add_argument("--boot-seconds", type=float, default=10, help="emulator --boot-seconds (default 10)")
    parser.add_argument("--limit", type=int, default=LIMIT, help="requests per window per key (default %d)" % LIMIT)
    parser.add_argument("--window", type=int, default=WINDOW,
                        help="the window in seconds (default %d; --limit 60 --window 60 is the real API's)" % WINDOW)
    parser.add_argument("--columns", default="collection,plain",
                        help="comma-separated, of %s (default collection,plain)" % ",".join(COLUMNS))
    args = parser.parse_args(argv)
    args.columns = args.columns.split(",")
    unknown = [name for name in args.columns if name not in COLUMNS]
    if unknown:
        parser.error("unknown column(s): %s" % ", ".join(unknown))
    if args.quick:
        args.instances = 10
    args.rate = args.limit / float(args.window)
    return args


def spec(emulator):
    """The options every instance shares, as a user writes them (the node by name)."""
    return {"node": emulator.node_name, "os_template": emulator.os_template, "vcpus": 1, "memory_mb": 1024, "disk_gb": 20}


def tasks_of(column, emulator, names):
    """The tasks of one column."""
    if column == OURS:
        fleet = {"project": emulator.project_id, "fleet": "bench", "defaults": spec(emulator),
                 "instances": [{"name": name} for name in names], "wait_for": "ssh", "ssh_port": emulator.ssh_port}
        return [{"name": "fleet", "hostupcloud.cloud.huc_fleet": fleet}]
    create = dict(spec(emulator), project=emulator.project_id, name="{{ item }}", wait=True)
    if column == SSH_LOOP:
        create.update(wait_for="ssh", ssh_port=emulator.ssh_port)
        return [{"name": "create", "hostupcloud.cloud.huc_instance": create, "loop": names}]
    probe = {"host": "{{ item.instance.ipv4 }}", "port": emulator.ssh_port, "search_regex": "SSH", "timeout": 600}
    return [{"name": "create", "hostupcloud.cloud.huc_instance": create, "loop": names, "register": "created"},
            {"name": "ssh", "ansible.builtin.wait_for": probe, "loop": "{{ created.results }}",
             "loop_control": {"label": "{{ item.item }}"}}]


def banner(address, port):
    """Whether address:port answers with an SSH banner; never anything outside 127.0.0.0/8."""
    if not address or ipaddress.ip_address(address) not in LOOPBACK:
        return False
    try:
        with socket.create_connection((address, port), timeout=5) as conn:
            return conn.recv(64).startswith(b"SSH-2.0-")
    except OSError:
        return False


def stamp_of(entry, start_epoch):
    """Seconds after the launch of a log entry (the log stamps whole seconds: +-1 s)."""
    return calendar.timegm(time.strptime(entry["at"], "%Y-%m-%dT%H:%M:%SZ")) - start_epoch


def measure(column, args):
    """One column on a fresh emulator and a fresh budget directory."""
    names = ["bench-%03d" % number for number in range(1, args.instances + 1)]
    rate_dir = tempfile.mkdtemp(prefix="huc-bench-fleet-rate-")
    handle, playbook = tempfile.mkstemp(prefix="huc-bench-fleet-", suffix=".yml")
    try:
        with Emulator(rate_limit=args.limit, rate_window=args.window, provision_seconds=args.provision_seconds,
                      reachable=True, boot_seconds=args.boot_seconds) as emulator:
            play = [{"name": column, "hosts": "localhost", "connection": "local", "gather_facts": False,
                     "tasks": tasks_of(column, emulator, names)}]
            with os.fdopen(handle, "w") as stream:
                json.dump(play, stream)  # JSON is YAML
            told = {"HUC_RATE_LIMIT": str(args.limit), "HUC_RATE_LIMIT_WINDOW": str(args.window)}
            env = base_env(emulator, extra=dict(told, HUC_RATE_LIMIT_DIR=rate_dir))
            env.pop("ANSIBLE_CALLBACKS_ENABLED")  # the tests' result recorder would only add to the times
            emulator.clear_requests()
            start, start_epoch = time.monotonic(), time.time()
            proc = subprocess.run([os.path.join(BIN, "ansible-playbook"), "-i", "localhost,", playbook], cwd=ROOT, env=env,
                                  capture_output=True, text=True, check=False, timeout=TIMEOUT)
            seconds = time.monotonic() - start
            log = emulator.requests()
            held = dict((inst["name"], inst) for inst in emulator.state()["instances"])
            reached = sum(1 for name in names if name in held and banner(held[name].get("ipv4"), emulator.ssh_port))
    finally:
        shutil.rmtree(rate_dir, ignore_errors=True)
        os.remove(playbook)
    output = proc.stdout + proc.stderr
    rows = RECAP.findall(output)
    failed = sum(int(f) + int(u) for _host, u, f in rows) if rows else None
    statuses = collections.Counter(entry["status"] for entry in log)
    methods = collections.Counter(entry["method"] for entry in log)
    listings = sum(1 for entry in log if entry["method"] == "GET" and entry["path"].split("?")[0] == "/api/instances")
    posts = [index for index, entry in enumerate(log) if entry["method"] == "POST"]
    requests = len(log)
    floor = max(requests / args.rate, args.provision_seconds + args.boot_seconds)
    result = {"instances": args.instances, "requests": requests, "GET": methods["GET"], "POST": methods["POST"],
              "r429": statuses.get(429, 0), "listings": listings, "rc": proc.returncode, "failed": failed,
              "seconds": seconds, "reached": reached, "floor_seconds": floor, "ratio": seconds / floor,
              "first_request_s": stamp_of(log[0], start_epoch) if log else None,
              "last_post_s": stamp_of(log[posts[-1]], start_epoch) if posts else None,
              "last_request_s": stamp_of(log[-1], start_epoch) if log else None,
              # the earliest the last instance can answer: the window in which the key may send the request of the
              # last POST (LIMIT per WINDOW, the first LIMIT at once), then provision and boot
              "paced_floor_seconds": (posts[-1] // args.limit if posts else 0) * args.window + args.provision_seconds + args.boot_seconds,
              "tail": None if proc.returncode == 0 and failed == 0 else output[-3000:]}
    if column == OURS:
        polls = listings - 1  # the listing before the creates is not a poll
        budget = args.instances + math.ceil(args.instances / 100.0) * (polls + 1) + 2
        result.update(polls=polls, budget=budget, within_budget=requests <= budget)
    result["ok"] = proc.returncode == 0 and failed == 0 and reached == args.instances
    return result


def table(config, columns):
    names = list(columns)
    lines = ["HostUpCloud fleet: %(instances)d instances to SSH-ready; emulator --reachable, provision %(provision_seconds)g s, "
             "boot %(boot_seconds)g s, %(limit)d requests / %(window)d s per key, collection HUC_RATE_LIMIT=%(limit)d "
             "HUC_RATE_LIMIT_WINDOW=%(window)d; %(cpus)d CPUs, load %(load_average).1f at the start" % config, "",
             "%-40s" % "" + "".join("%14s" % name for name in names)]

    def row(label, fmt):
        lines.append("%-40s" % label + "".join("%14s" % fmt(columns[name]) for name in names))

    def opt(key, fmt):
        return lambda r: fmt % r[key] if r.get(key) is not None else "-"

    row("requests", opt("requests", "%d"))
    row("  POST", opt("POST", "%d"))
    row("  GET", opt("GET", "%d"))
    row("  answered 429", opt("r429", "%d"))
    row("failed tasks (recap)", lambda r: "%d" % r["failed"] if r["failed"] is not None else "no recap")
    row("instances reached (banner read)", lambda r: "%d/%d" % (r["reached"], r["instances"]))
    row("wall (s)", opt("seconds", "%.1f"))
    row("first, last POST, last request (s)", lambda r: "%s, %s, %s" % tuple(
        "%.0f" % max(0.0, r[k]) if r[k] is not None else "-" for k in ("first_request_s", "last_post_s", "last_request_s")))
    row("floor (s): max(requests/rate, prov+boot)", opt("floor_seconds", "%.1f"))
    row("wall / floor", opt("ratio", "%.2fx"))
    row("paced floor (s)", opt("paced_floor_seconds", "%.1f"))
    row("wall / paced floor", lambda r: "%.2fx" % (r["seconds"] / r["paced_floor_seconds"]))
    row("polls (listings after the first)", opt("polls", "%d"))
    row("budget N + ceil(N/100)(polls+1) + 2", opt("budget", "%d"))
    row("within the budget", lambda r: ("yes" if r["within_budget"] else "NO") if "budget" in r else "-")
    met = None
    if OURS in columns:
        ours = columns[OURS]
        met = ours["ok"] and ours["ratio"] <= GOAL_FACTOR
        lines.append("goal (collection <= %.1f x floor): %s (%.2fx)" % (GOAL_FACTOR, "met" if met else "MISSED", ours["ratio"]))
    lines += ["%s FAILED: rc %s, failed %s, reached %d/%d\n%s" % (name, r["rc"], r["failed"], r["reached"], r["instances"], r["tail"] or "")
              for name, r in columns.items() if not r["ok"]]
    return "\n".join(lines), met


def main(argv):
    args = parse_args(argv)
    config = {"instances": args.instances, "provision_seconds": args.provision_seconds, "boot_seconds": args.boot_seconds,
              "columns": args.columns, "limit": args.limit, "window": args.window, "rate_per_second": args.rate,
              "cpus": os.cpu_count(), "load_average": os.getloadavg()[0]}
    names = [COLUMNS[name] for name in args.columns]
    columns = collections.OrderedDict()
    for name in names:
        columns[name] = measure(name, args)
        print("%s: %.1f s, %d requests" % (name, columns[name]["seconds"], columns[name]["requests"]), flush=True)
    text, met = table(config, columns)
    print("\n" + text)
    os.makedirs(RESULTS, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    with open(os.path.join(RESULTS, "fleet-%s.json" % stamp), "w") as handle:
        json.dump({"config": config, "columns": columns, "goal_met": met, "table": text}, handle, indent=2)
    print("\nwritten: bench/results/fleet-%s.json" % stamp)
    return 0 if met is not False and all(r["ok"] for r in columns.values()) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
