"""API key routes: list, create (the secret is returned once), show, revoke, enable, delete."""

from typing import Any, Dict, Optional

from fastapi import APIRouter, Depends, Request

from .api import Page, body_doc, delete_record, get_store, many, one, page_params, parse_body
from .models import ApiKeyCreate
from .records import api_key_record, public
from .state import Store

router = APIRouter(prefix="/api/api-keys", tags=["api-keys"])


def issue_key(store: Store, name: str, permissions: list, expires: Optional[float], status: str = "active") -> Dict[str, Any]:
    """Create a key; the answer is the only place its secret ever appears."""
    record, secret = api_key_record(name, permissions, expires, store.now(), status)
    store.add("apiKeys", record)
    store.save()
    return dict(public(record), key=secret)


def set_status(store: Store, key_id: str, status: str) -> Dict[str, Any]:
    """Revoke or enable a key (idempotent)."""
    record = store.get("apiKeys", key_id)
    if record["status"] != status:
        record["status"] = status
        store.save()
    return record


@router.get("", summary="List API keys")
async def list_keys(page: Page = Depends(page_params), store: Store = Depends(get_store)):
    return many(store.select("apiKeys"), page)


@router.post("", status_code=201, summary="Create an API key", openapi_extra=body_doc(ApiKeyCreate))
async def create_key(request: Request, store: Store = Depends(get_store)):
    body = await parse_body(request, ApiKeyCreate, store)
    return one(issue_key(store, body.name, body.permissions, body.expiresAt), 201)


@router.get("/{key_id}", summary="Show an API key")
async def show_key(key_id: str, store: Store = Depends(get_store)):
    return one(store.get("apiKeys", key_id))


@router.post("/{key_id}/revoke", summary="Revoke an API key")
async def revoke_key(key_id: str, store: Store = Depends(get_store)):
    return one(set_status(store, key_id, "revoked"))


@router.post("/{key_id}/enable", summary="Enable a revoked API key")
async def enable_key(key_id: str, store: Store = Depends(get_store)):
    return one(set_status(store, key_id, "active"))


@router.delete("/{key_id}", status_code=204, summary="Delete an API key")
async def delete_key(key_id: str, store: Store = Depends(get_store)):
    return delete_record(store, "apiKeys", key_id)
