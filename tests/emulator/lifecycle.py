"""Snapshots, rebuild and protection (issue 28, all [assumed] in docs/dev/api-contract.md)."""

from typing import Any, Dict, Optional

from .api import new_record
from .errors import conflict
from .instances import duration, name_conflict
from .state import Store

# statuses an instance cannot be snapshotted in: its disk is being written or is going away
NO_SNAPSHOT = ("provisioning", "rebuilding", "deleting")
REBUILD_FROM = ("running", "stopped")


def refuse_protected(record: Dict[str, Any], flag: str, label: str, how: str) -> None:
    """409 protected when the record's protection flag is set; the message says how to lift it."""
    if record.get("protection", {}).get(flag):
        action = "deletion" if flag == "delete" else "rebuild"
        raise conflict("%s %s is protected against %s; set protection.%s to false first (%s)" % (label, record["id"], action, flag, how),
                       {"protection.%s" % flag: "is true"}, code="protected")


def refuse_unready_snapshot(store: Store, snapshot_id: Optional[str]) -> Optional[Dict[str, Any]]:
    """The snapshot to write a disk from; 409 invalid_state while it is still creating."""
    if snapshot_id is None:
        return None
    snapshot = store.get("snapshots", snapshot_id)
    if snapshot["status"] != "available":
        raise conflict("snapshot %s is %s, not available yet" % (snapshot_id, snapshot["status"]),
                       {"snapshotId": snapshot_id, "status": snapshot["status"]}, code="invalid_state")
    return snapshot


def create_snapshot(store: Store, spec: Dict[str, Any]) -> Dict[str, Any]:
    """A new snapshot in status creating, of an instance of the same project."""
    inst = store.get("instances", spec["instanceId"])
    if store.name_taken("snapshots", spec["projectId"], spec["name"]):
        raise name_conflict("snapshot", spec["name"])
    if inst["status"] in NO_SNAPSHOT:
        raise conflict("cannot snapshot an instance in status %s" % inst["status"], {"status": inst["status"]}, code="invalid_state")
    fresh = new_record(store, {})
    record = {"id": fresh["id"], "projectId": spec["projectId"], "name": spec["name"], "instanceId": inst["id"], "osTemplate": inst["osTemplate"],
              "sizeGb": inst["diskGb"], "status": "creating", "labels": spec.get("labels") or {}, "createdAt": fresh["createdAt"], "_t": fresh["_t"]}
    record["_transition"] = {"target": "available", "at": store.now() + float(store.settings["snapshotSeconds"])}
    return store.add("snapshots", record)


def rebuild(store: Store, inst: Dict[str, Any], source: Dict[str, Optional[str]]) -> Dict[str, Any]:
    """Write the disk anew from one source (osTemplate, snapshotId or backupId): rebuilding, then running."""
    refuse_protected(inst, "rebuild", "instance", "PATCH /api/instances/%s" % inst["id"])
    if inst["status"] not in REBUILD_FROM:
        raise conflict("cannot rebuild an instance in status %s" % inst["status"], {"status": inst["status"]}, code="invalid_state")
    snapshot = refuse_unready_snapshot(store, source.get("snapshotId"))
    if snapshot is not None:
        template = snapshot["osTemplate"]
    elif source.get("backupId") is not None:
        template = store.get("backups", source["backupId"])["_osTemplate"]
    else:
        template = source["osTemplate"]
    inst.update(osTemplate=template, snapshotId=source.get("snapshotId"), backupId=source.get("backupId"))
    store.booted.pop(inst["id"], None)
    store.begin(inst, "rebuilding", "running", duration(store, "rebuilding"))
    return inst
