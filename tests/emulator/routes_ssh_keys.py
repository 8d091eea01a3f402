"""SSH key routes: list, add, show, delete."""

from typing import Optional

from fastapi import APIRouter, Depends, Request

from .api import NAME_QUERY, PROJECT_QUERY, Page, body_doc, delete_record, get_store, many, new_record, one, page_params, parse_body, stored
from .instances import name_conflict
from .models import SshKeyCreate
from .records import ssh_fingerprint
from .state import Store

router = APIRouter(prefix="/api/ssh-keys", tags=["ssh-keys"])


@router.get("", summary="List SSH keys")
async def list_ssh_keys(projectId: Optional[str] = PROJECT_QUERY, name: Optional[str] = NAME_QUERY,
                        page: Page = Depends(page_params), store: Store = Depends(get_store)):
    return many(store.select("sshKeys", projectId=store.project_filter(projectId), name=name), page)


@router.post("", status_code=201, summary="Add an SSH key", openapi_extra=body_doc(SshKeyCreate))
async def create_ssh_key(request: Request, store: Store = Depends(get_store)):
    body = await parse_body(request, SshKeyCreate, store)
    if store.name_taken("sshKeys", body.projectId, body.name):
        raise name_conflict("SSH key", body.name)
    record = new_record(store, dict(body.model_dump(), fingerprint=ssh_fingerprint(body.publicKey)))
    return one(stored(store, "sshKeys", record), 201)


@router.get("/{key_id}", summary="Show an SSH key")
async def show_ssh_key(key_id: str, store: Store = Depends(get_store)):
    return one(store.get("sshKeys", key_id))


@router.delete("/{key_id}", status_code=204, summary="Delete an SSH key")
async def delete_ssh_key(key_id: str, store: Store = Depends(get_store)):
    return delete_record(store, "sshKeys", key_id)
