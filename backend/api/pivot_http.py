"""The paths outside KAZOO's /v2 API: Pivot requests (/pivot/...), /metrics and /health.

They are answered before the v2 pipeline: Pivot sends no credentials and no envelope, and
KAZOO's status-code handling (not the envelope) is what its pivot_call reads. A `kfn pivot` in
front of a KAZOO also answers two v2 paths itself, its URLs and its calls (instance_api.py).
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from aiohttp import web

from backend.pivot.request import MAX_BODY_BYTES
from backend.pivot.service import PIVOT_PREFIX, PivotService

if TYPE_CHECKING:  # the client stays out of `kfn serve`'s start
    from backend.pivot.instance_api import InstanceApi

Dispatch = Callable[[web.BaseRequest], Awaitable[web.StreamResponse]]


class PivotHttp:
    def __init__(
        self,
        service: PivotService,
        api: Dispatch | None = None,
        *,
        instance: InstanceApi | None = None,
    ) -> None:
        self.service = service
        self.api = api  # the v2 API behind it; None: a Pivot-only server (`kfn pivot`)
        self.instance = instance  # `kfn pivot` in front of a KAZOO: its URLs and its calls

    async def dispatch(self, request: web.BaseRequest) -> web.StreamResponse:
        path = request.path
        if path.startswith(PIVOT_PREFIX):
            return await self.pivot(request)
        if path == "/metrics" and request.method == "GET":
            return web.Response(body=self.service.metrics.exposition(),
                                headers={"Content-Type": self.service.metrics.content_type})  # fmt: skip
        if path == "/health" and request.method == "GET":
            return web.json_response({"status": "ok", **self.service.health()})
        if self.api is not None:
            return await self.api(request)
        if self.instance is not None and path.startswith("/v2/"):
            token = request.headers.get("X-Auth-Token")
            answer = await self.instance.answer(request.method, path, token, request.remote or "")
            return web.json_response(answer.body, status=answer.status, headers=answer.headers)
        if path.startswith("/v2/"):  # the app pointed at an instance in front of a kfn
            message = ("a kfn pivot in front of another kfn answers no v2 API: that kfn has the "
                       "functions' URLs and every instance's calls")  # fmt: skip
            return web.json_response({"error": "not_found", "message": message}, status=404)
        return web.json_response({"error": "not_found", "message": "no such path"}, status=404)

    async def pivot(self, request: web.BaseRequest) -> web.Response:
        body = b""
        if request.method == "POST":
            body = await request.content.read(MAX_BODY_BYTES + 1)
            while len(body) <= MAX_BODY_BYTES and not request.content.at_eof():
                more = await request.content.read(MAX_BODY_BYTES + 1 - len(body))
                if not more:
                    break
                body += more
            if len(body) > MAX_BODY_BYTES:
                message = f"a Pivot request body is at most {MAX_BODY_BYTES} bytes"
                return web.json_response({"error": "too_large", "message": message}, status=413)
        answer = await self.service.answer(
            request.method, request.path, request.rel_url.raw_query_string,
            request.headers.get("Content-Type", ""), body,
        )  # fmt: skip
        return web.Response(
            status=answer.status,
            body=answer.encoded(),
            headers={"Content-Type": "application/json", "Cache-Control": "no-store"},
        )


def socket_url(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://{host}:{port}"


class PivotServer:
    """A Pivot-only server (`kfn pivot`): no v2 API, no store; functions come from `service`'s
    source. Start with `await start()` in a running loop, `await stop()` to end."""

    def __init__(
        self,
        service: PivotService,
        sock: socket.socket,
        *,
        access_log: bool = True,
        instance: InstanceApi | None = None,
    ) -> None:
        self.service = service
        self.sock = sock
        self.access_log = access_log
        self.instance = instance
        self._runner: web.BaseRunner | None = None

    @property
    def url(self) -> str:
        return socket_url(self.sock)

    async def start(self) -> None:
        from backend.api.access_log import RedactingAccessLogger
        from backend.api.kazoo_http import KazooServer

        logger = logging.getLogger("kfn.access") if self.access_log else None
        server = KazooServer(
            PivotHttp(self.service, instance=self.instance).dispatch, access_log=logger,
            access_log_class=RedactingAccessLogger,
        )  # fmt: skip
        self._runner = web.ServerRunner(server, handle_signals=False, shutdown_timeout=5.0)
        await self._runner.setup()
        await web.SockSite(self._runner, self.sock).start()

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        self.service.close()
