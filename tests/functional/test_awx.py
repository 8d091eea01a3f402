"""The AWX / Automation Controller credential type in extensions/awx, used the way AWX uses it.

AWX renders each env injector of a credential type in a Jinja2 sandbox with the credential's inputs
as variables (CredentialType.inject_credential): an input that is not filled in is undefined there
and renders as ''. Jobs and inventory updates then run through ansible-runner with that environment.
The runs here get exactly that environment plus ANSIBLE_COLLECTIONS_PATH; the test's own HUC_* and
ANSIBLE_* variables are removed first so that none can leak in.
"""

import functools
import os
import re
import subprocess
import sys

import pytest
import yaml
from jinja2 import StrictUndefined
from jinja2.sandbox import ImmutableSandboxedEnvironment

from tests.functional.playbook import ANSIBLE_BIN, ROOT, collections_path

CREDENTIAL_TYPE = os.path.join(ROOT, "extensions", "awx", "credential_type.yml")
# What AWX accepts in a custom credential type (awx.main.fields.CredentialTypeInputField / InjectorField).
FIELD_KEYS = {"id", "label", "type", "format", "choices", "help_text", "multiline", "secret", "ask_at_runtime", "default"}
NAME = re.compile(r"^[a-zA-Z_]+[a-zA-Z0-9_]*$")
UNSAFE = "__ansible_unsafe"


def credential_type():
    with open(CREDENTIAL_TYPE) as handle:
        return yaml.safe_load(handle)


def awx_env(inputs):
    """The environment AWX injects for a credential of this type with these inputs.

    As in AWX, only inputs that are set and not empty are variables; the others render as ''.
    """
    namespace = dict((key, value) for key, value in inputs.items() if value not in (None, ""))
    sandbox = ImmutableSandboxedEnvironment()
    return dict((name, sandbox.from_string(template).render(**namespace))
                for name, template in credential_type()["injectors"]["env"].items())


@pytest.fixture
def clean_environ(monkeypatch):
    """No HUC_* or ANSIBLE_* of the test's own environment (ansible-runner passes os.environ on);
    the ansible commands of HUC_ANSIBLE_BIN first on PATH."""
    for name in list(os.environ):
        if name.startswith(("HUC_", "ANSIBLE_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("PATH", ANSIBLE_BIN + os.pathsep + os.environ.get("PATH", ""))


def private_data_dir(tmp_path):
    data = tmp_path / "runner"
    for sub in ("project", "inventory", "env"):
        (data / sub).mkdir(parents=True)
    (data / "inventory" / "hosts.yml").write_text(yaml.safe_dump({"all": {"hosts": {"localhost": {
        "ansible_connection": "local", "ansible_python_interpreter": sys.executable}}}}))
    return data


def envvars_for(inputs):
    env = awx_env(inputs)
    assert not [name for name in env if name.startswith("ANSIBLE_")]
    return dict(env, ANSIBLE_COLLECTIONS_PATH=collections_path())


@functools.lru_cache(maxsize=None)
def core_version():
    """The ansible-core version of ANSIBLE_BIN, e.g. 2.19.14."""
    out = subprocess.run([os.path.join(ANSIBLE_BIN, "ansible"), "--version"], capture_output=True, text=True,
                         check=True).stdout
    return re.search(r"\[core ([^\]]+)\]", out).group(1)


def results(runner):
    """{task name: (event, result)} of a finished ansible_runner.run."""
    found = {}
    for event in runner.events:
        if event["event"] in ("runner_on_ok", "runner_on_failed"):
            found[event["event_data"]["task"]] = (event["event"], event["event_data"]["res"])
    return found


# -- the file itself ------------------------------------------------------------------------------

def test_credential_type_is_what_awx_accepts():
    doc = credential_type()
    assert doc["kind"] in ("cloud", "net")  # the only kinds a custom credential type may have
    assert set(doc) <= {"name", "description", "kind", "inputs", "injectors"}
    fields = dict((field["id"], field) for field in doc["inputs"]["fields"])
    for field in doc["inputs"]["fields"]:
        assert set(field) <= FIELD_KEYS and {"id", "label"} <= set(field), field
        assert NAME.match(field["id"]) and field["id"] != "tower"
        assert field.get("type", "string") == "string"
        assert field.get("format") in (None, "ssh_private_key", "url")
    assert list(fields) == ["api_key", "api_url", "project"]
    assert fields["api_key"]["secret"] is True
    assert not fields["api_url"].get("secret") and not fields["project"].get("secret")
    assert fields["api_url"]["default"] == "https://console.hostupcloud.com/api"
    assert doc["inputs"]["required"] == ["api_key"]
    assert set(doc["injectors"]) == {"env"}
    env = doc["injectors"]["env"]
    assert env == {"HUC_API_KEY": "{{ api_key }}", "HUC_API_URL": "{{ api_url }}", "HUC_PROJECT": "{{ project }}"}
    for name, template in env.items():
        assert NAME.match(name) and not name.startswith("ANSIBLE_") and template.isascii()
        # AWX's own check: every template renders with StrictUndefined when every field is set.
        ImmutableSandboxedEnvironment(undefined=StrictUndefined).from_string(template).render(
            dict((field, "EXAMPLE") for field in fields))


def test_unset_inputs_render_empty_and_mean_the_defaults():
    assert awx_env({"api_key": "huc_x"}) == {"HUC_API_KEY": "huc_x", "HUC_API_URL": "", "HUC_PROJECT": ""}
    assert awx_env({"api_key": "huc_x", "api_url": "", "project": ""})["HUC_PROJECT"] == ""
    # An empty HUC_API_URL (api_url never filled in) is the default URL, for the modules and the plugin.
    from ansible_collections.hostupcloud.cloud.plugins.module_utils._client import DEFAULT_API_URL, HucClient
    assert HucClient("huc_" + "a" * 40, "").api_url == DEFAULT_API_URL == "https://console.hostupcloud.com/api"


# -- a job ------------------------------------------------------------------------------------

PLAYBOOK = [{
    "name": "HostUpCloud with the AWX credential", "hosts": "localhost", "gather_facts": False,
    "tasks": [
        # names only, and whether the value is empty: never a secret into the job output
        {"name": "environment", "ansible.builtin.shell": "env | grep '^HUC_' | sed 's/=..*/=<set>/' | sort",
         "changed_when": False},
        {"name": "version", "ansible.builtin.debug": {"msg": "{{ ansible_version.full }}"}},
        {"name": "projects", "hostupcloud.cloud.huc_project_info": {}},
        {"name": "instances from HUC_PROJECT", "hostupcloud.cloud.huc_instance_info": {}, "ignore_errors": True},
        {"name": "instances of a named project", "hostupcloud.cloud.huc_instance_info": {"project": "default"}},
        {"name": "power without a project", "hostupcloud.cloud.huc_power": {"name": "web-0001", "state": "stopped"},
         "ignore_errors": True},
    ],
}]


def run_job(tmp_path, emulator, inputs):
    import ansible_runner
    data = private_data_dir(tmp_path)
    (data / "project" / "play.yml").write_text(yaml.safe_dump(PLAYBOOK, sort_keys=False))
    runner = ansible_runner.run(private_data_dir=str(data), playbook="play.yml", envvars=envvars_for(inputs),
                                settings={"process_isolation": False}, quiet=True)
    stdout = (data / "artifacts" / runner.config.ident / "stdout").read_text()
    assert emulator.write_key not in stdout
    found = results(runner)
    # the ansible-core of HUC_ANSIBLE_BIN ran it (make test-min: the lowest supported one)
    assert found["version"][1]["msg"] == core_version(), stdout
    return runner, found, stdout


@pytest.mark.heavy
def test_jobs_without_a_project_and_with_a_default_project(clean_environ, emulator_factory, tmp_path):
    """Two jobs on one emulator: first without a project (which writes nothing, asserted before the
    second job runs), then with the default project."""
    emulator = emulator_factory(seed_instances=3, provision_seconds=0.5, transition_seconds=0.5)

    # Without a project: the empty HUC_PROJECT is treated as unset.
    runner, found, stdout = run_job(tmp_path / "without", emulator, {"api_key": emulator.write_key, "api_url": emulator.api_url})
    assert runner.rc == 0, stdout  # the two failing tasks are ignored
    # AWX injects the unset project as HUC_PROJECT=""
    assert found["environment"][1]["stdout_lines"] == ["HUC_API_KEY=<set>", "HUC_API_URL=<set>", "HUC_PROJECT="]
    assert [p["id"] for p in found["projects"][1]["projects"]] == [emulator.project_id]
    # no project: the same clean failure as without HUC_PROJECT at all, and no request names a project ""
    for task in ("instances from HUC_PROJECT", "power without a project"):
        event, result = found[task]
        assert event == "runner_on_failed", (task, result)
        assert result["failure"]["code"] == "missing_project", (task, result)
        assert "project is required" in result["msg"]
    event, result = found["instances of a named project"]
    assert event == "runner_on_ok" and len(result["instances"]) == 3, result
    assert not [r for r in emulator.requests() if r["method"] != "GET"]
    assert not [r for r in emulator.requests() if "projectId=&" in r["query"] + "&"]

    # With a default project.
    runner, found, stdout = run_job(tmp_path / "with", emulator, {
        "api_key": emulator.write_key, "api_url": emulator.api_url, "project": "default"})
    assert runner.status == "successful" and runner.rc == 0, stdout
    # exactly what the credential injects, nothing from the test's environment
    assert found["environment"][1]["stdout_lines"] == ["HUC_API_KEY=<set>", "HUC_API_URL=<set>", "HUC_PROJECT=<set>"]
    assert [p["id"] for p in found["projects"][1]["projects"]] == [emulator.project_id]
    event, result = found["instances from HUC_PROJECT"]
    assert event == "runner_on_ok", result
    assert sorted(i["name"] for i in result["instances"]) == ["cache-0003", "db-0002", "web-0001"]
    assert found["instances of a named project"][1]["instances"] == result["instances"]
    event, result = found["power without a project"]
    assert event == "runner_on_ok" and result["changed"] is True, result
    assert [i["status"] for i in result["instances"]] == ["stopped"]


# -- an inventory update ----------------------------------------------------------------------

def test_inventory_update_lists_the_hosts_with_plain_variables(clean_environ, emulator_factory, tmp_path):
    from ansible_runner.interface import get_inventory
    emulator = emulator_factory(seed_instances=3)
    data = private_data_dir(tmp_path)
    source = data / "project" / "huc.yml"  # an inventory source from a project file, as in AWX
    source.write_text("plugin: hostupcloud.cloud.huc\n")
    # a read key is enough; no project: the plugin lists every project the key can see
    inventory, errors = get_inventory("list", [str(source)], response_format="json", export=True,
                                      private_data_dir=str(data), quiet=True,
                                      envvars=envvars_for({"api_key": emulator.read_key, "api_url": emulator.api_url}))
    assert isinstance(inventory, dict), (inventory, errors)
    hostvars = inventory["_meta"]["hostvars"]
    state = emulator.state()
    assert sorted(hostvars) == ["cache-0003", "db-0002", "web-0001"], errors
    assert sorted(inventory["huc"]["hosts"]) == sorted(hostvars)
    assert sorted(inventory["huc_project_default"]["hosts"]) == sorted(hostvars)
    for instance in state["instances"]:
        variables = hostvars[instance["name"]]
        # what AWX imports: plain strings, not {"__ansible_unsafe": ...}
        assert variables["ansible_host"] == instance["ipv4"]
        assert variables["huc_name"] == instance["name"] and variables["huc_id"] == instance["id"]
        assert variables["huc_labels"] == instance["labels"]
        assert UNSAFE not in repr(variables)
    assert emulator.read_key not in repr(inventory) + errors
    assert [r["status"] for r in emulator.requests()] and all(r["status"] == 200 for r in emulator.requests())
