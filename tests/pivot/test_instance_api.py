"""A `kfn pivot` instance in front of a KAZOO tells whoever the KAZOO lets read a function its
Pivot URL and the calls the instance answered; it asks the KAZOO with the reader's token, never
with its own credentials. Against the KAZOO stand-in over HTTP."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from backend.client import ApiKeyCredentials, KazooClient
from backend.pivot.signing import SigningKeyFile
from backend.pivot.upstream import UpstreamSource
from tests.conftest import FakeServer, free_port, start_pivot, wait_until
from tests.pivot.instances import (
    FUNCTION,
    PUBLIC,
    Instance,
    key_file,
    reader_token,
    running_instance,
    with_function,
)


@pytest.fixture
async def instance(fake_kazoo: FakeServer, tmp_path: Path) -> AsyncIterator[Instance]:
    with_function(fake_kazoo.fake)
    async with running_instance(fake_kazoo, tmp_path) as running:
        yield running


async def test_a_reader_of_the_function_gets_its_url_and_the_calls_answered_here(
    instance: Instance, fake_kazoo: FakeServer
) -> None:
    fake = fake_kazoo.fake
    token = reader_token(fake_kazoo)
    base = f"{instance.url}/v2/accounts/{fake.account_id}/functions/{FUNCTION}/pivot"
    async with httpx.AsyncClient(timeout=10) as http:
        call = await http.get(f"{instance.url}{instance.voice_path(fake.account_id)}",
                              params={"Caller-ID-Name": "Ann", "Call-ID": "c-1"})  # fmt: skip
        assert call.status_code == 200
        described = await http.get(base, headers={"X-Auth-Token": token})
        calls = await http.get(f"{base}/invocations", headers={"X-Auth-Token": token})
    assert described.status_code == 200, described.text
    data = described.json()["data"]
    assert data["voice_url"] == f"{PUBLIC}{instance.voice_path(fake.account_id)}"
    assert data["callflow_node"]["data"]["voice_url"] == data["voice_url"]
    assert calls.status_code == 200
    [seen] = calls.json()["data"]
    assert seen["call_id"] == "c-1" and seen["call"]["Caller-ID-Name"] == "Ann"
    checks = [(method, path, {k.lower(): v for k, v in headers.items()}.get("x-auth-token"))
              for method, path, headers, _ in fake.requests]  # fmt: skip
    assert ("GET", f"/v2/accounts/{fake.account_id}/functions/{FUNCTION}", token) in checks


async def test_no_token_a_refused_token_and_another_accounts_function_are_refused(
    instance: Instance, fake_kazoo: FakeServer
) -> None:
    fake = fake_kazoo.fake
    token = reader_token(fake_kazoo)
    path = f"/v2/accounts/{fake.account_id}/functions/{FUNCTION}/pivot/invocations"
    other = f"/v2/accounts/{'b' * 32}/functions/{FUNCTION}/pivot"
    async with httpx.AsyncClient(base_url=instance.url, timeout=10) as http:
        bare = await http.get(path)
        forged = await http.get(path, headers={"X-Auth-Token": "not.a.token"})
        elsewhere = await http.get(other, headers={"X-Auth-Token": token})
        unknown = await http.get(path.replace(FUNCTION, "0" * 32), headers={"X-Auth-Token": token})
        written = await http.put(path, headers={"X-Auth-Token": token}, json={"data": []})
        beside = await http.get(
            f"/v2/accounts/{fake.account_id}/functions", headers={"X-Auth-Token": token}
        )
    assert bare.status_code == 401 and "X-Auth-Token" in bare.json()["data"]["message"]
    assert forged.status_code == 401 and "refused this token" in forged.text
    assert (elsewhere.status_code, unknown.status_code) == (404, 404)
    assert elsewhere.json() == unknown.json()  # nothing tells one from the other
    assert written.status_code == 405 and "--rotate" in written.text
    assert beside.status_code == 404


async def test_an_expired_reader_is_refused_although_the_instance_itself_logs_in_again(
    instance: Instance, fake_kazoo: FakeServer
) -> None:
    fake = fake_kazoo.fake
    token = reader_token(fake_kazoo)
    path = f"/v2/accounts/{fake.account_id}/functions/{FUNCTION}/pivot"
    async with httpx.AsyncClient(base_url=instance.url, timeout=10) as http:
        assert (await http.get(path, headers={"X-Auth-Token": token})).status_code == 200
        fake.expire_tokens()  # the reader's token and the instance's own
        refused = await http.get(path, headers={"X-Auth-Token": token})
        served = await http.get(
            instance.voice_path(fake.account_id), params={"Caller-ID-Name": "Bo"}
        )
    assert refused.status_code == 401
    assert served.status_code == 200  # the instance renewed its own session for the call
    assert fake.logins == 3  # the reader's, the instance's first and its renewal: no other


async def test_a_yes_is_remembered_and_an_unreachable_kazoo_is_a_503(
    instance: Instance, fake_kazoo: FakeServer
) -> None:
    fake = fake_kazoo.fake
    token = reader_token(fake_kazoo)
    instance.api.grant_ttl = 60
    path = f"/v2/accounts/{fake.account_id}/functions/{FUNCTION}/pivot/invocations"
    async with httpx.AsyncClient(base_url=instance.url, timeout=10) as http:
        for _ in range(3):
            assert (await http.get(path, headers={"X-Auth-Token": token})).status_code == 200
        assert instance.api.checks == 1
        instance.api.client = KazooClient(f"http://127.0.0.1:{free_port(start=21500)}",
                                          ApiKeyCredentials("k"), timeout=2)  # fmt: skip
        assert (await http.get(path, headers={"X-Auth-Token": token})).status_code == 200
        other = await http.get(path, headers={"X-Auth-Token": reader_token(fake_kazoo)})
        # The URL needs the function, which a fresh instance has never read: nothing cached.
        instance.api.source = UpstreamSource(instance.api.client, ttl=0, signing=instance.keys)
        described = await http.get(path.removesuffix("/invocations"),
                                   headers={"X-Auth-Token": token})  # fmt: skip
        await instance.api.client.aclose()
    assert other.status_code == 503 and "cannot check the token" in other.text
    assert described.status_code == 503 and "cannot be reached" in described.text


async def test_a_kazoo_that_fails_is_a_502_that_says_what_it_answered(
    instance: Instance, fake_kazoo: FakeServer
) -> None:
    fake = fake_kazoo.fake
    token = reader_token(fake_kazoo)
    path = f"/v2/accounts/{fake.account_id}/functions/{FUNCTION}/pivot"
    fake.fault = 500
    async with httpx.AsyncClient(base_url=instance.url, timeout=30) as http:
        failed = await http.get(path, headers={"X-Auth-Token": token})
        fake.fault = 0
        again = await http.get(path, headers={"X-Auth-Token": token})
    assert failed.status_code == 502, failed.text
    message = failed.json()["data"]["message"]
    assert "cannot check the token" in message and "HTTP 500: datastore fault" in message
    assert again.status_code == 200  # a failure is not remembered as a refusal


async def test_made_up_tokens_are_throttled_before_they_reach_the_kazoo(
    instance: Instance, fake_kazoo: FakeServer
) -> None:
    from backend.pivot.instance_api import REFUSALS

    path = f"/v2/accounts/{fake_kazoo.fake.account_id}/functions/{FUNCTION}/pivot/invocations"
    async with httpx.AsyncClient(base_url=instance.url, timeout=10) as http:
        refused = [
            (await http.get(path, headers={"X-Auth-Token": f"made.up.{n}"})).status_code
            for n in range(REFUSALS.failures)
        ]
        throttled = await http.get(path, headers={"X-Auth-Token": "made.up.again"})
    assert refused == [401] * REFUSALS.failures
    assert throttled.status_code == 429 and int(throttled.headers["Retry-After"]) >= 1
    assert "refused tokens from this address" in throttled.text
    assert instance.api.checks == REFUSALS.failures  # the last one never reached the KAZOO


def test_kfn_pivot_keeps_its_calls_across_a_restart_and_serves_them(
    fake_kazoo: FakeServer, tmp_path: Path
) -> None:
    fake = fake_kazoo.fake
    with_function(fake)
    calls_file = tmp_path / "calls.json"
    port = free_port(start=21600)
    command = ["--server", fake_kazoo.url, "--api-key", fake.api_key, "--signing-key",
               str(key_file(tmp_path)), "--public-url", PUBLIC, "--calls-file", str(calls_file),
               "--port", str(port), "--quiet"]  # fmt: skip
    secret = SigningKeyFile(tmp_path / "pivot.key").current().secret(fake.account_id, FUNCTION)
    local = f"http://127.0.0.1:{port}"
    token = reader_token(fake_kazoo)
    invocations = f"{local}/v2/accounts/{fake.account_id}/functions/{FUNCTION}/pivot/invocations"

    first, _said = start_pivot(tmp_path / "data", *command)
    try:
        answered = httpx.get(f"{local}/pivot/{fake.account_id}/{FUNCTION}/{secret}",
                             params={"Caller-ID-Name": "Cy", "Call-ID": "c-9"}, timeout=10)  # fmt: skip
        assert answered.status_code == 200
        wait_until(calls_file.exists, what="the calls written")
    finally:
        first.send_signal(signal.SIGTERM)
        first.wait(10)
    second, _said = start_pivot(tmp_path / "data", *command)
    try:
        kept = httpx.get(invocations, headers={"X-Auth-Token": token}, timeout=10)
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(10)
    assert kept.status_code == 200, kept.text
    assert [call["call_id"] for call in kept.json()["data"]] == ["c-9"]
    assert os.stat(calls_file).st_size > 0


async def test_what_the_parser_refuses_gets_an_empty_body_as_from_kfn_serve(
    instance: Instance, fake_kazoo: FakeServer
) -> None:
    where = urlsplit(instance.url)
    path = instance.voice_path(fake_kazoo.fake.account_id).encode()

    async def raw(request: bytes) -> tuple[bytes, bytes]:
        reader, writer = await asyncio.open_connection(where.hostname, where.port)
        writer.write(request)
        await writer.drain()
        answer = await reader.read()  # the connection is closed after a refusal
        writer.close()
        head, _, body = answer.partition(b"\r\n\r\n")
        return head.split(b" ", 2)[1], body  # the status code, the body

    # A Pivot GET with a call too big for a request line: cowboy's 414, not aiohttp's text.
    too_long = await raw(b"GET " + path + b"?x=" + b"a" * 8100 + b" HTTP/1.1\r\nHost: x\r\n\r\n")
    unknown = await raw(b"FOO " + path + b" HTTP/1.1\r\nHost: x\r\n\r\n")
    assert (too_long, unknown) == ((b"414", b""), (b"400", b""))
