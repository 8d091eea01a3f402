"""Volume routes: list, create, show, grow, attach, detach, delete."""

from typing import Optional

from fastapi import APIRouter, Depends, Request

from .api import NAME_QUERY, PROJECT_QUERY, Page, body_doc, get_store, many, new_record, one, page_params, parse_body, stored
from .attachments import attach, delete_detached
from .errors import validation
from .instances import given_flags, merge_protection, name_conflict
from .models import AttachBody, VolumeCreate, VolumeUpdate, given
from .state import Store

router = APIRouter(prefix="/api/volumes", tags=["volumes"])


@router.get("", summary="List volumes")
async def list_volumes(projectId: Optional[str] = PROJECT_QUERY, name: Optional[str] = NAME_QUERY,
                       page: Page = Depends(page_params), store: Store = Depends(get_store)):
    return many(store.select("volumes", projectId=store.project_filter(projectId), name=name), page)


@router.post("", status_code=201, summary="Create a volume", openapi_extra=body_doc(VolumeCreate))
async def create_volume(request: Request, store: Store = Depends(get_store)):
    body = await parse_body(request, VolumeCreate, store)
    if store.name_taken("volumes", body.projectId, body.name):
        raise name_conflict("volume", body.name)
    record = new_record(store, dict(body.model_dump(), instanceId=None, status="available",
                                    protection=dict({"delete": False}, **given_flags(body.protection))))
    return one(stored(store, "volumes", record), 201)


@router.get("/{volume_id}", summary="Show a volume")
async def show_volume(volume_id: str, store: Store = Depends(get_store)):
    return one(store.get("volumes", volume_id))


@router.patch("/{volume_id}", summary="Grow a volume, change its protection", openapi_extra=body_doc(VolumeUpdate))
async def update_volume(volume_id: str, request: Request, store: Store = Depends(get_store)):
    record = store.get("volumes", volume_id)
    changes = given(await parse_body(request, VolumeUpdate, store))
    size = changes.get("sizeGb", record["sizeGb"])
    if size < record["sizeGb"]:
        raise validation({"sizeGb": "can only grow (currently %d)" % record["sizeGb"]})
    if merge_protection(record, changes.get("protection") or {}) or size != record["sizeGb"]:
        record["sizeGb"] = size
        store.save()
    return one(record)


@router.post("/{volume_id}/attach", summary="Attach a volume", openapi_extra=body_doc(AttachBody))
async def attach_volume(volume_id: str, request: Request, store: Store = Depends(get_store)):
    record = store.get("volumes", volume_id)
    body = await parse_body(request, AttachBody, store)
    return one(attach(store, "volumes", record, body.instanceId))


@router.post("/{volume_id}/detach", summary="Detach a volume")
async def detach_volume(volume_id: str, store: Store = Depends(get_store)):
    return one(attach(store, "volumes", store.get("volumes", volume_id), None))


@router.delete("/{volume_id}", status_code=204, summary="Delete a volume")
async def delete_volume(volume_id: str, store: Store = Depends(get_store)):
    return delete_detached(store, "volumes", "volume", volume_id)
