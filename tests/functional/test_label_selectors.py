"""label_selector (issue 27) through ansible-playbook and ansible-inventory: huc_instance_info, huc_floating_ip_info,
huc_power, the inventory plugin and the instances role's prune. Each form selects what Kubernetes would; a bad
selector is refused before any request; the selection costs one listing per project (per page), labelSelector=
sent as given. That the collection applies the selector itself (an API that ignores it) is shown in
tests/unit/plugins/module_utils/test_selectors.py with a client that returns every object."""

import pytest

from tests.functional.steps import PAGE, keyed_run, steps
from tests.functional.test_inventory import hosts_of, inventory, listing
from tests.functional.playbook import run_playbook
from tests.functional.test_roles import FAST, FLEET, MANAGED, by_name, create, instances_role, writes

task, failing, checked = steps("hostupcloud.cloud.huc_instance_info")
LABELS = {
    "web-1": {"role": "web", "env": "prod"},
    "web-2": {"role": "web", "env": "staging"},
    "db-1": {"role": "db", "env": "prod"},
    "bare-1": {},
}
# selector -> the instances it picks (Kubernetes semantics: != and notin also pick instances without the label)
FORMS = {
    "role=web": ["web-1", "web-2"],
    "role==db": ["db-1"],
    "env!=prod": ["bare-1", "web-2"],
    "role": ["db-1", "web-1", "web-2"],
    "!role": ["bare-1"],
    "env in (staging, test)": ["web-2"],
    "role notin (web)": ["bare-1", "db-1"],
    "role in (web,db), env notin (staging)": ["db-1", "web-1"],
}
BAD = {
    "trailing comma": ("role=web,", "bad term ''"),
    "open set": ("role in (web", "unbalanced parentheses"),
    "no operator": ("role web", "bad term 'role web'"),
    "empty set": ("env in ()", "bad term 'env in ()'"),
}


def fleet(emulator):
    """The four labelled instances (running) and a floating IP labelled like each; {name: id}."""
    ids = dict((name, create(emulator, name, labels=labels, status="running")) for name, labels in LABELS.items())
    for name, labels in LABELS.items():
        code, _headers, body = emulator.call("POST", "/floating-ips", body={
            "projectId": emulator.project_id, "nodeId": emulator.node_id, "labels": dict(labels, name=name)})
        assert code == 201, body
    emulator.clear_requests()
    return ids


def one_listing(path, project_id, selector):
    return [("GET", path, dict(PAGE, projectId=project_id, labelSelector=selector))]


@pytest.mark.heavy
def test_info_modules_select_by_each_form_and_refuse_bad_selectors(emulator):
    fleet(emulator)
    project = emulator.project_id
    tasks = [task("instances %s" % text, {"project": project, "label_selector": text}) for text in FORMS]
    tasks += [task("floating IPs %s" % text, {"project": project, "label_selector": text},
                   module="hostupcloud.cloud.huc_floating_ip_info") for text in ("role notin (web)", "!role")]
    tasks += [failing("bad %s" % name, {"project": "default", "label_selector": text}) for name, (text, _why) in BAD.items()]
    tasks += [failing("bad floating IPs", {"project": "default", "instance": "web-1", "label_selector": "role in (a,,b)"},
                      module="hostupcloud.cloud.huc_floating_ip_info")]
    run, logs, _keys = keyed_run(emulator, tasks)
    for text, names in FORMS.items():
        title = "instances %s" % text
        assert sorted(i["name"] for i in run.task(title)["instances"]) == names, title
        assert logs[title] == one_listing("/api/instances", project, text), title
    addresses = dict((ip["labels"]["name"], ip["address"]) for ip in emulator.state()["floatingIps"])
    for text, names in (("role notin (web)", ["bare-1", "db-1"]), ("!role", ["bare-1"])):
        title = "floating IPs %s" % text
        assert sorted(ip["address"] for ip in run.task(title)["floating_ips"]) == sorted(addresses[n] for n in names)
        assert logs[title] == one_listing("/api/floating-ips", project, text), title
    for name, (text, why) in list(BAD.items()) + [("floating IPs", ("role in (a,,b)", "bad term 'role in (a,,b)'"))]:
        title = "bad %s" % name
        result = run.task(title)
        assert run.status(title) == "failed" and result["msg"].startswith("label_selector: ") and why in result["msg"], result
        assert repr(text) in result["msg"]
        assert result["failure"]["code"] == "invalid_argument" and list(result["failure"]["details"]) == ["label_selector"]
        assert logs[title] == [], title  # not even the project or instance lookup
    assert "Traceback" not in run.output


def test_power_acts_on_what_the_selector_picks(emulator):
    ids = fleet(emulator)
    project = emulator.project_id
    power = "hostupcloud.cloud.huc_power"
    tasks = [checked("plan %s" % text, {"project": project, "label_selector": text, "state": "stopped"}, module=power)
             for text in FORMS]
    tasks += [
        checked("plan with names", {"project": project, "label_selector": "env=staging", "instances": ["db-1", "web-2"],
                                    "state": "stopped"}, module=power),
        checked("plan none", {"project": project, "label_selector": "role=cache", "state": "stopped"}, module=power),
        failing("bad", {"project": "default", "label_selector": "role in (web", "state": "stopped"}, module=power),
        task("stop", {"project": project, "label_selector": "role notin (db), env!=staging", "state": "stopped",
                      "graceful": False, "wait": False}, module=power),
    ]
    run, logs, _keys = keyed_run(emulator, tasks)
    for text, names in FORMS.items():
        title = "plan %s" % text
        assert sorted(i["name"] for i in run.task(title)["instances"]) == names, title
        assert all(i["changed"] for i in run.task(title)["instances"]), title
        assert logs[title] == one_listing("/api/instances", project, text), title
    # Names and a selector: the named ones first, then the others the selector picks; the one whole listing.
    assert [i["name"] for i in run.task("plan with names")["instances"]] == ["db-1", "web-2"]
    assert logs["plan with names"] == [("GET", "/api/instances", dict(PAGE, projectId=project))]
    assert run.task("plan none")["instances"] == [] and not run.task("plan none")["changed"]
    assert run.status("bad") == "failed" and "label_selector: bad selector in 'role in (web'" in run.task("bad")["msg"]
    assert run.task("bad")["failure"]["code"] == "invalid_argument" and logs["bad"] == []
    # For real: the one listing, then one power action for each picked instance.
    assert sorted(i["name"] for i in run.task("stop")["instances"]) == ["bare-1", "web-1"]
    assert logs["stop"][0] == one_listing("/api/instances", project, "role notin (db), env!=staging")[0]
    assert sorted(call[1] for call in logs["stop"][1:]) == sorted("/api/instances/%s/power" % ids[n] for n in ("bare-1", "web-1"))
    assert [call[0] for call in logs["stop"][1:]] == ["POST", "POST"]
    states = dict((name, i["status"]) for name, i in by_name(emulator).items())
    assert states["db-1"] == states["web-2"] == "running" and states["web-1"] != "running" and states["bare-1"] != "running"


def test_inventory_selects_by_labels(emulator):
    fleet(emulator)
    project = emulator.project_id
    config = {"projects": [project], "hostvars_prefix": "huc_"}
    for text in ("role in (web,db), env notin (staging)", "!role"):
        run = inventory(emulator, dict(config, label_selector=text))
        assert run.rc == 0, run.stderr
        assert hosts_of(run, "huc") == FORMS[text]
        query = "labelSelector=%s&page=1&projectId=%s" % (text.replace(" ", "+").replace(",", "%2C").replace("(", "%28")
                                                          .replace(")", "%29").replace("!", "%21"), project)
        assert listing(emulator) == [("GET", "/api/nodes", "page=1"), ("GET", "/api/instances", query)]
        emulator.clear_requests()
    run = inventory(emulator, dict(config, label_selector="role=web,,env=prod"))
    assert run.rc != 0
    assert "label_selector: bad term '' in 'role=web,,env=prod'" in run.stderr
    assert emulator.requests() == []


@pytest.mark.heavy
def test_role_prunes_only_managed_instances_the_selector_picks(emulator_factory):
    emulator = emulator_factory(**FAST)

    def play(tasks):
        return run_playbook(tasks, emulator=emulator)
    ids = dict((name, create(emulator, name, labels=labels, status="running")) for name, labels in [
        ("stray-staging", dict(MANAGED, env="staging")),     # managed, picked by the selector: pruned
        ("stray-prod", dict(MANAGED, env="prod")),           # managed, not picked: kept
        ("stray-none", MANAGED),                             # managed, env!=prod picks it too: pruned
        ("other-staging", {"env": "staging"}),               # picked, but not managed: never pruned
    ])
    emulator.clear_requests()
    run = play([instances_role(instances_project=emulator.project_id, instances_list=FLEET[:1], instances_prune=True,
                               instances_prune_selector="env!=prod")])
    assert run.rc == 0, run
    assert sorted(by_name(emulator)) == ["other-staging", "stray-prod", "web-1"]
    deletes = sorted(path for method, path in writes(emulator) if method == "DELETE")
    assert deletes == sorted("/api/instances/" + ids[name] for name in ("stray-none", "stray-staging"))
    selected = [r for r in emulator.requests() if "labelSelector=" in r["query"]]
    assert len(selected) == 1  # the prune's candidates: one listing

    # A bad selector fails the role before any write.
    emulator.clear_requests()
    run = play([instances_role(instances_project=emulator.project_id, instances_list=FLEET, instances_prune=True,
                               instances_prune_selector="env in (prod")])
    assert run.rc != 0
    assert "label_selector: bad selector in 'env in (prod'" in run.output
    assert writes(emulator) == [] and emulator.requests() == []
