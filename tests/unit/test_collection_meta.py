"""Collection metadata that must follow the code: the action group lists every module."""

import os

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_action_group_lists_every_module():
    with open(os.path.join(ROOT, "meta", "runtime.yml")) as handle:
        group = set(yaml.safe_load(handle)["action_groups"]["huc"])
    modules = set(name[:-3] for name in os.listdir(os.path.join(ROOT, "plugins", "modules"))
                  if name.endswith(".py") and not name.startswith("_"))
    assert modules, "no modules found"
    assert group == modules, "meta/runtime.yml action group huc differs: missing %s, extra %s" % (
        sorted(modules - group), sorted(group - modules))


def test_lowest_tested_ansible_core_is_the_claimed_floor():
    """make test-min runs the playbook suites on exactly the version requires_ansible names."""
    with open(os.path.join(ROOT, "meta", "runtime.yml")) as handle:
        floor = yaml.safe_load(handle)["requires_ansible"]
    with open(os.path.join(ROOT, "requirements-min.txt")) as handle:
        pins = [line.strip() for line in handle if line.startswith("ansible-core==")]
    assert floor.startswith(">=")
    assert pins == ["ansible-core==" + floor[2:]]
