"""The `call` a function gets from a Pivot request: the same object KAZOO's function module
would build from the same call, whatever the transport.

KAZOO's pivot_call (`req_format: kazoo`) sends the call's parameters encoded by
`kz_http_util:json_to_querystring`, the encoder cf_function uses: on GET appended to the voice
URL, on POST with `req_body_format: form` as the body. Decoding that query string as couchjs does
gives exactly cf_function's `call`. With `req_body_format: json` the body is the parameters as
JSON (objects stay objects), so they are encoded and decoded as cf_function would.
"""

from __future__ import annotations

import json
from typing import Any

from backend.runtime.call import CallEncodingError, build_call, decode_query

MAX_BODY_BYTES = 1_000_000  # a call's parameters are a few KB; the rest is not a Pivot request


class BadPivotRequest(ValueError):
    """Not a request KAZOO's Pivot sends; the message says what was wrong."""


def pivot_call(method: str, query: str, content_type: str, body: bytes) -> dict[str, Any]:
    """The function's `call` for one Pivot request (`query` without the leading ?)."""
    if method == "GET":
        return decode_query(query)
    if method != "POST":
        raise BadPivotRequest(f"Pivot sends GET or POST, not {method}")
    media = content_type.split(";", 1)[0].strip().lower()
    if media == "application/json":
        try:
            params = json.loads(body)
        except (ValueError, RecursionError) as exc:
            raise BadPivotRequest(f"the JSON body does not parse: {exc}") from None
        if not isinstance(params, dict):
            raise BadPivotRequest("the JSON body must be an object of call parameters")
        try:
            return build_call(params)
        except CallEncodingError as exc:
            raise BadPivotRequest(str(exc)) from None
    if media in ("application/x-www-form-urlencoded", ""):
        try:
            return decode_query(body.decode("utf-8"))
        except UnicodeDecodeError:
            raise BadPivotRequest("the form body is not UTF-8") from None
    raise BadPivotRequest(
        f"Pivot posts application/x-www-form-urlencoded or application/json, not {media}"
    )
