"""Build the `call` object a function receives, exactly as KAZOO does (docs/kazoo-compatibility.md §6).

KAZOO encodes the call's parameters as a URL query string (`kz_http_util:json_to_querystring`)
and CouchDB decodes it again (`mochiweb_util:parse_qs`) without understanding brackets. So the
function sees only strings, nested objects as flat `Key[sub]` keys, arrays as their last element
under `Key[]`, and keys mangled by `&`, `;`, `=` or `+`. kfn produces the same query string and
decodes it the same way, so every quirk comes out as in KAZOO.

A call file is a JSON object of KAZOO call parameters. An optional `kfn` key holds kfn's own test
settings (`description`, `now`) and never reaches the function.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote_plus, unquote_plus

SETTINGS_KEY = "kfn"
# Text that percent-encoding leaves as it is: quoting and unquoting it can be skipped.
_UNRESERVED = re.compile(r"[A-Za-z0-9._~-]*")
# A key decodes to itself unless it holds a separator or something unquoting changes.
_PLAIN_KEY = re.compile(r"[^&;=+%]*")


class CallEncodingError(ValueError):
    """KAZOO's encoder would crash on this call, so the function would not run at all."""


def _quote(value: str) -> str:
    # KAZOO keeps letters, digits and .-~_, writes a space as +, and %XX (uppercase) for every
    # other UTF-8 byte: exactly quote_plus with nothing else marked safe.
    return value if _UNRESERVED.fullmatch(value) else quote_plus(value, safe="")


def _scalar(value: Any, where: str) -> str:
    if value is None:
        raise CallEncodingError(
            f"{where} is null: KAZOO's query-string encoder crashes on null, so the function "
            f"would not run and the call would continue to the '_' child"
        )
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return repr(value)
    return str(value)


def _encode(key: str, value: Any, out: list[str]) -> None:
    if isinstance(value, Mapping):
        if not value:
            out.append("")  # KAZOO emits an empty segment for an empty object
        for sub, inner in value.items():
            _encode(f"{key}[{sub}]", inner, out)
    elif isinstance(value, list):
        if not value:
            out.append("")
        for item in value:
            if isinstance(item, (Mapping, list)):
                raise CallEncodingError(
                    f"{key} holds an array of objects or arrays: KAZOO's encoder crashes on it, "
                    f"so the function would not run and the call would continue to the '_' child"
                )
            out.append(f"{key}[]={_quote(_scalar(item, key + '[]'))}")
    else:
        out.append(f"{key}={_quote(_scalar(value, key))}")


def encode_query(params: Mapping[str, Any]) -> str:
    """KAZOO's json_to_querystring: keys as they are, values percent-encoded."""
    parts: list[str] = []
    for key, value in params.items():
        _encode(str(key), value, parts)
    return "&".join(parts)


def _unquote(text: str) -> str:
    return unquote_plus(text) if "%" in text or "+" in text else text


def decode_query(query: str) -> dict[str, str]:
    """mochiweb's parse_qs as CouchDB uses it: split on & and ;, + is a space, last key wins."""
    result: dict[str, str] = {}
    for part in query.replace(";", "&").split("&"):
        key, _, value = part.partition("=")
        result[_unquote(key)] = _unquote(value)
    return result


def call_params(payload: Mapping[str, Any]) -> dict[str, Any]:
    """The call parameters of a call file, without kfn's own settings."""
    return {k: v for k, v in payload.items() if k != SETTINGS_KEY}


def call_settings(payload: Mapping[str, Any]) -> dict[str, Any]:
    settings = payload.get(SETTINGS_KEY)
    return dict(settings) if isinstance(settings, Mapping) else {}


def build_call(payload: Mapping[str, Any], *, raw: bool = False) -> dict[str, Any]:
    """The object passed to the function as `call`.

    raw=True passes the parameters unchanged as JSON. That is NOT what KAZOO does; it exists to
    explore a function's logic before fitting it to KAZOO's flat string encoding.
    """
    params = call_params(payload)
    if raw:
        return params
    if not params:
        return decode_query("")
    call: dict[str, Any] = {}
    for key, value in params.items():
        key = str(key)
        if isinstance(value, (str, int, float)) and _PLAIN_KEY.fullmatch(key):
            # A scalar is percent-encoded whole and decoded back to the same text, and a plain
            # key decodes to itself: the round trip is the identity, so skip it.
            call[key] = value if isinstance(value, str) else _scalar(value, key)
        else:
            # The query is decoded segment by segment, so decoding each parameter's own
            # segments in order gives what decoding the whole query would.
            segments: list[str] = []
            _encode(key, value, segments)
            call.update(decode_query("&".join(segments)))
    return call
