"""Issue 23 item 16: check mode predicts what the real run does. For every option of every module that
predicts, one change is run in --check --diff and then for real: the predicted result is the real result
(but for what the API assigns: fields the prediction leaves null, and times), and the diffs are equal.

Each module is one playbook: a pair of tasks per option, every pair starting from where the last left off.
"""

import pytest

from tests.emulator.harness import make_instances
from tests.functional.playbook import run_playbook

TIMES = ("created_at", "updated_at")


def agree(predicted, real, path="result"):
    """Differences of predicted from real: null in predicted stands for what the API assigns."""
    if predicted is None:
        return []
    if isinstance(predicted, dict) and isinstance(real, dict):
        problems = ["%s: %s not in the real result" % (path, key) for key in predicted if key not in real]
        for key, value in predicted.items():
            if key in real and key not in TIMES:
                problems += agree(value, real[key], "%s.%s" % (path, key))
        return problems + ["%s: %s not predicted" % (path, key) for key in real if key not in predicted]
    if isinstance(predicted, list) and isinstance(real, list) and len(predicted) == len(real):
        return [text for index, (one, other) in enumerate(zip(predicted, real))
                for text in agree(one, other, "%s[%d]" % (path, index))]
    return [] if predicted == real else ["%s: predicted %r, got %r" % (path, predicted, real)]


def pairs(module, key, cases):
    tasks = []
    for name, args in cases:
        tasks.append({"name": "check " + name, module: args, "register": "out", "check_mode": True})
        tasks.append({"name": name, module: args, "register": "out"})
    return tasks


def held(run, key, cases):
    problems = []
    for name, _args in cases:
        check, real = run.task("check " + name), run.task(name)
        assert run.status(name) in ("ok", "changed") and run.status("check " + name) in ("ok", "changed"), (name, real)
        assert check["changed"] == real["changed"], (name, check["changed"], real["changed"])
        problems += ["%s: %s" % (name, text) for text in agree(check[key], real[key])]
        if check.get("diff") != real.get("diff"):
            problems.append("%s: diff %r != %r" % (name, check.get("diff"), real.get("diff")))
    assert not problems, problems


@pytest.fixture
def fast(emulator_factory):
    return emulator_factory(provision_seconds=0.5, transition_seconds=0.5)


def test_instance(fast):
    emulator = fast
    base = dict(project=emulator.project_id, name="web-1", allow_restart=True)
    setup = {"name": "setup", "hostupcloud.cloud.huc_instance": dict(
        base, node=emulator.node_id, os_template=emulator.os_template, vcpus=1, memory_mb=1024, disk_gb=20,
        ssh_keys=[], ipv6=True, reverse_dns={"ipv4": "v4.example.com", "ipv6": "v6.example.com"})}
    cases = [
        ("reverse dns of one address keeps the other", dict(base, reverse_dns={"ipv4": "other.example.com"})),
        ("remove a PTR", dict(base, reverse_dns={"ipv6": None})),
        ("labels", dict(base, labels={"role": "web"})),
        ("disk", dict(base, disk_gb=40)),
        ("resize with a restart", dict(base, vcpus=2, memory_mb=2048)),
        ("ipv6 off", dict(base, ipv6=False)),
        ("rename by id", dict(id="{{ made.instance.id }}", name="web-01")),
    ]
    # The setup and the pairs in one playbook: the rename finds the id the setup registered.
    run = run_playbook([dict(setup, register="made")] + pairs("hostupcloud.cloud.huc_instance", "instance", cases),
                       emulator=emulator, args=["--diff"])
    assert run.status("setup") == "changed", run
    assert run.task("rename by id")["instance"]["id"] == run.task("setup")["instance"]["id"]
    held(run, "instance", cases)


@pytest.mark.heavy
def test_volume_floating_ip_firewall_network_ssh_key(emulator_factory):
    """One playbook for the setup and one for every module's pairs (each module's task names carry its key);
    the rate budget is lifted: this test is not about pacing."""
    emulator = emulator_factory(rate_limit=600)
    unpaced = {"HUC_RATE_LIMIT": "600"}
    world = make_instances(emulator, ["web-1", "web-2"])
    project = emulator.project_id
    volume = dict(project=project, name="data")
    fip = dict(project=project)
    firewall = dict(project=project, name="web")
    network = dict(project=project, name="backend")
    key_a = ("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGNhY2hlZC1rZXktZm9yLXRlc3RzLW9ubHktMDAwMDAw a")
    setup = [
        {"name": "volume", "hostupcloud.cloud.huc_volume": dict(volume, size_gb=10, node=emulator.node_id)},
        {"name": "fip", "hostupcloud.cloud.huc_floating_ip": dict(fip, instance=world["web-1"]), "register": "fip"},
        {"name": "firewall", "hostupcloud.cloud.huc_firewall": dict(
            firewall, rules=[{"protocol": "tcp", "port": 22, "sources": ["10.0.0.0/8"]}])},
        {"name": "network", "hostupcloud.cloud.huc_private_network": dict(network, cidr="10.10.0.0/24")},
    ]
    run = run_playbook(setup, emulator=emulator, env=unpaced)
    assert run.rc == 0, [r["result"].get("msg") for r in run.records]
    address = run.task("fip")["floating_ip"]["address"]
    suites = [
        ("hostupcloud.cloud.huc_volume", "volume", [
            ("grow", dict(volume, size_gb=20)),
            ("attach", dict(volume, instance="web-1")),
            ("move", dict(volume, instance="web-2", force=True)),
            ("detach", dict(volume, state="detached")),
        ]),
        ("hostupcloud.cloud.huc_floating_ip", "floating_ip", [
            ("ptr", dict(fip, address=address, reverse_dns="ip.example.com")),
            ("move", dict(fip, address=address, instance="web-2", force=True)),
            ("ptr removed", dict(fip, address=address, reverse_dns=None)),
            ("detach", dict(fip, address=address, instance=None)),
        ]),
        ("hostupcloud.cloud.huc_firewall", "firewall", [
            ("add a rule", dict(firewall, purge_rules=False, rules=[{"protocol": "udp", "port": 53, "sources": ["10.0.0.0/8"]}])),
            ("purge rules", dict(firewall, rules=[{"protocol": "icmp", "sources": ["0.0.0.0/0"]}])),
            ("instances", dict(firewall, instances=["web-1", world["web-2"]])),
            ("purge instances", dict(firewall, instances=["web-2"], purge_instances=True)),
        ]),
        ("hostupcloud.cloud.huc_private_network", "private_network", [
            ("attach", dict(network, instances=["web-1"])),
            ("add", dict(network, instances=["web-2"])),
            ("purge", dict(network, instances=["web-2"], purge_instances=True)),
        ]),
        ("hostupcloud.cloud.huc_ssh_key", "ssh_key", [
            ("add", dict(project=project, name="deploy", public_key=key_a)),
            ("same key", dict(project=project, name="deploy", public_key=key_a + " other comment")),
        ]),
    ]
    # Task names are made unique per module: "<key>: <case>".
    suites = [(module, key, [("%s: %s" % (key, name), args) for name, args in cases]) for module, key, cases in suites]
    run = run_playbook([task for module, key, cases in suites for task in pairs(module, key, cases)],
                       emulator=emulator, args=["--diff"], env=unpaced)
    for _module, key, cases in suites:
        held(run, key, cases)
