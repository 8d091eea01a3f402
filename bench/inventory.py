"""Benchmark: the hostupcloud.cloud.huc inventory plugin against the plain uri + add_host playbook.

Starts the emulator with P seeded projects and N instances (round-robin over them) and a rate limit
high enough not to bind, then measures requests (the emulator's log) and wall time of
  1. ansible-inventory --list with the plugin (most of its time is ansible-inventory writing JSON),
  2. ansible-inventory --graph with the plugin (mostly the plugin's own work),
  3. --list with the cache on, second run (a cache hit),
  4. bench/plain_inventory.yml: ansible-playbook paging GET /api/instances with ansible.builtin.uri
     and adding each instance with ansible.builtin.add_host,
and prints them side by side with the ratios plain / plugin. Results go to bench/results/.

    .venv/bin/python bench/inventory.py                       # 10 projects x 1,000 instances
    .venv/bin/python bench/inventory.py --projects 3 --instances 300
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from tests.emulator.harness import Emulator  # noqa: E402  pylint: disable=wrong-import-position
from tests.functional.playbook import BIN, base_env  # noqa: E402  pylint: disable=wrong-import-position

PLAIN_PLAYBOOK = os.path.join(ROOT, "bench", "plain_inventory.yml")
RESULTS = os.path.join(ROOT, "bench", "results")
PLUGIN = "plugin: ansible-inventory --list"
PLAIN = "plain: uri + add_host playbook"


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--projects", type=int, default=10, help="seeded projects besides default (default 10)")
    parser.add_argument("--instances", type=int, default=10000,
                        help="seeded instances, round-robin over the projects (default 10000)")
    parser.add_argument("--rate-limit", type=int, default=100000, help="emulator requests a minute per key (default 100000)")
    parser.add_argument("--skip-plain", action="store_true", help="measure the plugin only")
    return parser.parse_args(argv)


def timed(emulator, argv, env):
    """Run argv against a cleared request log: (seconds, requests, completed process)."""
    emulator.clear_requests()
    start = time.monotonic()
    proc = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    seconds = time.monotonic() - start
    if proc.returncode != 0:
        sys.exit("%s failed (rc %d):\n%s" % (" ".join(argv[:3]), proc.returncode, (proc.stdout + proc.stderr)[-3000:]))
    return seconds, len(emulator.requests()), proc


def measure_plugin(emulator, env, workdir, cache=False, graph=False):
    path = os.path.join(workdir, ("cached." if cache else "") + "huc.yml")
    with open(path, "w") as handle:
        handle.write("plugin: hostupcloud.cloud.huc\n")
        if cache:
            handle.write("cache: true\ncache_plugin: ansible.builtin.jsonfile\ncache_connection: %s\n"
                         % os.path.join(workdir, "cache"))
    argv = [os.path.join(BIN, "ansible-inventory"), "-i", path, "--graph" if graph else "--list"]
    if cache:
        timed(emulator, argv, env)  # fills the cache
    seconds, requests, proc = timed(emulator, argv, env)
    if graph:
        hosts = len(set(line.split("|--")[-1] for line in proc.stdout.splitlines() if "|--" in line and "@" not in line))
    else:
        hosts = len(json.loads(proc.stdout)["_meta"]["hostvars"])
    return {"seconds": seconds, "requests": requests, "hosts": hosts}


def measure_plain(emulator, env):
    argv = [os.path.join(BIN, "ansible-playbook"), "-i", "localhost,", PLAIN_PLAYBOOK]
    seconds, requests, proc = timed(emulator, argv, env)
    found = re.search(r"HUC_HOSTS=(\d+)", proc.stdout)
    return {"seconds": seconds, "requests": requests, "hosts": int(found.group(1)) if found else None}


def table(config, rows):
    lines = ["HostUpCloud inventory: %(projects)d projects x %(per_project)s instances = %(instances)d hosts "
             "(emulator rate limit %(rate_limit)d/min; %(cpus)d CPUs, load %(load_average).1f at the start)" % config, "",
             "%-40s %10s %10s %8s" % ("", "requests", "wall (s)", "hosts")]
    for label, row in rows:
        lines.append("%-40s %10d %10.2f %8s" % (label, row["requests"], row["seconds"], row["hosts"]))
    plugin, plain = dict(rows).get(PLUGIN), dict(rows).get(PLAIN)
    if plugin and plain:
        ratios = (plain["requests"] / max(plugin["requests"], 1), plain["seconds"] / plugin["seconds"])
        lines.append("%-40s %9.2fx %9.2fx" % (("ratio plain / plugin",) + ratios))
    return "\n".join(lines)


def main(argv):
    args = parse_args(argv)
    config = {"projects": args.projects, "instances": args.instances, "rate_limit": args.rate_limit,
              "per_project": "{:,}".format(args.instances // max(args.projects, 1)),
              "cpus": os.cpu_count(), "load_average": os.getloadavg()[0]}
    workdir = tempfile.mkdtemp(prefix="huc-bench-")
    with Emulator(seed_projects=args.projects, seed_instances=args.instances, rate_limit=args.rate_limit) as emulator:
        env = base_env(emulator, extra={"ANSIBLE_INVENTORY_UNPARSED_FAILED": "1", "HUC_RATE_LIMIT": str(args.rate_limit)})
        env.pop("ANSIBLE_CALLBACKS_ENABLED")  # the tests' result recorder would only add to the times
        rows = [(PLUGIN, measure_plugin(emulator, env, workdir)),
                ("plugin: ansible-inventory --graph", measure_plugin(emulator, env, workdir, graph=True)),
                ("plugin, cache hit: --list", measure_plugin(emulator, env, workdir, cache=True))]
        if not args.skip_plain:
            rows.append((PLAIN, measure_plain(emulator, env)))
    text = table(config, rows)
    print(text)
    os.makedirs(RESULTS, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    with open(os.path.join(RESULTS, "inventory-%s.json" % stamp), "w") as handle:
        json.dump({"config": config, "rows": dict(rows), "table": text}, handle, indent=2)
    print("\nwritten: bench/results/inventory-%s.json" % stamp)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
