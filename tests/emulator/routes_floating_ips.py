"""Floating IP routes: list, allocate, show, attach, detach, reverse DNS, release."""

from typing import Optional

from fastapi import APIRouter, Depends, Query, Request

from .api import PROJECT_QUERY, Page, body_doc, get_store, many, new_record, one, page_params, parse_body, stored
from .attachments import attach, delete_detached
from .errors import conflict
from .label_selectors import LABEL_SELECTOR_QUERY, select
from .instances import given_flags, merge_protection
from .models import AttachBody, FloatingIpCreate, FloatingIpReverseDns, FloatingIpUpdate, given
from .records import free_floating_address
from .state import Store

router = APIRouter(prefix="/api/floating-ips", tags=["floating-ips"])


@router.get("", summary="List floating IPs")
async def list_floating_ips(projectId: Optional[str] = PROJECT_QUERY, instanceId: Optional[str] = Query(None, description="attached to this instance"),
                            labelSelector: Optional[str] = LABEL_SELECTOR_QUERY, page: Page = Depends(page_params), store: Store = Depends(get_store)):
    return many(select(store.select("floatingIps", projectId=store.project_filter(projectId), instanceId=instanceId), labelSelector), page)


@router.post("", status_code=201, summary="Allocate a floating IP", openapi_extra=body_doc(FloatingIpCreate))
async def create_floating_ip(request: Request, store: Store = Depends(get_store)):
    body = await parse_body(request, FloatingIpCreate, store)
    if store.loopback is not None:  # reachable mode: a loopback address of the emulator's block
        address = store.loopback.allocate()
    else:
        address = free_floating_address({record["address"] for record in store.data["floatingIps"].values()})
    if address is None:
        raise conflict("no floating IP address is left", code="addresses_exhausted")
    record = new_record(store, dict(body.model_dump(), labels=body.labels or {}, address=address, instanceId=None,
                                    reverseDns=None, protection=dict({"delete": False}, **given_flags(body.protection))))
    return one(stored(store, "floatingIps", record), 201)


@router.get("/{ip_id}", summary="Show a floating IP")
async def show_floating_ip(ip_id: str, store: Store = Depends(get_store)):
    return one(store.get("floatingIps", ip_id))


@router.patch("/{ip_id}", summary="Change a floating IP's protection [assumed]", openapi_extra=body_doc(FloatingIpUpdate))
async def update_floating_ip(ip_id: str, request: Request, store: Store = Depends(get_store)):
    record = store.get("floatingIps", ip_id)
    changes = given(await parse_body(request, FloatingIpUpdate, store))
    if merge_protection(record, changes.get("protection") or {}):
        store.save()
    return one(record)


@router.post("/{ip_id}/attach", summary="Attach a floating IP", openapi_extra=body_doc(AttachBody))
async def attach_floating_ip(ip_id: str, request: Request, store: Store = Depends(get_store)):
    record = store.get("floatingIps", ip_id)
    body = await parse_body(request, AttachBody, store)
    return one(attach(store, "floatingIps", record, body.instanceId))


@router.post("/{ip_id}/detach", summary="Detach a floating IP")
async def detach_floating_ip(ip_id: str, store: Store = Depends(get_store)):
    return one(attach(store, "floatingIps", store.get("floatingIps", ip_id), None))


@router.put("/{ip_id}/reverse-dns", summary="Set the PTR of a floating IP", openapi_extra=body_doc(FloatingIpReverseDns))
async def reverse_dns_floating_ip(ip_id: str, request: Request, store: Store = Depends(get_store)):
    record = store.get("floatingIps", ip_id)
    body = await parse_body(request, FloatingIpReverseDns, store)
    if record.get("reverseDns") != body.ptr:
        record["reverseDns"] = body.ptr
        store.save()
    return one(record)


@router.delete("/{ip_id}", status_code=204, summary="Release a floating IP")
async def delete_floating_ip(ip_id: str, store: Store = Depends(get_store)):
    return delete_detached(store, "floatingIps", "floating IP", ip_id)
