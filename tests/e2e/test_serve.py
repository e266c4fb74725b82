"""`kfn serve` as a process: start, the seed's curl flow, port taken, data dir taken, SIGTERM."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import httpx

from tests.conftest import REPO, free_port, start_serve


def test_serve_end_to_end(tmp_path: Path) -> None:
    port = free_port(start=18100)
    server, lines = start_serve(tmp_path / "d", port)
    try:
        created = next(line for line in lines if "created the local account" in line)
        api_key = created.rsplit(" ", 1)[-1].strip(" )\n")
        account_id = created.split("account ")[1].split(" ")[0]
        base = f"http://127.0.0.1:{port}/v2"
        token = httpx.put(f"{base}/api_auth", json={"data": {"api_key": api_key}}).json()[
            "auth_token"
        ]
        h = {"X-Auth-Token": token}
        url = f"{base}/accounts/{account_id}/functions"
        made = httpx.put(
            url,
            headers=h,
            json={"data": {"name": "hi", "function_js": "return {module:'hangup',data:{}};"}},
        )
        assert made.status_code == 201
        fid = made.json()["data"]["id"]
        assert [f["id"] for f in httpx.get(url, headers=h).json()["data"]] == [fid]
        assert httpx.get(f"{url}/{fid}", headers=h).status_code == 200
        assert (
            httpx.post(
                f"{url}/{fid}", headers=h, json={"data": {"name": "x", "function_js": ""}}
            ).status_code
            == 200
        )
        assert (
            httpx.patch(f"{url}/{fid}", headers=h, json={"data": {"enabled": False}}).json()[
                "data"
            ]["enabled"]
            is False
        )
        assert httpx.delete(f"{url}/{fid}", headers=h).status_code == 200
        assert len(httpx.get(f"{base}/functions/samples").json()["data"]) >= 8

        # A second kfn on the same data dir names the owner and changes nothing.
        second = subprocess.run(
            [
                sys.executable,
                "-m",
                "tui.cli",
                "serve",
                "--data-dir",
                str(tmp_path / "d"),
                "--port",
                str(port + 1),
            ],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert second.returncode == 1 and f"pid {server.pid}" in second.stderr

        # The port is taken: a clear message.
        other, other_lines = start_serve(tmp_path / "e", port)
        assert other.wait(30) == 1 and any("already taken" in line for line in other_lines)
    finally:
        server.send_signal(signal.SIGTERM)
        assert server.wait(30) == 0
    log = server.stderr.read()
    assert '"PUT /v2/api_auth HTTP/1.1" 201' in "".join(lines) + log
