"""The v2 client against the real server: paging, saves with If-Match, renewal, readable errors."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator

import aiohttp
import httpx
import pytest

from backend.aiohttp_transport import AiohttpTransport
from backend.client import (
    ApiKeyCredentials,
    AuthError,
    ConflictError,
    KazooClient,
    NetworkError,
    NotFoundError,
    TokenCredentials,
    UserCredentials,
    error_from_response,
)
from tests.conftest import LiveServer, free_port


@pytest.fixture
async def client(live_server: LiveServer) -> AsyncIterator[KazooClient]:
    made = KazooClient(live_server.url, ApiKeyCredentials(live_server.api_key), timeout=5)
    yield made
    await made.aclose()


async def test_create_get_save_delete(client: KazooClient, live_server: LiveServer) -> None:
    account = await client.account_id()
    assert account == live_server.account_id
    created = await client.create_function(
        account, {"name": "hello", "function_js": "return {module:'hangup',data:{}};", "x": 1}
    )
    assert created.revision and created.data["enabled"] is True
    loaded = await client.get_function(account, created.id)
    assert loaded.revision == created.revision and loaded.data["x"] == 1
    edited = {**loaded.data, "function_js": "return null;", "enabled": False}
    saved = await client.save_function(account, created.id, edited, loaded.revision)
    assert saved.revision != loaded.revision
    stored = live_server.backend.store.get("functions", created.id)
    assert stored is not None and stored["function_js"] == "return null;"
    assert stored["enabled"] is False and stored["x"] == 1  # custom fields survive the save
    await client.delete_function(account, created.id)
    with pytest.raises(NotFoundError, match="bad identifier"):
        await client.get_function(account, created.id)


async def test_stale_revision_is_a_conflict(client: KazooClient, live_server: LiveServer) -> None:
    account = await client.account_id()
    created = await client.create_function(account, {"name": "a", "function_js": "return 1;"})
    other = KazooClient(live_server.url, ApiKeyCredentials(live_server.api_key))
    try:
        await other.save_function(
            account, created.id, {**created.data, "name": "b"}, created.revision
        )
    finally:
        await other.aclose()
    with pytest.raises(ConflictError, match="changed on the server") as caught:
        await client.save_function(
            account, created.id, {**created.data, "name": "c"}, created.revision
        )
    assert caught.value.status == 412
    assert live_server.backend.store.get("functions", created.id)["name"] == "b"


async def test_listing_follows_every_page(client: KazooClient) -> None:
    account = await client.account_id()
    for index in range(23):
        await client.create_function(account, {"name": f"f{index:02}", "function_js": ""})
    items = await client.list_functions(account, page_size=5)
    assert sorted(item["name"] for item in items) == [f"f{index:02}" for index in range(23)]
    assert len({item["id"] for item in items}) == 23


async def test_validation_errors_read_as_sentences(client: KazooClient) -> None:
    account = await client.account_id()
    with pytest.raises(Exception) as caught:
        await client.create_function(account, {"name": 5})
    text = str(caught.value)
    assert "name: Value did not match type(s): string" in text
    assert "function_js: Field is required but missing" in text


async def test_expired_token_is_renewed_once(client: KazooClient, live_server: LiveServer) -> None:
    account = await client.account_id()
    first = client.login_info
    assert first is not None
    live_server.backend.accounts.revoke_token(first.token)
    assert await client.list_functions(account) == []
    assert client.login_info is not None and client.login_info.token != first.token


async def test_a_given_token_cannot_be_renewed(live_server: LiveServer) -> None:
    token = live_server.token()
    client = KazooClient(live_server.url, TokenCredentials(token))
    try:
        account = await client.account_id()
        assert account == live_server.account_id
        live_server.backend.accounts.revoke_token(token)
        with pytest.raises(AuthError, match="give a new token"):
            await client.list_functions(account)
    finally:
        await client.aclose()


async def test_user_credentials_and_wrong_password(live_server: LiveServer) -> None:
    good = KazooClient(live_server.url, UserCredentials("alice", "s3cret", "acme"))
    bad = KazooClient(live_server.url, UserCredentials("alice", "nope", "acme"))
    try:
        assert await good.account_id() == live_server.account_id
        assert [account.name for account in await good.accounts()] == ["Acme"]
        with pytest.raises(AuthError, match="refused the credentials"):
            await bad.account_id()
    finally:
        await good.aclose()
        await bad.aclose()


async def test_unknown_api_key_says_so(live_server: LiveServer) -> None:
    client = KazooClient(live_server.url, ApiKeyCredentials("0" * 64))
    try:
        with pytest.raises(AuthError, match="does not know this API key"):
            await client.account_id()
    finally:
        await client.aclose()


async def test_connection_refused_is_plain_words() -> None:
    port = free_port(start=20000)
    client = KazooClient(f"http://127.0.0.1:{port}", ApiKeyCredentials("k" * 64), timeout=2)
    try:
        with pytest.raises(NetworkError, match="connection refused"):
            await client.account_id()
    finally:
        await client.aclose()


async def test_a_server_that_never_answers_times_out() -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    port = listener.getsockname()[1]
    client = KazooClient(f"http://127.0.0.1:{port}", ApiKeyCredentials("k" * 64), timeout=0.5)
    try:
        with pytest.raises(NetworkError, match=r"no answer from .* within 0.5 s"):
            await asyncio.wait_for(client.account_id(), 5)
    finally:
        await client.aclose()
        listener.close()


async def _serve_raw(answer: bytes) -> asyncio.Server:
    """A TCP server that reads a request head and answers `answer` (maybe nothing), then hangs up."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(answer)
        await writer.drain()
        writer.close()

    return await asyncio.start_server(handle, "127.0.0.1", 0)


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (b"", r"closed the connection before answering; nothing is known to be saved"),
        (
            b"SPEAKING NOT HTTP\r\n\r\n",
            r"127\.0\.0\.1:\d+ did not answer in HTTP \(Bad status line\)",
        ),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{", r"the answer from .* was cut short"),
    ],
    ids=["hangs-up", "not-http", "body-cut-short"],
)
async def test_a_server_that_breaks_the_exchange_is_a_network_error(
    answer: bytes, expected: str
) -> None:
    server = await _serve_raw(answer)
    port = server.sockets[0].getsockname()[1]
    client = KazooClient(f"http://127.0.0.1:{port}", TokenCredentials("t" * 20), timeout=3)
    try:
        with pytest.raises(NetworkError, match=expected):
            await client.get_function("acct", "fn")
    finally:
        await client.aclose()
        server.close()
        await server.wait_closed()


@pytest.mark.parametrize(
    ("answer", "raised", "cause"),
    [
        (b"", httpx.RemoteProtocolError, aiohttp.ServerDisconnectedError),
        (b"SPEAKING NOT HTTP\r\n\r\n", httpx.RemoteProtocolError, aiohttp.ClientResponseError),
        (
            b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{",
            httpx.ReadError,
            aiohttp.ClientPayloadError,
        ),
    ],
    ids=["hangs-up", "not-http", "body-cut-short"],
)
async def test_the_transport_raises_httpx_classes_caused_by_aiohttp_errors(
    answer: bytes, raised: type[Exception], cause: type[Exception]
) -> None:
    server = await _serve_raw(answer)
    port = server.sockets[0].getsockname()[1]
    try:
        async with httpx.AsyncClient(transport=AiohttpTransport(verify=False)) as http:
            with pytest.raises(raised) as caught:
                await http.get(f"http://127.0.0.1:{port}/")
        assert isinstance(caught.value.__cause__, cause)
    finally:
        server.close()
        await server.wait_closed()
    refused = free_port(start=20000)
    async with httpx.AsyncClient(transport=AiohttpTransport(verify=False)) as http:
        with pytest.raises(httpx.ConnectError):
            await http.get(f"http://127.0.0.1:{refused}/")


async def test_a_dns_failure_names_dns() -> None:
    client = KazooClient("http://kfn-no-such-host.invalid", ApiKeyCredentials("k" * 64), timeout=3)
    try:
        with pytest.raises(NetworkError, match="cannot resolve the host"):
            await client.account_id()
    finally:
        await client.aclose()


def test_error_shapes_without_a_server() -> None:
    import httpx

    empty = httpx.Response(412, request=httpx.Request("PATCH", "http://x/"))
    assert "changed on the server" in str(error_from_response(empty, "save"))
    system = httpx.Response(
        503,
        json={"data": {}, "message": "datastore missing view", "error": "503"},
        request=httpx.Request("GET", "http://x/"),
    )
    assert str(error_from_response(system, "list")) == (
        "list failed: the server failed (HTTP 503: datastore missing view)"
    )
    html = httpx.Response(
        502, text="<html>Bad gateway</html>", request=httpx.Request("GET", "http://x/")
    )
    assert "HTTP 502: <html>Bad gateway</html>" in str(error_from_response(html, "list"))


async def test_a_long_match_list_is_read_page_by_page(
    client: KazooClient, live_server: LiveServer
) -> None:
    account = await client.account_id()
    await client.create_document(account, "lists", {"id": "big", "name": "Big"})
    for index in range(60):  # more than one page of 50
        await client.create_list_entry(account, "big", {"number": f"1415555{index:04d}"})
    found = await client.walk_documents(account)
    assert sorted(e["number"] for e in found["lists"]["big"]) == [
        f"1415555{index:04d}" for index in range(60)
    ]
    assert found["menus"] == {} and found["callflows"] == {}
