"""schemathesis against the live server, from the OpenAPI description the server itself serves.

Bounded (examples per operation, a fixed seed) so the suite stays fast; every check runs.
`DELETE /v2/token_auth` is left out: it revokes the very token the run authenticates with.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx

from tests.conftest import LiveServer

SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")


def _pin(document: dict, account_id: str, function_id: str) -> dict:
    """Path parameters pinned to the live account and one of its functions, so generated
    requests reach the handlers instead of stopping at 404 bad identifier."""

    def pinned(params: list[dict]) -> list[dict]:
        values = {"account_id": account_id, "function_id": function_id}
        return [
            {**p, "schema": {"type": "string", "enum": [values[p["name"]]]}}
            if p["name"] in values
            else p
            for p in params
        ]

    for item in document["paths"].values():
        if "parameters" in item:
            item["parameters"] = pinned(item["parameters"])
        for operation in item.values():
            if isinstance(operation, dict) and "parameters" in operation:
                operation["parameters"] = pinned(operation["parameters"])
    return document


def test_the_live_server_conforms_to_its_own_openapi_description(
    live_server: LiveServer, tmp_path: Path
) -> None:
    token = live_server.token()
    headers = {"X-Auth-Token": token}
    made = httpx.put(
        live_server.functions_url(),
        headers=headers,
        json={"data": {"name": "probe", "function_js": "return {module: 'hangup', data: {}};"}},
    )
    document = httpx.get(f"{live_server.url}/v2/openapi.json").json()
    spec = tmp_path / "openapi.json"
    spec.write_text(json.dumps(_pin(document, live_server.account_id, made.json()["data"]["id"])))
    result = subprocess.run(
        [
            str(SCHEMATHESIS),
            "run",
            str(spec),
            "--url",
            live_server.url,
            "--header",
            f"X-Auth-Token: {token}",
            "--checks",
            "all",
            "--exclude-operation-id",
            "delete_v2_token_auth",  # it would revoke the run's own token
            "--max-examples",
            "15",
            "--seed",
            "20261201",
            "--no-color",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
        env={**os.environ, "NO_COLOR": "1"},
    )
    (tmp_path / "schemathesis.log").write_text(result.stdout)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert "Tested:" in result.stdout
