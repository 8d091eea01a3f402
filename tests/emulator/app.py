"""The FastAPI app of the emulator, wrapped in the gateway."""

import contextlib
import logging
from typing import Any, AsyncIterator, Optional, Sequence

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from . import (routes_catalogue, routes_control, routes_floating_ips, routes_instances, routes_keys, routes_networks, routes_snapshots,
               routes_ssh_keys, routes_volumes)
from .api import details_of
from .errors import ApiError, code_for_status, error_body, validation
from .gateway import Gateway
from .reachable import SyncOnAnswer
from .state import Store
from .variants import Variants

LOG = logging.getLogger("tests.emulator")

DESCRIPTION = (
    "A local emulator of the HostUpCloud Console API (routes under /api, Bearer huc_ keys), "
    "with control routes under /_emulator for tests. See tests/emulator/README.md."
)


async def api_error(_request: Request, exc: ApiError) -> JSONResponse:
    """ApiError as the error envelope."""
    return JSONResponse(exc.body(), status_code=exc.status, headers=exc.headers)


async def request_validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
    """FastAPI's own validation errors as 422 validation_error keyed by field name."""
    error = validation(details_of(exc.errors(), skip=1))
    return JSONResponse(error.body(), status_code=error.status)


async def http_error(request: Request, exc: HTTPException) -> JSONResponse:
    """Unknown routes (404) and methods (405) as the error envelope."""
    if exc.status_code == 404:
        message = "no route for %s %s" % (request.method, request.url.path)
    elif exc.status_code == 405:
        message = "method %s is not allowed on %s" % (request.method, request.url.path)
    else:
        message = str(exc.detail)
    return JSONResponse(error_body(code_for_status(exc.status_code), message), status_code=exc.status_code, headers=exc.headers)


async def internal_error(request: Request, exc: Exception) -> JSONResponse:
    """Any other exception: 500 internal_error."""
    LOG.exception("unhandled error on %s %s", request.method, request.url.path)
    return JSONResponse(error_body("internal_error", "internal error: %s" % type(exc).__name__), status_code=500)


def create_app(store: Store, variants: Sequence[str] = (), listeners: Optional[Any] = None) -> Any:
    """The ASGI app serving the store; with variants, behind their translation layer (variants.py); with listeners
    (reachable.Listeners), they run from start-up to shutdown on the server's loop."""
    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if listeners is not None:
            listeners.start()
        try:
            yield
        finally:
            if listeners is not None:
                await listeners.stop()
        store.save()

    app = FastAPI(
        title="HostUpCloud Console API emulator",
        version="0.1.0",
        description=DESCRIPTION,
        openapi_url="/_emulator/openapi.json",
        docs_url="/_emulator/docs",
        redoc_url="/_emulator/redoc",
        lifespan=lifespan,
    )
    app.state.store = store
    for module in (routes_catalogue, routes_instances, routes_keys, routes_ssh_keys, routes_floating_ips, routes_volumes, routes_networks,
                   routes_snapshots, routes_control):
        app.include_router(module.router)
    app.add_exception_handler(ApiError, api_error)
    app.add_exception_handler(RequestValidationError, request_validation_error)
    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(Exception, internal_error)
    gateway = Gateway(app, store)
    outer = Variants(gateway, variants) if variants else gateway
    return SyncOnAnswer(outer, listeners) if listeners is not None else outer
