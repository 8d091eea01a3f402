#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: HostUpCloud collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: huc_power
short_description: Start, stop or restart HostUpCloud instances
version_added: 0.1.0
description:
  - Brings one instance, or many at once, to a power state, and acts only where an instance is
    not already there (or on its way there).
  - C(started) on a running instance and C(stopped) on a stopped one send nothing. An instance in
    a transition towards the wanted state (V(provisioning) or V(starting) for V(started),
    V(stopping) for V(stopped)) is waited for, not pushed again. An instance in the opposite
    transition is waited for, then acted on.
  - V(restarted) always reboots a running instance (and starts a stopped one).
  - Several instances move in parallel and are watched with one project listing per poll.
author:
  - HostUpCloud collection maintainers (@hostupcloud)
options:
  project:
    description:
      - The project of the instances, by name or id.
      - Required with O(name), O(instances) and O(label_selector); with O(id) it is not needed.
      - If not set, the value of the E(HUC_PROJECT) environment variable is used.
    type: str
  name:
    description:
      - The name of one instance.
    type: str
  id:
    description:
      - The id of one instance.
    type: str
  instances:
    description:
      - Several instances, each by name or id, found with one listing of the project.
      - With O(label_selector), the task acts on these and on every instance the selector picks.
    type: list
    elements: str
  label_selector:
    description:
      - Act on every instance of O(project) whose labels match this selector (and on those of O(instances), if
        given); none matching is no failure, the task then changes nothing.
      - "Written as in Kubernetes and hcloud, terms joined by commas, all of which must hold: V(key=value) (or
        V(key==value)), V(key!=value), V(key) (the label is set), V(!key) (it is not), V(key in (a,b\\)),
        V(key notin (a,b\\)). V(key!=value) and V(key notin (a,b\\)) also match instances without the label."
      - Found with the one listing of the project, sent to the API as C(labelSelector) and applied again to what
        it returns. A selector with bad syntax fails the task, naming the bad term, before any request.
    type: str
    version_added: 1.1.0
  state:
    description:
      - The wanted power state.
    type: str
    required: true
    choices: [started, stopped, restarted]
  graceful:
    description:
      - With V(true), V(stopped) asks the guest to shut down (action C(shutdown)) and falls back
        to a hard power-off (action C(stop)) when the instance is not stopped after
        O(shutdown_timeout) seconds.
      - With V(false), V(stopped) powers off at once.
      - Without O(wait) there is no fallback, the shutdown is only requested.
    type: bool
    default: true
  shutdown_timeout:
    description:
      - Seconds a graceful shutdown may take before the hard power-off.
    type: int
    default: 120
  wait:
    description:
      - Wait until every instance has reached the wanted state.
      - An instance that must finish a transition before it can be acted on is always waited for.
    type: bool
    default: true
  wait_timeout:
    description:
      - The most seconds the task waits, in all, for every instance together.
      - The first poll comes 2 seconds after the power actions, or when the API says with
        C(Retry-After); later polls double their interval up to 30 seconds, unless the API gives a
        C(Retry-After) again.
      - An instance that enters C(error) fails the task at once; a task still waiting when the time is
        up fails.
    type: int
    default: 300
extends_documentation_fragment:
  - hostupcloud.cloud.api
  - hostupcloud.cloud.api.ATTRIBUTES
  - hostupcloud.cloud.ssh_wait
attributes:
  diff_mode:
    description: Shows the status of each instance before and after.
    support: full
notes:
  - An instance in status V(error) or V(deleting) makes the task fail before anything is sent.
  - Power actions need an API key with the C(write) permission.
"""

EXAMPLES = r"""
- name: Stop an instance gracefully (hard power-off after 120 s)
  hostupcloud.cloud.huc_power:
    project: production
    name: web-1
    state: stopped

- name: Power off at once, by id
  hostupcloud.cloud.huc_power:
    id: 0b9c6a52-5d0e-4b8e-a0c1-3f1f8f0d7a11
    state: stopped
    graceful: false

- name: Start a group of instances from the dynamic inventory in one task
  hostupcloud.cloud.huc_power:
    project: production
    instances: "{{ groups['huc_status_stopped'] | map('extract', hostvars, 'huc_id') | list }}"
    state: started

- name: Stop every web server outside production, and db-1 as well
  hostupcloud.cloud.huc_power:
    project: production
    label_selector: "role=web, env notin (prod)"
    instances: [db-1]
    state: stopped

- name: Reboot the web servers and wait until each can be logged into again (probed at once, on their private addresses)
  hostupcloud.cloud.huc_power:
    project: production
    label_selector: role=web
    state: restarted
    wait_for: ssh
    wait_address: [private, ipv4]

- name: Reboot without waiting for the instance to come back
  hostupcloud.cloud.huc_power:
    project: production
    name: web-1
    state: restarted
    wait: false

- name: See what would change
  hostupcloud.cloud.huc_power:
    project: production
    instances: [web-1, web-2]
    state: stopped
  check_mode: true
  diff: true
  register: plan
"""

RETURN = r"""
instances:
  description: Every instance the task was about, in the order given (then those only O(label_selector) picked, oldest first).
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: Instance id.
      type: str
      returned: always
      sample: 0b9c6a52-5d0e-4b8e-a0c1-3f1f8f0d7a11
    name:
      description: Instance name.
      type: str
      returned: always
      sample: web-1
    status:
      description:
        - Status at the end of the task; in check mode, the status it would reach.
        - Without O(wait), the transitional status the last action left it in.
      type: str
      returned: always
      sample: stopped
    previous_status:
      description: Status before the task.
      type: str
      returned: always
      sample: running
    changed:
      description: Whether a power action was sent (or would be, in check mode) to this instance.
      type: bool
      returned: always
      sample: true
    ssh:
      description: Where the instance answered on SSH (C(address), C(port)), and after how many C(seconds) of probing.
      type: dict
      returned: when O(wait_for=ssh) and not in check mode
      version_added: 1.1.0
      sample: {address: 100.64.0.1, port: 22, seconds: 18.2}
waited:
  description:
    - How long the task waited, in seconds - C(api_seconds) from its first wait until the API reported every instance
      V(running) (V(0) when they were), C(ssh_seconds) from then until the last one answered on SSH.
  returned: when O(wait_for=ssh) and not in check mode
  type: dict
  version_added: 1.1.0
  sample: {api_seconds: 12.5, ssh_seconds: 20.1}
"""

from ansible_collections.hostupcloud.cloud.plugins.module_utils._module import ID, PROJECT, HucModule, Option, wait_options
from ansible_collections.hostupcloud.cloud.plugins.module_utils._instances import RESTORE_LABEL
from ansible_collections.hostupcloud.cloud.plugins.module_utils._power import PowerPlan, relabel, user_and_own
from ansible_collections.hostupcloud.cloud.plugins.module_utils._reachable import ssh_wait_options, ssh_wait_problem, wait_for_ssh
from ansible_collections.hostupcloud.cloud.plugins.module_utils._references import REFERENCES, References
from ansible_collections.hostupcloud.cloud.plugins.module_utils._selectors import parse_selector


class HucPower(HucModule):
    """Finds its instances (one GET by id, one listing for a name or a list) and hands them to PowerPlan."""

    result_key = "instances"
    resource = REFERENCES["instance"]
    options = (
        PROJECT, Option("name"), ID, Option("instances", "list", elements="str"), Option("label_selector"),
        Option("state", required=True, choices=("started", "stopped", "restarted")),
        Option("graceful", "bool", default=True), Option("shutdown_timeout", "int", default=120),
    ) + wait_options(300) + ssh_wait_options()
    option_rules = dict(mutually_exclusive=[("name", "id", "instances"), ("name", "label_selector"), ("id", "label_selector")],
                        required_one_of=[("name", "id", "instances", "label_selector")],
                        required_by={"name": "project", "instances": "project", "label_selector": "project"})

    def targets(self, refs):
        """The instances to act on: one GET by id, or one listing for a name, a list and/or a label selector."""
        path = self.resource.path
        if self.params["label_selector"]:
            selector = parse_selector(self.params["label_selector"])  # refused here, before any request
            if not self.params["instances"]:
                return selector.select(refs.in_project(path, {"labelSelector": selector.text}))
            # Names too: the whole listing (once), the selector applied here.
            named = [refs.find("instance", ref) for ref in self.params["instances"]]
            ids = set(obj["id"] for obj in named)
            return named + [obj for obj in selector.select(refs.listing("instance")) if obj["id"] not in ids]
        if self.params["id"]:
            instance = self.client.get_or_none(self.item_path(self.params["id"]))
            if instance is None:
                self.fail("instance with id %s not found" % self.params["id"], code="not_found")
            return [instance]
        if self.params["name"]:
            found = [obj for obj in refs.in_project(path, {"name": self.params["name"]})
                     if obj.get("name") == self.params["name"]]
            if not found:
                self.fail("instance %r not found in project %s" % (self.params["name"], self.params["project"]),
                          code="not_found")
            if len(found) > 1:
                self.fail("%d instances are named %r in this project: %s; give id instead of name" % (
                    len(found), self.params["name"], ", ".join(sorted(obj["id"] for obj in found))), code="ambiguous")
            return found
        return [refs.find("instance", ref) for ref in self.params["instances"]]

    def run(self):
        problem = ssh_wait_problem(self.params)
        if self.params["wait_for"] == "ssh" and self.params["state"] == "stopped":
            problem = "wait_for: ssh waits for instances to answer, so it needs state started or restarted, not stopped"
        if problem:
            self.fail(problem, code="invalid_argument")
        refs = References(self.client, self.params.get("project"))
        plan = PowerPlan(self, refs, self.targets(refs), self.params["state"], graceful=self.params["graceful"],
                         shutdown_timeout=self.params["shutdown_timeout"], wait=self.params["wait"])
        results = plan.run()
        for target in plan.targets if not self.check_mode else ():
            # The power state is the task's now: a restore left by a killed restart (huc_instance) no longer applies.
            if RESTORE_LABEL in (target.instance.get("labels") or {}):
                relabel(self, target.instance, user_and_own(target.instance, keep=False))
        self.before = dict((item["name"] or item["id"], item["previous_status"]) for item in results)
        self.after = dict((item["name"] or item["id"], item["status"]) for item in results)
        self.set_result(results, changed=any(item["changed"] for item in results))
        if self.params["wait_for"] == "ssh" and not self.check_mode:
            api_seconds = self.waited_seconds()
            reached, ssh_seconds = wait_for_ssh(self, [target.instance for target in plan.targets])
            for item in results:
                item["ssh"] = reached[str(item["id"])]
            self.result["waited"] = {"api_seconds": api_seconds, "ssh_seconds": ssh_seconds}


def main():
    HucPower.main()


if __name__ == "__main__":
    main()
