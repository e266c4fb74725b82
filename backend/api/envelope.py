"""KAZOO request and response envelopes, in one place (docs/kazoo-compatibility.md §2).

Reading: body size limit, content types, JSON errors, envelope key normalization and the
`data` check. Lookup of control parameters in KAZOO's order (data, query string, envelope).
Writing: the success and error envelopes, CSV, JSONP and pretty printing.
"""

from __future__ import annotations

import asyncio
import base64
import csv
import hashlib
import io
import itertools
import json
import platform
import re
import secrets
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web

from backend.errors import EmptyBodyError, KazooError, validation_error

MAX_BODY_BYTES = 8_000_000
BODY_TIMEOUT_S = 60.0  # for the whole body: a stalled upload must not hold its handler forever
KAZOO_VERSION = "5.0.0"
JSON_TYPES = ("application/json", "application/x-json")
FORM_TYPE = "application/x-www-form-urlencoded"
UPLOAD_TYPES = (
    "multipart/form-data",
    "multipart/mixed",
    "application/octet-stream",
    "text/csv",
    "text/comma-separated-values",
)
CSV_TYPES = ("text/csv", "text/comma-separated-values", "application/octet-stream")
CORS_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Headers": (
        "Content-Type, Depth, User-Agent, X-Http-Method-Override, X-File-Size, "
        "X-Requested-With, If-Modified-Since, If-Match, If-None-Match, X-File-Name, "
        "Cache-Control, X-Auth-Token, Authorization, X-Request-ID"
    ),
    "Access-Control-Expose-Headers": "Content-Type, X-Auth-Token, X-Request-ID, Location, ETag",
    "Access-Control-Max-Age": "86400",
}
NODE = base64.urlsafe_b64encode(hashlib.md5(f"kfn@{platform.node()}".encode()).digest()).decode()[
    :22
]


@dataclass
class RequestContext:
    """Everything the handlers need from one request, parsed once."""

    request_id: str
    method: str
    query: dict[str, str]
    envelope: dict[str, Any] = field(default_factory=dict)
    data: Any = field(default_factory=dict)
    had_body: bool = False
    content_type: str | None = None
    auth_token: str | None = None
    authenticated: bool = False
    csv: bool = False  # the response is CSV (set by the pipeline's Accept negotiation)
    jsonp: str | None = None  # a checked JSONP callback name
    pretty: bool = False

    def req_value(self, key: str) -> Any:
        """KAZOO's lookup order for control parameters: data, then query string, then envelope."""
        if isinstance(self.data, dict) and key in self.data:
            return self.data[key]
        if key in self.query:
            return self.query[key]
        return self.envelope.get(key)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"invalid_literal {name}")


def _parse_json(raw: bytes) -> Any:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _json_invalid(f"invalid_string around {exc.start}") from None
    try:
        value = json.loads(text, parse_constant=_reject_constant)
    except RecursionError:
        raise too_deep() from None
    except json.JSONDecodeError as exc:
        reason = "truncated_json" if exc.pos >= len(text.rstrip()) else "invalid_json"
        raise _json_invalid(f"{reason} around {exc.pos}") from None
    except ValueError as exc:
        raise _json_invalid(f"{exc} around 0") from None
    # Lone surrogates can only come from \\u escapes: the bytes were strict UTF-8.
    check_json_value(value, may_hold_surrogates=_SURROGATE_ESCAPE.search(raw) is not None)
    return value


def _json_invalid(message: str) -> KazooError:
    return validation_error({"json": {"invalid": {"message": message, "target": "body"}}})


def _normalize_envelope(envelope: dict[str, Any]) -> dict[str, Any]:
    return {str(k).lower().replace("-", "_"): v for k, v in envelope.items() if v is not None}


def _check_envelope(envelope: dict[str, Any]) -> None:
    if "data" not in envelope:
        raise validation_error(
            {"data": {"required": {"message": "Field is required but missing", "value": envelope}}}
        )
    if not isinstance(envelope["data"], (dict, list)):
        raise validation_error(
            {
                "data": {
                    "type": {
                        "message": "Value did not match type(s): object, array",
                        "target": "object, array",
                        "value": envelope["data"],
                    }
                }
            }
        )


def _too_large() -> KazooError:
    error = validation_error(
        {
            "file": {
                "maxSize": {
                    "message": f"Payload or Files must not be more than {MAX_BODY_BYTES} bytes",
                    "target": MAX_BODY_BYTES,
                }
            }
        }
    )
    error.close = True
    return error


async def read_body(request: web.BaseRequest) -> bytes:
    """The whole body, however it arrives (chunked, split, slow), up to MAX_BODY_BYTES.

    `StreamReader.read(n)` returns what is buffered *now*, so one call cuts off a body that
    arrives in several reads; this reads until the end of the body. Anything larger than the
    limit is KAZOO's 400 file.maxSize, exactly, without buffering more than the limit.
    """
    if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
        raise _too_large()
    chunks: list[bytes] = []
    size = 0
    try:
        async with asyncio.timeout(BODY_TIMEOUT_S):
            while True:
                chunk = await request.content.read(MAX_BODY_BYTES + 1 - size)
                if not chunk:
                    return b"".join(chunks)
                chunks.append(chunk)
                size += len(chunk)
                if size > MAX_BODY_BYTES:
                    raise _too_large()
    except TimeoutError:
        raise KazooError(
            408,
            "request_timeout",
            {"message": f"the request body did not arrive whole within {BODY_TIMEOUT_S:g} s"},
            close=True,
        ) from None


# Deep enough for any real callflow (each level of `children` is two JSON levels), shallow
# enough that nothing downstream (schema validation, encoding) can hit Python's recursion limit.
MAX_JSON_DEPTH = 128
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")


def check_json_value(value: Any, *, may_hold_surrogates: bool = True) -> None:
    """Refuse a decoded body nested deeper than MAX_JSON_DEPTH or holding text that is not
    Unicode (a lone UTF-16 surrogate such as "\\ud800", which no UTF-8 output can carry)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            if depth > MAX_JSON_DEPTH:
                raise too_deep()
            for key, child in item.items():
                if may_hold_surrogates:
                    _check_text(key)
                stack.append((child, depth + 1))
        elif isinstance(item, list):
            if depth > MAX_JSON_DEPTH:
                raise too_deep()
            stack.extend((child, depth + 1) for child in item)
        elif may_hold_surrogates and isinstance(item, str):
            _check_text(item)


def _check_text(text: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise _json_invalid(
            f"invalid_string: \\u{ord(text[exc.start]):04x} is a lone UTF-16 surrogate, not text"
        ) from None


def too_deep() -> KazooError:
    return _json_invalid(f"nested deeper than {MAX_JSON_DEPTH} levels")


async def parse_request(request: web.BaseRequest, ctx: RequestContext) -> None:
    """Fill `ctx` from the request: query string, body, envelope and data."""
    query_string = request.query_string
    if query_string:
        ctx.query = dict(parse_qsl(query_string, keep_blank_values=True))
        # A key without "=" is "true", as in cowboy's parse_qs.
        for part in query_string.split("&"):
            if part and "=" not in part:
                ctx.query[part] = "true"
    if not request.body_exists:
        return
    raw = await read_body(request)
    ctype = request.headers.get("Content-Type")
    ctx.content_type = ctype.split(";")[0].strip().lower() if ctype else None
    if not raw.strip():
        return
    ctx.had_body = True
    if ctx.content_type is None or ctx.content_type in JSON_TYPES:
        envelope = _parse_json(raw)
    elif ctx.content_type == FORM_TYPE:
        # curl's default for -d: try JSON first whenever the body looks like it (docs/kazoo-compatibility.md §2).
        if raw.lstrip().startswith(b"{"):
            envelope = _parse_json(raw)
        else:
            envelope = {"data": dict(parse_qsl(raw.decode("utf-8", "replace")))}
    else:
        return  # an upload: KAZOO sets data to {}; the content-type check decides later
    if not isinstance(envelope, dict):
        raise _json_invalid("All JSON must be valid")
    envelope = _normalize_envelope(envelope)
    _check_envelope(envelope)
    ctx.envelope = envelope
    ctx.data = envelope["data"]


def check_content_type(ctx: RequestContext) -> None:
    """cowboy's known_content_type for PUT, POST and PATCH: 415 with an empty body."""
    if ctx.method in ("PUT", "POST", "PATCH") and ctx.content_type is not None:
        allowed = (*JSON_TYPES, FORM_TYPE, *UPLOAD_TYPES)
        if ctx.content_type not in allowed:
            raise EmptyBodyError(415)


def wants_csv(ctx: RequestContext, accept_header: str | None) -> bool:
    """Accept tunnelling first (`accept=csv`), then the Accept header; 406 if nothing fits."""
    tunnelled = ctx.req_value("accept")
    if isinstance(tunnelled, str) and tunnelled:
        return tunnelled.lower() in ("csv", *CSV_TYPES)
    if not accept_header:
        return False
    offered = [part.split(";")[0].strip().lower() for part in accept_header.split(",")]
    for media in offered:
        if media in ("*/*", "application/*", *JSON_TYPES):
            return False
        if media in (*CSV_TYPES, "text/*"):
            return True
    raise EmptyBodyError(406)


_stamp_second = -1
_stamp_text = ""


def _timestamp() -> str:
    """The envelope's UTC timestamp, formatted once per second (it has a one-second grain)."""
    global _stamp_second, _stamp_text
    now = int(time.time())
    if now != _stamp_second:
        _stamp_text = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now))
        _stamp_second = now
    return _stamp_text


def body_md5(data: Any) -> str:
    return hashlib.md5(json.dumps(data, separators=(",", ":")).encode()).hexdigest()


def _base_envelope(ctx: RequestContext) -> dict[str, Any]:
    envelope: dict[str, Any] = {
        "request_id": ctx.request_id,
        "node": NODE,
        "timestamp": _timestamp(),
    }
    if ctx.auth_token:
        envelope["auth_token"] = ctx.auth_token
    if ctx.authenticated:
        envelope["version"] = KAZOO_VERSION
    return envelope


# A callback is a dotted JavaScript name, nothing else: the body is echoed after it.
_JSONP_CALLBACK = re.compile(r"[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*")
MAX_JSONP_CALLBACK = 128


def check_jsonp(ctx: RequestContext) -> None:
    """Take the `jsonp` parameter only when it is a plain JavaScript name (400 otherwise)."""
    callback = ctx.req_value("jsonp")
    if callback is None or callback == "":
        return
    if (
        not isinstance(callback, str)
        or len(callback) > MAX_JSONP_CALLBACK
        or not _JSONP_CALLBACK.fullmatch(callback)
    ):
        raise validation_error(
            {
                "jsonp": {
                    "invalid": {
                        "message": "a JSONP callback must be a JavaScript name such as "
                        f"cb or app.cb, at most {MAX_JSONP_CALLBACK} characters"
                    }
                }
            }
        )
    ctx.jsonp = callback


def check_output_options(ctx: RequestContext, request: web.BaseRequest) -> None:
    """Read, once, how the answer is to be written: JSONP (checked) and pretty printing."""
    check_jsonp(ctx)
    ctx.pretty = (
        request.headers.get("X-Pretty-Print", "").lower() == "true"
        or str(ctx.req_value("pretty_print")).lower() == "true"
    )


JSON_CONTENT_TYPE = "application/json; charset=utf-8"


def _render(
    ctx: RequestContext,
    payload: dict[str, Any],
    status: int,
    headers: dict[str, str],
    data_json: str | None = None,
) -> web.Response:
    """The envelope as JSON; `data_json`, when given, is its `data`, already compact JSON."""
    if data_json is not None:
        text = f'{json.dumps(payload, separators=(",", ":"))[:-1]},"data":{data_json}}}'
    elif ctx.pretty:
        text = json.dumps(payload, indent=2)
    else:
        text = json.dumps(payload, separators=(",", ":"))
    if ctx.jsonp:
        # kfn differs here: KAZOO labels JSONP application/json, which browsers refuse to run.
        text = f"{ctx.jsonp}({text});"
        headers["Content-Type"] = "application/javascript; charset=utf-8"
    else:
        headers["Content-Type"] = JSON_CONTENT_TYPE
    return web.Response(body=text.encode(), status=status, headers=headers)


def cors_headers(request: web.BaseRequest, always: bool, methods: list[str]) -> dict[str, str]:
    headers = request.headers
    looks_cors = (
        "Origin" in headers
        or "Access-Control-Request-Method" in headers
        or "Access-Control-Request-Headers" in headers
    )
    if not (always or looks_cors):
        return {}
    return {**CORS_HEADERS, "Access-Control-Allow-Methods": ", ".join(["OPTIONS", *methods])}


def success(
    ctx: RequestContext,
    request: web.BaseRequest,
    data: Any,
    *,
    status: int = 200,
    revision: str | None = None,
    extra: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
    include_data: bool = True,
    data_json: str | None = None,
) -> web.Response:
    """KAZOO's success envelope. `data_json` is `data` already encoded as compact JSON (then
    `data` may be None): the answer splices it in instead of encoding `data` again."""
    out_headers = dict(headers) if headers else {}
    if data is None and data_json is not None and (ctx.csv or ctx.pretty):
        data = json.loads(data_json)
    if ctx.csv:
        return web.Response(
            status=status,
            body=to_csv(data),
            content_type="text/csv",
            charset="utf-8",
            headers=out_headers,
        )
    payload = _base_envelope(ctx)
    payload["status"] = "success"
    if revision:
        payload["revision"] = revision
    if extra:
        payload.update(extra)
    splice = data_json if include_data and not ctx.pretty else None
    if include_data and splice is None:
        payload["data"] = data
    if ctx.method in ("PUT", "POST", "PATCH") and ctx.content_type is None and ctx.had_body:
        out_headers["X-RFC2616"] = "Section 14.17 (Try it, you'll like it)"
    return _render(ctx, payload, status, out_headers, splice)


def failure(ctx: RequestContext, request: web.BaseRequest, error: KazooError) -> web.Response:
    payload = _base_envelope(ctx)
    payload["status"] = "error"
    payload["error"] = str(error.status)
    payload["message"] = error.message
    payload["data"] = error.data
    return _render(ctx, payload, error.status, {})


def _csv_cell(value: Any) -> Any:
    # JSON's spelling for everything that is not plain text: true/false/null, not True/None.
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def to_csv(data: Any) -> bytes:
    rows = data if isinstance(data, list) else [data]
    rows = [row for row in rows if isinstance(row, dict)]
    columns: list[str] = []
    for row in rows:
        columns.extend(key for key in row if key not in columns)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: _csv_cell(v) for k, v in row.items()})
    # Text that is not Unicode (stored before kfn refused it at the door) is escaped, not fatal.
    return out.getvalue().encode("utf-8", "backslashreplace")


# Request ids must be unique, not secret: a random per-process prefix and a counter.
_request_ids = itertools.count()
_REQUEST_ID_PREFIX = secrets.token_hex(8)


def new_request_id(request: web.BaseRequest) -> str:
    return request.headers.get("X-Request-ID") or f"{_REQUEST_ID_PREFIX}{next(_request_ids):016x}"
