"""Read-only routes: projects, nodes, OS templates."""

from fastapi import APIRouter, Depends

from .api import Page, get_store, many, one, page_params
from .state import Store

router = APIRouter(prefix="/api", tags=["catalogue"])


@router.get("/projects", summary="List projects")
async def list_projects(page: Page = Depends(page_params), store: Store = Depends(get_store)):
    return many(store.select("projects"), page)


@router.get("/projects/{project_id}", summary="Show a project")
async def show_project(project_id: str, store: Store = Depends(get_store)):
    return one(store.get("projects", project_id))


@router.get("/nodes", summary="List nodes")
async def list_nodes(page: Page = Depends(page_params), store: Store = Depends(get_store)):
    return many(store.select("nodes"), page)


@router.get("/nodes/{node_id}", summary="Show a node")
async def show_node(node_id: str, store: Store = Depends(get_store)):
    return one(store.get("nodes", node_id))


@router.get("/os-templates", summary="List OS templates")
async def list_os_templates(page: Page = Depends(page_params), store: Store = Depends(get_store)):
    return many(store.data["osTemplates"], page)
