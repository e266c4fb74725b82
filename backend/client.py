"""The one async client for KAZOO's v2 functions API, used by the app against any server.

The embedded kfn server and a real KAZOO answer the same paths, so the app talks to both through
this class and nothing above it knows which one it has. It absorbs KAZOO's quirks:

- a POST to a function does not persist on KAZOO (docs/kazoo-compatibility.md §8.1), so saves are PATCHes that carry
  every field, with the loaded revision in `If-Match` so a concurrent change gives a conflict;
- page keys are opaque (Erlang terms on KAZOO), so they are passed back exactly as received;
- tokens expire (401): the client logs in again with the credentials it was given and retries
  once; when it cannot, it raises `AuthError` and the caller asks the user;
- errors come in two shapes (system errors and validation errors, docs/kazoo-compatibility.md §3), or with an
  empty body (412, 415, 406): `ApiError` turns each into one readable sentence.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import httpx

from backend.aiohttp_transport import AiohttpTransport
from backend.credentials import kazoo_credentials
from backend.schema import error_messages

DEFAULT_TIMEOUT_S = 10.0

EMPTY_BODY_REASONS = {
    304: "not modified",
    406: "the server cannot answer in JSON (406)",
    412: "the function changed on the server since it was loaded",
    415: "the server refused the request's content type (415)",
    501: "the server does not know this HTTP method (501)",
}


class ApiError(Exception):
    """A request that did not succeed, with one sentence a person can act on."""

    def __init__(
        self,
        summary: str,
        *,
        status: int | None = None,
        details: dict[str, str] | None = None,
    ) -> None:
        super().__init__(summary)
        self.summary = summary
        self.status = status
        self.details = details or {}

    def __str__(self) -> str:
        if not self.details:
            return self.summary
        lines = "; ".join(
            f"{path}: {text}" if path else text for path, text in self.details.items()
        )
        return f"{self.summary}: {lines}"


class NetworkError(ApiError):
    """The server could not be reached, or stopped answering; nothing is known to be saved."""


class AuthError(ApiError):
    """The credentials were refused, or the token expired and cannot be renewed."""


class ConflictError(ApiError):
    """The document changed on the server (412 on If-Match, or 409)."""


class NotFoundError(ApiError):
    """The function (or account) does not exist there."""


def error_from_response(response: httpx.Response, action: str) -> ApiError:
    """Turn a non-2xx answer of either KAZOO error shape (or an empty one) into an ApiError."""
    status = response.status_code
    try:
        body = response.json() if response.content else None
    except ValueError:
        body = None
    kind: type[ApiError] = ApiError
    if status == 401:
        kind = AuthError
    elif status in (409, 412):
        kind = ConflictError
    elif status == 404:
        kind = NotFoundError
    if not isinstance(body, dict):
        reason = EMPTY_BODY_REASONS.get(status)
        if reason is None:
            text = response.text.strip()[:200] if response.content else ""
            reason = f"HTTP {status}" + (f": {text}" if text else "")
        return kind(f"{action} failed: {reason}", status=status)
    message = str(body.get("message") or "")
    data = body.get("data")
    if message == "validation error":
        return kind(
            f"{action} failed: the server rejected the data",
            status=status,
            details=dict(error_messages(data)),
        )
    human = ""
    if isinstance(data, dict):
        human = str(data.get("message") or "")
        cause = data.get("cause")
        if cause and human in ("bad identifier", "unknown failure"):
            human = f"{human} ({cause})"
    elif isinstance(data, list) and data:
        human = f"{message} {', '.join(map(str, data))}"
    human = human or message.replace("_", " ") or f"HTTP {status}"
    if status == 401:
        human = "the server refused the credentials or the session expired"
    elif status == 403:
        human = "these credentials may not access that account (403 forbidden)"
    elif status >= 500:
        human = f"the server failed (HTTP {status}: {human})"
    return kind(f"{action} failed: {human}", status=status)


def _causes(exc: BaseException) -> list[BaseException]:
    chain: list[BaseException] = []
    cause: BaseException | None = exc
    while cause is not None and cause not in chain:
        chain.append(cause)
        cause = cause.__cause__ or cause.__context__
    return chain


def _network_error(exc: Exception, base_url: str, action: str, timeout: float) -> NetworkError:
    """Name what went wrong on the network in plain words. The transport raises httpx's class
    for it, caused by aiohttp's error, caused by the OS's or TLS's: the most telling wins."""
    chain = _causes(exc)
    text = str(exc) or type(exc).__name__

    def find(kind: type[BaseException] | tuple[type[BaseException], ...]) -> Any:
        # aiohttp's TLS errors are also ssl's classes, without ssl's details: skip them.
        return next(
            (c for c in chain if isinstance(c, kind) and not isinstance(c, aiohttp.ClientSSLError)),
            None,
        )

    if (cert := find(ssl.SSLCertVerificationError)) is not None:
        summary = (
            f"the TLS certificate of {base_url} could not be verified "
            f"({cert.verify_message}); pass --insecure only if you trust this server"
        )
    elif (tls := find(ssl.SSLError)) is not None:
        summary = f"TLS error talking to {base_url} ({tls.reason or tls})"
    elif (dns := find(socket.gaierror)) is not None:
        summary = f"cannot resolve the host of {base_url} (DNS: {dns.strerror})"
    elif find(ConnectionRefusedError) is not None:
        summary = f"cannot connect to {base_url}: connection refused (is the server running?)"
    elif (garbled := find(aiohttp.ClientResponseError)) is not None:  # not parsed as HTTP
        reason = garbled.message.splitlines()[0].rstrip(":") if garbled.message else "?"
        summary = f"{base_url} did not answer in HTTP ({reason})"
    elif find(httpx.RemoteProtocolError) is not None:
        summary = f"{base_url} closed the connection before answering; nothing is known to be saved"
    elif find(aiohttp.ClientPayloadError) is not None:
        summary = f"the answer from {base_url} was cut short; nothing is known to be saved"
    elif find(httpx.ReadError) is not None:
        summary = (
            f"the connection to {base_url} broke ({text}) before the answer was complete; "
            f"nothing is known to be saved"
        )
    elif find((httpx.TimeoutException, TimeoutError)) is not None:
        summary = f"no answer from {base_url} within {timeout:g} s"
    elif find(httpx.ConnectError) is not None:
        summary = f"cannot connect to {base_url}: {text}"
    else:
        summary = f"network error talking to {base_url}: {text}"
    return NetworkError(f"{action} failed: {summary}")


# -- credentials ----------------------------------------------------------------------------------
@dataclass
class Login:
    token: str
    account_id: str
    account_name: str = ""


class Credentials:
    """How to get a token. `renewable` says whether a 401 can be fixed without asking."""

    renewable = True
    description = "credentials"

    async def login(self, client: KazooClient) -> Login:  # pragma: no cover - interface
        raise NotImplementedError


@dataclass
class ApiKeyCredentials(Credentials):
    api_key: str
    description: str = "API key"

    async def login(self, client: KazooClient) -> Login:
        try:
            body = await client.put_json(
                "/v2/api_auth", {"api_key": self.api_key}, "log in", auth=False
            )
        except NotFoundError as exc:  # KAZOO answers an unknown key with 404 bad identifier
            raise AuthError(
                "log in failed: the server does not know this API key", status=exc.status
            ) from exc
        except ApiError as exc:
            if exc.status != 400:
                raise
            # KAZOO's api_auth schema: exactly 64 characters. A key cut short in a paste, or
            # with a space, is refused before any lookup: as refused credentials, so the app
            # asks for the key again instead of only saying so.
            raise AuthError(
                f"log in failed: that is not an API key (KAZOO's have 64 characters, this one "
                f"{len(self.api_key)}): {exc}",
                status=exc.status,
            ) from exc
        return _login_from(body)


@dataclass
class UserCredentials(Credentials):
    username: str
    password: str
    account_name: str
    method: str = "md5"
    description: str = "username and password"

    async def login(self, client: KazooClient) -> Login:
        data = {
            "credentials": kazoo_credentials(self.username, self.password, self.method),
            "method": self.method,
            "account_name": self.account_name,
        }
        return _login_from(await client.put_json("/v2/user_auth", data, "log in", auth=False))


@dataclass
class TokenCredentials(Credentials):
    """A token given by the user: used as is, and cannot be renewed."""

    token: str
    renewable = False
    description: str = "token"

    async def login(self, client: KazooClient) -> Login:
        body = await client.request_json(
            "GET", "/v2/token_auth", "check the token", token=self.token
        )
        data = body.get("data") or {}
        return Login(self.token, str(data.get("account_id", "")), str(data.get("account_name", "")))


@dataclass
class IssuedCredentials(Credentials):
    """Tokens minted in-process (the app's embedded server issues them to itself)."""

    issue: Callable[[], Awaitable[Login]]
    description: str = "local account"

    async def login(self, client: KazooClient) -> Login:
        return await self.issue()


@dataclass
class SharedLogin(Credentials):
    """Another client's session, for servers that take the same tokens: `kfn pivot` instances
    in front of a KAZOO check the app's KAZOO token with the KAZOO itself. A refused token is
    renewed through that client, once."""

    main: KazooClient
    description: str = "the session of the KAZOO"

    async def login(self, client: KazooClient) -> Login:
        # Under the main client's lock: several servers refusing the same token at once
        # renew it once.
        stale = client.login_info.token if client.login_info else None
        await (self.main._renew(stale) if stale else self.main._token())
        assert self.main.login_info is not None
        return self.main.login_info


def _login_from(body: dict[str, Any]) -> Login:
    data = body.get("data") or {}
    token = body.get("auth_token")
    if not token:
        raise AuthError("log in failed: the server answered without an auth_token")
    return Login(str(token), str(data.get("account_id", "")), str(data.get("account_name", "")))


# -- the client -----------------------------------------------------------------------------------
@dataclass
class Revisioned:
    """A document as the server returned it, with the revision to send back on save."""

    data: dict[str, Any]
    revision: str | None = None

    @property
    def id(self) -> str:
        return str(self.data.get("id", ""))


@dataclass
class Account:
    id: str
    name: str


@dataclass
class KazooClient:
    base_url: str
    credentials: Credentials
    timeout: float = DEFAULT_TIMEOUT_S
    verify: bool = True
    transport: httpx.AsyncBaseTransport | None = None
    login_info: Login | None = None
    _http: httpx.AsyncClient | None = field(default=None, repr=False)
    _login_lock: asyncio.Lock = field(default_factory=asyncio.Lock, repr=False)

    def __post_init__(self) -> None:
        self.base_url = self.base_url.rstrip("/")

    @property
    def http(self) -> httpx.AsyncClient:
        if self._http is None:
            # No TLS on http:// URLs: skip building a certificate store (~100 ms).
            verify = self.verify if self.base_url.startswith("https:") else False
            self._http = httpx.AsyncClient(
                base_url=self.base_url,
                timeout=self.timeout,
                verify=verify,  # for proxies from the environment, which httpx mounts itself
                # aiohttp is loaded anyway (the embedded server); httpx's own transport would
                # add httpcore and anyio, ~110 ms of the app's start-up.
                transport=self.transport or AiohttpTransport(verify=verify),
                headers={"Accept": "application/json", "User-Agent": "kfn"},
            )
        return self._http

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    # -- plumbing ---------------------------------------------------------------------------------
    async def login(self) -> Login:
        """Log in now (or again); remember and return who we are."""
        self.login_info = await self.credentials.login(self)
        return self.login_info

    async def _token(self) -> str:
        async with self._login_lock:
            if self.login_info is None:
                await self.login()
            assert self.login_info is not None
            return self.login_info.token

    async def _renew(self, stale: str) -> str:
        async with self._login_lock:
            if self.login_info is not None and self.login_info.token != stale:
                return self.login_info.token  # another request already renewed it
            await self.login()
            assert self.login_info is not None
            return self.login_info.token

    async def _send(
        self,
        method: str,
        path: str,
        action: str,
        *,
        token: str | None,
        json: Any = None,
        params: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        merged = dict(headers or {})
        if token:
            merged["X-Auth-Token"] = token
        try:
            return await self.http.request(method, path, json=json, params=params, headers=merged)
        except httpx.HTTPError as exc:  # the transport raises httpx's classes only
            raise _network_error(exc, self.base_url, action, self.timeout) from exc

    async def request(
        self,
        method: str,
        path: str,
        action: str,
        *,
        json: Any = None,
        params: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
        auth: bool = True,
        token: str | None = None,
    ) -> httpx.Response:
        """One request; renews the token once on 401 when the credentials allow it."""
        if auth and token is None:
            token = await self._token()
        response = await self._send(
            method, path, action, token=token, json=json, params=params, headers=headers
        )
        if response.status_code == 401 and auth and self.credentials.renewable:
            token = await self._renew(token or "")
            response = await self._send(
                method, path, action, token=token, json=json, params=params, headers=headers
            )
        if response.status_code >= 400:
            error = error_from_response(response, action)
            if response.status_code == 401 and auth and not self.credentials.renewable:
                error.summary += "; give a new token"
            raise error
        return response

    async def request_json(
        self, method: str, path: str, action: str, **kwargs: Any
    ) -> dict[str, Any]:
        response = await self.request(method, path, action, **kwargs)
        try:
            body = response.json()
        except ValueError as exc:
            raise ApiError(
                f"{action} failed: the server did not answer JSON (is {self.base_url} a KAZOO v2 API?)",
                status=response.status_code,
            ) from exc
        if not isinstance(body, dict):
            raise ApiError(f"{action} failed: unexpected answer {str(body)[:80]}")
        return body

    async def put_json(self, path: str, data: Any, action: str, **kwargs: Any) -> dict[str, Any]:
        return await self.request_json("PUT", path, action, json={"data": data}, **kwargs)

    async def account_id(self) -> str:
        await self._token()
        assert self.login_info is not None
        return self.login_info.account_id

    def _documents(self, account_id: str, module: str, doc_id: str | None = None) -> str:
        base = f"/v2/accounts/{account_id}/{module}"
        return f"{base}/{httpx.URL(doc_id).raw_path.decode()}" if doc_id else base

    def _functions(self, account_id: str, function_id: str | None = None) -> str:
        return self._documents(account_id, "functions", function_id)

    # -- documents: functions, callflows, temporal_rules ------------------------------------------
    async def list_documents(
        self, account_id: str, module: str, page_size: int = 50
    ) -> list[dict[str, Any]]:
        """Every summary of the account's `module` documents, following `next_start_key`."""
        items: list[dict[str, Any]] = []
        params: dict[str, str] = {"page_size": str(page_size)}
        seen: set[str] = set()
        while True:
            body = await self.request_json(
                "GET", self._documents(account_id, module), f"list {module}", params=params
            )
            items.extend(item for item in body.get("data") or [] if isinstance(item, dict))
            next_key = body.get("next_start_key")
            if not next_key or next_key in seen:
                return items
            seen.add(next_key)
            params = {"page_size": str(page_size), "start_key": str(next_key)}

    async def get_document(self, account_id: str, module: str, doc_id: str) -> Revisioned:
        what = module.removesuffix("s").replace("_", " ")
        body = await self.request_json(
            "GET", self._documents(account_id, module, doc_id), f"load {what} {doc_id}"
        )
        return Revisioned(body.get("data") or {}, body.get("revision"))

    async def create_document(
        self, account_id: str, module: str, data: dict[str, Any]
    ) -> Revisioned:
        what = module.removesuffix("s").replace("_", " ")
        body = await self.put_json(
            self._documents(account_id, module), data, f"create {what} {data.get('name', '')!r}"
        )
        return Revisioned(body.get("data") or {}, body.get("revision"))

    async def whole_documents(self, account_id: str, module: str) -> dict[str, dict[str, Any]]:
        """The account's `module` documents, whole (a listing has only summaries), by id:
        the callflows and temporal rules a simulation walks and dials a number among."""
        found: dict[str, dict[str, Any]] = {}
        for item in await self.list_documents(account_id, module):
            doc_id = str(item.get("id", ""))
            if doc_id:
                found[doc_id] = (await self.get_document(account_id, module, doc_id)).data
        return found

    async def list_entries(self, account_id: str, list_id: str) -> list[dict[str, Any]]:
        """A match list's entries (cb_lists' /lists/{id}/entries), which cidlistmatch reads."""
        quoted = httpx.URL(list_id).raw_path.decode()
        return await self.list_documents(account_id, f"lists/{quoted}/entries")

    async def create_list_entry(
        self, account_id: str, list_id: str, entry: dict[str, Any]
    ) -> Revisioned:
        path = f"{self._documents(account_id, 'lists', list_id)}/entries"
        body = await self.put_json(path, entry, f"add an entry to list {list_id}")
        return Revisioned(body.get("data") or {}, body.get("revision"))

    async def walk_documents(self, account_id: str) -> dict[str, dict[str, Any]]:
        """Everything a callflow walk reads besides functions, by module then id: callflows,
        temporal rules and menus whole, and each match list's entries. A module the server
        does not have, or this login may not read, is left empty: the walk then says what it
        could not find."""
        found: dict[str, dict[str, Any]] = {}
        for module in ("callflows", "temporal_rules", "temporal_rules_sets", "menus"):
            try:
                found[module] = await self.whole_documents(account_id, module)
            except ApiError:
                found[module] = {}
        found["lists"] = {}
        try:
            for item in await self.list_documents(account_id, "lists"):
                list_id = str(item.get("id", ""))
                if list_id:
                    found["lists"][list_id] = await self.list_entries(account_id, list_id)
        except ApiError:
            pass  # a server without match lists: cidlistmatch says the list is not here
        return found

    # -- functions --------------------------------------------------------------------------------
    async def list_functions(self, account_id: str, page_size: int = 50) -> list[dict[str, Any]]:
        """Every function summary of the account, following `next_start_key` page by page."""
        return await self.list_documents(account_id, "functions", page_size)

    async def get_function(self, account_id: str, function_id: str) -> Revisioned:
        return await self.get_document(account_id, "functions", function_id)

    async def get_function_if_changed(
        self, account_id: str, function_id: str, revision: str | None
    ) -> Revisioned | None:
        """The function, or None when it is still at `revision` (If-None-Match: a 304 carries
        no body, so a cache revalidates without reading the function again)."""
        headers = {"If-None-Match": f'"{revision}"'} if revision else None
        response = await self.request(
            "GET", self._functions(account_id, function_id), f"load function {function_id}",
            headers=headers,
        )  # fmt: skip
        if response.status_code == 304:
            return None
        body = response.json()
        return Revisioned(body.get("data") or {}, body.get("revision"))

    async def check_function_access(self, token: str, account_id: str, function_id: str) -> None:
        """Whether someone else's token may read the function here: returns, or raises as
        any request would (AuthError, NotFoundError, NetworkError, ...). The token is used as
        is: a 401 is never retried with this client's own credentials."""
        await self.request(
            "GET", self._functions(account_id, function_id), f"check access to {function_id}",
            auth=False, token=token,
        )  # fmt: skip

    async def create_function(self, account_id: str, data: dict[str, Any]) -> Revisioned:
        return await self.create_document(account_id, "functions", data)

    async def save_function(
        self, account_id: str, function_id: str, data: dict[str, Any], revision: str | None
    ) -> Revisioned:
        """Save with PATCH carrying every field (KAZOO's POST does not persist), guarded by the
        loaded revision: a change on the server since then raises ConflictError."""
        payload = {key: value for key, value in data.items() if key != "id"}
        headers = {"If-Match": f'"{revision}"'} if revision else None
        body = await self.request_json(
            "PATCH",
            self._functions(account_id, function_id),
            f"save function {data.get('name', function_id)!r}",
            json={"data": payload},
            headers=headers,
        )
        return Revisioned(body.get("data") or {}, body.get("revision"))

    async def delete_function(
        self, account_id: str, function_id: str, revision: str | None = None
    ) -> None:
        headers = {"If-Match": f'"{revision}"'} if revision else None
        await self.request(
            "DELETE",
            self._functions(account_id, function_id),
            f"delete function {function_id}",
            headers=headers,
        )

    # -- kfn's own: Pivot URLs (a KAZOO answers 404 for these) ---------------------------------
    def _pivot(self, account_id: str, function_id: str) -> str:
        return f"{self._functions(account_id, function_id)}/pivot"

    async def pivot_description(self, account_id: str, function_id: str) -> dict[str, Any]:
        """The function's Pivot URL and the `pivot` node to paste into a KAZOO callflow."""
        body = await self.request_json(
            "GET", self._pivot(account_id, function_id), f"describe the Pivot URL of {function_id}"
        )
        return dict(body.get("data") or {})

    async def rotate_pivot(self, account_id: str, function_id: str) -> dict[str, Any]:
        """A new Pivot URL for the function; the old one stops working."""
        body = await self.request_json(
            "PUT", self._pivot(account_id, function_id), f"rotate the Pivot URL of {function_id}"
        )
        return dict(body.get("data") or {})

    async def revoke_pivot(self, account_id: str, function_id: str) -> dict[str, Any]:
        body = await self.request_json(
            "DELETE", self._pivot(account_id, function_id), f"revoke the Pivot URL of {function_id}"
        )
        return dict(body.get("data") or {})

    async def pivot_invocations(self, account_id: str, function_id: str) -> list[dict[str, Any]]:
        """The function's recent Pivot invocations, newest first."""
        body = await self.request_json(
            "GET", f"{self._pivot(account_id, function_id)}/invocations",
            f"read the Pivot invocations of {function_id}",
        )  # fmt: skip
        return list(body.get("data") or [])

    async def is_kfn(self) -> bool:
        """Whether the server is a kfn, which answers /health (a KAZOO keeps no Pivot URLs and
        answers 404 there)."""
        try:
            body = await self.request_json(
                "GET", "/health", "ask whether the server is a kfn", auth=False
            )
        except NotFoundError:
            return False
        return body.get("status") == "ok"

    async def record_pivot_invocations(
        self, account_id: str, function_id: str, invocations: list[dict[str, Any]]
    ) -> int:
        """Add calls answered elsewhere (a `kfn pivot` instance) to the function's ring."""
        body = await self.request_json(
            "PUT", f"{self._pivot(account_id, function_id)}/invocations",
            f"forward the Pivot invocations of {function_id}", json={"data": invocations},
        )  # fmt: skip
        return int((body.get("data") or {}).get("recorded", 0))

    # -- accounts ---------------------------------------------------------------------------------
    async def create_child_account(self, parent_id: str, name: str) -> dict[str, Any]:
        """A child account of `parent_id` (cb_accounts: PUT /v2/accounts/{PARENT}); kfn's
        answer carries the child's API key, once."""
        body = await self.request_json(
            "PUT", f"/v2/accounts/{parent_id}", f"create the account {name!r}",
            json={"data": {"name": name}},
        )  # fmt: skip
        return dict(body.get("data") or {})

    async def account(self, account_id: str) -> Account:
        body = await self.request_json("GET", f"/v2/accounts/{account_id}", "load the account")
        return Account(account_id, str((body.get("data") or {}).get("name", account_id)))

    async def accounts(self) -> list[Account]:
        """The account the credentials belong to, then the ones below it."""
        own_id = await self.account_id()
        found = [await self.account(own_id)]
        body = await self.request_json(
            "GET",
            f"/v2/accounts/{own_id}/descendants",
            "list accounts",
            params={"paginate": "false"},
        )
        for item in body.get("data") or []:
            if isinstance(item, dict) and item.get("id") and item["id"] != own_id:
                found.append(Account(str(item["id"]), str(item.get("name", item["id"]))))
        return found
