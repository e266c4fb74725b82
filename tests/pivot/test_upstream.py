"""`kfn pivot`'s cache of another kfn's functions: revalidated with If-None-Match (a 304 reads
no body), the secret read again every time (rotating it leaves the function's revision)."""

from __future__ import annotations

from backend.client import ApiKeyCredentials, KazooClient
from backend.pivot.upstream import UpstreamSource
from tests.conftest import LiveServer


async def test_revalidation_reads_only_what_changed(live_server: LiveServer) -> None:
    client = KazooClient(live_server.url, ApiKeyCredentials(live_server.api_key), timeout=5)
    try:
        account = await client.account_id()
        made = await client.create_function(
            account, {"name": "cached", "function_js": "return {module: 'hangup'};"}
        )
        first_url = (await client.pivot_description(account, made.id))["voice_url"]
        source = UpstreamSource(client, ttl=0)  # every call revalidates
        first = await source.find(account, made.id)
        assert first is not None and first.secrets == (first_url.rsplit("/", 1)[1],)
        again = await source.find(account, made.id)
        assert source.revalidated == 1 and again == first  # a 304: the same function
        rotated = (await client.rotate_pivot(account, made.id))["voice_url"].rsplit("/", 1)[1]
        after_rotation = await source.find(account, made.id)
        assert after_rotation is not None and after_rotation.secrets == (rotated,)
        assert source.revalidated == 2  # the function itself had not changed
        saved = await client.save_function(
            account, made.id, {**made.data, "function_js": "// v2"}, made.revision
        )
        edited = await source.find(account, made.id)
        assert edited is not None and edited.body == "// v2" and edited.revision == saved.revision
        assert source.revalidated == 2  # a 200 this time
        await client.delete_function(account, made.id)
        assert await source.find(account, made.id) is None  # deleted upstream: stops at once
    finally:
        await client.aclose()
