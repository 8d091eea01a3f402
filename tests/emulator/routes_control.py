"""Control routes under /_emulator: no key, no rate limit, not in the request log."""

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from . import instances
from .api import body_doc, get_store, no_content, parse_body
from .errors import conflict, not_found, validation
from .models import ClockAdvance, ConfigUpdate, ControlApiKey, ControlProject, FaultRule, InstanceControl, given
from .records import public
from .routes_keys import issue_key
from .seed import project_record
from .state import Store, instance_view

router = APIRouter(prefix="/_emulator", tags=["emulator control"])


@router.get("/requests", summary="The request log of /api, oldest first")
async def list_requests(store: Store = Depends(get_store)):
    return {"requests": store.log}


@router.delete("/requests", status_code=204, summary="Clear the request log")
async def clear_requests(store: Store = Depends(get_store)):
    store.log = []
    return no_content()


@router.get("/faults", summary="List fault rules")
async def list_faults(store: Store = Depends(get_store)):
    return {"faults": store.faults.list()}


@router.post("/faults", status_code=201, summary="Add a fault rule", openapi_extra=body_doc(FaultRule))
async def add_fault(request: Request, store: Store = Depends(get_store)):
    body = await parse_body(request, FaultRule, store)
    spec = body.model_dump()
    if "status" not in body.model_fields_set and (body.drop or body.delaySeconds > 0):
        spec["status"] = None
    if spec["status"] is None and not body.drop and not body.delaySeconds:
        raise validation({"status": "a rule needs a status, drop or delaySeconds"})
    return JSONResponse(store.faults.add(spec), status_code=201)


@router.delete("/faults", status_code=204, summary="Remove every fault rule")
async def clear_faults(store: Store = Depends(get_store)):
    store.faults.clear()
    return no_content()


@router.delete("/faults/{rule_id}", status_code=204, summary="Remove one fault rule")
async def remove_fault(rule_id: str, store: Store = Depends(get_store)):
    if not store.faults.remove(rule_id):
        raise not_found("fault rule", rule_id)
    return no_content()


@router.get("/clock", summary="The emulator clock")
async def show_clock(store: Store = Depends(get_store)):
    return store.clock.as_dict()


@router.post("/clock", summary="Move the emulator clock forward", openapi_extra=body_doc(ClockAdvance))
async def advance_clock(request: Request, store: Store = Depends(get_store)):
    body = await parse_body(request, ClockAdvance, store)
    try:
        store.clock.advance(body.advanceSeconds)
    except ValueError as exc:
        raise validation({"advanceSeconds": str(exc)})
    store.settle()
    store.save()
    return store.clock.as_dict()


@router.post("/reset", summary="Back to the initial state")
async def reset(store: Store = Depends(get_store)):
    store.reset()
    return {"reset": True, "clock": store.clock.as_dict()}


@router.get("/state", summary="Everything the emulator holds (no secrets)")
async def dump_state(store: Store = Depends(get_store)):
    return store.dump()


@router.patch("/instances/{instance_id}", summary="Force an instance status or its ignore-shutdown flag", openapi_extra=body_doc(InstanceControl))
async def control_instance(instance_id: str, request: Request, store: Store = Depends(get_store)):
    inst = store.get("instances", instance_id)
    body = await parse_body(request, InstanceControl, store)
    instances.force(store, inst, body.status, body.ignoreShutdown)
    store.save()
    return instance_view(inst)


@router.post("/instances/{instance_id}/backups", status_code=201, summary="Make a backup of an instance at once (whether or not its backups are on)")
async def control_backup(instance_id: str, store: Store = Depends(get_store)):
    inst = store.get("instances", instance_id)
    store.due_backups(inst)
    backup = store.make_backup(inst, store.now())
    store.save()
    return JSONResponse(public(backup), status_code=201)


@router.post("/api-keys", status_code=201, summary="Create an API key directly (any expiry, any status)", openapi_extra=body_doc(ControlApiKey))
async def control_key(request: Request, store: Store = Depends(get_store)):
    body = await parse_body(request, ControlApiKey, store, allow_past=True)
    return JSONResponse(issue_key(store, body.name, body.permissions, body.expiresAt, body.status), status_code=201)


@router.post("/projects", status_code=201, summary="Add a project (the API itself has no route for it)", openapi_extra=body_doc(ControlProject))
async def control_project(request: Request, store: Store = Depends(get_store)):
    body = await parse_body(request, ControlProject, store)
    if store.select("projects", name=body.name):
        raise conflict("a project named %s already exists" % body.name, {"name": "is already taken"})
    project = store.add("projects", project_record(body.name, store.now()))
    store.save()
    return JSONResponse(public(project), status_code=201)


@router.get("/config", summary="Runtime settings")
async def show_config(store: Store = Depends(get_store)):
    return store.settings


@router.patch("/config", summary="Change runtime settings", openapi_extra=body_doc(ConfigUpdate))
async def update_config(request: Request, store: Store = Depends(get_store)):
    body = await parse_body(request, ConfigUpdate, store)
    store.settings.update({name: value for name, value in given(body).items() if value is not None})
    return store.settings
