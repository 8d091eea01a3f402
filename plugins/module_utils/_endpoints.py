# -*- coding: utf-8 -*-
# Copyright: HostUpCloud collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fields written through their own endpoint, declared with Field(via=...). Private to this collection.

Attachment: the one instance a floating IP or a volume is attached to. Members: the instances
attached to a private network. Ptr: the reverse DNS name of a floating IP. Each says what the
run wants, what it refuses before any write, what it predicts, how it writes, and what blocks a
delete.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.hostupcloud.cloud.plugins.module_utils._declarations import NOT_SET, Endpoint
from ansible_collections.hostupcloud.cloud.plugins.module_utils._references import REFERENCES


def named(module, kind, obj_id):
    """An id with its name when the listing of kind has it (for failure messages: it may cost the listing)."""
    found = module.refs.find(kind, obj_id, required=False) if obj_id else None
    return "%s (%s)" % (found["name"], obj_id) if found else str(obj_id)


class Attachment(Endpoint):
    """The one instance, of its own project and node, a resource is attached to: POST {item}/attach
    {instanceId} and POST {item}/detach.

    The option attaches it; an explicit null (or state detached) detaches it. A new one is made on
    the node of the instance unless node is given (it must be that node), then attached. Attached
    to another instance, it moves (detach, then attach) only with force; state absent while
    attached fails unless force (detach, then delete). A move whose attach fails after its detach
    leaves it detached; a rerun attaches it. statuses: the (attached, detached) status it then has;
    mark: a label naming the instance a new one is made for.
    """

    forced = True

    def __init__(self, delete_verb="delete", statuses=None, mark=None):
        self.force_to_delete = "detach and %s it" % delete_verb
        self.statuses = statuses
        self.mark = mark

    def check(self, inputs):
        if inputs.get("state") == "detached" and inputs.get(self.field.option) is not None:
            return ("state: detached makes sure the volume is attached to no instance; do not also give instance (%s): "
                    "use state: present to attach it" % inputs[self.field.option])
        return None

    def value(self, module, inputs, current):
        if inputs.get("state") == "detached":
            return None
        if inputs.get(self.field.option) is not None:
            return module.refs.id("instance", inputs[self.field.option])
        return None if inputs.cleared(self.field.option) else NOT_SET

    def derives(self, field, inputs):
        return field.api == "nodeId" and inputs.get(self.field.option) is not None

    def create_body(self, module, inputs, body):
        instance = module.refs.get("instance", inputs[self.field.option])
        extra = {"labels": {self.mark: str(instance["id"])}} if self.mark else {}  # label values are strings; ids may be numbers
        return extra if body.get("nodeId") else dict(extra, nodeId=instance.get("nodeId"))

    def refuse(self, module, obj, value, inputs):
        if not value:
            return
        instance = module.refs.get("instance", inputs[self.field.option])
        what = "%s %s is" % (module.kind, module.name_of(obj)) if obj.get("id") else "a new %s would be" % module.kind
        name = instance.get("name")
        if instance.get("projectId") != obj.get("projectId"):
            module.fail("instance %s is in project %s but %s in project %s: it can only be attached to an instance of "
                        "its own project" % (name, instance.get("projectId"), what, obj.get("projectId")),
                        code="wrong_project")
        if instance.get("nodeId") != obj.get("nodeId"):
            module.fail("instance %s is on node %s but %s on node %s: it can only be attached to an instance on its own "
                        "node" % (name, named(module, "node", instance.get("nodeId")), what,
                                  named(module, "node", obj.get("nodeId"))),
                        code="wrong_node", details={"instanceNodeId": instance.get("nodeId"), "nodeId": obj.get("nodeId")})
        if instance.get("status") == "deleting":
            module.fail("instance %s is being deleted: nothing can be attached to it" % name, code="invalid_state")
        attached = obj.get("instanceId")
        if attached not in (None, instance["id"]) and not inputs.get("force"):
            module.fail("%s %s is attached to instance %s; set force: true to move it to instance %s" % (
                module.kind, module.name_of(obj), named(module, "instance", attached), name), code="attached")

    def predict(self, obj, value):
        obj = dict(obj, instanceId=value)
        if self.statuses:
            obj["status"] = self.statuses[0] if value else self.statuses[1]
        return obj

    def write(self, module, obj, value):
        if obj.get("instanceId") and obj["instanceId"] != value:
            obj = module.act(obj, "detach") or dict(obj, instanceId=None)
        if value and obj.get("instanceId") != value:
            obj = module.act(obj, "attach", {"instanceId": value})
        return obj

    def blocks_delete(self, module, obj):
        attached = obj.get("instanceId")
        return "is attached to instance %s" % named(module, "instance", attached) if attached else None

    def undo(self, module, obj):
        return self.write(module, obj, None)


def attached_ids(obj):
    return [item.get("instanceId") for item in (obj or {}).get("attachments") or []]


class Members(Endpoint):
    """The instances attached to a resource: POST {item}/attach and {item}/detach {instanceId}, one each.

    The option's instances are added to those attached (all others detached with the purge option);
    kept ones stay first, in order. A delete with instances attached needs force (they are detached).
    """

    forced = True
    force_to_delete = "detach them and delete it"

    def __init__(self, purge):
        self.purge = purge

    def value(self, module, inputs, current):
        if inputs.get(self.field.option) is None:
            return NOT_SET
        have = attached_ids(current)
        ids = list(dict.fromkeys(module.refs.ids("instance", inputs[self.field.option])))
        kept = [item for item in have if item in ids or not inputs[self.purge]]
        return kept + [item for item in ids if item not in have]

    def differs(self, current, value):
        return attached_ids(current) != value

    def refuse(self, module, obj, value, inputs):
        """Every instance to attach must be of the resource's own project: checked before the first write."""
        new = [item for item in value if item not in attached_ids(obj)]
        if not new:
            return
        # The project's instances: the listing a name already cost, else one listing.
        listed = (module.refs.listing("instance") if module.refs.project else
                  module.client.list(REFERENCES["instance"].path, {"projectId": obj.get("projectId")}))
        known = set(item.get("id") for item in listed)
        for item in new:
            if item not in known:
                module.fail("instance %s is not in project %s: a %s can only have instances of its own project attached"
                            % (item, obj.get("projectId"), module.kind), code="wrong_project",
                            details={"instanceIds": "%s is not in project %s" % (item, obj.get("projectId"))})

    def predict(self, obj, value):
        ips = dict((item.get("instanceId"), item.get("ip")) for item in obj.get("attachments") or [])
        return dict(obj, attachments=[{"instanceId": item, "ip": ips.get(item)} for item in value])

    def write(self, module, obj, value):
        for instance_id in attached_ids(obj):
            if instance_id not in value:
                obj = module.act(obj, "detach", {"instanceId": instance_id})
        for instance_id in value:
            if instance_id not in attached_ids(obj):
                obj = module.act(obj, "attach", {"instanceId": instance_id})
        return obj

    def blocks_delete(self, module, obj):
        ids = attached_ids(obj)
        return "has %d instances attached (%s)" % (len(ids), ", ".join(str(one) for one in ids)) if ids else None

    def undo(self, module, obj):
        return self.write(module, obj, [])


class Ptr(Endpoint):
    """The reverse DNS (PTR) name of a resource's one address: PUT {item}/reverse-dns {ptr}; null removes it."""

    def value(self, module, inputs, current):
        if inputs.get(self.field.option) is not None:
            return module.value(self.field, inputs)
        # An explicit null removes a PTR the resource has; nothing to remove is nothing to do.
        has_one = current is not None and current.get(self.field.api)
        return None if inputs.cleared(self.field.option) and has_one else NOT_SET

    def write(self, module, obj, value):
        return module.client.put(module.item_path(obj, "/reverse-dns"), {"ptr": value}) or dict(obj, reverseDns=value)
