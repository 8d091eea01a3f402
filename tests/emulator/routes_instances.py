"""Instance routes: list, create, show, change, delete, power, reverse DNS, rebuild and backups."""

from typing import Optional

from fastapi import APIRouter, Depends, Query, Request

from . import instances, lifecycle
from .api import Page, body_doc, get_store, many, one, page_params, parse_body
from .errors import validation
from .label_selectors import LABEL_SELECTOR_QUERY, select
from .models import InstanceCreate, InstanceUpdate, PowerAction, RebuildBody, ReverseDnsBody, exactly_one, given
from .records import STATUSES
from .state import Store

router = APIRouter(prefix="/api/instances", tags=["instances"])


@router.get("", summary="List instances")
async def list_instances(
    projectId: Optional[str] = Query(None, description="only this project's instances (404 when unknown)"),
    name: Optional[str] = Query(None, description="exact name"),
    status: Optional[str] = Query(None, description="one status"),
    labelSelector: Optional[str] = LABEL_SELECTOR_QUERY,
    page: Page = Depends(page_params),
    store: Store = Depends(get_store),
):
    if status is not None and status not in STATUSES:
        raise validation({"status": "must be one of: %s" % ", ".join(STATUSES)})
    found = store.select("instances", projectId=store.project_filter(projectId), name=name, status=status)
    return many(select(found, labelSelector), page)


@router.post("", status_code=201, summary="Create an instance", openapi_extra=body_doc(InstanceCreate))
async def create_instance(request: Request, store: Store = Depends(get_store)):
    body = await parse_body(request, InstanceCreate, store, check=exactly_one("osTemplate", "snapshotId"))
    spec = dict(body.model_dump(), protection=instances.given_flags(body.protection))
    snapshot = lifecycle.refuse_unready_snapshot(store, body.snapshotId)
    if snapshot is not None:  # the disk is the snapshot's, and so is the template
        spec["osTemplate"] = snapshot["osTemplate"]
    inst = instances.create(store, spec)
    store.save()
    return one(inst, 201, store.next_request_at())


@router.get("/{instance_id}", summary="Show an instance")
async def show_instance(instance_id: str, store: Store = Depends(get_store)):
    return one(store.get("instances", instance_id), now=store.next_request_at())


@router.patch("/{instance_id}", summary="Change an instance", openapi_extra=body_doc(InstanceUpdate))
async def update_instance(instance_id: str, request: Request, store: Store = Depends(get_store)):
    inst = store.get("instances", instance_id)
    body = await parse_body(request, InstanceUpdate, store)
    instances.update(store, inst, given(body))
    store.save()
    return one(inst, now=store.next_request_at())


@router.delete("/{instance_id}", status_code=202, summary="Delete an instance")
async def delete_instance(instance_id: str, store: Store = Depends(get_store)):
    inst = store.get("instances", instance_id)
    lifecycle.refuse_protected(inst, "delete", "instance", "PATCH /api/instances/%s" % instance_id)
    instances.delete(store, inst)
    store.save()
    return one(inst, 202, store.next_request_at())


@router.post("/{instance_id}/power", status_code=202, summary="Power action", openapi_extra=body_doc(PowerAction))
async def power_instance(instance_id: str, request: Request, store: Store = Depends(get_store)):
    inst = store.get("instances", instance_id)
    body = await parse_body(request, PowerAction, store)
    instances.power(store, inst, body.action)
    store.save()
    return one(inst, 202, store.next_request_at())


@router.put("/{instance_id}/reverse-dns", summary="Set the PTR of one address", openapi_extra=body_doc(ReverseDnsBody))
async def reverse_dns_instance(instance_id: str, request: Request, store: Store = Depends(get_store)):
    inst = store.get("instances", instance_id)
    body = await parse_body(request, ReverseDnsBody, store)
    instances.set_reverse_dns(store, inst, body.address, body.ptr)
    store.save()
    return one(inst, now=store.next_request_at())


@router.post("/{instance_id}/rebuild", status_code=202, summary="Rebuild: write the disk anew [assumed]", openapi_extra=body_doc(RebuildBody))
async def rebuild_instance(instance_id: str, request: Request, store: Store = Depends(get_store)):
    inst = store.get("instances", instance_id)
    store.due_backups(inst)
    body = await parse_body(request, RebuildBody, store, check=exactly_one("osTemplate", "snapshotId", "backupId"), instance=inst)
    lifecycle.rebuild(store, inst, body.model_dump())
    store.save()
    return one(inst, 202, store.next_request_at())


@router.get("/{instance_id}/backups", summary="The instance's backups, oldest first [assumed]")
async def list_backups(instance_id: str, page: Page = Depends(page_params), store: Store = Depends(get_store)):
    store.due_backups(store.get("instances", instance_id))
    return many(store.select("backups", instanceId=instance_id), page)
