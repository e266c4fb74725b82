"""The client against a KAZOO stand-in with KAZOO's documented quirks (tests/fakes)."""

from __future__ import annotations

import ssl
import subprocess
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from backend.client import (
    ApiError,
    ApiKeyCredentials,
    AuthError,
    ConflictError,
    KazooClient,
    NetworkError,
    UserCredentials,
)
from tests.conftest import FakeServer, serve_fake
from tests.fakes.kazoo_quirks import FakeKazoo, etf_decode, etf_encode


@pytest.fixture
async def client(fake_kazoo: FakeServer) -> AsyncIterator[KazooClient]:
    made = KazooClient(fake_kazoo.url, ApiKeyCredentials(fake_kazoo.fake.api_key), timeout=5)
    yield made
    await made.aclose()


def test_the_erlang_term_encoding_matches_the_contract_example() -> None:
    key = ["0123456789abcdef0123456789abcdef"]
    assert etf_encode(key) == "g2wAAAABbQAAACAwMTIzNDU2Nzg5YWJjZGVmMDEyMzQ1Njc4OWFiY2RlZmo"
    assert etf_decode(etf_encode(["a", "b"])) == ["a", "b"]


async def test_erlang_term_page_keys_are_passed_back_untouched(
    client: KazooClient, fake_kazoo: FakeServer
) -> None:
    account = await client.account_id()
    for index in range(7):
        await client.create_function(account, {"name": f"f{index}", "function_js": ""})
    items = await client.list_functions(account, page_size=3)
    assert sorted(item["name"] for item in items) == [f"f{index}" for index in range(7)]
    sent = {
        query["start_key"]
        for method, path, _, query in fake_kazoo.fake.requests
        if method == "GET" and path.endswith("/functions") and "start_key" in query
    }
    assert len(fake_kazoo.fake.issued_start_keys) == 2  # 7 items in pages of 3
    assert sent == fake_kazoo.fake.issued_start_keys


async def test_saving_uses_patch_because_kazoo_post_does_not_persist(
    client: KazooClient, fake_kazoo: FakeServer
) -> None:
    account = await client.account_id()
    made = await client.create_function(account, {"name": "a", "function_js": "return 1;"})
    saved = await client.save_function(
        account, made.id, {**made.data, "function_js": "return 2;"}, made.revision
    )
    assert fake_kazoo.fake.functions[made.id]["function_js"] == "return 2;"
    assert saved.revision != made.revision and saved.revision.startswith("2-")
    method, _, headers, _ = fake_kazoo.fake.requests[-1]
    assert method == "PATCH" and headers["If-Match"] == f'"{made.revision}"'
    with pytest.raises(ConflictError, match="changed on the server"):
        await client.save_function(account, made.id, {**made.data, "name": "b"}, made.revision)


async def test_expired_jwt_is_renewed(client: KazooClient, fake_kazoo: FakeServer) -> None:
    account = await client.account_id()
    assert client.login_info is not None and client.login_info.token.count(".") == 2
    fake_kazoo.fake.expire_tokens()
    assert await client.list_functions(account) == []  # renewed once, transparently
    assert fake_kazoo.fake.logins == 2
    fake_kazoo.fake.expire_tokens(also_new_ones=True)
    with pytest.raises(AuthError, match="refused the credentials or the session expired"):
        await client.list_functions(account)
    assert fake_kazoo.fake.logins == 3  # it tried exactly one renewal, then said so


async def test_user_auth_md5_and_account_switching(fake_kazoo: FakeServer) -> None:
    fake = fake_kazoo.fake
    client = KazooClient(
        fake_kazoo.url, UserCredentials(fake.username, fake.password, fake.account_name)
    )
    try:
        assert await client.account_id() == fake.account_id
        names = [account.name for account in await client.accounts()]
        assert names == ["acme", "acme child"]
    finally:
        await client.aclose()


async def test_kazoo_error_bodies_read_as_sentences(
    client: KazooClient, fake_kazoo: FakeServer
) -> None:
    account = await client.account_id()
    with pytest.raises(ApiError) as caught:
        await client.create_function(account, {"function_js": ""})
    assert str(caught.value).endswith("name: Field is required but missing")
    with pytest.raises(ApiError, match=r"bad identifier \(nope\)"):
        await client.get_function(account, "nope")
    with pytest.raises(ApiError, match=r"HTTP 503: datastore missing view"):
        await client.request_json("GET", "/v2/functions", "list all functions")


async def test_unknown_api_key_is_an_auth_error(fake_kazoo: FakeServer) -> None:
    client = KazooClient(fake_kazoo.url, ApiKeyCredentials("x" * 64))
    try:
        with pytest.raises(AuthError, match="does not know this API key"):
            await client.account_id()
    finally:
        await client.aclose()


@pytest.fixture
def tls_fake(tmp_path: Path) -> Iterator[FakeServer]:
    """The stand-in over HTTPS with a self-signed certificate (made with the openssl CLI)."""
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    with serve_fake(FakeKazoo(), context) as served:
        yield served


async def test_tls_errors_are_named_and_insecure_only_when_asked(tls_fake: FakeServer) -> None:
    strict = KazooClient(tls_fake.url, ApiKeyCredentials(tls_fake.fake.api_key), timeout=5)
    loose = KazooClient(tls_fake.url, ApiKeyCredentials(tls_fake.fake.api_key), verify=False)
    try:
        with pytest.raises(
            NetworkError, match=r"certificate .* could not be verified .*--insecure"
        ):
            await strict.account_id()
        assert await loose.account_id() == tls_fake.fake.account_id
    finally:
        await strict.aclose()
        await loose.aclose()


async def test_a_walk_reads_the_accounts_callflow_documents_and_list_entries() -> None:
    flow = {"module": "cidlistmatch", "data": {"id": "vip"}, "children": {}}
    fake = FakeKazoo(
        documents={
            "callflows": {"main": {"name": "Main", "numbers": ["2000"], "flow": flow}},
            "temporal_rules": {"open": {"name": "Open", "cycle": "weekly"}},
            "lists": {"vip": {"name": "VIP"}},
        },
        # As KAZOO's lists/entries view gives them: no ids.
        entries={"vip": [{"number": "1415"}, {"regexp": "^\\+44"}]},
    )
    with serve_fake(fake) as served:
        client = KazooClient(served.url, ApiKeyCredentials(fake.api_key), timeout=5)
        try:
            found = await client.walk_documents(await client.account_id())
        finally:
            await client.aclose()
    assert found["callflows"]["main"]["flow"] == flow
    assert found["temporal_rules"]["open"]["cycle"] == "weekly"
    assert found["lists"] == {"vip": [{"number": "1415"}, {"regexp": "^\\+44"}]}
    assert found["menus"] == {}  # not loaded by this crossbar: a plain 404, left empty
