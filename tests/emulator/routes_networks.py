"""Firewall and private network routes (assumed API)."""

from typing import Optional

from fastapi import APIRouter, Depends, Request

from . import networks
from .api import NAME_QUERY, PROJECT_QUERY, Page, body_doc, delete_record, get_store, many, new_record, one, page_params, parse_body, stored
from .errors import conflict
from .instances import name_conflict
from .models import given
from .state import Store

router = APIRouter(prefix="/api", tags=["firewalls, private networks"])


# -- firewalls -------------------------------------------------------------------------------------

@router.get("/firewalls", summary="List firewalls", tags=["firewalls"])
async def list_firewalls(projectId: Optional[str] = PROJECT_QUERY, name: Optional[str] = NAME_QUERY,
                         page: Page = Depends(page_params), store: Store = Depends(get_store)):
    return many(store.select("firewalls", projectId=store.project_filter(projectId), name=name), page)


@router.post("/firewalls", status_code=201, summary="Create a firewall", tags=["firewalls"],
             openapi_extra=body_doc(networks.FirewallCreate))
async def create_firewall(request: Request, store: Store = Depends(get_store)):
    body = await parse_body(request, networks.FirewallCreate, store)
    networks.check_same_project(store, body.projectId, body.instanceIds or [])
    if store.name_taken("firewalls", body.projectId, body.name):
        raise name_conflict("firewall", body.name)
    record = new_record(store, {"projectId": body.projectId, "name": body.name, "rules": body.rules or [],
                                "instanceIds": body.instanceIds or []})
    return one(stored(store, "firewalls", record), 201)


@router.get("/firewalls/{firewall_id}", summary="Show a firewall", tags=["firewalls"])
async def show_firewall(firewall_id: str, store: Store = Depends(get_store)):
    return one(store.get("firewalls", firewall_id))


@router.patch("/firewalls/{firewall_id}", summary="Change a firewall", tags=["firewalls"],
              openapi_extra=body_doc(networks.FirewallUpdate))
async def update_firewall(firewall_id: str, request: Request, store: Store = Depends(get_store)):
    record = store.get("firewalls", firewall_id)
    changes = given(await parse_body(request, networks.FirewallUpdate, store))
    networks.check_same_project(store, record["projectId"], changes.get("instanceIds") or [])
    if "name" in changes and store.name_taken("firewalls", record["projectId"], changes["name"], exclude_id=firewall_id):
        raise name_conflict("firewall", changes["name"])
    changed = dict((key, value) for key, value in changes.items() if record.get(key) != value)
    if changed:
        record.update(changed)
        store.save()
    return one(record)


@router.delete("/firewalls/{firewall_id}", status_code=204, summary="Delete a firewall", tags=["firewalls"])
async def delete_firewall(firewall_id: str, store: Store = Depends(get_store)):
    return delete_record(store, "firewalls", firewall_id)


# -- private networks ------------------------------------------------------------------------------

@router.get("/networks", summary="List private networks", tags=["networks"])
async def list_networks(projectId: Optional[str] = PROJECT_QUERY, name: Optional[str] = NAME_QUERY,
                        page: Page = Depends(page_params), store: Store = Depends(get_store)):
    return many(store.select("networks", projectId=store.project_filter(projectId), name=name), page)


@router.post("/networks", status_code=201, summary="Create a private network", tags=["networks"],
             openapi_extra=body_doc(networks.NetworkCreate))
async def create_network(request: Request, store: Store = Depends(get_store)):
    body = await parse_body(request, networks.NetworkCreate, store)
    if store.name_taken("networks", body.projectId, body.name):
        raise name_conflict("network", body.name)
    networks.check_no_overlap(store, body.projectId, body.cidr)
    record = new_record(store, dict(body.model_dump(), attachments=[]))
    return one(stored(store, "networks", record), 201)


@router.get("/networks/{network_id}", summary="Show a private network", tags=["networks"])
async def show_network(network_id: str, store: Store = Depends(get_store)):
    return one(store.get("networks", network_id))


@router.post("/networks/{network_id}/attach", summary="Attach an instance", tags=["networks"],
             openapi_extra=body_doc(networks.NetworkAttach))
async def attach_network(network_id: str, request: Request, store: Store = Depends(get_store)):
    record = store.get("networks", network_id)
    body = await parse_body(request, networks.NetworkAttach, store)
    return one(networks.attach(store, record, body.instanceId, body.ip))


@router.post("/networks/{network_id}/detach", summary="Detach an instance", tags=["networks"],
             openapi_extra=body_doc(networks.NetworkDetach))
async def detach_network(network_id: str, request: Request, store: Store = Depends(get_store)):
    record = store.get("networks", network_id)
    body = await parse_body(request, networks.NetworkDetach, store)
    return one(networks.detach(store, record, body.instanceId))


@router.delete("/networks/{network_id}", status_code=204, summary="Delete a private network", tags=["networks"])
async def delete_network(network_id: str, store: Store = Depends(get_store)):
    record = store.get("networks", network_id)
    if record["attachments"]:
        raise conflict("network %s has %d instances attached; detach them first" % (record["name"], len(record["attachments"])),
                       {"attachments": [item["instanceId"] for item in record["attachments"]]})
    return delete_record(store, "networks", network_id)
