"""SSH key, floating IP and volume routes."""

from typing import Any, Dict, Optional

from fastapi import APIRouter, Depends, Query, Request

from .api import Page, body_doc, delete_record, get_store, many, one, page_params, parse_body
from .errors import conflict, validation
from .instances import name_conflict
from .models import AttachBody, FloatingIpCreate, FloatingIpReverseDns, SshKeyCreate, VolumeCreate, VolumeUpdate, given
from .records import free_floating_address, iso, new_id, ssh_fingerprint
from .state import Store

router = APIRouter(prefix="/api", tags=["ssh-keys, floating IPs, volumes"])

PROJECT_QUERY = Query(None, description="only this project's resources (404 when unknown)")
NAME_QUERY = Query(None, description="exact name")


def new_record(store: Store, fields: Dict[str, Any]) -> Dict[str, Any]:
    """A record with an id and a creation time."""
    now = store.now()
    return dict(fields, id=new_id(), createdAt=iso(now), _t=now)


def stored(store: Store, kind: str, record: Dict[str, Any]) -> Dict[str, Any]:
    """Add a record and persist."""
    store.add(kind, record)
    store.save()
    return record


def delete_detached(store: Store, kind: str, label: str, resource_id: str):
    """Delete a floating IP or volume; 409 while it is attached."""
    record = store.get(kind, resource_id)
    if record["instanceId"]:
        raise conflict("%s %s is attached to instance %s; detach it first" % (label, resource_id, record["instanceId"]))
    return delete_record(store, kind, resource_id)


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


# -- SSH keys --------------------------------------------------------------------------------------

@router.get("/ssh-keys", summary="List SSH keys", tags=["ssh-keys"])
async def list_ssh_keys(projectId: Optional[str] = PROJECT_QUERY, name: Optional[str] = NAME_QUERY,
                        page: Page = Depends(page_params), store: Store = Depends(get_store)):
    return many(store.select("sshKeys", projectId=store.project_filter(projectId), name=name), page)


@router.post("/ssh-keys", status_code=201, summary="Add an SSH key", tags=["ssh-keys"], openapi_extra=body_doc(SshKeyCreate))
async def create_ssh_key(request: Request, store: Store = Depends(get_store)):
    body = await parse_body(request, SshKeyCreate, store)
    if store.name_taken("sshKeys", body.projectId, body.name):
        raise name_conflict("SSH key", body.name)
    record = new_record(store, dict(body.model_dump(), fingerprint=ssh_fingerprint(body.publicKey)))
    return one(stored(store, "sshKeys", record), 201)


@router.get("/ssh-keys/{key_id}", summary="Show an SSH key", tags=["ssh-keys"])
async def show_ssh_key(key_id: str, store: Store = Depends(get_store)):
    return one(store.get("sshKeys", key_id))


@router.delete("/ssh-keys/{key_id}", status_code=204, summary="Delete an SSH key", tags=["ssh-keys"])
async def delete_ssh_key(key_id: str, store: Store = Depends(get_store)):
    return delete_record(store, "sshKeys", key_id)


# -- floating IPs ----------------------------------------------------------------------------------

@router.get("/floating-ips", summary="List floating IPs", tags=["floating-ips"])
async def list_floating_ips(projectId: Optional[str] = PROJECT_QUERY, instanceId: Optional[str] = Query(None, description="attached to this instance"),
                            page: Page = Depends(page_params), store: Store = Depends(get_store)):
    return many(store.select("floatingIps", projectId=store.project_filter(projectId), instanceId=instanceId), page)


@router.post("/floating-ips", status_code=201, summary="Allocate a floating IP", tags=["floating-ips"], openapi_extra=body_doc(FloatingIpCreate))
async def create_floating_ip(request: Request, store: Store = Depends(get_store)):
    body = await parse_body(request, FloatingIpCreate, store)
    address = free_floating_address({record["address"] for record in store.data["floatingIps"].values()})
    if address is None:
        raise conflict("no floating IP address is left", code="addresses_exhausted")
    record = new_record(store, dict(body.model_dump(), address=address, instanceId=None, reverseDns=None))
    return one(stored(store, "floatingIps", record), 201)


@router.get("/floating-ips/{ip_id}", summary="Show a floating IP", tags=["floating-ips"])
async def show_floating_ip(ip_id: str, store: Store = Depends(get_store)):
    return one(store.get("floatingIps", ip_id))


@router.post("/floating-ips/{ip_id}/attach", summary="Attach a floating IP", tags=["floating-ips"], openapi_extra=body_doc(AttachBody))
async def attach_floating_ip(ip_id: str, request: Request, store: Store = Depends(get_store)):
    record = store.get("floatingIps", ip_id)
    body = await parse_body(request, AttachBody, store)
    return one(attach(store, "floatingIps", record, body.instanceId))


@router.post("/floating-ips/{ip_id}/detach", summary="Detach a floating IP", tags=["floating-ips"])
async def detach_floating_ip(ip_id: str, store: Store = Depends(get_store)):
    return one(attach(store, "floatingIps", store.get("floatingIps", ip_id), None))


@router.put("/floating-ips/{ip_id}/reverse-dns", summary="Set the PTR of a floating IP", tags=["floating-ips"],
            openapi_extra=body_doc(FloatingIpReverseDns))
async def reverse_dns_floating_ip(ip_id: str, request: Request, store: Store = Depends(get_store)):
    record = store.get("floatingIps", ip_id)
    body = await parse_body(request, FloatingIpReverseDns, store)
    if record.get("reverseDns") != body.ptr:
        record["reverseDns"] = body.ptr
        store.save()
    return one(record)


@router.delete("/floating-ips/{ip_id}", status_code=204, summary="Release a floating IP", tags=["floating-ips"])
async def delete_floating_ip(ip_id: str, store: Store = Depends(get_store)):
    return delete_detached(store, "floatingIps", "floating IP", ip_id)


# -- volumes ---------------------------------------------------------------------------------------

@router.get("/volumes", summary="List volumes", tags=["volumes"])
async def list_volumes(projectId: Optional[str] = PROJECT_QUERY, name: Optional[str] = NAME_QUERY,
                       page: Page = Depends(page_params), store: Store = Depends(get_store)):
    return many(store.select("volumes", projectId=store.project_filter(projectId), name=name), page)


@router.post("/volumes", status_code=201, summary="Create a volume", tags=["volumes"], openapi_extra=body_doc(VolumeCreate))
async def create_volume(request: Request, store: Store = Depends(get_store)):
    body = await parse_body(request, VolumeCreate, store)
    if store.name_taken("volumes", body.projectId, body.name):
        raise name_conflict("volume", body.name)
    record = new_record(store, dict(body.model_dump(), instanceId=None, status="available"))
    return one(stored(store, "volumes", record), 201)


@router.get("/volumes/{volume_id}", summary="Show a volume", tags=["volumes"])
async def show_volume(volume_id: str, store: Store = Depends(get_store)):
    return one(store.get("volumes", volume_id))


@router.patch("/volumes/{volume_id}", summary="Grow a volume", tags=["volumes"], openapi_extra=body_doc(VolumeUpdate))
async def update_volume(volume_id: str, request: Request, store: Store = Depends(get_store)):
    record = store.get("volumes", volume_id)
    size = given(await parse_body(request, VolumeUpdate, store)).get("sizeGb", record["sizeGb"])
    if size < record["sizeGb"]:
        raise validation({"sizeGb": "can only grow (currently %d)" % record["sizeGb"]})
    if size != record["sizeGb"]:
        record["sizeGb"] = size
        store.save()
    return one(record)


@router.post("/volumes/{volume_id}/attach", summary="Attach a volume", tags=["volumes"], openapi_extra=body_doc(AttachBody))
async def attach_volume(volume_id: str, request: Request, store: Store = Depends(get_store)):
    record = store.get("volumes", volume_id)
    body = await parse_body(request, AttachBody, store)
    return one(attach(store, "volumes", record, body.instanceId))


@router.post("/volumes/{volume_id}/detach", summary="Detach a volume", tags=["volumes"])
async def detach_volume(volume_id: str, store: Store = Depends(get_store)):
    return one(attach(store, "volumes", store.get("volumes", volume_id), None))


@router.delete("/volumes/{volume_id}", status_code=204, summary="Delete a volume", tags=["volumes"])
async def delete_volume(volume_id: str, store: Store = Depends(get_store)):
    return delete_detached(store, "volumes", "volume", volume_id)
