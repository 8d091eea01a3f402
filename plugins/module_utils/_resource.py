# -*- coding: utf-8 -*-
# Copyright: HostUpCloud collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The declarative resource driver. Private to this collection.

A resource module declares what the API holds (path, identity, fields with their option names,
limits and references, wait states) and gets find, create, update, delete, waits, check mode
with a predicted result, diff and the result view from HucResourceModule. An info module
declares its filters and gets them from HucInfoModule. References to other resources (a name or
an id) resolve only here, through References, with the fewest requests.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.hostupcloud.cloud.plugins.module_utils._client import (
    HucApiError,
    camel_to_snake,
    looks_like_id,
    snake_to_camel,
)
from ansible_collections.hostupcloud.cloud.plugins.module_utils._module import HucModule, failure
from ansible_collections.hostupcloud.cloud.plugins.module_utils._references import References

# -- declarations -----------------------------------------------------------------------------

class Field:
    """One option of a resource module and the API field it maps to.

    create: sent at creation; update: also compared and changed later; creation_only (create but
    not update): a different value on an existing resource warns (shown: how it says the value). ref/many: the option names
    other resources (resolved to ids). check: a limit, checked before any request. required:
    needed to create. clear: what an explicit null sends (None: null is "not set"). identity: the
    option finds the resource (name), so it is not compared; by id it renames. read: how the value to compare
    is read from the API object when it differs from what is sent (ipv6: a switch sent, an address returned).
    normalize: the form the API stores a value in (compared and sent so).
    """

    def __init__(self, option, api=None, create=True, update=False, required=False, ref=None, many=False,
                 check=None, clear=None, label=None, shown=None, identity=False, read=None, normalize=None):
        self.option = option
        self.api = api or snake_to_camel(option)
        self.create = create
        self.update = update
        self.required = required
        self.ref = ref
        self.many = many
        self.check = check
        self.clear = clear
        self.label = label
        # How a creation-only warning shows the current value, e.g. "the instance runs %s".
        self.shown = shown
        self.identity = identity
        self.read = read
        self.normalize = normalize

    def current(self, obj):
        """The value of this field in an API object, as it compares with what is sent."""
        return self.read(obj) if self.read else obj.get(self.api)

    @property
    def creation_only(self):
        return self.create and not self.update and not self.identity


class HucResourceModule(HucModule):
    """A module for one API resource, driven by declarations.

    Declare: kind, path, fields, result_fields, diff_fields; optionally identity (the option, and
    API field, a resource is found by when no id is given; default name), in_project, settled
    (status a create waits for), predicted (status a create reports without waiting), broken
    (statuses that fail a wait), create_defaults (what the API fills in a new object), diff_if_set
    (result fields shown in the diff only when their option is set).
    Hooks for what is special: predict_create, more_changes, refuse_update, predict_update, apply_update.
    """

    kind = None
    path = None
    identity = "name"
    in_project = True
    fields = ()
    result_fields = ()
    diff_fields = ()
    diff_if_set = ()
    settled = None
    predicted = None
    broken = ("error",)
    create_defaults = {}

    def __init__(self, module):
        super(HucResourceModule, self).__init__(module)
        self.refs = References(self.client, self.params.get("project"))

    @classmethod
    def field_map(cls):
        """API field -> option name, for messages in user terms."""
        return dict((field.api, field.option) for field in cls.fields if camel_to_snake(field.api) != field.option)

    @classmethod
    def execute(cls, module):
        cls.field_names = dict(cls.field_map(), projectId="project")
        super(HucResourceModule, cls).execute(module)

    # -- the flow -----------------------------------------------------------------------------

    def run(self):
        self.validate()
        current = self.find()
        if self.params["state"] == "absent":
            self.absent(current)
        elif current is None:
            self.create()
        else:
            self.update(current)

    def validate(self):
        """Every limit of every option the user set, before any request; all problems at once."""
        problems = {}
        for field in self.fields:
            value = self.params.get(field.option)
            if field.check is None or value is None:
                continue
            for item in (value if field.many else [value]):
                problem = field.check(item)
                if problem:
                    problems[field.api] = problem
                    break
        if problems:
            # The failure the API would answer (its message and details), but no HTTP status: nothing was sent.
            self.module.fail_json(msg="invalid input (validation_error): %s" % "; ".join(
                "%s: %s" % (self.field_names.get(api, camel_to_snake(api)), text) for api, text in sorted(problems.items())),
                failure=failure("invalid request: %s" % ", ".join(sorted(problems)), "validation_error", problems))

    def value(self, field):
        """The API value of a field's option: references resolved to ids; None when not set."""
        value = self.params.get(field.option)
        if value is None:
            return field.clear if field.clear is not None and self.explicitly_set(field.option) else None
        if field.ref and field.many:
            return self.refs.ids(field.ref, value, label=field.label)
        if field.ref:
            return self.refs.id(field.ref, value, label=field.label)
        return field.normalize(value) if field.normalize else value

    def item_path(self, obj, suffix=""):
        return "%s/%s%s" % (self.path, obj["id"] if isinstance(obj, dict) else obj, suffix)

    def name_of(self, obj):
        return obj.get("name") or obj.get("id")

    # -- find ---------------------------------------------------------------------------------

    def refetch(self, obj):
        return self.client.get_or_none(self.item_path(obj))

    def list_all(self, **filters):
        """The resources of the project (or all), filtered server-side and again client-side.

        Server-side filters are [assumed] API features: filtering here keeps the result right if
        the API ignores one.
        """
        query = dict((key, value) for key, value in filters.items() if value is not None)
        found = self.refs.in_project(self.path, query) if self.in_project else self.client.list(self.path, query)
        return [obj for obj in found if all(obj.get(key) == value for key, value in query.items())]

    def find(self, name=None, resource_id=None):
        """The one resource with this id (one GET) or this identity (one listing); None when none.

        name is the identity value (default: its option). Several matches fail, listing their ids.
        """
        resource_id = resource_id or (self.params.get("id") if name is None else None)
        if resource_id:
            return self.client.get_or_none(self.item_path(resource_id))
        name = name or self.params.get(self.identity)
        if name is None:
            return None
        found = self.list_all(**{snake_to_camel(self.identity): name})
        if len(found) > 1:
            what = "are named %r" % name if self.identity == "name" else "have %s %r" % (self.identity, name)
            self.fail("%d %ss %s in this project: %s; give id instead of %s" % (
                len(found), self.kind, what, ", ".join(sorted(obj["id"] for obj in found)), self.identity),
                code="ambiguous")
        return found[0] if found else None

    # -- views --------------------------------------------------------------------------------

    def view(self, obj):
        """The object as a result: exactly result_fields (None where the API left one out)."""
        if obj is None:
            return None
        snake = self.to_result(obj)
        return dict((field, snake.get(field)) for field in self.result_fields)

    def diff_view(self, obj):
        view = self.view(obj)
        shown = self.diff_fields + tuple(field for field in self.diff_if_set
                                         if self.params.get(field) is not None or self.explicitly_set(field))
        return dict((field, view[field]) for field in shown) if view else {}

    # -- create -------------------------------------------------------------------------------

    def create(self):
        if self.params.get("id"):
            self.fail("no %s with id %s; to create a %s give project and name, not id"
                      % (self.kind, self.params["id"], self.kind), code="not_found")
        missing = [field.option for field in self.fields if field.required and self.params.get(field.option) is None]
        if missing:
            self.fail("%s %s does not exist; to create it also give: %s"
                      % (self.kind, self.params.get("name"), ", ".join(missing)), code="missing_options")
        body = {"projectId": self.refs.project_id()} if self.in_project else {}
        for field in self.fields:
            value = self.value(field) if field.create else None
            if value is not None:
                body[field.api] = value
        if self.check_mode:
            obj = self.predict_create(body)
        else:
            obj = self.post_create(body)
            if obj is None:
                return
            if self.params.get("wait") and self.settled:
                obj = self.wait_status(obj, self.settled)
        self.before, self.after = {}, self.diff_view(obj)
        self.set_result(self.view(obj), changed=True)

    def predict_create(self, body):
        """The object a create would make (check mode): the API's defaults, the body, no id."""
        obj = dict(self.create_defaults, **body)
        obj.update(id=None, status=self.settled if self.params.get("wait") else self.predicted)
        return obj

    def post_create(self, body):
        """POST with an Idempotency-Key and a lookup before any retry: a lost answer never makes two.

        A 409 because the name was taken meanwhile (another run created it) converges: the one
        found is compared and updated like any existing resource. Returns None then.
        """
        name = body.get(snake_to_camel(self.identity))
        lookup = (lambda: self.find(name=name)) if name else None
        try:
            return self.client.post(self.path, body, idempotent=True, before_retry=lookup)
        except HucApiError as error:
            found = self.find(name=name) if error.status == 409 and name else None
            if found is None:
                raise
        self.module.warn("%s %s was created by someone else while this task ran; it was compared instead"
                         % (self.kind, name))
        self.update(found)
        return None

    # -- update -------------------------------------------------------------------------------

    def update(self, current):
        self.warn_creation_only(current)
        wanted = {}
        for field in self.fields:
            value = self.value(field) if field.update else None
            if value is not None:
                wanted[field.api] = value
        if self.params.get("id") and self.params.get("name") and "name" not in wanted:
            wanted["name"] = self.params["name"]  # by id, name renames
        read = dict((field.api, field.current) for field in self.fields)
        changes = dict((api, value) for api, value in wanted.items()
                       if read.get(api, lambda obj: obj.get(api))(current) != value)
        changes.update(self.more_changes(current))
        if current.get("status") == "deleting":
            self.fail("%s %s is being deleted; run again once it is gone to create it anew"
                      % (self.kind, self.name_of(current)), code="deleting")
        self.refuse_update(current, changes)
        predicted = self.predict_update(current, changes)
        self.before, self.after = self.diff_view(current), self.diff_view(predicted)
        obj = predicted if self.check_mode or not changes else self.apply_update(current, changes)
        self.set_result(self.view(obj), changed=bool(changes))

    def more_changes(self, current):
        """Changes the fields cannot declare, such as an explicit null that detaches (a hook): API field -> value."""
        return {}

    def refuse_update(self, current, changes):
        """Fail before any write when changes cannot be made to current (a hook)."""

    def predict_update(self, current, changes):
        return dict(current, **changes)

    def apply_update(self, current, changes):
        return self.client.patch(self.item_path(current), changes)

    def act(self, obj, action, body=None):
        """POST an action on one resource (attach, detach, power, ...) with an Idempotency-Key."""
        return self.client.post(self.item_path(obj, "/" + action), body, idempotent=True)

    def warn_creation_only(self, current):
        differ = []
        for field in self.fields:
            if not field.creation_only or self.params.get(field.option) is None:
                continue
            have, value = field.current(current), self.params[field.option]
            if field.many:
                same = sorted(self.value(field)) == sorted(have or [])
            else:
                same = value == have or (field.ref and not looks_like_id(value) and self.value(field) == have)
            if not same:
                text = (", ".join(have or []) or "none") if field.many else have
                differ.append("%s (%s)" % (field.option, (field.shown or "the %s has %%s" % self.kind) % text))
        if differ:
            self.module.warn("%s %s exists and these options differ from it, but they only apply at creation, so they "
                             "were ignored: %s; delete and recreate the %s to change them"
                             % (self.kind, self.name_of(current), "; ".join(differ), self.kind))

    # -- delete -------------------------------------------------------------------------------

    def absent(self, current):
        if current is None:
            self.set_result(None)
            return
        changed = current.get("status") != "deleting"  # else someone else's delete is under way
        obj = dict(current, status="deleting") if "status" in current else current
        if changed:
            self.before, self.after = self.diff_view(current), {}
            if not self.check_mode:
                obj = self.delete(current) or obj
        if self.params.get("wait") and not self.check_mode:
            self.wait_gone(current)
        self.set_result(self.view(obj), changed=changed)

    def delete(self, obj):
        """DELETE; a 404 (a retry after a lost answer, or someone else's delete) means done."""
        try:
            return self.client.delete(self.item_path(obj))
        except HucApiError as error:
            if error.status != 404:
                raise
        return None

    # -- waits --------------------------------------------------------------------------------

    def wait_status(self, obj, statuses, give_up=None):
        """Poll obj until its status is one of statuses; fails when it vanishes or breaks."""
        statuses = (statuses,) if isinstance(statuses, str) else tuple(statuses)
        name, wanted = self.name_of(obj), " or ".join(statuses)

        def failed(found):
            if found is None:
                return "%s %s disappeared while waiting for status %s" % (self.kind, name, wanted)
            if found.get("status") in self.broken and found.get("status") not in statuses:
                return "%s %s entered status %s while waiting for status %s" % (self.kind, name, found["status"], wanted)
            return None

        return self.wait_for(lambda: self.refetch(obj), lambda found: found is not None and found.get("status") in statuses,
                             "%s %s to be %s" % (self.kind, name, wanted), failed=failed, give_up=give_up)

    def wait_gone(self, obj):
        """Poll until GET answers 404."""
        self.wait_for(lambda: self.refetch(obj), lambda found: found is None,
                      "%s %s to be deleted" % (self.kind, self.name_of(obj)))


class HucAttachableModule(HucResourceModule):
    """A resource attached to at most one instance of its own project and node: floating IPs, volumes.

    Declare Field("node", api="nodeId", ref="node") (where a new one is made) and
    Field("instance", api="instanceId", ref="instance", create=False), with the options instance
    (name or id) and force (bool). Then, through POST {item}/attach {instanceId} and POST {item}/detach:
    - instance attaches it; an explicit null detaches it;
    - a new one is made on the node of instance unless node is given (it must be that node), then attached;
    - attached to another instance, it moves (detach, then attach) only with force;
    - state absent while attached fails unless force (detach, then delete);
    - before any write the instance must exist, be of the same project and node, and not be deleting.
    A move whose attach fails after its detach leaves it detached; a rerun attaches it. A subclass that
    overrides one of these methods (attachment, create, value, post_create, more_changes, refuse_update,
    apply_update, absent, delete) calls it too.
    """

    delete_verb = "delete"

    def __init__(self, module):
        super(HucAttachableModule, self).__init__(module)
        self.new_on = None  # the instance a new one is made for (create)

    def attachment(self):
        """(asked, instance id): (True, id) attaches, (True, None) detaches (an explicit null), (False, None): not set."""
        value = self.params.get("instance")
        if value is not None:
            return True, self.refs.id("instance", value)
        return self.explicitly_set("instance"), None

    def label(self, kind, obj_id):
        """An id with its name when the listing of kind has it (for failure messages: it may cost the listing)."""
        found = self.refs.find(kind, obj_id, required=False) if obj_id else None
        return "%s (%s)" % (found["name"], obj_id) if found else str(obj_id)

    def refuse_attach(self, obj, instance):
        """Fail before any write when obj (the resource, or the one to be made) cannot be attached to instance."""
        what = "%s %s is" % (self.kind, self.name_of(obj)) if obj.get("id") else "a new %s would be" % self.kind
        name = instance.get("name")
        if instance.get("projectId") != obj.get("projectId"):
            self.fail("instance %s is in project %s but %s in project %s: it can only be attached to an instance of "
                      "its own project" % (name, instance.get("projectId"), what, obj.get("projectId")), code="wrong_project")
        if instance.get("nodeId") != obj.get("nodeId"):
            self.fail("instance %s is on node %s but %s on node %s: it can only be attached to an instance on its own node"
                      % (name, self.label("node", instance.get("nodeId")), what, self.label("node", obj.get("nodeId"))),
                      code="wrong_node", details={"instanceNodeId": instance.get("nodeId"), "nodeId": obj.get("nodeId")})
        if instance.get("status") == "deleting":
            self.fail("instance %s is being deleted: nothing can be attached to it" % name, code="invalid_state")
        attached = obj.get("instanceId")
        if attached not in (None, instance["id"]) and not self.params.get("force"):
            self.fail("%s %s is attached to instance %s; set force: true to move it to instance %s" % (
                self.kind, self.name_of(obj), self.label("instance", attached), name), code="attached")

    def attach(self, obj, instance_id):
        """Detach obj from any other instance, then attach it to instance_id (None: only detach); returns it."""
        if obj.get("instanceId") and obj["instanceId"] != instance_id:
            obj = self.act(obj, "detach") or dict(obj, instanceId=None)
        if instance_id and obj.get("instanceId") != instance_id:
            obj = self.act(obj, "attach", {"instanceId": instance_id})
        return obj

    # -- the driver's flow, with the attachment -----------------------------------------------

    def create(self):
        instance_id = self.attachment()[1]
        if instance_id:
            self.new_on = instance = self.refs.get("instance", self.params["instance"])
            node = self.params.get("node")
            node_id = self.refs.id("node", node) if node else instance.get("nodeId")
            self.refuse_attach({"projectId": self.refs.project_id(), "nodeId": node_id}, instance)
            # What the check-mode prediction shows; a real run attaches it after creating it (post_create).
            self.create_defaults = dict(self.create_defaults, instanceId=instance_id)
        super(HucAttachableModule, self).create()

    def value(self, field):
        if field.api == "nodeId" and self.new_on is not None and self.params.get(field.option) is None:
            return self.new_on.get("nodeId")  # made on the node of its instance
        return super(HucAttachableModule, self).value(field)

    def post_create(self, body):
        obj = super(HucAttachableModule, self).post_create(body)
        if obj is not None and self.new_on is not None:
            obj = self.attach(obj, self.new_on["id"])
        return obj

    def more_changes(self, current):
        asked, instance_id = self.attachment()
        return {"instanceId": instance_id} if asked and current.get("instanceId") != instance_id else {}

    def refuse_update(self, current, changes):
        if changes.get("instanceId"):
            self.refuse_attach(current, self.refs.get("instance", self.params["instance"]))

    def apply_update(self, current, changes):
        rest = dict((api, value) for api, value in changes.items() if api != "instanceId")
        obj = (super(HucAttachableModule, self).apply_update(current, rest) if rest else None) or current
        return self.attach(obj, changes["instanceId"]) if "instanceId" in changes else obj

    def absent(self, current):
        if current is not None and current.get("instanceId") and not self.params.get("force"):
            self.fail("%s %s is attached to instance %s; set force: true to detach and %s it" % (
                self.kind, self.name_of(current), self.label("instance", current["instanceId"]), self.delete_verb),
                code="attached")
        super(HucAttachableModule, self).absent(current)

    def delete(self, obj):
        if obj.get("instanceId"):
            self.attach(obj, None)
        return super(HucAttachableModule, self).delete(obj)


class HucInfoModule(HucResourceModule):
    """An info module: list (or GET by id) and filter; declare filters as option -> matcher.

    A matcher takes (object, wanted value); server_filters are also sent as query parameters;
    filter_refs (option -> reference kind) are options naming another resource by name or id, which
    the matcher gets as an id (a name costs the one listing of its kind).
    """

    filters = {}
    server_filters = ()
    filter_refs = {}

    def run(self):
        wanted = dict((option, self.params[option]) for option in self.filters if self.params.get(option) is not None)
        wanted.update([(option, self.refs.id(kind, wanted[option])) for option, kind in self.filter_refs.items()
                       if option in wanted])
        if self.params.get("id"):
            found = [obj for obj in [self.client.get_or_none(self.item_path(self.params["id"]))] if obj is not None]
        else:
            query = dict((option, wanted[option]) for option in self.server_filters if option in wanted)
            found = self.refs.in_project(self.path, query) if self.in_project else self.client.list(self.path, query)
        found = [obj for obj in found if all(self.filters[option](obj, value) for option, value in wanted.items())]
        self.set_result([self.view(obj) for obj in found])


def equals(api_field):
    return lambda obj, value: obj.get(api_field) == value


def name_or_id(obj, value):
    return value in (obj.get("name"), obj.get("id"))


def has_labels(obj, wanted):
    labels = obj.get("labels") or {}
    return all(labels.get(key) == value for key, value in wanted.items())
