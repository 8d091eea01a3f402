"""Snapshot routes [assumed]: list, create, show, delete."""

from typing import Optional

from fastapi import APIRouter, Depends, Query, Request

from . import lifecycle
from .api import NAME_QUERY, PROJECT_QUERY, Page, body_doc, delete_record, get_store, many, one, page_params, parse_body
from .errors import validation
from .label_selectors import LABEL_SELECTOR_QUERY, select
from .models import SnapshotCreate
from .state import Store

router = APIRouter(prefix="/api/snapshots", tags=["snapshots"])


@router.get("", summary="List snapshots")
async def list_snapshots(projectId: Optional[str] = PROJECT_QUERY, name: Optional[str] = NAME_QUERY,
                         instanceId: Optional[str] = Query(None, description="taken of this instance (it may be gone)"),
                         labelSelector: Optional[str] = LABEL_SELECTOR_QUERY, page: Page = Depends(page_params), store: Store = Depends(get_store)):
    found = store.select("snapshots", projectId=store.project_filter(projectId), name=name, instanceId=instanceId)
    return many(select(found, labelSelector), page)


@router.post("", status_code=201, summary="Snapshot an instance", openapi_extra=body_doc(SnapshotCreate))
async def create_snapshot(request: Request, store: Store = Depends(get_store)):
    body = await parse_body(request, SnapshotCreate, store)
    inst = store.get("instances", body.instanceId)
    if inst["projectId"] != body.projectId:
        raise validation({"instanceId": "must be an instance of project %s" % body.projectId})
    snapshot = lifecycle.create_snapshot(store, body.model_dump())
    store.save()
    return one(snapshot, 201, store.next_request_at())


@router.get("/{snapshot_id}", summary="Show a snapshot")
async def show_snapshot(snapshot_id: str, store: Store = Depends(get_store)):
    return one(store.get("snapshots", snapshot_id), now=store.next_request_at())


@router.delete("/{snapshot_id}", status_code=204, summary="Delete a snapshot")
async def delete_snapshot(snapshot_id: str, store: Store = Depends(get_store)):
    return delete_record(store, "snapshots", snapshot_id)
