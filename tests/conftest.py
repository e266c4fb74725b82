"""Shared fixtures: a real backend in a temp dir, and the real API server on a free loopback port."""

from __future__ import annotations

import asyncio
import os
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from aiohttp import web

from backend.api.server import ApiServer, Backend
from tests.fakes.kazoo_quirks import FakeKazoo

REPO = Path(__file__).resolve().parent.parent


def kazoo_schemas_dir() -> Path | None:
    """KAZOO's own callflow schema files, for the tests that compare kfn with them: the folder
    named by $KFN_KAZOO_SCHEMAS (CI sets it), else None and those tests are skipped. A path
    that is given but holds no schemas is an error, never a skip."""
    given = os.environ.get("KFN_KAZOO_SCHEMAS")
    if not given:
        return None
    folder = Path(given).expanduser().resolve()
    if not any(folder.glob("callflows.*.json")):
        raise pytest.UsageError(f"KFN_KAZOO_SCHEMAS={given}: no callflows.*.json files there")
    return folder


needs_kazoo_schemas = pytest.mark.skipif(
    kazoo_schemas_dir() is None,
    reason="compares with KAZOO's schema files: set KFN_KAZOO_SCHEMAS to their folder "
    "(e.g. KFN_KAZOO_SCHEMAS=../shared/kazoo/schemas make test) to run it",
)


def free_port(start: int) -> int:
    """A free loopback port from `start`, in a range of this xdist worker's own: probing for
    a free port and binding it later (in a `kfn serve` child) is a race between workers that
    probe the same range."""
    from backend.api.server import free_port as first_free

    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw")
    return first_free(start=start + 5000 * (int(worker) if worker.isdigit() else 0))


def wrong(secret_or_url: str) -> str:
    """The same with its last character changed (to one it surely is not): a wrong secret."""
    return secret_or_url[:-1] + ("y" if secret_or_url[-1] != "y" else "z")


def wait_until(condition: Callable[[], object], timeout: float = 10, what: str = "") -> None:
    """Poll `condition` until it holds (a thread or process is getting there); fail after
    `timeout` seconds, naming what did not happen."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what or condition}"
        time.sleep(0.005)


@dataclass
class ServerAccess:
    """A v2 API reached over HTTP with an account's API key: kfn in a thread, or `kfn serve`."""

    url: str
    account_id: str
    api_key: str

    def token(self, api_key: str | None = None) -> str:
        reply = httpx.put(
            f"{self.url}/v2/api_auth", json={"data": {"api_key": api_key or self.api_key}}
        )
        assert reply.status_code == 201, reply.text
        return reply.json()["auth_token"]

    def functions_url(self, account_id: str | None = None) -> str:
        return f"{self.url}/v2/accounts/{account_id or self.account_id}/functions"


@dataclass
class LiveServer(ServerAccess):
    backend: Backend


@contextmanager
def in_loop_thread(
    start: Callable[[], Awaitable[None]], stop: Callable[[], Awaitable[None]]
) -> Iterator[None]:
    """Run `start()` in a new event loop on a thread, keep the loop serving, `stop()` at exit."""
    loop = asyncio.new_event_loop()
    started = threading.Event()

    def run() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(start())
        started.set()
        loop.run_forever()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    assert started.wait(10), "the server did not start"
    try:
        yield
    finally:
        asyncio.run_coroutine_threadsafe(stop(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[LiveServer]:
    """The real aiohttp server over a real store, on a free port; an ordinary account to use."""
    backend = Backend.open(tmp_path / "data")
    account = backend.accounts.create_account("Acme", username="alice", password="s3cret")
    server = ApiServer(backend, "127.0.0.1", 0, access_log=False)
    try:
        with in_loop_thread(server.start, server.stop):
            yield LiveServer(server.url, account.account_id, account.api_key, backend)
    finally:
        backend.close()


@pytest.fixture
def kfn_env(tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["KFN_DATA_DIR"] = str(tmp_path / "kfn-data")
    env["PYTHONUNBUFFERED"] = "1"
    return env


def kfn(
    *args: str, env: dict[str, str] | None = None, timeout: float = 60, input: str = ""
) -> subprocess.CompletedProcess:
    """Run the real `kfn` command line (standard input: `input`, never a terminal)."""
    return subprocess.run(
        [sys.executable, "-m", "tui.cli", *args],
        input=input,
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
        cwd=REPO,
    )


def start_serve(data_dir: Path, port: int, *extra: str) -> tuple[subprocess.Popen, list[str]]:
    """Start `kfn serve` as a process; return it with its stderr lines up to "serving" (or failure)."""
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tui.cli",
            "serve",
            "--data-dir",
            str(data_dir),
            "--port",
            str(port),
            *extra,
        ],
        cwd=REPO,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: list[str] = []
    assert process.stderr is not None
    for line in process.stderr:
        lines.append(line)
        if "serving" in line or "already taken" in line or "in use" in line:
            break
    return process, lines


def start_pivot(data_dir: Path, *args: str) -> tuple[subprocess.Popen[str], str]:
    """A `kfn pivot` process with `args`, its data dir `data_dir` (where an instance in front of
    a KAZOO keeps its calls by default: never the user's), once it serves; with what it said
    until then."""
    process = subprocess.Popen(
        [sys.executable, "-m", "tui.cli", "pivot", *args], cwd=REPO, stderr=subprocess.PIPE,
        text=True, env={**os.environ, "KFN_DATA_DIR": str(data_dir)},
    )  # fmt: skip
    assert process.stderr is not None
    said = ""
    for line in process.stderr:
        said += line
        if "serving Pivot" in line:
            return process, said
    raise AssertionError(f"kfn pivot did not start (exit {process.wait(5)}): {said}")


@dataclass
class FakeServer:
    fake: FakeKazoo
    url: str


@contextmanager
def serve_fake(fake: FakeKazoo, ssl_context: ssl.SSLContext | None = None) -> Iterator[FakeServer]:
    """Serve the KAZOO stand-in on a free loopback port in a thread (over TLS if given a context)."""
    runner = web.AppRunner(fake.app(), access_log=None)
    port: list[int] = []

    async def start() -> None:
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=ssl_context)
        await site.start()
        port.append(site._server.sockets[0].getsockname()[1])  # type: ignore[union-attr]

    with in_loop_thread(start, runner.cleanup):
        scheme = "https" if ssl_context else "http"
        yield FakeServer(fake, f"{scheme}://127.0.0.1:{port[0]}")


@pytest.fixture
def fake_kazoo() -> Iterator[FakeServer]:
    """The KAZOO stand-in of tests/fakes/kazoo_quirks.py."""
    with serve_fake(FakeKazoo()) as served:
        yield served
