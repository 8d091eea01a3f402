# -*- coding: utf-8 -*-
# Copyright: HostUpCloud collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A fleet of instances in one task (huc_fleet). Private to this collection.

The project is listed once; each item is planned with the driver's own plan_create / plan_update on
the instance of its name in that listing (the huc_instance declarations, _instances.ITEM_FIELDS);
every refusal comes before any write. Then the creates (POSTs with an Idempotency-Key), the PATCHes
and the prune's DELETEs are sent, and one wait watches them all with one listing of the project per
poll. The fleet's own label (FLEET_LABEL) marks what it made, and only that is ever pruned.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.module_utils import basic
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.module_utils.errors import UnsupportedError

from ansible_collections.hostupcloud.cloud.plugins.module_utils._client import HucApiError
from ansible_collections.hostupcloud.cloud.plugins.module_utils._declarations import Inputs, Plan
from ansible_collections.hostupcloud.cloud.plugins.module_utils._instances import (
    BROKEN, DEFAULTS, ITEM_FIELDS, OWN_LABELS, SETTLES_IN, STABLE, needs_stop, own_labels, user_labels)
from ansible_collections.hostupcloud.cloud.plugins.module_utils._limits import string_labels
from ansible_collections.hostupcloud.cloud.plugins.module_utils._module import (
    DELETE, PROJECT, PROVISION, HucAnsibleModule, Option, failure, wait_options)
from ansible_collections.hostupcloud.cloud.plugins.module_utils._power import RESTORE_POWER, power_cycle
from ansible_collections.hostupcloud.cloud.plugins.module_utils._protection import unprotected
from ansible_collections.hostupcloud.cloud.plugins.module_utils._reachable import ssh_wait_options, ssh_wait_problem, wait_for_ssh
from ansible_collections.hostupcloud.cloud.plugins.module_utils._references import REFERENCES
from ansible_collections.hostupcloud.cloud.plugins.module_utils._resource import HucResourceModule

# The label every instance of a fleet carries: the collection's own (never compared with labels, always kept).
FLEET_LABEL = OWN_LABELS + "fleet"
DIFF_FIELDS = ("name", "node_id", "os_template", "vcpus", "memory_mb", "disk_gb", "ssh_key_ids", "labels")


def item_options(with_name):
    """The sub-options of an item (with_name: name required) or of defaults (no name)."""
    spec = {}
    for field in ITEM_FIELDS:
        if field.identity and not with_name:
            continue
        spec[field.option] = dict(field.spec, required=True) if field.identity else dict(field.spec)
    spec["allow_restart"] = {"type": "bool"}  # not an API field: how a change that needs a stop may be made
    return spec


def merge(defaults, item):
    """An item's options: its own where it sets them, else those of defaults (unset is None in both)."""
    merged = dict((key, value) for key, value in (defaults or {}).items() if value is not None)
    merged.update((key, value) for key, value in item.items() if value is not None)
    return merged


def item_errors(params):
    """What Ansible's own check of the items and defaults refuses (unknown keys, types), naming the item by index
    and name, which Ansible's messages do not."""
    found = []
    for option, with_name, items in (("defaults", False, [params.get("defaults")]), ("instances", True, params.get("instances"))):
        validator = ArgumentSpecValidator(item_options(with_name))
        for index, item in enumerate(items if isinstance(items, list) else []):
            if not isinstance(item, dict):
                continue  # Ansible's message says it
            where = "defaults" if option == "defaults" else "instances[%d]%s" % (
                index, " (%s)" % item["name"] if isinstance(item.get("name"), str) else "")
            found.extend("%s: %s%s" % (where, "unsupported option " if isinstance(error, UnsupportedError) else "", error.msg)
                         for error in validator.validate(item).errors)
    return found


def problems(fields, items, fleet):
    """Every problem of the items before any request: limits, duplicate names, the fleet's name."""
    found, seen = [], {}
    label_problem = string_labels({FLEET_LABEL: fleet}) if fleet else "must not be empty"
    if label_problem:
        found.append("fleet: %s" % label_problem)
    for index, item in enumerate(items):
        name = item.get("name")
        if not name:
            found.append("instances[%d].name: is required" % index)
        elif name in seen:
            found.append("instances[%d]: name %s is given twice (also instances[%d])" % (index, name, seen[name]))
        seen.setdefault(name, index)
        for field in fields:
            problem = field.problem(item.get(field.option))
            if problem:
                found.append("instances[%d].%s (%s): %s" % (index, field.option, name, problem))
    return found


def doomed(listing, fleet, names):
    """The instances prune deletes: those carrying the fleet's label and not listed; never an unlabelled one."""
    return [obj for obj in listing if (obj.get("labels") or {}).get(FLEET_LABEL) == fleet and obj.get("name") not in names]


def settling(objs):
    """The objects in a transition, which the wait watches until it settles."""
    return [obj for obj in objs if obj.get("status") in SETTLES_IN]


class HucFleetModule(HucResourceModule):
    """Many instances of one project, made, updated and pruned in one task at the request floor."""

    result_key = "instances"
    resource = REFERENCES["instance"]
    fields = ITEM_FIELDS + (RESTORE_POWER,)
    diff_fields = DIFF_FIELDS
    diff_if_set = ("ipv6",)
    settled = "running"
    predicted = "provisioning"
    broken = BROKEN
    wait_timeout = 600
    defaults = DEFAULTS

    @classmethod
    def declared_options(cls):
        return (PROJECT, Option("fleet", required=True),
                Option("instances", "list", elements="dict", required=True, options=item_options(True)),
                Option("defaults", "dict", options=item_options(False)),
                Option("prune", "bool", default=False), Option("shutdown_timeout", "int", default=120),
                ) + wait_options(cls.wait_timeout) + ssh_wait_options()

    @classmethod
    def rules(cls):
        return cls.option_rules

    @classmethod
    def define_module(cls):
        """The module; a bad item fails first, naming it (then the module is made without the items' spec, to fail)."""
        found = item_errors(basic._load_params()) if basic._ANSIBLE_ARGS is not None else []
        if not found:
            return super(HucFleetModule, cls).define_module()
        spec = cls.argument_spec()
        spec["instances"] = dict(spec["instances"], options=None)
        spec["defaults"] = dict(spec["defaults"], options=None)
        module = HucAnsibleModule(argument_spec=spec, supports_check_mode=True)
        module.fail_json(msg="invalid input (validation_error): %s" % "; ".join(found),
                         failure=failure("invalid request: instances", "validation_error", {"instances": "; ".join(found)}))

    @property
    def fleet(self):
        return self.params["fleet"]

    # -- the flow -----------------------------------------------------------------------------

    def run(self):
        items = self.items()
        listing = self.refs.in_project(self.resource.path)
        by_name = {}
        for obj in listing:
            by_name.setdefault(obj.get("name"), []).append(obj)
        plans = [self.plan_item(inputs, by_name.get(inputs["name"], [])) for inputs in items]
        created = [plan.inputs["name"] for plan in plans if plan.current is None and not plan.body.get("sshKeyIds")]
        if created:
            self.module.warn("instances created with no SSH key (most images have password login off; give ssh_keys "
                             "to be able to log in): %s" % ", ".join(created))
        pruned = doomed(listing, self.fleet, set(inputs["name"] for inputs in items)) if self.params["prune"] else []
        pruned = unprotected(self, pruned, "prune")  # protection.delete: kept, with a warning (check mode too)
        reached = {}
        if self.check_mode:
            objs = [self.predict(plan, dict(plan.current or self.new_object(plan))) for plan in plans]
            actions = [self.action(plan) for plan in plans]
        else:
            objs, actions = [], []
            for plan in plans:
                obj, action = self.carry_out(plan)
                objs.append(obj)
                actions.append(action)
            for obj in pruned:
                if obj.get("status") != "deleting":  # else someone else's delete is under way
                    self.client.delete_if_exists(self.item_path(obj))
            if self.params["wait"]:
                objs = self.wait_settled(objs, pruned)
                reached = self.after_running(objs)
        self.report_fleet(plans, objs, actions, pruned, reached)

    def items(self):
        """The items as Inputs (defaults merged), every limit and duplicate checked before any request."""
        items = [merge(self.params["defaults"], item) for item in self.params["instances"]]
        found = problems(self.fields, items, self.fleet) + [ssh_wait_problem(self.params) or ""]
        found = [problem for problem in found if problem]
        if found:
            self.module.fail_json(msg="invalid input (validation_error): %s" % "; ".join(found),
                                  failure=failure("invalid request: instances", "validation_error",
                                                  {"instances": "; ".join(found)}))
        return [Inputs(dict(item, id=None, state="present", wait=self.params["wait"]), item) for item in items]

    def plan_item(self, inputs, found):
        """The plan of one item on the instance of its name (none: a create); refusals fail here, before any write."""
        plan = Plan(inputs, self.one(found, inputs["name"]))
        if plan.current is None:
            self.plan_create(plan)
            plan.body["labels"] = dict(plan.body.get("labels") or {}, **{FLEET_LABEL: self.fleet})
            if self.check_mode:  # the create the real run sends would be refused for these: fail the same way
                self.refs.find("os_template", inputs["os_template"], called="os_template of %s" % inputs["name"])
                self.refs.find("node", inputs["node"], called="node of %s" % inputs["name"])
            return plan
        current, name = plan.current, inputs["name"]
        owner = (current.get("labels") or {}).get(FLEET_LABEL)
        if owner not in (None, self.fleet):
            self.fail("instance %s belongs to fleet %s (label %s), not to %s; remove it from that fleet first"
                      % (name, owner, FLEET_LABEL, self.fleet), code="other_fleet")
        # user_data is never returned by the API: not compared, no warning on every run.
        plan.inputs = Inputs(dict(inputs, user_data=None), [key for key in inputs.explicit if key != "user_data"])
        self.plan_update(plan)
        if owner is None:  # adopted: it gets the fleet's label, its labels otherwise as they are or as given
            plan.changes.setdefault("labels", user_labels(current))
        stop = needs_stop(plan)
        if stop and not inputs.get("allow_restart"):
            self.fail("changing %s of instance %s needs it stopped (it is %s): set allow_restart: true on the item (or in "
                      "defaults) to let the fleet stop it, change it and start it again, or stop it first with "
                      "hostupcloud.cloud.huc_power" % (" and ".join(stop), name, current["status"]), code="instance_not_stopped")
        if stop and current["status"] not in STABLE + tuple(SETTLES_IN):
            self.fail("cannot resize instance %s: it is in status %s" % (name, current["status"]), code="invalid_state")
        self.refuse(plan)
        return plan

    @staticmethod
    def action(plan):
        return "created" if plan.current is None else "updated" if plan.changed else "unchanged"

    def labelled(self, changes, current):
        """changes with the labels to send: the user's, the collection's own that current has, and the fleet's."""
        if "labels" not in changes:
            return changes
        labels = dict(changes["labels"], **own_labels(current))
        labels[FLEET_LABEL] = self.fleet
        return dict(changes, labels=labels)

    def predict(self, plan, obj):
        obj = super(HucFleetModule, self).predict(plan, obj)
        if plan.current is None:  # the addresses are the API's to assign
            return dict(obj, ipv6=None, ipv6Prefix=None, reverseDns=None)
        if plan.inputs.get("wait"):  # the run waits for an instance in a transition (a killed run's create)
            obj["status"] = SETTLES_IN.get(obj["status"], obj["status"])
        if "ipv6" in plan.changes:
            obj.update(ipv6=plan.current["ipv6"] if plan.changes["ipv6"] else None, ipv6Prefix=None)
        return self.labelled(obj, plan.current)

    def carry_out(self, plan):
        """Create or PATCH one item (nothing when nothing differs); returns (the object, its action)."""
        if plan.current is not None:
            def send(instance):  # the labels the collection keeps for itself are kept, a restore record too
                changes = self.labelled(plan.changes, instance)
                return self.client.patch(self.item_path(instance), changes) if changes else instance

            if needs_stop(plan):  # allowed (plan_item): graceful first, the power state put back after
                obj = power_cycle(self, self.refs, plan.current, send, shutdown_timeout=self.params["shutdown_timeout"],
                                  wait=self.params["wait"])
            else:
                obj = send(plan.current)
            return self.write(plan, obj), self.action(plan)
        name = plan.inputs["name"]
        query = {"name": name, "projectId": plan.body["projectId"]}

        def lookup():  # before a retry: a create whose answer was lost is found, never made twice
            return self.one(self.client.list(self.resource.path, query), name)

        try:
            return self.client.post(self.resource.path, plan.body, idempotent=True, before_retry=lookup), "created"
        except HucApiError as error:
            found = lookup() if error.status == 409 else None
            if found is None:
                raise
        # Another run made it meanwhile (a race): compared and updated like any existing one.
        self.module.warn("instance %s was created by someone else while this task ran; it was compared instead" % name)
        return self.carry_out(self.plan_item(plan.inputs, [found]))

    def wait_settled(self, objs, pruned):
        """One wait for all: the new and changing instances until they settle, the pruned ones until they are gone;
        one listing of the project per poll."""
        objs, gone = list(objs), set(obj["id"] for obj in pruned)
        if not settling(objs) and not gone:
            return objs

        def poll():
            current = dict((obj["id"], obj) for obj in self.refs.in_project(self.resource.path))
            for index, obj in enumerate(objs):
                if obj["status"] in SETTLES_IN:
                    objs[index] = current.get(obj["id"]) or self.fail(
                        "instance %s disappeared while waiting for it to be running" % obj["name"], code="wait_failed")
            broken = ["%s (%s)" % (obj["name"], obj["status"]) for obj in objs if obj["status"] in self.broken]
            if broken:
                self.fail("instances entered a status they cannot leave while waiting for them to be running: %s"
                          % ", ".join(broken), code="wait_failed")
            gone.intersection_update(current)
            return [obj["name"] for obj in settling(objs)] + [current[key]["name"] for key in sorted(gone)]

        self.wait_for(poll, lambda pending: not pending, "the fleet's instances to settle and the pruned ones to go",
                      describe=lambda pending: "still pending: %s" % ", ".join(pending or []),
                      schedule=PROVISION if settling(objs) else DELETE)
        return objs

    def after_running(self, instances):
        """Once every instance of the fleet has settled (wait: true, not in check mode): with wait_for: ssh, until each
        answers on SSH, probed all at once. Returns {instance id: where it answered}."""
        if self.params["wait_for"] != "ssh" or not instances:
            return {}
        api_seconds = self.waited_seconds()
        reached, ssh_seconds = wait_for_ssh(self, instances)
        self.result["waited"] = {"api_seconds": api_seconds, "ssh_seconds": ssh_seconds}
        return reached

    def report_fleet(self, plans, objs, actions, pruned, reached):
        empty = Inputs({}, [])
        self.before = dict((plan.inputs["name"], self.diff_view(plan.current, plan.inputs))
                           for plan in plans if plan.current is not None)
        self.before.update((obj["name"], self.diff_view(obj, empty)) for obj in pruned)
        self.after = dict((plan.inputs["name"], self.diff_view(obj, plan.inputs, plan)) for plan, obj in zip(plans, objs))
        for view in self.after.values():  # the fleet's label is the collection's own: shown nowhere, as in before
            view["labels"] = user_labels(view)
        self.result["pruned"] = [self.view(dict(obj, status="deleting")) for obj in pruned]
        extra = [{"ssh": reached[str(obj["id"])]} if str(obj.get("id")) in reached else {} for obj in objs]
        self.set_result([dict(self.view(obj), action=action, **more) for obj, action, more in zip(objs, actions, extra)],
                        changed=any(action != "unchanged" for action in actions) or any(
                            obj.get("status") != "deleting" for obj in pruned))
