"""Calls answered by `kfn pivot` instances reach the upstream kfn's ring (what the app's Live
tab reads): `PUT …/pivot/invocations`, and the forwarder that batches, waits out an upstream
that is down, and bounds what waits."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from backend.client import ApiKeyCredentials, KazooClient
from backend.pivot import forward
from backend.pivot.forward import ForwardedInvocations
from tests.conftest import LiveServer, free_port


def _function(server: LiveServer) -> tuple[str, dict[str, str]]:
    headers = {"X-Auth-Token": server.token()}
    made = httpx.put(server.functions_url(), headers=headers,
                     json={"data": {"name": "f", "function_js": "return {};"}})  # fmt: skip
    assert made.status_code == 201, made.text
    return made.json()["data"]["id"], headers


def _call(account: str, function: str, second: int, **extra: Any) -> dict[str, Any]:
    return {"time": f"2026-12-01T10:00:{second:02d}.000+00:00", "account_id": account,
            "function_id": function, "status": 200, "verdict": "valid", **extra}  # fmt: skip


def test_forwarded_calls_join_the_ring_newest_first_under_their_own_function(
    live_server: LiveServer,
) -> None:
    function, headers = _function(live_server)
    url = f"{live_server.functions_url()}/{function}/pivot/invocations"
    late = [_call("someone-else", "other", 5, instance="edge-1:8010"), _call("x", "y", 1)]
    put = httpx.put(url, headers=headers, json={"data": late})
    assert put.status_code == 201 and put.json()["data"] == {"recorded": 2}, put.text
    newer = httpx.put(url, headers=headers, json={"data": [_call("a", "b", 3)]})
    assert newer.status_code == 201
    listed = httpx.get(url, headers=headers).json()["data"]
    assert [call["time"][17:19] for call in listed] == ["05", "03", "01"]  # by time, not arrival
    assert {(c["account_id"], c["function_id"]) for c in listed} == {
        (live_server.account_id, function)
    }
    assert listed[0]["instance"] == "edge-1:8010"


@pytest.mark.parametrize(
    ("data", "field"),
    [({"time": "t"}, "data"), ([{"time": "t"}] * 101, "data"), ([{"status": 200}], "data.0"),
     (["not an object"], "data.0")],
)  # fmt: skip
def test_forwarded_calls_of_the_wrong_shape_are_refused(
    live_server: LiveServer, data: Any, field: str
) -> None:
    function, headers = _function(live_server)
    url = f"{live_server.functions_url()}/{function}/pivot/invocations"
    refused = httpx.put(url, headers=headers, json={"data": data})
    assert refused.status_code == 400 and field in refused.json()["data"], refused.text
    assert httpx.get(url, headers=headers).json()["data"] == []


def test_calls_for_an_unknown_function_are_refused(live_server: LiveServer) -> None:
    headers = {"X-Auth-Token": live_server.token()}
    url = f"{live_server.functions_url()}/{'0' * 32}/pivot/invocations"
    assert httpx.put(url, headers=headers, json={"data": []}).status_code == 404


async def test_the_forwarder_sends_batches_and_waits_out_a_dead_upstream(
    live_server: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    function, headers = _function(live_server)
    account = live_server.account_id
    url = f"{live_server.functions_url()}/{function}/pivot/invocations"
    dead = KazooClient(f"http://127.0.0.1:{free_port(start=18700)}",
                       ApiKeyCredentials(live_server.api_key), timeout=2)  # fmt: skip
    monkeypatch.setattr(forward, "PENDING_LIMIT", 3)
    log = ForwardedInvocations(dead, "edge-1:8010")
    for second in range(5):
        log.record(_call(account, function, second))
    await log.send()  # nothing reaches it: the newest 3 wait
    assert log.sent == 0 and log.dropped == 2
    log.client = KazooClient(live_server.url, ApiKeyCredentials(live_server.api_key), timeout=5)
    try:
        log.record(_call(account, "0" * 32, 9))  # a function the upstream does not have
        await log.send()
        assert log.sent == 3 and log.dropped == 2
        listed = httpx.get(url, headers=headers).json()["data"]
        assert [call["time"][17:19] for call in listed] == ["04", "03", "02"]
        assert all(call["instance"] == "edge-1:8010" for call in listed)
        await log.send()  # nothing left over: the unknown function's call was dropped
        assert log.sent == 3
        assert len(log.recent(account, function)) == 5  # the instance's own ring keeps all
    finally:
        await dead.aclose()
        await log.client.aclose()


async def test_a_send_cut_short_by_the_stop_is_sent_by_the_final_one(
    live_server: LiveServer,
) -> None:
    import asyncio

    function, headers = _function(live_server)
    account = live_server.account_id
    client = KazooClient(live_server.url, ApiKeyCredentials(live_server.api_key), timeout=5)
    log = ForwardedInvocations(client, "edge-1:8010")
    started, release = asyncio.Event(), asyncio.Event()
    real = client.record_pivot_invocations

    async def slow(*args: Any) -> int:
        started.set()
        await release.wait()  # the stop comes while this send is under way
        return await real(*args)

    try:
        log.record(_call(account, function, 1))
        client.record_pivot_invocations = slow  # type: ignore[method-assign]
        sending = asyncio.ensure_future(log.send())
        await started.wait()
        sending.cancel()
        with pytest.raises(asyncio.CancelledError):
            await sending
        client.record_pivot_invocations = real  # type: ignore[method-assign]
        await log.stop()
        url = f"{live_server.functions_url()}/{function}/pivot/invocations"
        assert [c["time"][17:19] for c in httpx.get(url, headers=headers).json()["data"]] == ["01"]
        assert log.sent == 1 and log.dropped == 0
    finally:
        await client.aclose()
