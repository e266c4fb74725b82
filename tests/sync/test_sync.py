"""pull / push / diff through the real client: against kfn's real server, and against the fake
KAZOO with its quirks. A round trip; a re-pull that changes nothing; a push refused after a
concurrent change; a partly failing push whose manifest tells exactly what was pushed."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from backend.client import ApiKeyCredentials, KazooClient
from backend.sync import MANIFEST, Manifest, changes, pull, push
from tests.conftest import FakeServer, LiveServer

ONE = "return {module: 'tts', data: {text: 'one'}};\n"
TWO = "return {module: 'hangup', data: {}};"  # no final newline: kept as it is


@pytest.fixture(params=["kfn", "fake KAZOO"])
async def server(
    request: pytest.FixtureRequest, live_server: LiveServer, fake_kazoo: FakeServer
) -> AsyncIterator[tuple[KazooClient, str]]:
    if request.param == "kfn":
        client = KazooClient(live_server.url, ApiKeyCredentials(live_server.api_key), timeout=5)
    else:
        client = KazooClient(fake_kazoo.url, ApiKeyCredentials(fake_kazoo.fake.api_key), timeout=5)
    account = await client.account_id()
    yield client, account
    await client.aclose()


async def _seed(client: KazooClient, account: str) -> tuple[str, str]:
    one = await client.create_function(account, {"name": "Route by caller", "function_js": ONE})
    two = await client.create_function(
        account, {"name": "Ünïcode / weird: name", "function_js": TWO, "enabled": False}
    )
    return one.id, two.id


async def test_pull_edit_push_round_trip(server: tuple[KazooClient, str], tmp_path: Path) -> None:
    client, account = server
    one, two = await _seed(client, account)
    folder = tmp_path / "fns"
    report = await pull(client, account, folder)
    manifest = Manifest.read(folder)
    files = {fid: e.file for fid, e in manifest.entries.items()}
    assert files[one] == "route_by_caller.js" and files[two] == "unicode_weird_name.js"
    assert (folder / files[two]).read_text() == TWO  # the body unchanged, byte for byte
    assert manifest.entries[two].fields["enabled"] is False
    assert set(report.written) == {*files.values(), MANIFEST}
    before = {p.name: p.stat().st_mtime_ns for p in folder.iterdir()}
    again = await pull(client, account, folder)
    assert (
        again.written == [] and {p.name: p.stat().st_mtime_ns for p in folder.iterdir()} == before
    )
    (folder / files[one]).write_text(ONE.replace("one", "uno"))
    (folder / "brand_new.js").write_text("return {module: 'tts', data: {text: 'new'}};")
    _m, found = await changes(client, folder)
    assert {(c.file, c.state) for c in found if c.state != "same"} == {
        ("route_by_caller.js", "local"),
        ("brand_new.js", "new"),
    }
    pushed = await push(client, folder)
    assert sorted(pushed.pushed) == ["brand_new.js", "route_by_caller.js"] and not pushed.failed
    assert (await client.get_function(account, one)).data["function_js"] == ONE.replace(
        "one", "uno"
    )
    _m, found = await changes(client, folder)
    assert all(c.state == "same" for c in found)  # the manifest has the new revisions
    assert "brand_new.js" in {e.file for e in Manifest.read(folder).entries.values()}


async def test_a_push_over_a_concurrent_change_is_refused_until_forced(
    server: tuple[KazooClient, str], tmp_path: Path
) -> None:
    client, account = server
    one, _two = await _seed(client, account)
    folder = tmp_path / "fns"
    await pull(client, account, folder)
    entry = Manifest.read(folder).entries[one]
    theirs = await client.get_function(account, one)
    await client.save_function(account, one, {**theirs.data, "function_js": "// theirs"},
                               theirs.revision)  # fmt: skip
    (folder / entry.file).write_text("// mine")
    report = await push(client, folder)
    assert [c.file for c in report.refused] == [entry.file] and report.pushed == []
    assert "-// theirs" in report.refused[0].diff() and "+// mine" in report.refused[0].diff()
    assert (await client.get_function(account, one)).data["function_js"] == "// theirs"
    assert Manifest.read(folder).entries[one].revision == entry.revision  # nothing pushed
    kept = await pull(client, account, folder)  # a pull keeps the edit it would overwrite
    assert kept.kept == [entry.file] and (folder / entry.file).read_text() == "// mine"
    forced = await push(client, folder, force=True)
    assert forced.pushed == [entry.file]
    assert (await client.get_function(account, one)).data["function_js"] == "// mine"


async def test_a_partly_failing_push_says_what_was_pushed_and_the_manifest_agrees(
    live_server: LiveServer, tmp_path: Path
) -> None:
    client = KazooClient(live_server.url, ApiKeyCredentials(live_server.api_key), timeout=5)
    try:
        account = await client.account_id()
        one, two = await _seed(client, account)
        folder = tmp_path / "fns"
        await pull(client, account, folder)
        manifest = Manifest.read(folder)
        (folder / manifest.entries[one].file).write_text("// edited one")
        (folder / manifest.entries[two].file).write_text("// edited two")
        raw = json.loads((folder / MANIFEST).read_text())
        raw["functions"][two]["fields"]["enabled"] = "not a boolean"  # the server refuses it
        (folder / MANIFEST).write_text(json.dumps(raw))
        report = await push(client, folder)
        assert report.pushed == [manifest.entries[one].file]
        assert [name for name, _why in report.failed] == [manifest.entries[two].file]
        assert "enabled" in report.failed[0][1]
        after = Manifest.read(folder)
        assert after.entries[one].revision != manifest.entries[one].revision  # pushed
        assert after.entries[two].revision == manifest.entries[two].revision  # not pushed
        assert (await client.get_function(account, two)).data["function_js"] == TWO
    finally:
        await client.aclose()


async def test_deletions_only_with_prune(server: tuple[KazooClient, str], tmp_path: Path) -> None:
    client, account = server
    one, _two = await _seed(client, account)
    folder = tmp_path / "fns"
    await pull(client, account, folder)
    (folder / Manifest.read(folder).entries[one].file).unlink()
    assert (await push(client, folder, dry_run=True)).skipped == ["route_by_caller.js"]
    assert (await push(client, folder)).skipped == ["route_by_caller.js"]
    assert (await client.get_function(account, one)).id == one  # still there
    assert (await push(client, folder, prune=True)).pushed == ["route_by_caller.js"]
    assert one not in Manifest.read(folder).entries


async def test_pull_refuses_a_broken_manifest_and_another_accounts_directory(
    live_server: LiveServer, tmp_path: Path
) -> None:
    from backend.sync import SyncError

    client = KazooClient(live_server.url, ApiKeyCredentials(live_server.api_key), timeout=5)
    try:
        account = await client.account_id()
        await _seed(client, account)
        folder = tmp_path / "fns"
        await pull(client, account, folder)
        (folder / "route_by_caller.js").write_text("// edited here")
        (folder / MANIFEST).write_text("{broken")
        with pytest.raises(SyncError, match="not a kfn manifest"):
            await pull(client, account, folder)
        assert (folder / "route_by_caller.js").read_text() == "// edited here"  # kept
        await pull(client, account, folder, force=True)
        assert (folder / "route_by_caller.js").read_text() == ONE
        other = json.loads((folder / MANIFEST).read_text())
        other["account_id"] = "f" * 32
        (folder / MANIFEST).write_text(json.dumps(other))
        with pytest.raises(SyncError, match="pull into another directory"):
            await pull(client, account, folder)
    finally:
        await client.aclose()
