"""Helpers shared by the routes: the store, request bodies, pagination, envelopes, validation details, new records."""

import math
from typing import Any, Callable, Dict, Iterable, List, Optional

from fastapi import Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ValidationError

from .errors import bad_request, validation
from .records import TooDeep, iso, load_json, new_id, public
from .state import Store

PROJECT_QUERY = Query(None, description="only this project's resources (404 when unknown)")
NAME_QUERY = Query(None, description="exact name")

TYPE_MESSAGES = {
    "missing": "is required",
    "extra_forbidden": "is not a known field",
    "int_type": "must be an integer",
    "int_parsing": "must be an integer",
    "int_from_float": "must be an integer",
    "string_type": "must be a string",
    "list_type": "must be a list",
    "dict_type": "must be an object",
    "model_type": "must be an object",
    "bool_type": "must be a boolean",
    "float_type": "must be a number",
    "float_parsing": "must be a number",
}


def get_store(request: Request) -> Store:
    """The store of the app (a FastAPI dependency)."""
    return request.app.state.store


def error_message(error: Dict[str, Any]) -> str:
    """A short message for one pydantic error."""
    if error["type"] == "value_error":
        return str(error["ctx"]["error"])
    return TYPE_MESSAGES.get(error["type"], error["msg"])


def details_of(errors: Iterable[Dict[str, Any]], skip: int = 0) -> Dict[str, str]:
    """Validation details keyed by the (camelCase) top-level field, one message per field."""
    details = {}  # type: Dict[str, str]
    for error in errors:
        loc = [str(part) for part in error["loc"][skip:]] or ["body"]
        message = error_message(error)
        if len(loc) > 1:
            message = "%s: %s" % (".".join(loc[1:]), message)
        details.setdefault(loc[0], message)
    return details


async def parse_body(request: Request, model: type, store: Store, check: Optional[Callable[[Dict[str, Any]], Dict[str, str]]] = None,
                     **context: Any) -> BaseModel:
    """The request's JSON object validated by model: 400 when it is not a JSON object, 422 naming every bad field.
    check(data) gives more details on the raw object (a rule across fields), reported with the model's own."""
    raw = await request.body()
    if not raw.strip():
        raise bad_request("a JSON object body is required")
    try:
        data = load_json(raw)
    except TooDeep as exc:
        raise bad_request(str(exc))
    except ValueError:
        raise bad_request("the request body is not valid JSON")
    if not isinstance(data, dict):
        raise bad_request("the request body must be a JSON object")
    full_context = {"store": store, "now": store.now()}
    full_context.update(context)
    details = check(data) if check else {}
    try:
        parsed = model.model_validate(data, context=full_context)
    except ValidationError as exc:
        details = dict(details_of(exc.errors()), **details)  # the rule across fields says more than a field's own check
    if details:
        raise validation(details)
    return parsed


def body_doc(model: type) -> Dict[str, Any]:
    """openapi_extra documenting a JSON body parsed by parse_body."""
    schema = model.model_json_schema()
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}


class Page:
    """page and perPage of a list request."""

    def __init__(self, number: int, size: int) -> None:
        self.number = number
        self.size = size


def _int_query(name: str, raw: Optional[str], default: int, high: Optional[int], details: Dict[str, str]) -> int:
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        details[name] = "must be an integer"
        return default
    if value < 1 or (high is not None and value > high):
        details[name] = "must be between 1 and %d" % high if high else "must be at least 1"
    return value


def page_params(
    page: Optional[str] = Query(None, description="1-based page number (default 1)"),
    perPage: Optional[str] = Query(None, description="items per page, 1-100 (default 50)"),
) -> Page:
    """The pagination query (a FastAPI dependency); 422 naming page and/or perPage when out of range."""
    details = {}  # type: Dict[str, str]
    number = _int_query("page", page, 1, None, details)
    size = _int_query("perPage", perPage, 50, 100, details)
    if details:
        raise validation(details)
    return Page(number, size)


def one(record: Dict[str, Any], status: int = 200, now: Optional[float] = None) -> JSONResponse:
    """The single-object envelope. Given now (the emulator clock), an instance in a transitional status
    carries its ETA: Retry-After, the whole seconds until the transition completes (at least 1)."""
    response = JSONResponse({"data": public(record)}, status_code=status)
    transition = record.get("_transition") if now is not None else None
    if transition:
        response.headers["Retry-After"] = str(max(1, int(math.ceil(transition["at"] - now))))
    return response


def many(records: List[Dict[str, Any]], page: Page) -> JSONResponse:
    """The list envelope with pagination."""
    start = (page.number - 1) * page.size
    total = len(records)
    body = {
        "data": [public(record) for record in records[start:start + page.size]],
        "pagination": {"page": page.number, "perPage": page.size, "total": total, "totalPages": -(-total // page.size)},
    }
    return JSONResponse(body)


def no_content() -> Response:
    """204 without a body."""
    return Response(status_code=204)


def delete_record(store: Store, kind: str, resource_id: str) -> Response:
    """Delete a record (404 when unknown), persist, answer 204."""
    store.get(kind, resource_id)
    store.remove(kind, resource_id)
    store.save()
    return no_content()


def new_record(store: Store, fields: Dict[str, Any]) -> Dict[str, Any]:
    """A record with an id and a creation time."""
    now = store.now()
    return dict(fields, id=new_id(), createdAt=iso(now), _t=now)


def stored(store: Store, kind: str, record: Dict[str, Any]) -> Dict[str, Any]:
    """Add a record and persist."""
    store.add(kind, record)
    store.save()
    return record
