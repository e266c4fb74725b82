"""Logins under attack and what the server writes down: hashing off the event loop, the
failed-login throttle, secrets kept out of the access log, token housekeeping, timeouts."""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from backend.accounts import TOKENS, AccountService, kazoo_credentials
from backend.api import routes
from backend.api.server import ApiServer, Backend
from backend.store import DocumentStore
from backend.throttle import Limit, LoginThrottle
from tests.conftest import LiveServer, in_loop_thread, kfn, wait_until


def _login(server: LiveServer, password: str, account: str = "acme") -> httpx.Response:
    return httpx.put(
        f"{server.url}/v2/user_auth",
        json={
            "data": {"credentials": kazoo_credentials("alice", password), "account_name": account}
        },
        timeout=30,
    )


def test_hashing_a_login_never_holds_up_other_requests(live_server: LiveServer) -> None:
    """A login is held inside its password hash until the test lets it go; a GET sent
    meanwhile must be answered. On the event loop the GET would wait for the hash."""
    accounts = live_server.backend.accounts
    inside, release = threading.Event(), threading.Event()
    real = accounts.authenticate_user

    def held(*args):
        inside.set()
        assert release.wait(30)
        return real(*args)

    accounts.authenticate_user = held  # type: ignore[method-assign]
    token = live_server.token()
    with ThreadPoolExecutor(1) as pool:
        login = pool.submit(_login, live_server, "wrong")
        assert inside.wait(30)
        reply = httpx.get(live_server.functions_url(), headers={"X-Auth-Token": token}, timeout=5)
        assert reply.status_code == 200
        assert not login.done()  # the login is still hashing
        release.set()
        assert login.result().status_code == 401


def test_failed_logins_are_throttled_per_account_name(live_server: LiveServer) -> None:
    limit = routes.LOGIN_LIMITS["account"].failures
    for _ in range(limit):
        assert _login(live_server, "wrong").status_code == 401
    refused = _login(live_server, "s3cret")  # even the right password waits now
    assert refused.status_code == 429
    body = refused.json()
    assert body["error"] == "429" and body["message"] == "too_many_requests"
    assert "retry in" in body["data"]["message"]
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    # Another account name is not affected (the address is still under its own limit).
    live_server.backend.accounts.create_account("Other", username="alice", password="pw2")
    other = httpx.put(
        f"{live_server.url}/v2/user_auth",
        json={"data": {"credentials": kazoo_credentials("alice", "pw2"), "account_name": "other"}},
    )
    assert other.status_code == 201


def test_the_throttle_counts_per_address_and_lifts_when_the_window_passes(
    tmp_path: Path,
) -> None:
    now = [1000.0]
    throttle = LoginThrottle(
        {"account": Limit(100, 60.0), "address": Limit(3, 60.0)}, clock=lambda: now[0]
    )
    backend = Backend.open(tmp_path / "data")
    backend.accounts.create_account("Acme", username="alice", password="s3cret")
    server = ApiServer(backend, "127.0.0.1", 0, access_log=False, throttle=throttle)
    try:
        with in_loop_thread(server.start, server.stop):
            live = LiveServer(server.url, "", "", backend)
            for name in ("a1", "a2", "a3"):  # three names, one address
                assert _login(live, "wrong", name).status_code == 401
            refused = _login(live, "s3cret")
            assert refused.status_code == 429 and refused.headers["Retry-After"] == "60"
            now[0] += 30
            assert _login(live, "s3cret").headers["Retry-After"] == "30"
            now[0] += 30  # the window has passed
            assert _login(live, "s3cret").status_code == 201
    finally:
        backend.close()


def test_secrets_never_reach_the_access_log(tmp_path: Path, caplog) -> None:
    backend = Backend.open(tmp_path / "data")
    made = backend.accounts.create_account("Acme", username="alice", password="s3cret")
    server = ApiServer(backend, "127.0.0.1", 0, access_log=True)
    caplog.set_level(logging.INFO, logger="kfn.access")
    with in_loop_thread(server.start, server.stop):
        token = httpx.put(
            f"{server.url}/v2/api_auth", json={"data": {"api_key": made.api_key}}
        ).json()["auth_token"]
        functions = f"{server.url}/v2/accounts/{made.account_id}/functions"
        assert httpx.get(functions, params={"auth_token": token}).status_code == 200
        assert httpx.get(functions, params={"Auth-Token": token, "x": "1"}).status_code == 401
        assert httpx.get(functions, headers={"X-Auth-Token": token}).status_code == 200
        assert httpx.get(functions, headers={"Authorization": f"Bearer {token}"}).status_code == 200
        credentials = kazoo_credentials("alice", "s3cret")
        httpx.put(
            f"{server.url}/v2/user_auth",
            params={"credentials": credentials},
            json={"data": {"credentials": credentials, "account_name": "acme"}},
        )
        # The access line is written after the answer goes out.
        wait_until(
            lambda: len([r for r in caplog.records if r.name == "kfn.access"]) == 6,
            what="six access-log lines",
        )
    backend.close()
    lines = [r.getMessage() for r in caplog.records if r.name == "kfn.access"]
    assert len(lines) == 6, lines
    text = "\n".join(lines)
    for secret in (token, made.api_key, credentials, "s3cret"):
        assert secret not in text
    assert text.count("REDACTED") == 3 and "x=1" in text


def test_expired_token_records_are_purged(tmp_path: Path) -> None:
    now = [1000.0]
    with DocumentStore(tmp_path, fsync=False) as store:
        accounts = AccountService(store, token_ttl=100, clock=lambda: now[0])
        account = accounts.create_account("Acme")
        for _ in range(5):
            accounts.issue_token(account.account_id, None, "cb_api_auth")
        assert store.count(TOKENS) == 5
        now[0] += 50
        live, _ = accounts.issue_token(account.account_id, None, "cb_api_auth")
        assert store.count(TOKENS) == 6  # nothing expired yet
        now[0] += 70  # the first five are past their hour; the purge is due again
        accounts.issue_token(account.account_id, None, "cb_api_auth")
        assert store.count(TOKENS) == 2
        assert accounts.session_for_token(live).account_id == account.account_id


def test_a_client_that_never_finishes_its_headers_is_cut_off(tmp_path: Path) -> None:
    backend = Backend.open(tmp_path / "data")
    server = ApiServer(backend, "127.0.0.1", 0, access_log=False, header_timeout=0.3)
    try:
        with in_loop_thread(server.start, server.stop):
            with socket.create_connection(("127.0.0.1", server.port), timeout=20) as sock:
                sock.sendall(b"GET /v2/functions/samples HTTP/1.1\r\nHost: x\r\n")
                assert sock.recv(100) == b""  # closed by the server, well before 20 s
            with socket.create_connection(("127.0.0.1", server.port), timeout=20) as silent:
                assert silent.recv(100) == b""
    finally:
        backend.close()


@pytest.fixture
def taken_port() -> Iterator[int]:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        yield holder.getsockname()[1]


def test_serve_on_a_taken_port_leaves_the_data_dir_alone(
    kfn_env, tmp_path: Path, taken_port: int
) -> None:
    data = tmp_path / "never-made"
    result = kfn("serve", "--data-dir", str(data), "--port", str(taken_port), env=kfn_env)
    assert result.returncode == 1 and "already taken" in result.stderr
    assert not data.exists()
    assert "created the local account" not in result.stderr
