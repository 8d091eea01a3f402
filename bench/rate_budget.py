"""Benchmark: the shared request budget per API key, against an emulator at a scaled rate limit.

The emulator allows 10 requests per 5 s per key (the real 60 a minute, 12 times faster) and the
collection is told the same (HUC_RATE_LIMIT=10, HUC_RATE_LIMIT_WINDOW=5). Every scenario creates
instances with hostupcloud.cloud.huc_instance (wait: false; project and node given by id, so a
create is one lookup listing and one POST) and runs in three columns, each on a fresh emulator and
a fresh HUC_RATE_LIMIT_DIR:
  shared     the default: one budget per key for every process of the controller,
  unshared   HUC_RATE_LIMIT_SHARED=false: each module run paces itself (and reads the server's headers),
  no pacing  HUC_RATE_LIMIT=0: only the 429 answers slow it down (the collection before the budget).
The scenarios:
  a    30 creates in one loop on one host,
  b10  30 creates over 10 inventory hosts (3 each, in a loop), forks=10,
  b30  30 creates over 30 inventory hosts (1 each), forks=30,
  c    two ansible-playbook processes at once on one key, 15 creates each,
  d    two processes at once, each with its own key (created in the emulator), 15 creates each,
       beside d1 (one such process alone, on a fresh emulator) and d0 (the two processes of d with
       no limit anywhere: what running two at once costs the CPU, without any pacing).
For each: requests and 429 answers (the emulator's log), failed tasks (the PLAY RECAP's failed=),
instances created (the emulator's state), wall time, the first and last request (whole seconds
after the launch), and wall / (requests / 2 per second) - of the busiest key where there are two
keys - once with every request of the log and once with those the server counted (not 429).
Results go to bench/results/.

    .venv/bin/python bench/rate_budget.py            # everything, about 10 minutes
    .venv/bin/python bench/rate_budget.py --quick    # b10 and c only
    .venv/bin/python bench/rate_budget.py --only a,d
"""

import argparse
import calendar
import collections
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from bench.inventory import RESULTS  # noqa: E402  pylint: disable=wrong-import-position
from tests.emulator.harness import Emulator  # noqa: E402  pylint: disable=wrong-import-position
from tests.functional.playbook import BIN, base_env  # noqa: E402  pylint: disable=wrong-import-position

LIMIT, WINDOW = 10, 5  # the emulator's limit per key: 60 a minute scaled 12 times
RATE = LIMIT / float(WINDOW)  # 2 requests a second
PROVISION_SECONDS = 1
NO_LIMIT = 100000  # d0: an emulator limit that never binds
GOAL_429_SHARE, GOAL_WALL_FACTOR, GOAL_ALONE_FACTOR = 0.01, 1.15, 1.15
SCALED = {"HUC_RATE_LIMIT": str(LIMIT), "HUC_RATE_LIMIT_WINDOW": str(WINDOW)}
COLUMNS = collections.OrderedDict([
    ("shared", dict(SCALED)),
    ("unshared", dict(SCALED, HUC_RATE_LIMIT_SHARED="false")),
    ("no pacing", dict(SCALED, HUC_RATE_LIMIT="0")),
])


def proc(hosts, per_host, key=0):
    """One ansible-playbook process: these inventory hosts, per_host creates each, -f len(hosts), key 0 = bootstrap."""
    return {"hosts": hosts, "per_host": per_host, "key": key}


SCENARIOS = collections.OrderedDict([
    ("a", {"title": "(a) 30 creates, one loop on one host", "procs": [proc(["a"], 30)]}),
    ("b10", {"title": "(b) 30 creates over 10 hosts (3 each), forks=10",
             "procs": [proc(["h%02d" % n for n in range(1, 11)], 3)]}),
    ("b30", {"title": "(b) 30 creates over 30 hosts (1 each), forks=30",
             "procs": [proc(["h%02d" % n for n in range(1, 31)], 1)]}),
    ("c", {"title": "(c) two processes at once on one key, 15 creates each",
           "procs": [proc(["p1"], 15), proc(["p2"], 15)]}),
    ("d1", {"title": "(d) one process alone on its own key, 15 creates", "procs": [proc(["k1"], 15, key=1)]}),
    ("d0", {"title": "(d) control: the two processes of d with no limit anywhere (emulator 100000, pacing off)",
            "procs": [proc(["k1"], 15, key=1), proc(["k2"], 15, key=2)], "emulator_limit": NO_LIMIT,
            "columns": {"no limit": {"HUC_RATE_LIMIT": "0"}}}),
    ("d", {"title": "(d) two processes at once, each its own key, 15 creates each",
           "procs": [proc(["k1"], 15, key=1), proc(["k2"], 15, key=2)]}),
])
QUICK = ("b10", "c")
GOALS = ("b10", "b30", "c")  # at most 1% 429, 0 failed, wall <= 1.15 x requests / rate, with sharing on

RECAP = re.compile(r"^(\S+)\s+:\s+ok=\d+\s+changed=\d+\s+unreachable=(\d+)\s+failed=(\d+)", re.M)


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="only b10 and c")
    parser.add_argument("--only", help="comma-separated scenarios of %s" % ",".join(SCENARIOS))
    args = parser.parse_args(argv)
    names = args.only.split(",") if args.only else list(QUICK if args.quick else SCENARIOS)
    unknown = [name for name in names if name not in SCENARIOS]
    if unknown:
        parser.error("unknown scenario(s): %s" % ", ".join(unknown))
    for needed in ("d1", "d0"):
        if "d" in names and needed not in names:
            names.insert(names.index("d"), needed)  # d is judged against d1, and d0 tells the CPU's share
    args.names = names
    return args


def write_files(workdir, emulator, index, spec):
    """The inventory (hosts with ansible_connection=local) and the playbook of one process."""
    inventory = os.path.join(workdir, "hosts-%d.ini" % index)
    with open(inventory, "w") as handle:
        handle.write("[bench]\n" + "".join("%s ansible_connection=local\n" % host for host in spec["hosts"]))
    create = {"project": emulator.project_id, "node": emulator.node_id, "os_template": emulator.os_template,
              "name": "{{ inventory_hostname }}-{{ '%02d' % item }}", "vcpus": 1, "memory_mb": 1024,
              "disk_gb": 20, "wait": False}
    task = {"name": "create", "hostupcloud.cloud.huc_instance": create, "loop": list(range(1, spec["per_host"] + 1))}
    play = [{"name": "rate budget", "hosts": "bench", "gather_facts": False, "tasks": [task]}]
    playbook = os.path.join(workdir, "play-%d.yml" % index)
    with open(playbook, "w") as handle:
        json.dump(play, handle)  # JSON is YAML
    return inventory, playbook


def recap(output):
    """Sum of failed= (and unreachable=) over the PLAY RECAP; None when there is no recap."""
    rows = RECAP.findall(output)
    if not rows:
        return None
    return sum(int(failed) + int(unreachable) for _host, unreachable, failed in rows)


def measure(spec, column_env):
    """One scenario in one column: fresh emulator, fresh budget directory, its processes at once."""
    rate_dir = tempfile.mkdtemp(prefix="huc-bench-rate-dir-")
    workdir = tempfile.mkdtemp(prefix="huc-bench-rate-")
    limit = spec.get("emulator_limit", LIMIT)
    try:
        with Emulator(rate_limit=limit, rate_window=WINDOW, provision_seconds=PROVISION_SECONDS) as emulator:
            keys = {0: emulator.write_key}
            for number in sorted(set(p["key"] for p in spec["procs"]) - {0}):
                keys[number] = emulator.create_key(name="bench-key-%d" % number, permissions=["read", "write"])["key"]
            launches = []
            for index, pspec in enumerate(spec["procs"]):
                inventory, playbook = write_files(workdir, emulator, index, pspec)
                env = base_env(emulator, key=keys[pspec["key"]], extra=dict(column_env, HUC_RATE_LIMIT_DIR=rate_dir))
                env.pop("ANSIBLE_CALLBACKS_ENABLED")  # the tests' result recorder would only add to the times
                argv = [os.path.join(BIN, "ansible-playbook"), "-i", inventory, "-f", str(len(pspec["hosts"])), playbook]
                launches.append((argv, env))
            emulator.clear_requests()
            start, start_epoch = time.monotonic(), time.time()
            running = []
            for argv, env in launches:
                output = tempfile.TemporaryFile(mode="w+", dir=workdir)
                running.append((subprocess.Popen(argv, cwd=workdir, env=env, stdout=output, stderr=subprocess.STDOUT,
                                                 stdin=subprocess.DEVNULL, text=True), output))
            ends = [None] * len(running)
            while None in ends:
                for index, (process, _output) in enumerate(running):
                    if ends[index] is None and process.poll() is not None:
                        ends[index] = time.monotonic()
                if time.monotonic() - start > 900:
                    for process, _output in running:
                        if process.poll() is None:
                            process.kill()
                time.sleep(0.02)
            log = emulator.requests()
            instances = emulator.state()["instances"]
            state_files = len(os.listdir(rate_dir))
    finally:
        shutil.rmtree(rate_dir, ignore_errors=True)
    processes = []
    for index, ((process, output), pspec) in enumerate(zip(running, spec["procs"])):
        output.seek(0)
        text = output.read()
        output.close()
        prefix = keys[pspec["key"]][:8]
        mine = [entry for entry in log if entry.get("keyPrefix") == prefix]
        failed = recap(text)
        processes.append({
            "key": pspec["key"], "hosts": len(pspec["hosts"]), "creates": len(pspec["hosts"]) * pspec["per_host"],
            "rc": process.returncode, "failed": failed, "seconds": ends[index] - start,
            "key_requests": len(mine), "key_429": sum(1 for entry in mine if entry["status"] == 429),
            "tail": None if process.returncode == 0 and failed == 0 else text[-3000:]})
    shutil.rmtree(workdir, ignore_errors=True)
    statuses = collections.Counter(str(entry["status"]) for entry in log)
    requests = len(log)
    seconds = max(ends) - start
    failed = sum(p["failed"] if p["failed"] is not None else 1 for p in processes)
    per_key = collections.Counter(entry.get("keyPrefix") for entry in log)
    # d: each key has its own budget, so the least time is that of the busiest key
    busiest = max(per_key.values()) if per_key else 0
    counted = max(collections.Counter(e.get("keyPrefix") for e in log if e["status"] != 429).values() or [0])
    # The log stamps whole seconds of the emulator clock (wall time here): first and last request, +-1 s.
    stamps = [calendar.timegm(time.strptime(entry["at"], "%Y-%m-%dT%H:%M:%SZ")) - start_epoch for entry in log]
    return {"requests": requests, "statuses": dict(statuses), "r429": statuses.get("429", 0),
            "share_429": statuses.get("429", 0) / float(requests) if requests else 0.0,
            "failed": failed, "created": len(instances), "expected": sum(p["creates"] for p in processes),
            "seconds": seconds, "keys": len(per_key), "busiest_key_requests": busiest,
            "bound_seconds": busiest / RATE, "ratio": seconds / (busiest / RATE) if busiest else None,
            "counted_key_requests": counted, "counted_ratio": seconds / (counted / RATE) if counted else None,
            "first_request_s": min(stamps) if stamps else None, "last_request_s": max(stamps) if stamps else None,
            "state_files": state_files, "processes": processes}


def judge(name, columns, results):
    """(met, why) of the issue's goal for this scenario with sharing on; None where it sets none."""
    if "shared" not in columns:
        return None, ""
    shared = columns["shared"]
    if name in GOALS:
        misses = []
        if shared["share_429"] > GOAL_429_SHARE:
            misses.append("%.1f%% answered 429" % (100 * shared["share_429"]))
        if shared["failed"] or shared["created"] != shared["expected"]:
            misses.append("%d failed, %d/%d created" % (shared["failed"], shared["created"], shared["expected"]))
        if shared["ratio"] > GOAL_WALL_FACTOR:
            misses.append("wall %.3fx requests / rate (goal <= %.2f)" % (shared["ratio"], GOAL_WALL_FACTOR))
        return not misses, "; ".join(misses) or "met"
    if name == "d" and "d1" in results:
        alone = results["d1"]["shared"]["processes"][0]["seconds"]
        slow = [p["seconds"] / alone for p in shared["processes"]]
        met = all(s <= GOAL_ALONE_FACTOR for s in slow) and not shared["failed"]
        why = "each process / alone: %s (goal <= %.2f)" % (", ".join("%.2fx" % s for s in slow), GOAL_ALONE_FACTOR)
        if "d0" in results:
            control = results["d0"]["no limit"]["processes"]
            why += "; / the same two with no limit (d0): %s" % ", ".join(
                "%.2fx" % (p["seconds"] / c["seconds"]) for p, c in zip(shared["processes"], control))
        return met, why
    return None, ""


def table(name, spec, columns, results):
    names = list(columns)
    lines = [spec["title"], "%-34s" % "" + "".join("%12s" % c for c in names)]

    def row(label, fmt):
        lines.append("%-34s" % label + "".join("%12s" % fmt(columns[c]) for c in names))

    row("requests", lambda r: "%d" % r["requests"])
    row("  answered 429", lambda r: "%d (%.1f%%)" % (r["r429"], 100 * r["share_429"]) if r["r429"] else "0")
    row("failed tasks (recap)", lambda r: "%d" % r["failed"])
    row("instances created", lambda r: "%d/%d" % (r["created"], r["expected"]))
    row("wall (s)", lambda r: "%.1f" % r["seconds"])
    row("budget state files", lambda r: "%d" % r["state_files"])
    row("first .. last request (s, +-1)", lambda r: "%.0f .. %.0f" % (max(0, r["first_request_s"]), r["last_request_s"]))
    if any(r["keys"] > 1 for r in columns.values()):
        row("requests of the busiest key", lambda r: "%d" % r["busiest_key_requests"])
    row("requests / rate (s)", lambda r: "%.1f" % r["bound_seconds"])
    row("wall / (requests / rate)", lambda r: "%.2fx" % r["ratio"])
    row("wall / (requests not 429 / rate)", lambda r: "%.2fx" % r["counted_ratio"])
    if len(spec["procs"]) > 1:
        for index in range(len(spec["procs"])):
            row("process %d wall (s)" % (index + 1), lambda r, i=index: "%.1f" % r["processes"][i]["seconds"])
            if name == "d":
                row("process %d: requests, 429" % (index + 1),
                    lambda r, i=index: "%d, %d" % (r["processes"][i]["key_requests"], r["processes"][i]["key_429"]))
    if name == "d" and "d1" in results:
        for index in range(len(spec["procs"])):
            label = "process %d wall / alone (d1)" % (index + 1)
            lines.append("%-34s" % label + "".join(
                "%12s" % ("%.2fx" % (columns[c]["processes"][index]["seconds"] / results["d1"][c]["processes"][0]["seconds"]))
                for c in names))
    if name == "d" and "d0" in results:
        control = results["d0"]["no limit"]["processes"]
        for index in range(len(spec["procs"])):
            label = "process %d wall / no limit (d0)" % (index + 1)
            lines.append("%-34s" % label + "".join(
                "%12s" % ("%.2fx" % (columns[c]["processes"][index]["seconds"] / control[index]["seconds"])) for c in names))
    met, why = judge(name, columns, results)
    if met is not None:
        lines.append("goal (sharing on): %s%s" % ("met" if met else "MISSED", "" if why == "met" else " - " + why))
    return "\n".join(lines)


def main(argv):
    args = parse_args(argv)
    config = {"limit": LIMIT, "window": WINDOW, "rate_per_second": RATE, "provision_seconds": PROVISION_SECONDS,
              "scenarios": args.names, "cpus": os.cpu_count(), "load_average": os.getloadavg()[0]}
    header = ("HostUpCloud rate budget: emulator %d requests / %d s per key (60/min at 12x), collection "
              "HUC_RATE_LIMIT=%d HUC_RATE_LIMIT_WINDOW=%d; huc_instance wait: false; %d CPUs, load %.1f at the start"
              % (LIMIT, WINDOW, LIMIT, WINDOW, config["cpus"], config["load_average"]))
    print(header + "\n", flush=True)
    results, tables = {}, [header]
    started = time.monotonic()
    for name in args.names:
        spec = SCENARIOS[name]
        columns = spec.get("columns", COLUMNS)
        results[name] = collections.OrderedDict((column, measure(spec, env)) for column, env in columns.items())
        text = table(name, spec, results[name], results)
        tables.append(text)
        print(text + "\n", flush=True)
        for column, result in results[name].items():
            for index, process in enumerate(result["processes"]):
                if process["tail"]:
                    print("[%s / %s, process %d: rc %s, failed %s]\n%s\n"
                          % (name, column, index + 1, process["rc"], process["failed"], process["tail"]))
    verdicts = dict((name, judge(name, results[name], results)) for name in results)
    config["seconds_total"] = time.monotonic() - started
    summary = "goals: " + ", ".join("%s %s" % (name, "met" if met else "MISSED")
                                    for name, (met, _why) in verdicts.items() if met is not None)
    summary += " (total %.0f s)" % config["seconds_total"]
    tables.append(summary)
    print(summary)
    os.makedirs(RESULTS, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    with open(os.path.join(RESULTS, "rate_budget-%s.json" % stamp), "w") as handle:
        json.dump({"config": config, "results": results,
                   "goals": dict((n, {"met": m, "why": w}) for n, (m, w) in verdicts.items() if m is not None),
                   "table": "\n\n".join(tables)}, handle, indent=2)
    print("\nwritten: bench/results/rate_budget-%s.json" % stamp)
    return 0 if all(met is not False for met, _why in verdicts.values()) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
