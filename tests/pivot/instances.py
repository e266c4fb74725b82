"""Real `kfn pivot --signing-key` instances, in the test's event loop, in front of the KAZOO
stand-in: for the instance's own tests and the app's Live tab on a KAZOO."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx

from backend.api.pivot_http import PivotServer
from backend.api.server import listen
from backend.client import ApiKeyCredentials, KazooClient
from backend.pivot.instance_api import InstanceApi
from backend.pivot.invocations import InvocationLog
from backend.pivot.service import PivotService
from backend.pivot.signing import SigningKeyFile
from backend.pivot.upstream import UpstreamSource
from tests.conftest import FakeServer
from tests.fakes.kazoo_quirks import FakeKazoo

KEY = "k" * 43
BODY = "return {module: 'tts', data: {text: 'hi ' + call['Caller-ID-Name']}};"
FUNCTION = "f" * 32
PUBLIC = "https://pivot.example.net"


def with_function(fake: FakeKazoo, function_id: str = FUNCTION) -> None:
    fake.functions[function_id] = {"name": "hello", "function_js": BODY, "enabled": True,
                                   "_rev": "1-" + "0" * 32}  # fmt: skip


def key_file(folder: Path) -> Path:
    path = folder / "pivot.key"
    if not path.exists():
        path.write_text(f"{KEY}\n")
        path.chmod(0o600)
    return path


def reader_token(fake_kazoo: FakeServer) -> str:
    """A token the KAZOO issued to someone other than the instance (the app)."""
    logged_in = httpx.put(
        f"{fake_kazoo.url}/v2/api_auth", json={"data": {"api_key": fake_kazoo.fake.api_key}}
    )
    return str(logged_in.json()["auth_token"])


@dataclass
class Instance:
    url: str
    api: InstanceApi
    keys: SigningKeyFile

    def voice_path(self, account_id: str, function_id: str = FUNCTION) -> str:
        secret = self.keys.current().secret(account_id, function_id)
        return f"/pivot/{account_id}/{function_id}/{secret}"


@contextlib.asynccontextmanager
async def running_instance(
    fake_kazoo: FakeServer, folder: Path, public_url: str = PUBLIC
) -> AsyncIterator[Instance]:
    """An instance with the key file in `folder` (made if missing), its calls in memory."""
    client = KazooClient(fake_kazoo.url, ApiKeyCredentials(fake_kazoo.fake.api_key), timeout=5)
    keys = SigningKeyFile(key_file(folder))
    source = UpstreamSource(client, ttl=0, signing=keys)
    invocations = InvocationLog(None)
    api = InstanceApi(client, source, invocations, public_url, grant_ttl=0)
    service = PivotService(source, invocations)
    server = PivotServer(service, listen("127.0.0.1", 0), access_log=False, instance=api)
    await server.start()
    try:
        yield Instance(server.url, api, keys)
    finally:
        await server.stop()
        await client.aclose()
