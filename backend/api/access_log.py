"""One access-log line per request, with every secret taken out.

KAZOO clients may send the token in the query string (`?auth_token=…`), and the bodies of
`user_auth`/`api_auth` carry credentials: the line holds the client address, the method, the
raw path with the values of secret query parameters replaced by `REDACTED`, the status, the
size and the time. No header and no body is ever logged. The raw (still percent-encoded) path
is logged, so an encoded newline cannot forge a second log line.
"""

from __future__ import annotations

from urllib.parse import unquote

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger

SECRET_PARAMETERS = frozenset(
    {"auth_token", "api_key", "token", "credentials", "password", "authorization", "secret"}
)
REDACTED = "REDACTED"
PIVOT_PREFIX = "/pivot/"


def redact_path(path_qs: str) -> str:
    """`path?query` with the values of secret parameters replaced (names compared as KAZOO
    reads them: case-insensitive, `-` as `_`, percent-decoded). A Pivot URL's last segment is
    its secret, and its query string is a caller's details: both are left out."""
    path, sep, query = path_qs.partition("?")
    if path.startswith(PIVOT_PREFIX) and path.count("/") >= 4:
        return f"{path.rsplit('/', 1)[0]}/{REDACTED}{'?…' if sep else ''}"
    if not sep:
        return path
    parts = []
    for part in query.split("&"):
        name, eq, _value = part.partition("=")
        if eq and unquote(name).lower().replace("-", "_") in SECRET_PARAMETERS:
            part = f"{name}={REDACTED}"
        parts.append(part)
    return f"{path}?{'&'.join(parts)}"


class RedactingAccessLogger(AbstractAccessLogger):
    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        self.logger.info(
            '%s "%s %s HTTP/%d.%d" %d %d %.6fs',
            request.remote,
            request.method,
            redact_path(request.raw_path),
            request.version.major,
            request.version.minor,
            response.status,
            response.body_length,
            time,
        )
