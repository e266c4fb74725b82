"""`kfn pivot` as users would run it: two stateless instances in front of one `kfn serve`. Their
calls reach the upstream's ring; an edit upstream reaches both within the cache's time to live;
with the upstream stopped, both keep answering with the last good revision (and count it in
their metrics)."""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import free_port, start_pivot, start_serve, wrong

pytestmark = pytest.mark.e2e
TTL_S = 0.5
Upstream = tuple[subprocess.Popen[str], str, str]  # the server, its URL, an API key


def _pivot_instance(
    upstream: str, api_key: str, port: int, data_dir: Path
) -> tuple[subprocess.Popen[str], str]:
    return start_pivot(data_dir, "--server", upstream, "--api-key", api_key, "--port", str(port),
                       "--ttl", str(TTL_S), "--quiet")  # fmt: skip


def _published(url: str, api_key: str, name: str, body: str) -> tuple[str, dict[str, str], str]:
    """A new function on the upstream: its document URL, the headers to reach it, its Pivot
    URL."""
    token = httpx.put(f"{url}/v2/api_auth", json={"data": {"api_key": api_key}}).json()
    account, headers = token["data"]["account_id"], {"X-Auth-Token": token["auth_token"]}
    functions = f"{url}/v2/accounts/{account}/functions"
    made = httpx.put(functions, headers=headers,
                     json={"data": {"name": name, "function_js": body}}).json()["data"]  # fmt: skip
    document = f"{functions}/{made['id']}"
    described = httpx.get(f"{document}/pivot", headers=headers).json()["data"]
    return document, headers, str(described["voice_url"])


def _stale_serves(port: int) -> float:
    metrics = httpx.get(f"http://127.0.0.1:{port}/metrics").text
    found = [line for line in metrics.splitlines()
             if line.startswith("kfn_pivot_stale_serves_total")]  # fmt: skip
    return float(found[0].split()[-1]) if found else 0.0


def _answer_text(url: str) -> str:
    answer = httpx.get(url, timeout=5)
    assert answer.status_code == 200, answer.text
    return str(answer.json()["data"]["text"])


def _eventually(what: str, holds: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not holds():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


@pytest.fixture
def upstream(tmp_path: Path) -> Iterator[Upstream]:
    port = free_port(start=18600)
    server: subprocess.Popen[str]
    server, lines = start_serve(tmp_path / "upstream", port, "--quiet")
    created = next(line for line in lines if "created the local account" in line)
    api_key = created.rsplit(" ", 1)[-1].strip(" )\n")
    try:
        yield server, f"http://127.0.0.1:{port}", api_key
    finally:
        server.terminate()
        server.wait(10)


def test_two_instances_follow_an_edit_and_outlive_the_upstream(
    upstream: Upstream, tmp_path: Path
) -> None:
    server, url, api_key = upstream
    body = "return {module: 'tts', data: {text: 'v1 ' + call['Caller-ID-Name']}};"
    document, headers, voice_url = _published(url, api_key, "edge", body)
    path = voice_url.removeprefix(url)
    ports = [free_port(start=18620), free_port(start=18640)]
    instances = [_pivot_instance(url, api_key, port, tmp_path / str(port))[0] for port in ports]
    try:
        edges = [f"http://127.0.0.1:{port}{path}?Caller-ID-Name=Ann" for port in ports]
        assert [_answer_text(edge) for edge in edges] == ["v1 Ann", "v1 Ann"]
        # Both instances' calls reach the upstream's ring, which the app's Live tab reads.
        invocations = f"{document}/pivot/invocations"
        names = {f"{socket.gethostname()}:{port}" for port in ports}

        def upstream_has_both() -> bool:
            listed = httpx.get(invocations, headers=headers).json()["data"]
            return {call.get("instance") for call in listed} == names

        _eventually("both instances' calls upstream", upstream_has_both)
        edited = body.replace("v1", "v2")
        saved = httpx.patch(document, headers=headers,
                            json={"data": {"function_js": edited}})  # fmt: skip
        assert saved.status_code == 200
        for edge in edges:  # within the time to live, each instance reads the new revision
            _eventually("the edit", lambda edge=edge: _answer_text(edge) == "v2 Ann")
        server.terminate()
        server.wait(10)
        for port, edge in zip(ports, edges, strict=True):
            # Once past the time to live, a call asks the dead upstream: still answered, from
            # the last good copy, and counted.
            _eventually("a stale serve", lambda port=port, edge=edge: (
                _answer_text(edge) == "v2 Ann" and _stale_serves(port) >= 1
            ))  # fmt: skip
            wrong_url = f"http://127.0.0.1:{port}{wrong(path)}"
            assert httpx.get(wrong_url).status_code == 404  # the secret still guards it
    finally:
        for instance in instances:
            instance.terminate()
            instance.wait(10)


def test_an_instance_started_before_its_upstream_serves_once_it_is_up(tmp_path: Path) -> None:
    from backend.api.server import Backend

    data = tmp_path / "upstream"
    backend = Backend.open(data)  # the data dir made first, for its API key
    assert backend.created_local is not None
    api_key = backend.created_local.api_key
    backend.close()
    upstream_port, edge_port = free_port(start=18720), free_port(start=18740)
    url = f"http://127.0.0.1:{upstream_port}"
    process = None
    server = None
    try:
        process, said = _pivot_instance(url, api_key, edge_port, tmp_path / "edge")
        assert "starting anyway" in said, said
        server, _lines = start_serve(data, upstream_port, "--quiet")
        body = "return {module: 'tts', data: {text: 'up ' + call['Caller-ID-Name']}};"
        _document, _headers, voice_url = _published(url, api_key, "late", body)
        edge = voice_url.replace(url, f"http://127.0.0.1:{edge_port}")
        assert _answer_text(f"{edge}?Caller-ID-Name=Cy") == "up Cy"
    finally:
        if process is not None:
            process.terminate()
            process.wait(10)
        if server is not None:
            server.terminate()
            server.wait(10)
