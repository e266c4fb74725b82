"""KAZOO's account routes a client needs: a child account with PUT /v2/accounts/{PARENT} (as
cb_accounts:put/2 after kzd_accounts:validate/3), read back and listed among the children; and
the `kfn accounts` and `kfn run` commands reaching a running `kfn serve` that holds the data dir."""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from tests.conftest import LiveServer, free_port, kfn, start_serve


def test_a_child_account_is_made_named_uniquely_and_listed(live_server: LiveServer) -> None:
    headers = {"X-Auth-Token": live_server.token()}
    parent = f"{live_server.url}/v2/accounts/{live_server.account_id}"
    made = httpx.put(parent, headers=headers, json={"data": {"name": "Branch office"}})
    assert made.status_code == 201, made.text
    child = made.json()["data"]
    assert child["name"] == "Branch office" and len(child["id"]) == 32
    assert child["realm"].endswith(".sip.2600hz.com")  # kzd_accounts's random realm
    assert made.headers["Location"] == f"/v2/accounts/{child['id']}"
    got = httpx.get(f"{live_server.url}/v2/accounts/{child['id']}", headers=headers)
    assert got.json()["data"]["name"] == "Branch office"
    children = httpx.get(f"{parent}/children", headers=headers).json()["data"]
    assert child["id"] in [c["id"] for c in children]
    token = httpx.put(f"{live_server.url}/v2/api_auth",
                      json={"data": {"api_key": child["api_key"]}})  # fmt: skip
    assert token.status_code == 201 and token.json()["data"]["account_id"] == child["id"]
    again = httpx.put(parent, headers=headers, json={"data": {"name": "branch  OFFICE"}})
    assert again.status_code == 400
    assert again.json()["data"]["name"]["unique"]["message"] == "Account name already in use"
    nameless = httpx.put(parent, headers=headers, json={"data": {}})
    assert nameless.status_code == 400 and "required" in nameless.json()["data"]["name"]
    taken = httpx.put(parent, headers=headers,
                      json={"data": {"name": "Other", "realm": child["realm"]}})  # fmt: skip
    assert taken.json()["data"]["realm"]["unique"]["message"] == "Account realm already in use"
    assert httpx.put(parent, json={"data": {"name": "x"}}).status_code == 401


def test_accounts_and_run_reach_the_kfn_that_holds_the_data_dir(tmp_path: Path) -> None:
    data = tmp_path / "data"
    port = free_port(start=18700)
    server, _lines = start_serve(data, port, "--quiet")
    try:
        env_args = ["--data-dir", str(data)]
        made = kfn("accounts", "create", "Held branch", "--json", *env_args)
        assert made.returncode == 0, made.stderr
        created = json.loads(made.stdout)
        listed = kfn("accounts", "list", *env_args)
        assert listed.returncode == 0 and created["account_id"] in listed.stdout
        api = f"http://127.0.0.1:{port}"
        key = (data / "local-api-key").read_text().strip()
        token = httpx.put(f"{api}/v2/api_auth", json={"data": {"api_key": key}}).json()
        fn = httpx.put(f"{api}/v2/accounts/{token['data']['account_id']}/functions",
                       headers={"X-Auth-Token": token["auth_token"]},
                       json={"data": {"name": "held", "function_js":
                                      "return {module: 'hangup', data: {}};"}}).json()["data"]  # fmt: skip
        call = tmp_path / "call.json"
        call.write_text('{"Caller-ID-Number": "+1"}')
        ran = kfn("run", fn["id"], "--call", str(call), "--data-dir", str(data))
        assert ran.returncode == 0, ran.stdout + ran.stderr
        assert "hangup" in ran.stdout
    finally:
        server.terminate()
        server.wait(10)
    assert not (data / "server-url").exists()  # a stopped server says it no longer listens
    refused = kfn("accounts", "create", "x", "--username", "u", "--password", "p",
                  "--data-dir", str(data))  # fmt: skip
    assert refused.returncode == 0  # the data dir is free again: made directly


def test_a_held_data_dir_with_no_api_to_reach_says_so(tmp_path: Path) -> None:
    from backend.api.server import Backend

    data = tmp_path / "data"
    holder = Backend.open(data)  # holds the lock, serves nothing (like the app with --no-api)
    try:
        listed = kfn("accounts", "list", "--data-dir", str(data))
        assert listed.returncode == 1
        assert "in use by another kfn" in listed.stderr and "serves no API here" in listed.stderr
        pulled = kfn("pull", str(tmp_path / "fns"), "--data-dir", str(data))
        assert pulled.returncode == 1 and "--server URL --api-key KEY" in pulled.stderr
    finally:
        holder.close()
