"""Benchmark: the requests each operation costs, against its floor (the fewest the API's routes allow).

Every operation runs as one ansible-playbook task against the emulator (provision 5 s, power
transitions 2 s, as the defaults of the API the emulator imitates), on a fresh request log; the
project, node and instances are given by id unless the row says "by name". The floor counts the
requests no client can avoid: the one lookup that finds the resource (a GET by id, or one listing by
name), the writes the routes need, and one poll per transition waited for; where the floor holds
more than that, the row says why (a request that buys a guarantee). A row above its floor is marked,
and the script then exits 1. The table is written to bench/results/requests-<time>.json and printed as Markdown, the
form bench/README.md keeps it in.

    .venv/bin/python bench/requests.py
"""

import json
import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from bench.inventory import RESULTS  # noqa: E402  pylint: disable=wrong-import-position
from tests.emulator.harness import Emulator, make_instances  # noqa: E402  pylint: disable=wrong-import-position
from tests.functional.playbook import run_playbook  # noqa: E402  pylint: disable=wrong-import-position

KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGNhY2hlZC1rZXktZm9yLXRlc3RzLW9ubHktMDAwMDAw bench"


def operations(emulator, ids):
    """(row, module, args, floor, what the floor is, why the floor has more than the bare minimum) in the order
    they run; each builds on the last."""
    project, node = emulator.project_id, emulator.node_id
    spec = dict(project=project, name="web-1", node=node, os_template=emulator.os_template, vcpus=1, memory_mb=1024,
                disk_gb=20, ssh_keys=[])
    instance = "hostupcloud.cloud.huc_instance"
    return [
        ("instance: create and wait (provision 5 s)", instance, spec, 3, "a listing, the POST, one poll", ""),
        ("instance: no-op", instance, spec, 1, "a listing", ""),
        ("instance: no-op, node by name", instance, dict(spec, node=emulator.node_name), 1, "a listing", ""),
        ("instance: labels", instance, dict(spec, labels={"role": "web"}), 2, "a listing, the PATCH", ""),
        ("instance: resize with a restart", instance, dict(spec, vcpus=2, memory_mb=2048, allow_restart=True), 8,
         "a listing, shutdown, a poll, the PATCH, start, a poll, and two PATCHes of the restore record",
         "the record of the power state to restore is what lets a rerun finish a restart that a kill cut short"),
        ("power: stop one instance by id", "hostupcloud.cloud.huc_power", dict(id="{{ web_id }}", state="stopped"),
         3, "a GET, the shutdown, a poll", ""),
        ("power: start it again", "hostupcloud.cloud.huc_power", dict(id="{{ web_id }}", state="started"), 3,
         "a GET, the start, a poll", ""),
        ("volume: create detached", "hostupcloud.cloud.huc_volume", dict(project=project, name="data", size_gb=10,
                                                                         node=node), 2, "a listing, the POST", ""),
        ("volume: attach", "hostupcloud.cloud.huc_volume", dict(project=project, name="data", instance=ids["db-1"]), 3,
         "a listing, the instance (same project and node, checked before the write), the attach", ""),
        ("floating IP: allocate for an instance", "hostupcloud.cloud.huc_floating_ip",
         dict(project=project, instance=ids["db-1"]), 5,
         "a listing, the instance (its node), the POST, a listing, the attach",
         "the listing after the allocation keeps one floating IP when two runs allocate for one instance at once"),
        ("floating IP: no-op", "hostupcloud.cloud.huc_floating_ip", dict(project=project, instance=ids["db-1"]), 1,
         "a listing", ""),
        ("firewall: create", "hostupcloud.cloud.huc_firewall",
         dict(project=project, name="web", rules=[{"protocol": "tcp", "port": 22, "sources": ["10.0.0.0/8"]}]), 2,
         "a listing, the POST", ""),
        ("private network: create with an instance", "hostupcloud.cloud.huc_private_network",
         dict(project=project, name="backend", cidr="10.10.0.0/24", instances=[ids["db-1"]]), 4,
         "a listing, the project's instances, the POST, the attach",
         "the instances listing refuses an instance of another project before the network is created"),
        ("SSH key: add", "hostupcloud.cloud.huc_ssh_key", dict(project=project, name="deploy", public_key=KEY), 2,
         "a listing, the POST", ""),
        ("instance: no-op, SSH keys by name", instance, dict(project=project, name="web-1", ssh_keys=["deploy"]), 1,
         "a listing", ""),
        ("instance info: a project", "hostupcloud.cloud.huc_instance_info", dict(project=project), 1, "a listing", ""),
        ("instance: delete and wait", instance, dict(project=project, name="web-1", state="absent"), 3,
         "a listing, the DELETE, a poll", ""),
    ]


def main():
    emulator = Emulator(provision_seconds=5, transition_seconds=2).start()
    rows = []
    try:
        ids = make_instances(emulator, ["db-1"])
        web_id = None
        for name, module, args, floor, made_of, why in operations(emulator, ids):
            emulator.clear_requests()
            started = time.time()
            run = run_playbook([{"name": name, module: args, "register": "out"}], emulator=emulator,
                               vars={"web_id": web_id})
            wall = time.time() - started
            if run.rc != 0:
                raise SystemExit("%s failed: %s" % (name, run.task(name).get("msg")))
            if module.endswith("huc_instance") and run.task(name).get("instance"):
                web_id = run.task(name)["instance"]["id"] or web_id
            requests = [(r["method"], r["path"]) for r in emulator.requests()]
            rows.append({"operation": name, "requests": len(requests), "floor": floor, "made_of": made_of,
                         "why": why, "wall": round(wall, 2), "log": requests})
    finally:
        emulator.stop()
    os.makedirs(RESULTS, exist_ok=True)
    with open(os.path.join(RESULTS, "requests-%d.json" % time.time()), "w") as handle:
        json.dump(rows, handle, indent=1)
    print("| operation | requests | floor | the floor | why |")
    print("|---|---|---|---|---|")
    for row in rows:
        mark = "" if row["requests"] <= row["floor"] else " (ABOVE THE FLOOR)"
        cells = (row["operation"], row["requests"], mark, row["floor"], row["made_of"], row["why"])
        print("| %s | %d%s | %d | %s | %s |" % cells)
    return 1 if any(row["requests"] > row["floor"] for row in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
