"""The Pivot endpoint of the real server, reached as KAZOO's pivot_call reaches it: GET with the
call as query string, POST form, POST JSON; the `call` a function sees is the one KAZOO's
function module would build; failures are non-200 so KAZOO goes on to the node's `_`."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from backend.api.server import ApiServer, Backend
from backend.runtime.call import build_call, encode_query
from tests.conftest import LiveServer, in_loop_thread, wait_until, wrong

# Echoes what it was given, as a tts node's text: the test reads back the `call` it saw.
ECHO = "return {module: 'tts', data: {text: JSON.stringify(call)}};"
CALL = {
    "Call-ID": "abc-123",
    "Caller-ID-Name": "Ann & Bob = 100%",
    "Caller-ID-Number": "+15550001",
    "Custom-Application-Vars": {"vip": "yes", "tier": 2},
    "Custom-SIP-Headers": {"X-List": ["a", "b"]},
    "Language": "en-us",
}


def _headers(server: LiveServer) -> dict[str, str]:
    return {"X-Auth-Token": server.token()}


def _function(server: LiveServer, body: str, **extra: Any) -> tuple[str, dict[str, Any]]:
    headers = _headers(server)
    made = httpx.put(
        server.functions_url(), headers=headers,
        json={"data": {"name": "pivoted", "function_js": body, **extra}},
    )  # fmt: skip
    assert made.status_code == 201, made.text
    function_id = made.json()["data"]["id"]
    described = httpx.get(f"{server.functions_url()}/{function_id}/pivot", headers=headers)
    assert described.status_code == 200, described.text
    return function_id, described.json()["data"]


def _seen(answer: httpx.Response) -> dict[str, Any]:
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/json"
    return json.loads(answer.json()["data"]["text"])


def test_every_transport_gives_the_call_kazoos_function_module_builds(
    live_server: LiveServer,
) -> None:
    _id, described = _function(live_server, ECHO)
    url = described["voice_url"]
    expected = build_call(CALL)  # what cf_function's `call` would be
    assert expected["Custom-Application-Vars[tier]"] == "2"  # bracket keys, all strings
    assert expected["Custom-SIP-Headers[X-List][]"] == "b"  # the last array element
    query = encode_query(CALL)  # what pivot_call appends to the voice URL on GET
    assert _seen(httpx.get(f"{url}?{query}")) == expected
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    assert _seen(httpx.post(url, content=query, headers=form)) == expected
    assert _seen(httpx.post(url, json=CALL)) == expected  # req_body_format: json


def test_on_loopback_the_node_is_one_kazoo_refuses_and_says_so(live_server: LiveServer) -> None:
    from backend.callflow.validate import validate_flow

    function_id, described = _function(live_server, ECHO)
    node = described["callflow_node"]
    assert node["module"] == "pivot" and node["data"]["voice_url"] == described["voice_url"]
    assert node["data"]["req_format"] == "kazoo" and described["method"] == "GET"
    assert described["voice_url"].startswith(f"{live_server.url}/pivot/{live_server.account_id}/")
    assert "KAZOO refuses" in described["warning"]
    verdict = validate_flow(node)  # kazoo-validation: no voice URL on 127.0.0.1
    assert not verdict.valid and "voice_url" in " ".join(verdict.messages())
    again = httpx.get(
        f"{live_server.functions_url()}/{function_id}/pivot", headers=_headers(live_server)
    )
    assert again.json()["data"]["voice_url"] == described["voice_url"]  # minted once


def test_with_a_public_url_the_node_pastes_into_a_kazoo_callflow(tmp_path: Path) -> None:
    from backend.callflow.validate import validate_flow

    backend = Backend.open(tmp_path / "data")
    account = backend.accounts.create_account("Acme")
    server = ApiServer(backend, "127.0.0.1", 0, access_log=False,
                       public_url="https://kfn.example.net:8443/")  # fmt: skip
    try:
        with in_loop_thread(server.start, server.stop):
            live = LiveServer(server.url, account.account_id, account.api_key, backend)
            _id, described = _function(live, ECHO)
    finally:
        backend.close()
    assert described["voice_url"].startswith("https://kfn.example.net:8443/pivot/")
    assert "warning" not in described
    assert validate_flow(described["callflow_node"]).valid


def test_a_valid_flow_comes_back_validated_with_defaults(live_server: LiveServer) -> None:
    box = "0123456789abcdef0123456789abcdef"
    _id, described = _function(
        live_server, f"return {{module: 'voicemail', data: {{id: '{box}'}}}};"
    )
    answer = httpx.get(described["voice_url"])
    assert answer.status_code == 200
    flow = answer.json()
    assert flow["module"] == "voicemail" and flow["data"]["id"] == box
    assert flow["data"]["max_message_length"] == 500  # the schema's default, filled as KAZOO does


@pytest.mark.parametrize(
    ("body", "kind"),
    [
        ("throw new Error('no route for ' + call['Caller-ID-Number']);", "thrown"),
        ("while (true) {}", "timeout"),
        ("var a = []; while (true) { a.push(new Array(100000).join('x')); }", "out_of_memory"),
        ("return {module: 'no_such_module', data: {}};", "invalid_flow"),
        ("return 42;", "bad_return"),
        ("return {module: ", "syntax"),
    ],
)
def test_a_failure_is_never_a_200(live_server: LiveServer, body: str, kind: str) -> None:
    _id, described = _function(live_server, body)
    started = time.monotonic()
    answer = httpx.get(f"{described['voice_url']}?Caller-ID-Number=%2B1555", timeout=10)
    assert time.monotonic() - started < 5.0  # inside Pivot's request timeout
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"] == kind and answer.json()["message"]


def test_disabled_and_deleted_functions_do_not_run(live_server: LiveServer) -> None:
    function_id, described = _function(live_server, ECHO, enabled=False)
    answer = httpx.get(described["voice_url"])
    assert answer.status_code == 503 and answer.json()["error"] == "disabled"
    deleted = httpx.delete(
        f"{live_server.functions_url()}/{function_id}", headers=_headers(live_server)
    )
    assert deleted.status_code == 200
    assert httpx.get(described["voice_url"]).status_code == 404


def test_wrong_secrets_tell_nothing_and_rotation_and_revocation_work(
    live_server: LiveServer,
) -> None:
    function_id, described = _function(live_server, ECHO)
    url = described["voice_url"]
    base, secret = url.rsplit("/", 1)
    misses = [
        httpx.get(f"{base}/{wrong(secret)}"),  # wrong secret
        httpx.get(f"{base.rsplit('/', 1)[0]}/{'0' * 32}/{secret}"),  # no such function
        httpx.get(f"{live_server.url}/pivot/{'1' * 32}/{function_id}/{secret}"),  # other account
        httpx.get(f"{live_server.url}/pivot/only/two"),
    ]
    assert {(m.status_code, m.text) for m in misses} == {(404, misses[0].text)}
    headers = _headers(live_server)
    pivot = f"{live_server.functions_url()}/{function_id}/pivot"
    rotated = httpx.put(pivot, headers=headers).json()["data"]["voice_url"]
    assert rotated != url and httpx.get(url).status_code == 404
    assert httpx.get(rotated).status_code == 200
    revoked = httpx.delete(pivot, headers=headers).json()["data"]
    assert revoked["enabled"] is False and httpx.get(rotated).status_code == 404
    assert httpx.get(pivot, headers=headers).json()["data"]["enabled"] is False  # stays revoked
    assert httpx.get(pivot).status_code == 401  # the description needs credentials


def test_invocations_metrics_health_and_no_secret_in_the_log(
    live_server: LiveServer, caplog: pytest.LogCaptureFixture
) -> None:
    function_id, described = _function(live_server, ECHO)
    url = described["voice_url"]
    secret = url.rsplit("/", 1)[1]
    with caplog.at_level("INFO", logger="kfn.pivot"):
        assert httpx.get(f"{url}?Call-ID=c1&Caller-ID-Number=%2B1").status_code == 200
        assert httpx.post(url, json={"Call-ID": "c2"}).status_code == 200
        assert httpx.get(wrong(url)).status_code == 404
    recent = httpx.get(
        f"{live_server.functions_url()}/{function_id}/pivot/invocations",
        headers=_headers(live_server),
    ).json()["data"]
    assert [r["call_id"] for r in recent] == ["c2", "c1"]  # newest first; misses not recorded
    assert recent[1]["call"] == {"Call-ID": "c1", "Caller-ID-Number": "+1"}
    assert recent[0]["verdict"] == "valid" and recent[0]["status"] == 200
    assert recent[0]["flow"]["module"] == "tts" and recent[0]["duration_ms"] > 0
    lines = [json.loads(r.getMessage()) for r in caplog.records if r.name == "kfn.pivot"]
    assert [line["call_id"] for line in lines] == ["c1", "c2"]
    assert secret not in caplog.text and "+1" not in caplog.text  # no secret, no caller
    metrics = httpx.get(f"{live_server.url}/metrics").text
    assert 'kfn_pivot_requests_total{status="200"} 2.0' in metrics
    assert 'kfn_pivot_errors_total{kind="refused"} 1.0' in metrics
    assert "kfn_pivot_request_duration_seconds_bucket" in metrics
    health = httpx.get(f"{live_server.url}/health")
    assert health.status_code == 200 and health.json()["status"] == "ok"
    wait_until(lambda: (live_server.backend.store.data_dir / "pivot-invocations.json").exists(),
               what="the invocation log on disk")  # fmt: skip


def test_bad_pivot_requests_are_400_and_huge_ones_413(live_server: LiveServer) -> None:
    _id, described = _function(live_server, ECHO)
    url = described["voice_url"]
    as_json = {"Content-Type": "application/json"}
    assert httpx.post(url, content=b"{not json", headers=as_json).status_code == 400
    assert httpx.post(url, content=b"[1, 2]", headers=as_json).status_code == 400
    assert (
        httpx.post(url, content=b"a=1", headers={"Content-Type": "text/plain"}).status_code == 400
    )
    assert httpx.post(url, json={"A": None}).json()["error"] == "bad_request"  # KAZOO crashes
    huge = httpx.post(url, content=b"a=" + b"x" * 1_100_000, headers={"Content-Type": ""})
    assert huge.status_code == 413
    assert httpx.put(url).status_code == 400  # Pivot sends GET or POST
