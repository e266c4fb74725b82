"""aiohttp's low-level server answering what its parser refuses as cowboy (KAZOO's HTTP server)
does: an empty body, not aiohttp's text echoing the bad line back. Used by `kfn serve` and
`kfn pivot` alike, so a Pivot URL answers the same wherever it is served.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web
from aiohttp.http_exceptions import LineTooLong

# cowboy_http:parse_request/3 answers 414 past max_request_line_length (8000 by default), and
# 431 for a header too long. aiohttp counts the request target alone against this limit, and
# header lines against max_field_size (8190): the limit a LineTooLong names tells them apart.
REQUEST_LINE_LIMIT = 8000


class _KazooRequestHandler(web.RequestHandler):
    """Requests aiohttp's parser refuses (a malformed request line, an unknown method, a line
    too long) get cowboy's answer, an empty body: 414 for a request line too long (a Pivot GET
    with a big call in its query string), 431 for a header."""

    def handle_error(
        self,
        request: web.BaseRequest,
        status: int = 500,
        exc: BaseException | None = None,
        message: str | None = None,
    ) -> web.StreamResponse:
        if status >= 500:
            return super().handle_error(request, status, exc, message)
        self.logger.debug("refused a request from %s: %s", request.remote, exc)
        if isinstance(exc, LineTooLong):
            status = 414 if exc.args[1:2] == (REQUEST_LINE_LIMIT,) else 431
        response = web.Response(status=status, headers={"X-Content-Type-Options": "nosniff"})
        response.force_close()
        return response


class KazooServer(web.Server):
    def __init__(self, handler: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max_line_size", REQUEST_LINE_LIMIT)
        super().__init__(handler, **kwargs)

    def __call__(self) -> web.RequestHandler:
        return _KazooRequestHandler(self, loop=self._loop, **self._kwargs)
