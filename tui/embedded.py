"""The embedded backend: the same API server `kfn serve` runs, started inside the app's loop.

The app talks to it over HTTP through `KazooClient`, exactly as it talks to a remote KAZOO, and
gets its tokens minted in-process for the local account (there is no password to ask for).
With `--no-api` the server listens on a private Unix socket in the data dir instead of TCP.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from backend.aiohttp_transport import AiohttpTransport
from backend.api.server import ApiServer, Backend, PortInUse, free_port
from backend.client import ApiError, ConflictError, IssuedCredentials, KazooClient, Login
from backend.samples import sample_callflows, sample_functions

SOCKET_NAME = "kfn-app.sock"


@dataclass
class Embedded:
    backend: Backend
    port: int = 8000
    serve_tcp: bool = True
    server: ApiServer | None = None
    public_url: str | None = None  # where KAZOO reaches Pivot URLs (None: the request's host)

    @property
    def url(self) -> str:
        return self.server.url if self.server else ""

    @property
    def account_id(self) -> str:
        account_id = self.backend.accounts.default_account_id()
        assert account_id is not None, "Backend.open always creates the local account"
        return account_id

    async def start(self) -> KazooClient:
        """Start serving (port `port`, or the next free one) and return a client for it."""
        if self.serve_tcp:
            for _attempt in range(5):
                port = free_port("127.0.0.1", self.port)
                self.server = ApiServer(
                    self.backend, "127.0.0.1", port, access_log=False, public_url=self.public_url
                )
                try:
                    await self.server.start()
                    break
                except PortInUse:  # taken between the probe and the bind: try the next one
                    self.port = port + 1
            else:
                raise PortInUse("127.0.0.1", self.port)
            return self.client()
        self.server = ApiServer(self.backend, access_log=False, unix_path=self.socket_path)
        await self.server.start()
        return self.client()

    @property
    def socket_path(self) -> Path:
        return self.backend.store.data_dir / SOCKET_NAME

    @property
    def label(self) -> str:
        """How the status bar names this server."""
        return self.url if self.serve_tcp else "embedded (--no-api: not served)"

    def client(self) -> KazooClient:
        """A new client for the running server (the app makes one again on coming back from a
        remote server, whose switch closed the previous one)."""
        assert self.server is not None, "start() first"
        if self.serve_tcp:
            return KazooClient(self.server.url, IssuedCredentials(self._issue))
        # A Unix socket: no TLS, so no certificate store to load (verify=False, ~50 ms).
        transport = AiohttpTransport(uds=str(self.socket_path), verify=False)
        return KazooClient("http://kfn.local", IssuedCredentials(self._issue), transport=transport)

    async def _issue(self) -> Login:
        account_id = self.account_id
        token, _session = self.backend.accounts.issue_token(account_id, None, "kfn_app")
        account = self.backend.accounts.get_account(account_id) or {}
        return Login(token, account_id, str(account.get("name", "")))

    async def stop(self) -> None:
        if self.server is not None:
            await self.server.stop()
            self.server = None


async def seed_samples(client: KazooClient, account_id: str) -> int:
    """Copy the sample functions the account does not have yet (by name) into it; returns how
    many. Each gets its file name as id when that id is free (the sample callflows refer to
    those ids); function ids are global, so a second account gets generated ones."""
    have = {item.get("name") for item in await client.list_functions(account_id, page_size=500)}
    made = 0
    for sample in sample_functions():
        document = sample.as_document()
        if document["name"] in have:
            continue
        try:
            await client.create_function(account_id, {"id": sample.slug, **document})
        except ConflictError:
            await client.create_function(account_id, document)
        made += 1
    return made


async def _seed_by_name(
    client: KazooClient, account_id: str, module: str, docs: dict[str, dict[str, Any]]
) -> list[str]:
    """Create the `docs` (by id) the account has none of that name of, with their ids; returns
    the ids made."""
    have = {item.get("name") for item in await client.list_documents(account_id, module)}
    made: list[str] = []
    for doc_id, doc in docs.items():
        if doc.get("name") in have:
            continue
        fields = {key: value for key, value in doc.items() if key not in ("id", "entries")}
        try:
            await client.create_document(account_id, module, {"id": doc_id, **fields})
        except ApiError:
            continue
        made.append(doc_id)
    return made


async def seed_sample_callflows(client: KazooClient, account_id: str) -> int:
    """Copy the sample callflows and the documents they use (temporal rules, menus, match
    lists with their entries) that the account does not have yet (by name), with their ids
    where free (they refer to each other by id); returns how many. A sample whose number the
    account already routes elsewhere is left out (KAZOO refuses two callflows one number).
    Only for the embedded backend's own account: on a real KAZOO they would route numbers."""
    from backend.callflow.sources import Documents

    samples = Documents.samples()
    made = len(await _seed_by_name(client, account_id, "temporal_rules", samples.temporal_rules))
    made += len(await _seed_by_name(client, account_id, "menus", samples.menus))
    lists = {i: samples.list_documents.get(i, {"name": i}) for i in samples.lists}
    for list_id in await _seed_by_name(client, account_id, "lists", lists):
        for entry in samples.lists[list_id]:
            try:
                await client.create_list_entry(account_id, list_id, entry)
            except ApiError:
                continue
        made += 1
    have = {item.get("name") for item in await client.list_documents(account_id, "callflows")}
    for stem, callflow in sample_callflows().items():
        if callflow.get("name") in have:
            continue
        document = {key: value for key, value in callflow.items() if key != "id"}
        try:
            await client.create_document(
                account_id, "callflows", {"id": callflow.get("id") or stem, **document}
            )
        except ConflictError:
            try:
                await client.create_document(account_id, "callflows", document)
            except ApiError:
                continue
        except ApiError:
            continue
        made += 1
    return made
