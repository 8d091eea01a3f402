"""Variants: switches that each break one named assumption of docs/dev/api-contract.md at the wire.

A translation layer in front of the gateway (and so in front of everything the emulator answers under
/api): it rewrites the request on its way in (numeric ids, the pagination query) and reshapes the
complete answer on its way out. The routes never know. Without variants the layer is not installed at
all, so the default emulator is unchanged byte for byte.
"""

import json
import re
import urllib.parse
from http import HTTPStatus
from typing import Any, Callable, Dict, Iterable, List, Optional, Tuple

from .gateway import is_api, read_body, replaying

VARIANTS = {
    "bare-lists": "every list answer is a bare JSON array of all matching items (page and perPage ignored)",
    "bare-objects": "single-object answers without the {\"data\": ...} envelope",
    "no-rate-headers": "no X-RateLimit-* header on any answer (a 429 keeps its Retry-After)",
    "other-pagination": "the pagination object of a list is under meta instead of pagination",
    "per-page-25": "perPage is capped at 25 instead of 100",
    "numeric-ids": "every id on the wire is a positive integer instead of a UUID string, both ways",
    "plain-errors": "error answers are text/plain with a short reason line instead of the error envelope",
    "offset-timestamps": "timestamps are sent with milliseconds and an offset: 2026-11-26T10:00:00.000+00:00",
}

PER_PAGE_CAP = 25
ALL_PAGE_SIZE = 100  # the routes' own cap: bare-lists collects every page of this size
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
TIMESTAMP = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)Z$")
WITH_BODY = ("POST", "PUT", "PATCH", "DELETE")


def parse_variants(values: Iterable[str]) -> List[str]:
    """The variant names of repeated and/or comma-separated values, in order, once each; ValueError naming an unknown one."""
    names = []  # type: List[str]
    for value in values:
        for name in (part.strip() for part in str(value).split(",")):
            if not name:
                continue
            if name not in VARIANTS:
                raise ValueError("unknown variant %r (known: %s)" % (name, ", ".join(sorted(VARIANTS))))
            if name not in names:
                names.append(name)
    return names


def is_id_name(name: str) -> bool:
    """Whether a JSON field or query parameter carries ids: id, *Id, *Ids."""
    return name == "id" or name.endswith("Id") or name.endswith("Ids")


class NumericIds:
    """A stable two-way mapping of UUIDs and positive integers, numbered in the order the answers show them."""

    def __init__(self) -> None:
        self.numbers = {}  # type: Dict[str, int]
        self.uuids = {}  # type: Dict[int, str]

    def number(self, uuid: str) -> int:
        if uuid not in self.numbers:
            self.numbers[uuid] = len(self.numbers) + 1
            self.uuids[self.numbers[uuid]] = uuid
        return self.numbers[uuid]

    def outgoing(self, value: Any) -> Any:
        """An answer's JSON with every UUID as its number (inside messages too)."""
        if isinstance(value, dict):
            return {name: self.outgoing(item) for name, item in value.items()}
        if isinstance(value, list):
            return [self.outgoing(item) for item in value]
        if isinstance(value, str):
            if UUID.fullmatch(value):
                return self.number(value)
            return UUID.sub(lambda match: str(self.number(match.group(0))), value)
        return value

    def uuid(self, value: Any) -> Any:
        """The UUID of a number sent by a client; an unknown number as a string (an unknown id); anything else as it is."""
        if isinstance(value, bool):
            return value
        if isinstance(value, int) or (isinstance(value, str) and value.isdigit()):
            return self.uuids.get(int(value), str(value))
        return value

    def incoming(self, value: Any) -> Any:
        """A request body with the numbers of id fields (id, *Id, *Ids) as UUIDs."""
        if isinstance(value, dict):
            result = {}
            for name, item in value.items():
                if is_id_name(name) and isinstance(item, list):
                    result[name] = [self.uuid(element) for element in item]
                elif is_id_name(name):
                    result[name] = self.uuid(item)
                else:
                    result[name] = self.incoming(item)
            return result
        if isinstance(value, list):
            return [self.incoming(item) for item in value]
        return value

    def path(self, path: str) -> str:
        """A path with its numeric segments as UUIDs (no route has a numeric segment of its own)."""
        return "/".join(self.uuids.get(int(part), part) if part.isdigit() else part for part in path.split("/"))


def offset_timestamps(value: Any) -> Any:
    """Every 2026-11-26T10:00:00Z as 2026-11-26T10:00:00.000+00:00."""
    if isinstance(value, dict):
        return {name: offset_timestamps(item) for name, item in value.items()}
    if isinstance(value, list):
        return [offset_timestamps(item) for item in value]
    if isinstance(value, str):
        return TIMESTAMP.sub(r"\1.000+00:00", value)
    return value


def is_list_answer(payload: Any) -> bool:
    return isinstance(payload, dict) and isinstance(payload.get("data"), list) and isinstance(payload.get("pagination"), dict)


def is_object_answer(payload: Any) -> bool:
    return isinstance(payload, dict) and set(payload) == {"data"} and isinstance(payload["data"], dict)


def is_error_answer(payload: Any) -> bool:
    return isinstance(payload, dict) and isinstance(payload.get("error"), dict)


class Answer:
    """One complete answer, kept back so that it can be reshaped before it goes out."""

    def __init__(self) -> None:
        self.start = None  # type: Optional[Dict[str, Any]]
        self.body = b""

    @property
    def status(self) -> int:
        return self.start["status"] if self.start else 0

    def header(self, name: bytes) -> str:
        for key, value in (self.start or {}).get("headers", []):
            if key.lower() == name:
                return value.decode("latin-1")
        return ""

    def set_headers(self, headers: List[Tuple[bytes, bytes]]) -> None:
        self.start = dict(self.start, headers=headers)

    def replace_body(self, body: bytes, content_type: Optional[str] = None) -> None:
        """A new body, with its Content-Length (and Content-Type when given)."""
        drop = (b"content-length", b"content-type") if content_type else (b"content-length",)
        headers = [(key, value) for key, value in self.start["headers"] if key.lower() not in drop]
        if content_type:
            headers.append((b"content-type", content_type.encode("latin-1")))
        headers.append((b"content-length", str(len(body)).encode("latin-1")))
        self.set_headers(headers)
        self.body = body


class Shaper:
    """The send callable of one /api request: keeps the answer, reshapes it, sends it.

    The gateway drops a connection through the transport of the server's response cycle, which it
    finds as send.__self__: this object stands in for that cycle and passes both on.
    """

    def __init__(self, layer: "Variants", scope: Dict[str, Any], send: Callable) -> None:
        self.layer = layer
        self.scope = scope
        self.raw_send = send
        self.answer = Answer()

    @property
    def transport(self) -> Any:
        return getattr(getattr(self.raw_send, "__self__", None), "transport", None)

    @property
    def disconnected(self) -> bool:
        return getattr(getattr(self.raw_send, "__self__", None), "disconnected", False)

    @disconnected.setter
    def disconnected(self, value: bool) -> None:
        setattr(self.raw_send.__self__, "disconnected", value)

    async def send(self, message: Dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            self.answer.start = message
            return
        if message["type"] != "http.response.body":
            await self.raw_send(message)
            return
        self.answer.body += message.get("body", b"")
        if message.get("more_body", False):
            return
        head = self.scope["method"].upper() == "HEAD" and not self.answer.body
        if head:  # the routes' HEAD has no body to reshape: reshape the GET's, so that the headers tell its length
            self.answer.body = await self.layer.inner_get(dict(self.scope, method="GET"))
        await self.layer.reshape(self.scope, self.answer)
        await self.raw_send(self.answer.start)
        await self.raw_send({"type": "http.response.body", "body": b"" if head else self.answer.body})


class Variants:
    """The ASGI layer of the variants in front of the gateway (see the module docstring)."""

    def __init__(self, gateway: Any, names: Iterable[str]) -> None:
        self.gateway = gateway
        self.app = gateway.app  # bare-lists reads the further pages from the routes directly: not logged, not counted
        self.names = parse_variants(names)
        self.ids = NumericIds() if "numeric-ids" in self.names else None

    def has(self, name: str) -> bool:
        return name in self.names

    async def __call__(self, scope: Dict[str, Any], receive: Callable, send: Callable) -> None:
        if scope["type"] != "http" or not is_api(scope["path"]):
            await self.gateway(scope, receive, send)
            return
        wire = (scope["path"], scope.get("query_string", b""))
        scope, receive = await self.translate(scope, receive)
        scope["huc.wire"] = wire  # the request log shows the request as it was sent
        shaper = Shaper(self, scope, send)
        await self.gateway(scope, receive, shaper.send)

    # -- the request on its way in ----------------------------------------------------------------

    async def translate(self, scope: Dict[str, Any], receive: Callable) -> Tuple[Dict[str, Any], Callable]:
        """The request as the gateway and the routes see it: UUIDs for numbers, the pagination query of the variant."""
        scope = dict(scope)
        query = urllib.parse.parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
        if self.ids is not None:
            scope["path"] = self.ids.path(scope["path"])
            scope["raw_path"] = scope["path"].encode("latin-1")
            query = [(name, self.ids.uuid(value) if is_id_name(name) else value) for name, value in query]
            if scope["method"].upper() in WITH_BODY:
                receive = await self.translate_body(scope, receive)
        if self.has("bare-lists"):
            query = [(name, value) for name, value in query if name not in ("page", "perPage")]
        elif self.has("per-page-25"):
            query = [(name, value) for name, value in query if name != "perPage"] + [("perPage", self.capped(query))]
        scope["query_string"] = urllib.parse.urlencode(query).encode("latin-1")
        return scope, receive

    @staticmethod
    def capped(query: List[Tuple[str, str]]) -> str:
        """perPage under per-page-25: what was asked for, at most 25 (the default of 50 too); a bad value goes on to the routes' 422."""
        asked = dict(query).get("perPage")
        if asked is None:
            return str(PER_PAGE_CAP)
        try:
            return str(min(int(asked), PER_PAGE_CAP))
        except ValueError:
            return asked

    async def translate_body(self, scope: Dict[str, Any], receive: Callable) -> Callable:
        body = await read_body(receive)
        try:
            payload = json.loads(body.decode("utf-8")) if body.strip() else None
        except ValueError:
            payload = None  # not JSON: the routes answer 400 as usual
        if payload is not None:
            body = json.dumps(self.ids.incoming(payload), separators=(",", ":")).encode("utf-8")
            headers = [(key, value) for key, value in scope.get("headers", []) if key.lower() != b"content-length"]
            scope["headers"] = headers + [(b"content-length", str(len(body)).encode("latin-1"))]
        return replaying(body, receive)

    # -- the answer on its way out ----------------------------------------------------------------

    async def reshape(self, scope: Dict[str, Any], answer: Answer) -> None:
        """Apply every variant to one complete answer."""
        if self.has("no-rate-headers"):
            answer.set_headers([(key, value) for key, value in answer.start["headers"] if not key.lower().startswith(b"x-ratelimit-")])
        if not answer.body or "json" not in answer.header(b"content-type"):
            return
        try:
            payload = json.loads(answer.body.decode("utf-8"))
        except ValueError:
            return
        if is_error_answer(payload) and answer.status >= 400:
            if self.has("plain-errors"):
                line = "%d %s\n" % (answer.status, HTTPStatus(answer.status).phrase if answer.status in HTTPStatus._value2member_map_ else "Error")
                answer.replace_body(line.encode("utf-8"), "text/plain; charset=utf-8")
                return
        elif is_list_answer(payload) and self.has("bare-lists"):
            payload = await self.all_items(scope)
        elif is_list_answer(payload) and self.has("other-pagination"):
            payload = {("meta" if name == "pagination" else name): value for name, value in payload.items()}
        elif is_object_answer(payload) and self.has("bare-objects"):
            payload = payload["data"]
        if self.ids is not None:
            payload = self.ids.outgoing(payload)
        if self.has("offset-timestamps"):
            payload = offset_timestamps(payload)
        answer.replace_body(json.dumps(payload, separators=(",", ":")).encode("utf-8"))

    async def all_items(self, scope: Dict[str, Any]) -> List[Any]:
        """Every item of a listing: its pages of 100 read from the routes (this request was counted and logged once)."""
        items = []  # type: List[Any]
        page, pages = 1, 1
        while page <= pages:
            query = urllib.parse.parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
            query += [("page", str(page)), ("perPage", str(ALL_PAGE_SIZE))]
            try:
                payload = json.loads(await self.inner_get(dict(scope, method="GET", query_string=urllib.parse.urlencode(query).encode("latin-1"))))
            except ValueError:
                break
            if not is_list_answer(payload):
                break
            items += payload["data"]
            pages = payload["pagination"]["totalPages"]
            page += 1
        return items

    async def inner_get(self, scope: Dict[str, Any]) -> bytes:
        """The body of one GET answered by the routes."""
        chunks = []  # type: List[bytes]

        async def receive() -> Dict[str, Any]:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: Dict[str, Any]) -> None:
            if message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, send)
        return b"".join(chunks)
