"""Benchmark: hostupcloud.cloud.huc_power against the plain uri playbook, stopping N running instances.

For each side, a fresh emulator (rate limit high enough not to bind) gets N instances in its
project, forced to running; then, against an empty request log, runs
  huc_power:  one hostupcloud.cloud.huc_power task, instances: [all N], state: stopped, graceful: false,
  plain uri:  bench/plain_power.yml (list the project, POST stop to each running one, GET each until stopped),
checks that every instance ended stopped, and runs the same playbook again (the rerun, nothing to do).
Prints requests by method and wall time side by side with the ratios plain / huc_power, and what
the requests would take at the real limit of 60 a minute. Results go to bench/results/.

    .venv/bin/python bench/power.py                     # 20 instances, 2 s transitions
    .venv/bin/python bench/power.py --instances 50 --transition-seconds 5
"""

import argparse
import collections
import json
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from bench.inventory import RESULTS  # noqa: E402  pylint: disable=wrong-import-position
from tests.emulator.harness import Emulator, make_instances  # noqa: E402  pylint: disable=wrong-import-position
from tests.functional.playbook import BIN, base_env  # noqa: E402  pylint: disable=wrong-import-position

PLAIN_PLAYBOOK = os.path.join(ROOT, "bench", "plain_power.yml")
OURS, PLAIN = "huc_power", "plain uri"
REAL_LIMIT = 60  # requests a minute of a real API key
BENCH_LIMIT = 100000  # the emulator's limit here, and the collection's rate_limit to match: it does not bind


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--instances", type=int, default=20, help="running instances to stop (default 20)")
    parser.add_argument("--transition-seconds", type=float, default=2, help="emulator --transition-seconds (default 2)")
    return parser.parse_args(argv)


def ours_playbook(names):
    """The one-task playbook of our side, in a temporary file (JSON is YAML)."""
    task = {"name": "Stop them", "hostupcloud.cloud.huc_power": {"instances": names, "state": "stopped", "graceful": False}}
    play = [{"name": "huc_power", "hosts": "localhost", "connection": "local", "gather_facts": False, "tasks": [task]}]
    handle, path = tempfile.mkstemp(prefix="huc-bench-power-", suffix=".yml")
    with os.fdopen(handle, "w") as stream:
        json.dump(play, stream)
    return path


def run(emulator, playbook, ids):
    """ansible-playbook against a cleared request log: requests by method, wall time, whether all ended stopped."""
    env = base_env(emulator, extra={"HUC_PROJECT": emulator.project_id, "HUC_RATE_LIMIT": str(BENCH_LIMIT)})
    env.pop("ANSIBLE_CALLBACKS_ENABLED")  # the tests' result recorder would only add to the times
    emulator.clear_requests()
    start = time.monotonic()
    proc = subprocess.run([os.path.join(BIN, "ansible-playbook"), "-i", "localhost,", playbook],
                          cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    seconds = time.monotonic() - start
    methods = collections.Counter(entry["method"] for entry in emulator.requests())
    status = dict((inst["id"], inst["status"]) for inst in emulator.state()["instances"])
    left = sorted(status[i] for i in ids if status.get(i) != "stopped")
    error = "rc %d: %s" % (proc.returncode, (proc.stdout + proc.stderr)[-2000:]) if proc.returncode else None
    if left:
        error = "%d not stopped (%s); %s" % (len(left), ", ".join(sorted(set(left))), error or "rc 0")
    return {"requests": sum(methods.values()), "GET": methods["GET"], "POST": methods["POST"],
            "seconds": seconds, "ok": error is None, "error": error}


def measure(args, playbook=None):
    """One side on a fresh emulator: the stop, then the rerun."""
    with Emulator(rate_limit=BENCH_LIMIT, transition_seconds=args.transition_seconds) as emulator:
        names = ["bench-%03d" % number for number in range(args.instances)]
        ids = list(make_instances(emulator, names).values())
        path = playbook or ours_playbook(names)
        try:
            first, rerun = run(emulator, path, ids), run(emulator, path, ids)
        finally:
            if path != playbook:
                os.remove(path)
    first.update(rerun_requests=rerun["requests"], rerun_seconds=rerun["seconds"], rerun_ok=rerun["ok"],
                 minutes_at_60=first["requests"] / float(REAL_LIMIT))
    return first


def table(config, sides):
    ours, plain = sides[OURS], sides[PLAIN]
    lines = ["HostUpCloud power: stop %(instances)d running instances in one project, graceful: false "
             "(transitions %(transition_seconds)g s; emulator rate limit 100000/min; %(cpus)d CPUs, load %(load_average).1f at the start)"
             % config, "", "%-28s %12s %12s %10s" % ("", OURS, PLAIN, "ratio")]
    rows = [("requests total", "requests", "%d"), ("  GET", "GET", "%d"), ("  POST", "POST", "%d"),
            ("wall (s)", "seconds", "%.2f"), ("rerun requests", "rerun_requests", "%d"),
            ("rerun wall (s)", "rerun_seconds", "%.2f"), ("minutes at %d requests/min" % REAL_LIMIT, "minutes_at_60", "%.2f")]
    for label, key, fmt in rows:
        ratio = "%9.2fx" % (plain[key] / ours[key]) if ours[key] else "%10s" % "-"
        lines.append("%-28s %12s %12s %s" % (label, fmt % ours[key], fmt % plain[key], ratio))
    lines.append("%-28s %12s %12s" % ("reached the goal", *("yes" if s["ok"] and s["rerun_ok"] else "FAILED" for s in (ours, plain))))
    lines += ["%s FAILED: %s" % (name, side["error"]) for name, side in sides.items() if side["error"]]
    return "\n".join(lines)


def main(argv):
    args = parse_args(argv)
    config = {"instances": args.instances, "transition_seconds": args.transition_seconds,
              "cpus": os.cpu_count(), "load_average": os.getloadavg()[0]}
    sides = {OURS: measure(args), PLAIN: measure(args, PLAIN_PLAYBOOK)}
    text = table(config, sides)
    print(text)
    os.makedirs(RESULTS, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    with open(os.path.join(RESULTS, "power-%s.json" % stamp), "w") as handle:
        json.dump({"config": config, "sides": sides, "table": text}, handle, indent=2)
    print("\nwritten: bench/results/power-%s.json" % stamp)
    return 0 if all(side["ok"] and side["rerun_ok"] for side in sides.values()) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
