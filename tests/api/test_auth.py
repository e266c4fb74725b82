"""Auth: api_auth, user_auth, token sources, expiry, revocation and account isolation."""

from __future__ import annotations

import time

import httpx

from backend.accounts import kazoo_credentials
from tests.conftest import LiveServer


def test_api_auth_shapes(live_server: LiveServer) -> None:
    reply = httpx.put(
        f"{live_server.url}/v2/api_auth", json={"data": {"api_key": live_server.api_key}}
    )
    assert reply.status_code == 201
    body = reply.json()
    assert body["data"]["account_id"] == live_server.account_id and "owner_id" not in body["data"]
    assert body["data"]["account_name"] == "Acme" and body["auth_token"]
    unknown = httpx.put(f"{live_server.url}/v2/api_auth", json={"data": {"api_key": "0" * 64}})
    assert unknown.status_code == 404 and unknown.json()["data"] == ["0" * 64]
    assert unknown.json()["message"] == "bad identifier"
    short = httpx.put(f"{live_server.url}/v2/api_auth", json={"data": {"api_key": "abc"}})
    assert short.status_code == 400 and "minLength" in short.json()["data"]["api_key"]
    extra = httpx.put(
        f"{live_server.url}/v2/api_auth", json={"data": {"api_key": live_server.api_key, "x": 1}}
    )
    assert extra.status_code == 400


def test_user_auth_with_md5_and_sha_credentials(live_server: LiveServer) -> None:
    url = f"{live_server.url}/v2/user_auth"
    ok = httpx.put(
        url,
        json={
            "data": {"credentials": kazoo_credentials("Alice", "s3cret"), "account_name": "ACME"}
        },
    )
    assert ok.status_code == 201
    assert (
        ok.json()["data"]["account_id"] == live_server.account_id and ok.json()["data"]["owner_id"]
    )
    sha = httpx.put(
        url,
        json={
            "data": {
                "credentials": kazoo_credentials("alice", "s3cret", "sha"),
                "method": "sha",
                "account_name": "acme",
            }
        },
    )
    assert sha.status_code == 201
    bad = httpx.put(
        url,
        json={"data": {"credentials": kazoo_credentials("alice", "wrong"), "account_name": "acme"}},
    )
    assert bad.status_code == 401
    assert (
        bad.json()["data"] == {"message": "invalid credentials"}
        and bad.json()["message"] == "invalid_credentials"
    )
    wrong_method = httpx.put(
        url, json={"data": {"credentials": "x", "method": "rot13", "account_name": "acme"}}
    )
    assert wrong_method.status_code == 400 and "enum" in wrong_method.json()["data"]["method"]


def test_secrets_are_stored_hashed(live_server: LiveServer) -> None:
    raw = (live_server.backend.store.data_dir / "kfn.journal").read_bytes()
    raw += (
        live_server.backend.store.storage.snapshot_path.read_bytes()
        if live_server.backend.store.storage.snapshot_path.exists()
        else b""
    )
    assert live_server.api_key.encode() not in raw
    assert b"s3cret" not in raw and kazoo_credentials("alice", "s3cret").encode() not in raw


def test_token_sources(live_server: LiveServer) -> None:
    token = live_server.token()
    url = live_server.functions_url()
    assert httpx.get(url).status_code == 401
    assert httpx.get(url, headers={"X-Auth-Token": token}).status_code == 200
    assert httpx.get(url, headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert httpx.get(url, params={"auth_token": token}).status_code == 200


def test_revoked_token_is_401_everywhere(live_server: LiveServer) -> None:
    token = live_server.token()
    headers = {"X-Auth-Token": token}
    assert (
        httpx.get(f"{live_server.url}/v2/token_auth", headers=headers).json()["data"]["account_id"]
        == live_server.account_id
    )
    revoke = httpx.delete(f"{live_server.url}/v2/token_auth", headers=headers)
    assert revoke.status_code == 200 and "data" not in revoke.json()
    after = httpx.get(live_server.functions_url(), headers=headers)
    assert (
        after.status_code == 401
        and after.json()["message"] == "invalid credentials"
        and after.json()["data"] == {}
    )
    # An expired or unknown token is refused even on a public route, as in KAZOO.
    assert httpx.get(f"{live_server.url}/v2/functions/samples", headers=headers).status_code == 401


def test_tokens_expire(live_server: LiveServer) -> None:
    accounts = live_server.backend.accounts
    now = [time.time()]
    accounts.clock = lambda: now[0]
    token = live_server.token()
    assert (
        httpx.get(live_server.functions_url(), headers={"X-Auth-Token": token}).status_code == 200
    )
    now[0] += accounts.token_ttl - 1
    assert (
        httpx.get(live_server.functions_url(), headers={"X-Auth-Token": token}).status_code == 200
    )
    now[0] += 1
    expired = httpx.get(live_server.functions_url(), headers={"X-Auth-Token": token})
    assert expired.status_code == 401 and expired.json()["message"] == "invalid credentials"


def test_a_token_reaches_its_own_account_only(live_server: LiveServer) -> None:
    other = live_server.backend.accounts.create_account("Other Co")
    mine = {"X-Auth-Token": live_server.token()}
    theirs = {"X-Auth-Token": live_server.token(other.api_key)}
    created = httpx.put(
        live_server.functions_url(other.account_id),
        headers=theirs,
        json={"data": {"name": "secret", "function_js": "return {};"}},
    ).json()["data"]
    forbidden = httpx.get(live_server.functions_url(other.account_id), headers=mine)
    assert forbidden.status_code == 403 and forbidden.json()["message"] == "forbidden"
    # Their document through my own account path: 404, never their data (docs/kazoo-compatibility.md §8.2).
    for method in ("GET", "PATCH", "DELETE"):
        reply = httpx.request(
            method,
            f"{live_server.functions_url()}/{created['id']}",
            headers=mine,
            json={"data": {"name": "hijack"}} if method == "PATCH" else None,
        )
        assert reply.status_code == 404, method
        assert reply.json()["message"] == "bad_identifier"
    still = httpx.get(
        f"{live_server.functions_url(other.account_id)}/{created['id']}", headers=theirs
    )
    assert still.json()["data"]["name"] == "secret"


def test_a_parent_account_reaches_its_children(live_server: LiveServer) -> None:
    child = live_server.backend.accounts.create_account("Child", parent_id=live_server.account_id)
    parent_token = {"X-Auth-Token": live_server.token()}
    assert (
        httpx.get(live_server.functions_url(child.account_id), headers=parent_token).status_code
        == 200
    )
    child_token = {"X-Auth-Token": live_server.token(child.api_key)}
    assert httpx.get(live_server.functions_url(), headers=child_token).status_code == 403
    listed = httpx.get(
        f"{live_server.url}/v2/accounts/{live_server.account_id}/descendants", headers=parent_token
    )
    assert [a["id"] for a in listed.json()["data"]] == [child.account_id]
