"""The API server object: build the aiohttp app, start and stop it inside any running loop.

`kfn serve` runs it in the foreground; the TUI starts the same object in its own event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import socket
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from aiohttp import web

from backend.accounts import TOKEN_TTL_SECONDS, AccountService, NewAccount
from backend.api.access_log import RedactingAccessLogger
from backend.api.kazoo_http import KazooServer
from backend.api.pivot_http import PivotHttp
from backend.api.routes import ApiHandlers
from backend.callflows import CALLFLOW_DOCUMENT_KINDS
from backend.functions import DocumentService, FunctionService
from backend.paths import write_atomically
from backend.pivot.describe import PivotRecords
from backend.pivot.invocations import InvocationLog
from backend.pivot.secrets import PivotSecrets
from backend.pivot.service import PivotService
from backend.pivot.source import LocalSource
from backend.store import DocumentStore
from backend.throttle import LoginThrottle

log = logging.getLogger("kfn.api")
LOCAL_API_KEY_FILE = "local-api-key"
# Where a running server says it listens, for the commands that find its data dir held.
SERVER_URL_FILE = "server-url"
PIVOT_INVOCATIONS_FILE = "pivot-invocations.json"
# A client gets this long to send a request's headers (the first one from connecting, later
# ones from the end of the previous answer), and idles no longer between requests: aiohttp's
# keep-alive timer is armed from the moment a connection opens, so it is also the header-read
# timeout that keeps slow or silent clients from holding connections forever.
HEADER_TIMEOUT_S = 15.0


class PortInUse(OSError):
    def __init__(self, host: str, port: int) -> None:
        super().__init__(
            f"port {port} on {host} is already taken; stop what listens there or pass --port"
        )
        self.host = host
        self.port = port


@dataclass
class Backend:
    """The services over one data dir, shared by the API, the CLI and the app."""

    store: DocumentStore
    accounts: AccountService
    functions: FunctionService
    created_local: NewAccount | None = None
    # The other account documents (callflows, temporal rules, menus, lists, list entries).
    others: dict[str, DocumentService] = field(default_factory=dict)

    @classmethod
    def open(
        cls, data_dir: Path, *, token_ttl: float = TOKEN_TTL_SECONDS, fsync: bool = True
    ) -> Backend:
        store = DocumentStore(data_dir, fsync=fsync)
        accounts = AccountService(store, token_ttl=token_ttl)
        created = accounts.ensure_local_account()
        others = {kind.table: DocumentService(store, kind) for kind in CALLFLOW_DOCUMENT_KINDS}
        return cls(store, accounts, FunctionService(store), created, others)

    def documents(self) -> dict[str, DocumentService]:
        """The document services by module name, as the API routes them."""
        return {"functions": self.functions, **self.others}

    @cached_property
    def secrets(self) -> PivotSecrets:
        """The Pivot URLs' secrets, kept beside the functions in the same store."""
        return PivotSecrets(self.store)

    @cached_property
    def invocations(self) -> InvocationLog:
        """Every server on this data dir records into the one ring (and file)."""
        return InvocationLog(self.store.data_dir / PIVOT_INVOCATIONS_FILE)

    def close(self) -> None:
        self.store.close()

    def remember_local_api_key(self) -> Path | None:
        """On first start, keep the new local account's API key in a file only its owner can
        read: the store has only its hash, so this is the one place it can be found again."""
        if self.created_local is None:
            return None
        path = self.store.data_dir / LOCAL_API_KEY_FILE
        write_atomically(path, self.created_local.api_key + "\n", mode=0o600)
        return path


def create_handlers(
    backend: Backend, throttle: LoginThrottle | None = None, public_url: str | None = None
) -> ApiHandlers:
    return ApiHandlers(
        backend.accounts, backend.functions, throttle, backend.documents(),
        pivot=PivotRecords(backend.secrets, backend.invocations, public_url),
    )  # fmt: skip


def free_port(host: str = "127.0.0.1", start: int = 8000, tries: int = 50) -> int:
    """The first port from `start` that can be bound on `host`."""
    for port in range(start, start + tries):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            # Like the server's own socket, allow a port that only has TIME_WAIT leftovers: a
            # listener on it still makes bind fail.
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind((host, port))
            except OSError:
                continue
            return port
    raise PortInUse(host, start)


def listen(host: str, port: int) -> socket.socket:
    """A listening TCP socket on host:port (0 picks a free port), or PortInUse."""
    try:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        return socket.create_server((host, port), family=family, backlog=1024)
    except OSError as exc:
        if exc.errno in (errno.EADDRINUSE, errno.EACCES):
            raise PortInUse(host, port) from exc
        raise


class ApiServer:
    """Start with `await server.start()` in whatever loop is running; stop with `await stop()`."""

    def __init__(
        self,
        backend: Backend,
        host: str = "127.0.0.1",
        port: int = 8000,
        access_log: bool = True,
        *,
        unix_path: Path | None = None,
        header_timeout: float = HEADER_TIMEOUT_S,
        sock: socket.socket | None = None,
        throttle: LoginThrottle | None = None,
        public_url: str | None = None,
    ) -> None:
        self.backend = backend
        self.public_url = public_url  # where KAZOO reaches Pivot URLs; None: the request's host
        self.pivot: PivotService | None = None
        self.host = host
        self.port = port
        self.access_log = access_log
        # With a socket path the API is reachable only through that file (the app's --no-api):
        # the app still talks HTTP to it, through the same client, but nothing listens on TCP.
        self.unix_path = unix_path
        self.header_timeout = header_timeout
        self.throttle = throttle
        # A socket bound beforehand (see `listen`): the port is known taken or ours before the
        # data dir is opened, so a second `kfn serve` on a busy port changes nothing on disk.
        self.sock = sock
        if sock is not None:
            self.host, self.port = sock.getsockname()[:2]
        self._runner: web.BaseRunner | None = None

    @property
    def url(self) -> str:
        if self.unix_path is not None:
            return f"unix:{self.unix_path}"
        return f"http://{self.host}:{self.port}"

    async def start(self) -> None:
        logger = logging.getLogger("kfn.access") if self.access_log else None
        handlers = create_handlers(self.backend, self.throttle, self.public_url)
        backend = self.backend
        self.pivot = PivotService(
            LocalSource(backend.functions, backend.secrets), backend.invocations
        )
        backend.invocations.start()
        dispatch = PivotHttp(self.pivot, handlers.dispatch).dispatch
        # aiohttp's low-level server: KAZOO's routing is ours (routes.py), so the Application
        # layer (router, middlewares, match info) would only add work to every request.
        self._runner = web.ServerRunner(
            KazooServer(
                dispatch,
                access_log=logger,
                access_log_class=RedactingAccessLogger,
                keepalive_timeout=self.header_timeout,
            ),
            handle_signals=False,
            shutdown_timeout=5.0,
        )
        await self._runner.setup()
        site: web.BaseSite
        if self.unix_path is not None:
            self.unix_path.unlink(missing_ok=True)
            site = web.UnixSite(self._runner, str(self.unix_path))
        elif self.sock is not None:
            site = web.SockSite(self._runner, self.sock)
        else:
            site = web.TCPSite(self._runner, self.host, self.port, reuse_address=True)
        try:
            await site.start()
        except OSError as exc:
            await self._runner.cleanup()
            self._runner = None
            if exc.errno in (errno.EADDRINUSE, errno.EACCES):
                raise PortInUse(self.host, self.port) from exc
            raise
        if self.port == 0 and self.unix_path is None and isinstance(site._server, asyncio.Server):
            self.port = site._server.sockets[0].getsockname()[1]
        if self.unix_path is None:
            url_file = self.backend.store.data_dir / SERVER_URL_FILE
            try:
                write_atomically(url_file, self.url + "\n")
            except OSError:
                log.warning(
                    "could not write %s; `kfn accounts` will not find this server", url_file
                )

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
            url_file = self.backend.store.data_dir / SERVER_URL_FILE
            with contextlib.suppress(OSError):
                if url_file.read_text().strip() == self.url:
                    url_file.unlink()
        if self.pivot is not None:
            self.pivot.close()
            self.pivot = None
            await self.backend.invocations.stop()
        if self.unix_path is not None:
            self.unix_path.unlink(missing_ok=True)
