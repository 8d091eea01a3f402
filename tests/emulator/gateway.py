"""The ASGI layer in front of the FastAPI app.

For every answer it sets the Date header from the emulator clock. For /api requests it also, in this
order: writes the request log, applies fault rules, checks the API key (401), counts the request in
the key's rate window (429), checks the write permission (403) and replays or records Idempotency-Key
answers of POST requests, then hands the request to the routes.

An afterAction fault rule lets all of that run, holds the complete answer back, and only then drops the
connection, sends an error instead, or sends the real answer late. When clockStepSeconds is set, the
emulator clock moves forward by that much once each /api request has its answer, just before the last
bytes go out.
"""

import asyncio
import hashlib
import json
from email.utils import formatdate
from typing import Any, Callable, Dict, List, Optional, Tuple

from .errors import STATUS_MESSAGES, ApiError, code_for_status, error_body
from .records import iso, load_json
from .state import Store

READ_METHODS = ("GET", "HEAD")
WRITE_REFUSED = "this API key has the Read permission only; Write is required"
JSON_TYPE = "application/json"


def is_api(path: str) -> bool:
    """Whether a path belongs to the emulated API."""
    return path == "/api" or path.startswith("/api/")


def compact(payload: Any) -> bytes:
    """JSON bytes, as the routes write them."""
    return json.dumps(payload, separators=(",", ":")).encode("utf-8")


def encode_headers(headers: Dict[str, str]) -> List[Tuple[bytes, bytes]]:
    """ASGI header pairs."""
    return [(name.lower().encode("latin-1"), str(value).encode("latin-1")) for name, value in headers.items()]


def without_body(send: Callable) -> Callable:
    """send, with every body of the answer left out (its headers, Content-Length included, kept)."""
    async def headless(message: Dict[str, Any]) -> None:
        await send(dict(message, body=b"") if message["type"] == "http.response.body" else message)
    return headless


class Exchange:
    """One HTTP request on its way through the gateway: its headers, the headers to add, what was answered."""

    def __init__(self, scope: Dict[str, Any], receive: Callable, send: Callable, clock: Callable[[], float]) -> None:
        self.scope = scope
        self.receive = receive
        self.raw_send = send
        self.clock = clock
        self.headers = {name.decode("latin-1").lower(): value.decode("latin-1") for name, value in scope.get("headers", [])}
        self.extra = {}  # type: Dict[str, str]
        self.status = None  # type: Optional[int]
        self.captured = None  # type: Optional[Dict[str, Any]]
        self.held = None  # type: Optional[List[Dict[str, Any]]]
        self.on_complete = None  # type: Optional[Callable[[], None]]
        self._completed = False

    @property
    def method(self) -> str:
        return self.scope["method"].upper()

    @property
    def path(self) -> str:
        return self.scope["path"]

    def token(self) -> Optional[str]:
        """The bearer token of the Authorization header, if any."""
        parts = self.headers.get("authorization", "").split(None, 1)
        if len(parts) == 2 and parts[0].lower() == "bearer":
            return parts[1].strip() or None
        return None

    def capture(self) -> None:
        """Keep a copy of the answer (for the idempotency store)."""
        self.captured = {"status": None, "headers": [], "body": b""}

    def hold(self) -> None:
        """Keep the answer back instead of sending it (for afterAction faults); release() sends it later."""
        self.held = []

    def complete(self) -> None:
        """The request has its answer: call on_complete, once."""
        if not self._completed:
            self._completed = True
            if self.on_complete is not None:
                self.on_complete()

    async def send(self, message: Dict[str, Any]) -> None:
        """Pass an ASGI message on, with the Date header of the emulator clock and the extra headers."""
        if message["type"] == "http.response.start":
            kept = [(name, value) for name, value in message.get("headers", []) if name.lower() != b"date"]
            if self.captured is not None:
                self.captured.update(status=message["status"], headers=kept)
            self.status = message["status"]
            message = dict(message, headers=kept)
        elif message["type"] == "http.response.body" and self.captured is not None:
            self.captured["body"] += message.get("body", b"")
        if self.held is not None:
            self.held.append(message)
            return
        await self._pass_on(message)

    async def _pass_on(self, message: Dict[str, Any]) -> None:
        """Send one message to the server; the last one of the answer completes the request first."""
        if message["type"] == "http.response.start":
            dated = list(message["headers"]) + encode_headers(self.extra) + [(b"date", formatdate(self.clock(), usegmt=True).encode("latin-1"))]
            message = dict(message, headers=dated)
        elif message["type"] == "http.response.body" and not message.get("more_body", False):
            self.complete()
        await self.raw_send(message)

    async def release(self) -> None:
        """Send the answer that hold() kept back (dated now)."""
        messages, self.held = self.held or [], None
        for message in messages:
            await self._pass_on(message)

    def discard(self) -> None:
        """Forget the answer that hold() kept back, and any copy of it; the request has no status yet."""
        self.held = None
        self.captured = None
        self.status = None

    async def respond(self, status: int, body: bytes, content_type: str = JSON_TYPE, headers: Optional[Dict[str, str]] = None) -> None:
        """Answer directly, without the routes."""
        pairs = [(b"content-type", content_type.encode("latin-1")), (b"content-length", str(len(body)).encode("latin-1"))]
        pairs += encode_headers(headers or {})
        await self.send({"type": "http.response.start", "status": status, "headers": pairs})
        await self.send({"type": "http.response.body", "body": body})

    async def respond_error(self, error: ApiError) -> None:
        """Answer with an error envelope."""
        await self.respond(error.status, compact(error.body()), headers=error.headers)


async def read_body(receive: Callable) -> bytes:
    """The whole request body."""
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def replaying(body: bytes, receive: Callable) -> Callable:
    """A receive callable that yields an already read body, then defers to the real one."""
    state = {"sent": False}

    async def receive_again() -> Dict[str, Any]:
        if state["sent"]:
            return await receive()
        state["sent"] = True
        return {"type": "http.request", "body": body, "more_body": False}
    return receive_again


def fingerprint(method: str, path: str, body: bytes) -> str:
    """What makes two requests with one Idempotency-Key the same request: method, path and JSON body (key order and spacing aside)."""
    try:
        canonical = json.dumps(load_json(body), sort_keys=True, separators=(",", ":")).encode("utf-8")
    except ValueError:
        canonical = body
    return hashlib.sha256(method.encode() + b" " + path.encode() + b"\n" + canonical).hexdigest()


async def drop_connection(send: Callable) -> None:
    """Close the TCP connection without any answer, through the transport of the server's response cycle."""
    cycle = getattr(send, "__self__", None)
    transport = getattr(cycle, "transport", None)
    if transport is None:
        raise RuntimeError("the HTTP server does not expose its transport: cannot drop the connection")
    cycle.disconnected = True
    transport.close()
    await asyncio.sleep(0)


async def fault_answer(exchange: Exchange, rule: Dict[str, Any]) -> None:
    """The answer of a fault rule: its raw body, or the error envelope of its status."""
    status = rule["status"]
    headers = dict(rule["headers"])
    if rule["body"] is None:
        body = error_body(code_for_status(status), STATUS_MESSAGES.get(status, "injected fault (HTTP %d)" % status))
        await exchange.respond(status, compact(body), headers=headers)
        return
    content_type = headers.pop("Content-Type", None) or headers.pop("content-type", None) or "text/plain; charset=utf-8"
    await exchange.respond(status, rule["body"].encode("utf-8"), content_type, headers)


class Gateway:
    """The outermost ASGI app (see the module docstring)."""

    def __init__(self, app: Callable, store: Store) -> None:
        self.app = app
        self.store = store

    async def __call__(self, scope: Dict[str, Any], receive: Callable, send: Callable) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        exchange = Exchange(scope, receive, send, self.store.now)
        self.store.settle()
        if not is_api(scope["path"]):
            await self.app(scope, exchange.receive, exchange.send)
            return
        entry = self.store.log_request(self._log_entry(exchange))
        generation = self.store.generation
        exchange.on_complete = lambda: self._step_clock(generation)
        rule = self.store.faults.match(exchange.method, exchange.path)
        after = rule if rule is not None and rule.get("afterAction") else None
        if after is not None:
            exchange.hold()
        try:
            try:
                await self._api(exchange, entry, None if after is not None else rule)
            except ApiError as error:
                await exchange.respond_error(error)
            finally:
                if after is not None:
                    await self._spoil(exchange, after, entry)
        finally:
            exchange.complete()
            entry["status"] = exchange.status

    def _step_clock(self, generation: int) -> None:
        """Move the emulator clock by clockStepSeconds after an /api request (not when a reset came in between)."""
        step = float(self.store.settings.get("clockStepSeconds") or 0)
        if step > 0 and generation == self.store.generation:
            self.store.clock.step(step)

    def _log_entry(self, exchange: Exchange) -> Dict[str, Any]:
        token = exchange.token()
        path, query = exchange.scope.get("huc.wire") or (exchange.path, exchange.scope.get("query_string", b""))  # variants.py
        return {
            "method": exchange.method,
            "path": path,
            "query": query.decode("latin-1"),
            "status": None,
            "keyPrefix": token[:8] if token else None,
            "at": iso(self.store.now()),
            "idempotencyKey": exchange.headers.get("idempotency-key"),
        }

    async def _api(self, exchange: Exchange, entry: Dict[str, Any], rule: Optional[Dict[str, Any]]) -> None:
        if rule is not None and await self._fault(exchange, rule, entry):
            return
        store = self.store
        now = store.now()
        key = store.authenticate(exchange.token(), now)
        decision = store.limiter.hit(key["id"], now, int(store.settings["rateLimit"]), float(store.settings["rateWindow"]))
        exchange.extra.update(decision.headers())
        if not decision.allowed:
            message = "rate limit of %d requests per %g seconds exceeded; retry in %d s" % (decision.limit, store.settings["rateWindow"], decision.retry_after)
            raise ApiError(429, "rate_limited", message)
        if exchange.method not in READ_METHODS and "write" not in key["permissions"]:
            raise ApiError(403, "forbidden", WRITE_REFUSED)
        if exchange.method == "POST" and exchange.headers.get("idempotency-key"):
            await self._idempotent(exchange, key["id"], exchange.headers["idempotency-key"])
            return
        if exchange.method == "HEAD":
            # A HEAD is the GET without its body (RFC 9110); the routes answer GETs only.
            await self.app(dict(exchange.scope, method="GET"), exchange.receive, without_body(exchange.send))
            return
        await self.app(exchange.scope, exchange.receive, exchange.send)

    async def _fault(self, exchange: Exchange, rule: Dict[str, Any], entry: Dict[str, Any]) -> bool:
        """Apply a fault rule; True when it answered (or dropped) the request."""
        if rule["delaySeconds"]:
            entry["delaySeconds"] = rule["delaySeconds"]
            generation = self.store.generation
            # The client sent its whole body before the latency: a client that gives up meanwhile
            # must not leave the request to be run with an empty body.
            body = await read_body(exchange.receive)
            exchange.receive = replaying(body, exchange.receive)
            await asyncio.sleep(rule["delaySeconds"])
            if generation != self.store.generation:
                await drop_connection(exchange.raw_send)
                return True
        if not rule["drop"] and rule["status"] is None:
            return False
        entry["fault"] = True
        if rule["drop"]:
            exchange.complete()
            await drop_connection(exchange.raw_send)
        else:
            await fault_answer(exchange, rule)
        return True

    async def _spoil(self, exchange: Exchange, rule: Dict[str, Any], entry: Dict[str, Any]) -> None:
        """Apply an afterAction rule to the answer the request got (held back so far): drop it, replace it or delay it."""
        entry["fault"] = True
        entry["afterAction"] = True
        if rule["delaySeconds"]:
            entry["delaySeconds"] = rule["delaySeconds"]
            generation = self.store.generation
            await asyncio.sleep(rule["delaySeconds"])
            if generation != self.store.generation:
                exchange.discard()
                await drop_connection(exchange.raw_send)
                return
        if rule["drop"]:
            exchange.discard()
            exchange.complete()
            await drop_connection(exchange.raw_send)
        elif rule["status"] is not None:
            exchange.discard()
            exchange.extra = {}
            await fault_answer(exchange, rule)
        else:
            await exchange.release()

    async def _idempotent(self, exchange: Exchange, key_id: str, idempotency_key: str) -> None:
        """Replay the first answer to a repeated Idempotency-Key, or run the request and keep its answer."""
        body = await read_body(exchange.receive)
        slot = (key_id, idempotency_key)
        mark = fingerprint(exchange.method, exchange.path, body)
        seen = self.store.idempotency.get(slot)
        if seen is not None:
            await self._replay(exchange, seen, mark, idempotency_key)
            return
        record = {"fingerprint": mark, "answer": None}
        self.store.idempotency[slot] = record
        exchange.capture()
        try:
            await self.app(exchange.scope, replaying(body, exchange.receive), exchange.send)
        finally:
            answer = exchange.captured
            if answer["status"] is not None and answer["status"] < 500:
                record["answer"] = answer
            elif self.store.idempotency.get(slot) is record:
                del self.store.idempotency[slot]

    @staticmethod
    async def _replay(exchange: Exchange, seen: Dict[str, Any], mark: str, idempotency_key: str) -> None:
        if seen["fingerprint"] != mark:
            message = "Idempotency-Key %s was already used with a different request" % idempotency_key
            raise ApiError(422, "idempotency_key_reused", message, {"Idempotency-Key": "already used with a different request"})
        answer = seen["answer"]
        if answer is None:
            raise ApiError(409, "idempotency_key_in_use", "a request with Idempotency-Key %s is still in progress" % idempotency_key)
        exchange.extra["Idempotent-Replayed"] = "true"
        await exchange.send({"type": "http.response.start", "status": answer["status"], "headers": answer["headers"]})
        await exchange.send({"type": "http.response.body", "body": answer["body"]})
