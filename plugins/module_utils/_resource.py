# -*- coding: utf-8 -*-
# Copyright: HostUpCloud collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The declarative resource driver. Private to this collection.

A resource module declares what the API holds (the resource, its fields with their options, limits,
references and endpoints, its wait states and refusals) and gets find, create, update, delete, waits,
check mode with a predicted result, diff and the result view from HucResourceModule. Each run goes
find -> plan -> predict (check mode) or apply; every hook gets what it needs as arguments, through the
run's Plan, and the declarations are never changed.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.hostupcloud.cloud.plugins.module_utils._client import (
    HucApiError, camel_to_snake, looks_like_id, snake_to_camel)
from ansible_collections.hostupcloud.cloud.plugins.module_utils._declarations import NOT_SET, Inputs, Plan
from ansible_collections.hostupcloud.cloud.plugins.module_utils._module import (
    DELETE, ID, PROJECT, PROVISION, HucModule, Option, failure, wait_options)
from ansible_collections.hostupcloud.cloud.plugins.module_utils._protection import refuse_delete
from ansible_collections.hostupcloud.cloud.plugins.module_utils._references import References


class HucResourceModule(HucModule):
    """A module for one API resource, driven by declarations.

    Declare: resource (a Reference of _references.REFERENCES), fields, diff_fields; optionally
    options (those that map to no API field), states, settled (status a create waits for),
    predicted (status a create reports without waiting), broken (statuses that fail a wait),
    wait_timeout (the default of the wait options; None: the module does not wait), create_wait and
    delete_wait (their WaitSchedule), ready (a Readiness: what else present waits for, such as SSH),
    defaults (what the API fills in a new object), diff_if_set (result fields in the diff only when
    their option is set), renamable, listed (find lists the whole project), create_verb/create_hint.
    Hooks, each given its inputs: inputs(), find(inputs), refuse(plan), predict(plan, obj), patch(plan).
    """

    fields = ()
    diff_fields = ()
    diff_if_set = ()
    states = ("present", "absent")
    settled = None
    predicted = None
    wait_timeout = None
    create_wait, delete_wait = PROVISION, DELETE  # delete_wait None: a DELETE is done once answered (no poll)
    ready = None
    defaults = {}
    diff_format = {}
    renamable = True
    listed = False
    create_verb = "create"
    create_hint = "to create one give project and name, not id"

    def __init__(self, module):
        super(HucResourceModule, self).__init__(module)
        self.refs = References(self.client, self.params.get("project"))

    # -- declarations -------------------------------------------------------------------------

    @classmethod
    def identity(cls):
        return next(field.option for field in cls.fields if field.identity)

    @classmethod
    def declared_options(cls):
        options = [PROJECT] if cls.resource.in_project else []
        options += [ID] + [field for field in cls.fields if field.argument] + list(cls.options)
        options.append(Option("state", choices=cls.states, default=cls.states[0]))
        if cls.wait_timeout:
            options.extend(wait_options(cls.wait_timeout) + (cls.ready.options if cls.ready else ()))
        if any(field.replace or field.via is not None and field.via.forced for field in cls.fields):
            options.append(Option("force", "bool", default=False))
        return tuple(options)

    @classmethod
    def rules(cls):
        return cls.option_rules or {"required_one_of": [(cls.identity(), "id")]}

    @classmethod
    def api_names(cls):
        names = dict((field.api, field.option) for field in cls.fields
                     if field.api and camel_to_snake(field.api) != field.option)
        names["projectId"] = "project"
        return names

    # -- the flow -----------------------------------------------------------------------------

    def run(self):
        inputs = self.inputs()
        self.validate(inputs)
        plan = self.find(inputs)
        if inputs["state"] == "absent":
            self.absent(plan)
            return
        if plan.current is None:
            self.plan_create(plan)
        else:
            self.plan_update(plan)
        self.refuse(plan)
        if self.check_mode or not plan.changed:
            obj = self.predict(plan, dict(plan.current or self.new_object(plan)))
        else:
            obj = self.apply(plan)
            if obj is None:  # made by someone else meanwhile: compared and updated instead
                return
        self.report(plan, obj)

    def inputs(self):
        """The options of this run, as the task gave them (a hook: a module may read files here)."""
        return Inputs(self.params, [option for option in self.params if self.explicitly_set(option)])

    def validate(self, inputs):
        """Every limit of every option the user set, before any request; all problems at once."""
        for problem in [field.via.check(inputs) for field in self.fields if field.via is not None] + [
                self.ready.problem(inputs) if self.ready else None]:
            if problem:
                self.fail(problem, code="invalid_argument")
        problems = dict(inputs.problems)
        problems.update((field.api or field.option, field.problem(inputs.get(field.option))) for field in self.fields
                        if field.problem(inputs.get(field.option)))
        if problems:
            # The failure the API would answer (its message and details), but no HTTP status: nothing was sent.
            names = dict(self.api_names(), **inputs.names)
            self.module.fail_json(msg="invalid input (validation_error): %s" % "; ".join(
                "%s: %s" % (names.get(api, camel_to_snake(api)), text) for api, text in sorted(problems.items())),
                failure=failure("invalid request: %s" % ", ".join(sorted(problems)), "validation_error", problems))

    def value(self, field, inputs, current=None):
        """The API value of a field's option: references resolved to ids, merged into a set; None when not set."""
        value = inputs.get(field.option)
        if value is None:
            return field.clear if field.clear is not None and inputs.cleared(field.option) else None
        if field.ref and field.many:
            value = self.refs.ids(field.ref, value, called=field.called)
        elif field.ref:
            value = self.refs.id(field.ref, value, called=field.called)
        elif field.normalize:
            value = [field.normalize(item) for item in value] if field.many else field.normalize(value)
        if field.purge:
            value = field.merged(field.current(current) if current else [], list(dict.fromkeys(value)) if field.ref
                                 else value, current is None or inputs[field.purge])
        return value

    # -- find ---------------------------------------------------------------------------------

    def list_all(self, **filters):
        """The resources of the project (or all), filtered by the API ([assumed]) and again here, if it ignores one."""
        query = dict((key, value) for key, value in filters.items() if value is not None)
        found = (self.refs.in_project(self.resource.path, query) if self.resource.in_project
                 else self.client.list(self.resource.path, query))
        return [obj for obj in found if all(obj.get(key) == value for key, value in query.items())]

    def find(self, inputs):
        """The plan of this run with the one resource of this id (one GET) or identity (one listing)."""
        if inputs.get("id"):
            return Plan(inputs, self.client.get_or_none(self.item_path(inputs["id"])))
        name = inputs.get(self.identity())
        if name is None:
            return Plan(inputs)
        if self.listed:
            listing = self.list_all()
            return Plan(inputs, self.one([obj for obj in listing if obj.get(self.resource.name_key) == name], name),
                        listing)
        return Plan(inputs, self.one(self.list_all(**{snake_to_camel(self.identity()): name}), name))

    def one(self, found, name):
        """The one resource found by its identity, None when none; several fail, listing their ids."""
        if len(found) > 1:
            identity = self.identity()
            what = "are named %r" % name if identity == "name" else "have %s %r" % (identity, name)
            self.fail("%d %ss %s in this project: %s; give id instead of %s" % (
                len(found), self.kind, what, ", ".join(sorted(str(obj["id"]) for obj in found)), identity),
                code="ambiguous")
        return found[0] if found else None

    # -- plan ---------------------------------------------------------------------------------

    def plan_create(self, plan):
        inputs = plan.inputs
        identity = next(field for field in self.fields if field.identity)
        for option in ("id",) + (() if identity.create else (identity.option,)):
            if inputs.get(option):
                where = "" if option == "id" else " in this project"
                self.fail("no %s with %s %s%s; %s" % (self.kind, option, inputs[option], where, self.create_hint),
                          code="not_found")
        missing = [field.required if isinstance(field.required, str) else field.option for field in self.fields
                   if field.required and inputs.get(field.option) is None and not any(
                       other.via.derives(field, inputs) for other in self.fields if other.via is not None)]
        if missing:
            self.fail("%s %s does not exist; to %s it also give: %s" % (
                self.kind, inputs.get(self.identity()), self.create_verb, ", ".join(missing)), code="missing_options")
        if self.resource.in_project:
            plan.body["projectId"] = self.refs.project_id()
        for field in self.fields:
            if field.via is not None:
                value = field.via.value(self, inputs, None)
                if value is not NOT_SET and value is not None:
                    plan.writes[field.api] = value
                continue
            value = self.value(field, inputs) if field.create else None
            if value is not None:
                plan.body[field.api] = value
        for field in self.fields:
            if field.via is not None and field.api in plan.writes:
                plan.body.update(field.via.create_body(self, inputs, plan.body))

    def plan_update(self, plan):
        current, inputs = plan.current, plan.inputs
        self.warn_creation_only(current, inputs)
        for field in self.fields:
            if field.via is not None:
                value = field.via.value(self, inputs, current)
                if value is not NOT_SET and field.via.differs(current, value):
                    plan.writes[field.api] = value
                continue
            if not field.api or not (field.update or field.identity and inputs.get("id")):
                continue
            value = self.value(field, inputs, current)
            if value is not None and field.differs(current, value):
                plan.changes[field.api] = value
        if current.get("status") == "deleting":
            self.fail("%s %s is being deleted; run again once it is gone to create it anew"
                      % (self.kind, self.name_of(current)), code="deleting")

    def refuse(self, plan):
        """Fail before any write when the plan cannot be carried out (declared refusals; a hook for more)."""
        current, changes = plan.current, plan.changes
        for field in self.fields:
            if field.via is not None and field.api in plan.writes:
                field.via.refuse(self, current or self.new_object(plan), plan.writes[field.api], plan.inputs)
            if current is None or field.api not in changes:
                continue
            if field.grow_only and changes[field.api] < current[field.api]:
                self.fail("%s can only grow: %s %s has %s GB, %s asks for %s" % (
                    field.option, self.kind, self.name_of(current), current[field.api], field.option,
                    changes[field.api]), code=field.grow_only)
            if field.replace and not plan.inputs.get("force"):
                self.fail("%s %s cannot change %s in place: set force: true to delete it and %s it anew" % (
                    self.kind, self.name_of(current), field.option, self.create_verb), code="replace_needs_force")
            if field.identity and not self.renamable:
                self.fail("%s %s cannot be renamed to %s: the API has no rename; give its own name with id, or no name"
                          % (self.kind, self.name_of(current), changes[field.api]), code="rename_unsupported")

    # -- predict and apply --------------------------------------------------------------------

    def new_object(self, plan):
        """The object a create would make: the API's defaults, the body, no id."""
        obj = dict(self.defaults, **plan.body)
        obj.update(id=None, status=self.settled if plan.inputs.get("wait") else self.predicted)
        return obj

    def predict(self, plan, obj):
        """The object as the plan leaves it (check mode, and a run that changes nothing)."""
        if self.replaces(plan):
            obj = dict(self.new_object(plan), **self.replacement(plan).body)
        elif plan.current is not None:
            obj.update(plan.changes)
        for field in self.fields:
            if field.api in plan.writes:
                obj = field.via.predict(obj, plan.writes[field.api])
        return obj

    def apply(self, plan):
        """Carry the plan out; returns the object as the API has it then (None: someone else made it)."""
        if plan.current is None:
            obj = self.post_create(plan)
            if obj is None:
                return None
            obj = self.write(plan, obj)
            return self.wait_status(obj, self.settled, schedule=self.create_wait) if plan.inputs.get("wait") and self.settled else obj
        if self.replaces(plan):
            self.delete(plan.current)
            self.result["changed"] = True
            return self.post_create(self.replacement(plan))
        return self.write(plan, (self.patch(plan) if plan.changes else None) or plan.current)

    def write(self, plan, obj):
        """The plan's writes through their endpoints, in the order of the fields; returns obj as they leave it."""
        for field in self.fields:
            if field.api in plan.writes:
                obj = field.via.write(self, obj, plan.writes[field.api])
        return obj

    def patch(self, plan):
        """PATCH the changes of the plan (a hook: a change may need more, such as a stop)."""
        return self.client.patch(self.item_path(plan.current), plan.changes)

    def post_create(self, plan):
        """POST with an Idempotency-Key and a lookup before any retry: a lost answer never makes two.

        A 409 because another run took the name meanwhile converges: the one found is compared and updated (None then).
        """
        name = plan.body.get(snake_to_camel(self.identity()))
        query = {snake_to_camel(self.identity()): name, "projectId": plan.body.get("projectId")}
        lookup = (lambda: self.one(self.client.list(self.resource.path, query), name)) if name else None
        try:
            return self.client.post(self.resource.path, plan.body, idempotent=True, before_retry=lookup)
        except HucApiError as error:
            found = lookup() if error.status == 409 and name else None
            if found is None:
                raise
        self.module.warn("%s %s was created by someone else while this task ran; it was compared instead"
                         % (self.kind, name))
        again = Plan(plan.inputs, found)
        self.plan_update(again)
        self.refuse(again)
        self.report(again, self.apply(again) if again.changed else found)
        return None

    def replaces(self, plan):
        """Whether the plan changes a field the API cannot change in place (the resource is made anew)."""
        return plan.current is not None and any(field.replace for field in self.fields if field.api in plan.changes)

    def replacement(self, plan):
        """The plan of the create that replaces plan.current: its project, and every option the task gives."""
        again = Plan(plan.inputs)
        for field in self.fields:
            value = self.value(field, plan.inputs) if field.create and field.api else None
            if value is not None:
                again.body[field.api] = value
        if self.resource.in_project:
            again.body["projectId"] = plan.current["projectId"]
        return again

    def report(self, plan, obj):
        self.before = self.diff_view(plan.current, plan.inputs) if plan.current is not None else {}
        self.after = self.diff_view(obj, plan.inputs, plan)
        if self.ready and not self.check_mode:
            obj = self.ready.wait(self, obj, plan.inputs)
        self.set_result(self.view(obj), changed=plan.changed)

    def warn_creation_only(self, current, inputs):
        """One warning for the creation-only options that differ; never a request made only for it."""
        differ = []
        for field in self.fields:
            if not field.creation_only or inputs.get(field.option) is None:
                continue
            have, value = field.current(current), inputs[field.option]
            by_name = field.ref and not all(looks_like_id(item) for item in (value if field.many else [value]))
            if by_name and value != have and self.refs.listed(field.ref) is None:
                continue  # compared only when free: ids, or names of a kind this run has listed
            if field.many:
                same = sorted(self.value(field, inputs)) == sorted(have or [])
            else:
                same = value == have or (by_name and self.value(field, inputs) == have)
            if not same:
                text = (", ".join(str(item) for item in have or []) or "none") if field.many else have
                differ.append("%s (%s)" % (field.option, (field.existing or "the %s has %%s" % self.kind) % text))
        if differ:
            self.module.warn("%s %s exists and these options differ from it, but they only apply at creation, so they "
                             "were ignored: %s; delete and recreate the %s to change them"
                             % (self.kind, self.name_of(current), "; ".join(differ), self.kind))

    # -- views --------------------------------------------------------------------------------

    def diff_view(self, obj, inputs, plan=None):
        """The diff's fields of obj; a field read another way than it is returned shows as it is compared."""
        view = self.view(obj)
        if not view:
            return {}
        shown = self.diff_fields + tuple(name for name in self.diff_if_set
                                         if inputs.get(name) is not None or name in inputs.explicit)
        for field in self.fields:
            if field.read and field.option in shown:
                wanted = {} if plan is None else plan.body if plan.current is None else plan.changes
                wanted = wanted.get(field.api, NOT_SET)
                view[field.option] = field.current(obj) if wanted is NOT_SET else wanted
        view.update((name, show(obj)) for name, show in self.diff_format.items())
        return dict((name, view[name]) for name in shown)

    # -- delete -------------------------------------------------------------------------------

    def absent(self, plan):
        current = plan.current
        if current is None:
            self.set_result(None)
            return
        refuse_delete(self, current)  # protection.delete: never lifted by force
        for field in self.fields:
            blocked = None if field.via is None or plan.inputs.get("force") else field.via.blocks_delete(self, current)
            if blocked:
                self.fail("%s %s %s; set force: true to %s"
                          % (self.kind, self.name_of(current), blocked, field.via.force_to_delete), code="attached")
        changed = current.get("status") != "deleting"  # else someone else's delete is under way
        obj = dict(current, status="deleting") if "status" in current else current
        if changed:
            self.before, self.after = self.diff_view(current, plan.inputs), {}
            if not self.check_mode:
                obj = self.delete(current) or obj
        if plan.inputs.get("wait") and self.delete_wait and not self.check_mode:
            self.wait_gone(current, schedule=self.delete_wait)
        self.set_result(self.view(obj), changed=changed)

    def delete(self, obj):
        """Undo what blocks the delete, then DELETE; a 404 (a retry after a lost answer) means done."""
        for field in self.fields:
            if field.via is not None:
                obj = field.via.undo(self, obj)
        return self.client.delete_if_exists(self.item_path(obj))
