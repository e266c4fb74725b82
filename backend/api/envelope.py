"""KAZOO request and response envelopes, in one place (CONTRACT §2).

Reading: body size limit, content types, JSON errors, envelope key normalization and the
`data` check. Lookup of control parameters in KAZOO's order (data, query string, envelope).
Writing: the success and error envelopes, CSV, JSONP and pretty printing.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import json
import platform
import secrets
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web

from backend.errors import EmptyBodyError, KazooError, validation_error

MAX_BODY_BYTES = 8_000_000
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
        return json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        reason = "truncated_json" if exc.pos >= len(text.rstrip()) else "invalid_json"
        raise _json_invalid(f"{reason} around {exc.pos}") from None
    except ValueError as exc:
        raise _json_invalid(f"{exc} around 0") from None


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


async def read_body(request: web.Request) -> bytes:
    """Read at most MAX_BODY_BYTES; anything larger is KAZOO's 400 file.maxSize, exactly."""
    if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
        raise _too_large()
    raw = await request.content.read(MAX_BODY_BYTES + 1)
    if len(raw) > MAX_BODY_BYTES:
        raise _too_large()
    return raw


async def parse_request(request: web.Request, ctx: RequestContext) -> None:
    """Fill `ctx` from the request: query string, body, envelope and data."""
    ctx.query = dict(parse_qsl(request.query_string, keep_blank_values=True))
    # A key without "=" is "true", as in cowboy's parse_qs.
    for part in request.query_string.split("&"):
        if part and "=" not in part:
            ctx.query[part] = "true"
    raw = await read_body(request)
    ctype = request.headers.get("Content-Type")
    ctx.content_type = ctype.split(";")[0].strip().lower() if ctype else None
    if not raw.strip():
        return
    ctx.had_body = True
    if ctx.content_type is None or ctx.content_type in JSON_TYPES:
        envelope = _parse_json(raw)
    elif ctx.content_type == FORM_TYPE:
        # curl's default for -d: try JSON first whenever the body looks like it (CONTRACT §2.1).
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


def _timestamp() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


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


def _render(ctx: RequestContext, request: web.Request, payload: dict[str, Any]) -> str:
    pretty = (
        request.headers.get("X-Pretty-Print", "").lower() == "true"
        or str(ctx.req_value("pretty_print")).lower() == "true"
    )
    text = json.dumps(
        payload, indent=2 if pretty else None, separators=None if pretty else (",", ":")
    )
    jsonp = ctx.req_value("jsonp")
    if isinstance(jsonp, str) and jsonp:
        text = f"{jsonp}({text});"
    return text


def cors_headers(request: web.Request, always: bool, methods: list[str]) -> dict[str, str]:
    looks_cors = "Origin" in request.headers or any(
        h.lower().startswith("access-control-request-") for h in request.headers
    )
    if not (always or looks_cors):
        return {}
    return {**CORS_HEADERS, "Access-Control-Allow-Methods": ", ".join(["OPTIONS", *methods])}


def success(
    ctx: RequestContext,
    request: web.Request,
    data: Any,
    *,
    status: int = 200,
    revision: str | None = None,
    extra: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
    include_data: bool = True,
) -> web.Response:
    payload = _base_envelope(ctx)
    payload["status"] = "success"
    if include_data:
        payload["data"] = data
    if revision:
        payload["revision"] = revision
    payload.update(extra or {})
    out_headers = dict(headers or {})
    if ctx.csv:
        return web.Response(
            status=status, text=to_csv(data), content_type="text/csv", headers=out_headers
        )
    if ctx.method in ("PUT", "POST", "PATCH") and ctx.content_type is None and ctx.had_body:
        out_headers["X-RFC2616"] = "Section 14.17 (Try it, you'll like it)"
    return web.Response(
        status=status,
        text=_render(ctx, request, payload),
        content_type="application/json",
        headers=out_headers,
    )


def failure(ctx: RequestContext, request: web.Request, error: KazooError) -> web.Response:
    payload = _base_envelope(ctx)
    payload.update(
        {
            "status": "error",
            "error": str(error.status),
            "message": error.message,
            "data": error.data,
        }
    )
    return web.Response(
        status=error.status,
        text=_render(ctx, request, payload),
        content_type="application/json",
    )


def to_csv(data: Any) -> str:
    rows = data if isinstance(data, list) else [data]
    rows = [row for row in rows if isinstance(row, dict)]
    columns: list[str] = []
    for row in rows:
        columns.extend(key for key in row if key not in columns)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow(
            {k: json.dumps(v) if isinstance(v, (dict, list)) else v for k, v in row.items()}
        )
    return out.getvalue()


def new_request_id(request: web.Request) -> str:
    return request.headers.get("X-Request-ID") or secrets.token_hex(16)
