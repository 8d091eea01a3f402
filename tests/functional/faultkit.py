"""Helpers of test_faults.py: a fleet for the instances role, background playbook runs, the checks
every faulted run must pass, and a replay of the emulator's fault draws.

The emulator draws for a rule from its own random.Random(seed), once for each request the rule
covers (methods, pathPrefix) that no earlier rule answered. Every request draws, retries
included, so the first N requests of a kind see the same draws on every run, however the
requests are timed: spent_within() replays them to prove that a rule set is used up by the
requests any run is sure to make.
"""

import json
import os
import random
import subprocess
from collections import Counter

import yaml

from tests.functional.playbook import ANSIBLE_BIN, Run, base_env, work_dir

NODES = ("fra1-n1", "ams1-n1", "nyc1-n1")
ROLE_TASK = "fleet"
# The module options of every hostupcloud.cloud module, set once for the play.
API_TIMEOUT = 2
MODULE_DEFAULTS = {"module_defaults": {"group/hostupcloud.cloud.huc": {"api_timeout": API_TIMEOUT}}}
# The API's limit scaled down (20 requests per 2 s instead of 60 per 60 s), and the client's request
# budget scaled with it (the environment of every run), so that a run and its rerun are not paced
# for a minute; unset variables are ignored by a client without that budget.
SCALED_LIMIT = {"rate_limit": 20, "rate_window": 2}
SCALED_ENV = {"HUC_RATE_LIMIT": "20", "HUC_RATE_LIMIT_WINDOW": "2"}


def fleet(count, prefix="flt", stopped_every=5):
    """count small instances spread over the three nodes; every stopped_every-th one is to be stopped."""
    entries = []
    for index in range(count):
        entry = {"name": "%s-%02d" % (prefix, index + 1), "node": NODES[index % len(NODES)],
                 "os_template": "Ubuntu 24.04", "vcpus": 1, "memory_mb": 512, "disk_gb": 10,
                 "labels": {"fleet": prefix}}
        if stopped_every and index % stopped_every == stopped_every - 1:
            entry["power"] = "stopped"
        entries.append(entry)
    return entries


def wanted_status(entry):
    return "stopped" if entry.get("power") == "stopped" else "running"


def instances_role(entries, project="default"):
    return {"name": ROLE_TASK, "ansible.builtin.include_role": {"name": "hostupcloud.cloud.instances"},
            "vars": {"instances_project": project, "instances_list": entries}}


# -- checks ---------------------------------------------------------------------------------------


def failed_tasks(run):
    return [r["task"] for r in run.records if r["status"] == "failed"]


def changed_tasks(run):
    return [r["task"] for r in run.records if r["status"] == "changed"]


def describe(run, emulator=None):
    """What a failed assertion shows: the failed results, the end of the output, the faulted requests."""
    lines = ["rc=%s" % run.rc]
    for record in run.records:
        if record["status"] == "failed":
            result = record["result"]
            items = [r for r in result.get("results", []) if r.get("failed")] or [result]
            for item in items:
                label = item.get("item")
                label = label.get("name", "") if isinstance(label, dict) else (label or "")
                lines.append("FAILED %s [%s]: %s" % (record["task"], label, item.get("msg")))
    lines.append(run.output[-3000:])
    if emulator is not None:
        lines.append("requests around the faults and errors:")
        lines.extend(log_excerpt(emulator.requests()))
    return "\n".join(lines)


def unusual(entry):
    return entry.get("fault") or entry.get("delaySeconds") or entry["status"] is None or entry["status"] >= 400


def log_excerpt(entries, around=1):
    """The request log lines of the faulted, delayed, dropped or refused requests and their neighbours."""
    keep = set()
    for index, entry in enumerate(entries):
        if unusual(entry):
            keep.update(range(max(0, index - around), min(len(entries), index + around + 1)))
    lines, last = [], -1
    for index in sorted(keep):
        if index != last + 1:
            lines.append("  ...")
        lines.append(log_line(entries[index]))
        last = index
    return lines


def log_line(e):
    flags = [flag for flag in ("fault", "afterAction") if e.get(flag)]
    if e.get("delaySeconds"):
        flags.append("delay %ss" % e["delaySeconds"])
    # The query without the parts every listing has (project, paging).
    query = "&".join(part for part in (e.get("query") or "").split("&")
                     if part and not part.startswith(("projectId=", "page=", "perPage=")))
    query = "?" + query if query else ""
    key = " key=%s" % e["idempotencyKey"][:8] if e.get("idempotencyKey") else ""
    status = e["status"] if e["status"] is not None else "dropped"
    marks = " [%s]" % ", ".join(flags) if flags else ""
    return "  %s %s %s%s -> %s%s%s" % (e["at"], e["method"], e["path"], query, status, key, marks)


def log_lines(entries):
    return [log_line(e) for e in entries]


def converged(emulator, entries):
    """Problems of the emulator's state against the fleet: duplicates, lost or extra names, wrong power states."""
    instances = emulator.state()["instances"]
    counts = Counter(i["name"] for i in instances)
    wanted = dict((entry["name"], wanted_status(entry)) for entry in entries)
    problems = []
    problems += ["duplicate %s (%d instances)" % (name, n) for name, n in sorted(counts.items()) if n > 1]
    problems += ["lost %s" % name for name in sorted(set(wanted) - set(counts))]
    problems += ["extra %s" % name for name in sorted(set(counts) - set(wanted))]
    problems += ["%s is %s, wanted %s" % (i["name"], i["status"], wanted[i["name"]])
                 for i in instances if i["name"] in wanted and i["status"] != wanted[i["name"]]]
    return problems


def status_counts(entries, faulted=None):
    """{(method, status or 'drop', 'fault' / 'after' / ''): n} of request log entries, for the report."""
    counts = Counter()
    for entry in entries:
        if faulted is not None and bool(entry.get("fault")) != faulted:
            continue
        kind = "after" if entry.get("afterAction") else ("fault" if entry.get("fault") else "")
        if entry.get("delaySeconds") and not entry.get("fault"):
            kind = "delay"
        counts[(entry["method"], entry["status"] if entry["status"] is not None else "drop", kind)] += 1
    return dict(counts)


# -- the emulator's fault draws, replayed ---------------------------------------------------------


def covers(rule, method, path):
    """Whether a rule applies to a request (methods, pathPrefix)."""
    methods = rule.get("methods")
    prefix = rule.get("pathPrefix")
    return (methods is None or method in methods) and (prefix is None or path.startswith(prefix))


def replay_fires(rules, requests):
    """How often each rule fires for this sequence of (method, path) requests, as the emulator draws."""
    rngs = [random.Random(rule.get("seed")) for rule in rules]
    fired = [0] * len(rules)
    for method, path in requests:
        for index, rule in enumerate(rules):
            count = rule.get("count")
            if count is not None and fired[index] >= count:
                continue
            if not covers(rule, method, path):
                continue
            if rngs[index].random() >= rule.get("rate", 1.0):
                continue
            fired[index] += 1
            break
    return fired


def spent_within(rules, requests):
    """Whether every count-limited rule is used up by these requests, whatever comes after them."""
    fired = replay_fires(rules, requests)
    return all(rule.get("count") is None or n == rule["count"] for rule, n in zip(rules, fired))


# -- background runs ------------------------------------------------------------------------------


class Background:
    """One ansible-playbook started with subprocess.Popen, as playbook.run_playbook would run it."""

    def __init__(self, tasks, emulator, play=None, env=None, args=()):
        self.workdir = work_dir("background-")
        play_def = {"name": "test", "hosts": "localhost", "connection": "local", "gather_facts": False,
                    "vars": {}, "tasks": tasks}
        play_def.update(play or {})
        playbook = os.path.join(self.workdir, "play.yml")
        with open(playbook, "w") as handle:
            yaml.safe_dump([play_def], handle, sort_keys=False)
        self.record = os.path.join(self.workdir, "record.jsonl")
        child_env = base_env(emulator, None, SCALED_ENV if env is None else env)
        child_env["HUC_RECORD_FILE"] = self.record
        self.stdout = open(os.path.join(self.workdir, "stdout"), "w+")
        self.stderr = open(os.path.join(self.workdir, "stderr"), "w+")
        self.proc = subprocess.Popen([os.path.join(ANSIBLE_BIN, "ansible-playbook"), "-i", "localhost,", playbook]
                                     + list(args), cwd=self.workdir, env=child_env, stdin=subprocess.DEVNULL,
                                     stdout=self.stdout, stderr=self.stderr, text=True)

    def path(self, name):
        return os.path.join(self.workdir, name)

    def finish(self, timeout=600):
        """Wait for the process (killed past timeout) and return its Run."""
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        outputs = []
        for stream in (self.stdout, self.stderr):
            stream.seek(0)
            outputs.append(stream.read())
            stream.close()
        records = []
        if os.path.exists(self.record):
            with open(self.record) as handle:
                records = [json.loads(line) for line in handle if line.strip()]
        return Run(self.proc.returncode, outputs[0], outputs[1], records)

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
