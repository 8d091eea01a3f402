"""Floating IP and volume rules: attach to an instance of the same project and node, delete only while detached."""

from typing import Any, Dict, Optional

from fastapi.responses import Response

from .api import delete_record
from .errors import conflict, validation
from .lifecycle import refuse_protected
from .state import Store


def check_attachable(store: Store, record: Dict[str, Any], instance_id: str) -> None:
    """422 for an instance of another project or node, 409 for a deleting instance or a record attached elsewhere."""
    inst = store.get("instances", instance_id)
    if inst["projectId"] != record["projectId"]:
        raise validation({"instanceId": "must be an instance of project %s" % record["projectId"]})
    if inst["nodeId"] != record["nodeId"]:
        raise validation({"instanceId": "must be an instance on node %s" % record["nodeId"]})
    if inst["status"] == "deleting":
        raise conflict("instance %s is being deleted" % instance_id, {"status": "deleting"}, code="invalid_state")
    if record["instanceId"] not in (None, instance_id):
        raise conflict("already attached to instance %s; detach it first" % record["instanceId"])


def attach(store: Store, kind: str, record: Dict[str, Any], instance_id: Optional[str]) -> Dict[str, Any]:
    """Attach (instance_id) or detach (None) a floating IP or a volume; idempotent."""
    if instance_id is not None:
        check_attachable(store, record, instance_id)
    if record["instanceId"] != instance_id:
        record["instanceId"] = instance_id
        if kind == "volumes":
            record["status"] = "available" if instance_id is None else "attached"
        store.save()
    return record


def delete_detached(store: Store, kind: str, label: str, resource_id: str) -> Response:
    """Delete a floating IP or volume; 409 while it is protected, or attached."""
    record = store.get(kind, resource_id)
    refuse_protected(record, "delete", label, "PATCH /api/%s/%s" % ("volumes" if kind == "volumes" else "floating-ips", resource_id))
    if record["instanceId"]:
        raise conflict("%s %s is attached to instance %s; detach it first" % (label, resource_id, record["instanceId"]))
    return delete_record(store, kind, resource_id)
