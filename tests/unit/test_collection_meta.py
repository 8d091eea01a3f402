"""Collection metadata that must follow the code: the action group lists every module.

These tests also run in a built or installed collection (the tarball ships tests/), where the
development files (galaxy.yml, requirements-min.txt, ...) do not exist.
"""

import os

import pytest
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
    pins_file = os.path.join(ROOT, "requirements-min.txt")
    if not os.path.exists(pins_file):
        pytest.skip("requirements-min.txt is a development file, not shipped in the built collection")
    with open(pins_file) as handle:
        pins = [line.strip() for line in handle if line.startswith("ansible-core==")]
    assert floor.startswith(">=")
    assert pins == ["ansible-core==" + floor[2:]]
