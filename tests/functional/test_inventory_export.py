"""ansible-inventory --list --export (what AWX and Automation Controller import) of the huc plugin.

Strings are plain; only API data that could be a template stays marked unsafe, and is never templated.
Runs on the ansible-core of HUC_ANSIBLE_BIN when set (make test-min: 2.19.0), else on the pinned one.
"""

import json
import os
import subprocess

import pytest
import yaml

from tests.functional.playbook import ANSIBLE_BIN, run_command, run_playbook, work_dir

# Label values that are templates (or could become one): each must come out literally, and unsafe.
TEMPLATE_LABELS = {
    "home": "{{ lookup('env','HOME') }}",
    "block": "{% if true %}yes{% endif %}",
    "comment": "{# a note #}",
    # ansible-core 2.19 takes a string starting with #jinja2: as a template whose header may change the delimiters
    "header": "#jinja2:variable_start_string:'[[', variable_end_string:']]'\n[[ 6 * 7 ]]",
}
PLAIN_LABELS = {"role": "web", "env": "prod", "braces": "{not a template}", "note": "50% off, #1"}
UNSAFE = "__ansible_unsafe"


def is_unsafe(value):
    return isinstance(value, dict) and list(value) == [UNSAFE]


def walk(value, path=()):
    """(path, value) of every string in value; a marked string is {"__ansible_unsafe": text}."""
    if is_unsafe(value) or isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from walk(item, path + (key,))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from walk(item, path + (index,))


@pytest.fixture
def fleet(emulator_factory):
    """An emulator with 3 seeded instances and 'labelled', whose labels hold templates; it has a
    floating IP and a volume attached."""
    emulator = emulator_factory(seed_instances=3)
    code, _headers, body = emulator.call("POST", "/instances", body={
        "projectId": emulator.project_id, "name": "labelled", "nodeId": emulator.node_id,
        "osTemplate": emulator.os_template, "vcpus": 1, "memoryMb": 1024, "diskGb": 20,
        "labels": dict(PLAIN_LABELS, **TEMPLATE_LABELS)})
    assert code == 201, body
    instance_id = body["data"]["id"]
    emulator.set_instance(instance_id, status="running")
    where = {"projectId": emulator.project_id, "nodeId": emulator.node_id}
    code, _headers, body = emulator.call("POST", "/floating-ips", body=where)
    assert code == 201, body
    code, _headers, attached = emulator.call("POST", "/floating-ips/%s/attach" % body["data"]["id"],
                                             body={"instanceId": instance_id})
    assert code == 200, attached
    code, _headers, body = emulator.call("POST", "/volumes", body=dict(where, name="data", sizeGb=10))
    assert code == 201, body
    code, _headers, attached = emulator.call("POST", "/volumes/%s/attach" % body["data"]["id"],
                                             body={"instanceId": instance_id})
    assert code == 200, attached
    emulator.clear_requests()
    return emulator


def write_source(config=None):
    workdir = work_dir("export-")
    path = os.path.join(workdir, "huc.yml")
    with open(path, "w") as handle:
        yaml.safe_dump(dict({"plugin": "hostupcloud.cloud.huc"}, **(config or {})), handle, sort_keys=False)
    return workdir, path


def ansible_inventory(emulator, config, *args):
    workdir, path = write_source(config)
    run = run_command([os.path.join(ANSIBLE_BIN, "ansible-inventory"), "-i", path] + list(args), emulator=emulator,
                      env={"ANSIBLE_INVENTORY_UNPARSED_FAILED": "1"}, workdir=workdir)
    assert run.rc == 0, run
    return json.loads(run.stdout)


def ansible_version():
    out = subprocess.run([os.path.join(ANSIBLE_BIN, "ansible"), "--version"], capture_output=True, text=True,
                         check=True).stdout
    return out.splitlines()[0]


@pytest.mark.parametrize("args", [("--list", "--export"), ("--list",)], ids=["export", "list"])
def test_strings_are_plain_and_only_templates_are_marked_unsafe(fleet, args):
    data = ansible_inventory(fleet, {"attachments": ["floating_ips", "volumes"]}, *args)
    hostvars = data["_meta"]["hostvars"]
    state = fleet.state()
    assert sorted(hostvars) == sorted(i["name"] for i in state["instances"])
    assert sorted(data["huc"]["hosts"]) == sorted(hostvars)
    by_name = dict((i["name"], i) for i in state["instances"])
    for name, variables in hostvars.items():
        instance = by_name[name]
        # What AWX shows and connects with: plain strings.
        assert variables["ansible_host"] == instance["ipv4"], (ansible_version(), name, variables["ansible_host"])
        for field, value in (("huc_name", name), ("huc_id", instance["id"]), ("huc_project", "default"),
                             ("huc_project_id", fleet.project_id), ("huc_status", "running"),
                             ("huc_os_template", instance["osTemplate"]), ("huc_ipv6", instance["ipv6"]),
                             ("huc_created_at", instance["createdAt"])):
            assert variables[field] == value, (ansible_version(), name, field, variables[field])
        assert variables["huc_vcpus"] == instance["vcpus"]
        marked = dict((path, value[UNSAFE]) for path, value in walk(variables) if is_unsafe(value))
        plain = dict((path, value) for path, value in walk(variables) if isinstance(value, str))
        if name == "labelled":
            assert marked == dict((("huc_labels", key), value) for key, value in TEMPLATE_LABELS.items()), ansible_version()
            for key, value in PLAIN_LABELS.items():
                assert variables["huc_labels"][key] == value
            assert variables["huc_floating_ips"] == [state["floatingIps"][0]["address"]]
            assert variables["huc_volumes"] == [{"id": state["volumes"][0]["id"], "name": "data", "size_gb": 10}]
        else:
            assert marked == {}, (ansible_version(), name, marked)
            assert variables["huc_labels"] == instance["labels"] and variables["huc_labels"]
            assert variables["huc_floating_ips"] == [] and variables["huc_volumes"] == []
        # and nothing that could be a template is plain
        assert not [path for path, value in plain.items() if any(m in value for m in ("{{", "{%", "{#", "#jinja2:"))]


def test_template_labels_are_never_templated(fleet):
    """A playbook, compose and filters see the label values literally (no lookup runs, nothing is rendered)."""
    workdir, path = write_source({
        "compose": {"home_copy": "huc_labels.home", "header_copy": "huc_labels.header"},
        "filters": ["huc_labels.home is defined or huc_name != 'labelled'",
                    "huc_labels.block | default('') != 'yes'", "huc_labels.header | default('') != '42'"],
        "keyed_groups": [{"key": "huc_labels.role", "prefix": "role"}],
    })
    exported = ansible_inventory(fleet, None, "--list", "--export")  # without compose/filters
    home = os.environ["HOME"]
    tasks = [
        {"name": "direct", "ansible.builtin.debug": {"msg": {
            "home": "{{ huc_labels.home }}", "block": "{{ huc_labels.block }}", "comment": "{{ huc_labels.comment }}",
            "header": "{{ huc_labels.header }}", "home_copy": "{{ home_copy }}", "header_copy": "{{ header_copy }}",
            "role": "{{ huc_labels.role }}", "groups": "{{ group_names }}"}}},
        {"name": "by hostvars", "ansible.builtin.debug": {"msg": "{{ hostvars['labelled'].huc_labels }}"},
         "delegate_to": "localhost"},
    ]
    run = run_playbook(tasks, emulator=fleet, args=["-i", path],
                       play={"hosts": "labelled", "connection": "local"})
    assert run.rc == 0, run
    direct = run.task("direct")["msg"]
    for key, value in TEMPLATE_LABELS.items():
        assert direct[key] == value, (ansible_version(), key, direct[key])
    assert direct["home_copy"] == TEMPLATE_LABELS["home"] and direct["header_copy"] == TEMPLATE_LABELS["header"]
    assert direct["role"] == "web" and "role_web" in direct["groups"]
    by_hostvars = run.task("by hostvars")["msg"]
    assert by_hostvars == dict(PLAIN_LABELS, **TEMPLATE_LABELS), ansible_version()
    assert home not in json.dumps([direct, by_hostvars])
    # The same values in the export stay marked, so an importer knows them as unsafe too.
    labels = exported["_meta"]["hostvars"]["labelled"]["huc_labels"]
    assert dict((k, v) for k, v in labels.items() if is_unsafe(v)) == dict(
        (k, {UNSAFE: v}) for k, v in TEMPLATE_LABELS.items())
