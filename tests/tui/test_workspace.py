"""The headless workspace against the real server and client, no Pilot: every save ends in
saved, conflict, gone or a failure a person can act on; field changes survive another edit;
a draft that cannot be written says why."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from backend.client import ApiError, ApiKeyCredentials, KazooClient, NotFoundError
from tests.conftest import LiveServer, free_port
from tui.local_state import LocalState
from tui.workspace import Conflict, Gone, Saved, SaveFailed, Workspace

BODY = "return {module: 'hangup', data: {}};"


@pytest.fixture
async def workspace(live_server: LiveServer, tmp_path: Path) -> AsyncIterator[Workspace]:
    client = KazooClient(live_server.url, ApiKeyCredentials(live_server.api_key), timeout=5)
    made = Workspace(client, LocalState(tmp_path / "state", "test"))
    made.account_id = await client.account_id()
    yield made
    await client.aclose()


async def test_a_save_is_saved_then_a_stale_one_is_a_conflict_with_theirs(
    workspace: Workspace,
) -> None:
    created = await workspace.client.create_function(
        workspace.account_id, {"name": "f", "function_js": BODY}
    )
    first = await workspace.save(
        created.id, {**created.data, "function_js": "// 1"}, created.revision
    )
    assert isinstance(first, Saved) and first.doc.data["function_js"] == "// 1"
    stale = await workspace.save(
        created.id, {**created.data, "function_js": "// 2"}, created.revision
    )
    assert isinstance(stale, Conflict)
    assert (
        stale.theirs.revision == first.doc.revision and stale.theirs.data["function_js"] == "// 1"
    )


async def test_a_deleted_function_is_gone(workspace: Workspace) -> None:
    created = await workspace.client.create_function(
        workspace.account_id, {"name": "f", "function_js": BODY}
    )
    await workspace.client.delete_function(workspace.account_id, created.id)
    assert isinstance(await workspace.save(created.id, created.data, created.revision), Gone)
    assert isinstance(await workspace.save(created.id, created.data, None), Gone)


async def test_a_dead_server_is_a_failure_that_says_so(tmp_path: Path) -> None:
    client = KazooClient(f"http://127.0.0.1:{free_port(start=18700)}", ApiKeyCredentials("k" * 32))
    dead = Workspace(client, LocalState(tmp_path, "test"))
    dead.account_id = "a" * 32
    try:
        outcome = await dead.save("f" * 32, {"name": "f", "function_js": BODY}, "1-x")
    finally:
        await client.aclose()
    assert isinstance(outcome, SaveFailed) and "connection refused" in outcome.message


async def test_a_rename_lands_on_the_servers_version_unless_it_renamed_too(
    workspace: Workspace,
) -> None:
    created = await workspace.client.create_function(
        workspace.account_id, {"name": "before", "function_js": BODY}
    )
    # Someone else edits the body: the rename is made on their version, their body kept.
    other = await workspace.save(created.id, {**created.data, "function_js": "// theirs"},
                                 created.revision)  # fmt: skip
    assert isinstance(other, Saved)
    renamed = await workspace.update_fields(created, {"name": "after"})
    assert isinstance(renamed, Saved)
    assert renamed.doc.data["name"] == "after" and renamed.doc.data["function_js"] == "// theirs"
    # Someone else renames it: that is a conflict, and nothing is changed.
    theirs = await workspace.save(created.id, {**renamed.doc.data, "name": "their name"},
                                  renamed.doc.revision)  # fmt: skip
    assert isinstance(theirs, Saved)
    clash = await workspace.update_fields(renamed.doc, {"name": "mine"})
    assert isinstance(clash, Conflict) and clash.theirs.data["name"] == "their name"
    stored = await workspace.client.get_function(workspace.account_id, created.id)
    assert stored.data["name"] == "their name"


async def test_a_draft_that_cannot_be_written_says_why(tmp_path: Path) -> None:
    blocked = tmp_path / "a file"
    blocked.write_text("not a directory")
    local = LocalState(blocked / "state", "test")  # every write fails: its parent is a file
    client = KazooClient("http://127.0.0.1:9", ApiKeyCredentials("k" * 32))
    try:
        problem = await Workspace(client, local).keep_draft("f", "text", "", None)
    finally:
        await client.aclose()
    assert problem is not None and "could not be kept on disk" in problem
    assert "still in the editor" in problem
    assert local.draft("f") is None  # not taken for kept: the same draft is tried again
    with pytest.raises(OSError):
        local.keep_draft("f", "text", "", None)
    good = Workspace(client, LocalState(tmp_path / "ok", "test"))
    assert await good.keep_draft("f", "text", "", "1-a") is None
    assert good.local.draft("f") == {"text": "text", "saved_text": "", "revision": "1-a"}


async def test_a_walk_runs_the_open_function_as_the_editor_has_it(workspace: Workspace) -> None:
    account = workspace.account_id
    open_one = await workspace.client.create_function(
        account, {"name": "open", "function_js": BODY}
    )
    other = await workspace.client.create_function(account, {"name": "other", "function_js": BODY})
    source = await workspace.function_source(open_one.id, "return {module: 'tts'};")
    assert source.get(open_one.id).function_js == "return {module: 'tts'};"  # unsaved edits
    assert source.get(other.id).function_js == BODY  # as the server has it
    assert source.get(other.id).account_id == account


async def test_a_walk_reads_the_accounts_documents_over_the_samples(
    workspace: Workspace,
) -> None:
    account = workspace.account_id
    flow = {"module": "tts", "data": {"text": "ours"}}
    await workspace.client.create_document(
        account, "callflows", {"id": "ours", "name": "Ours", "numbers": ["7777"], "flow": flow}
    )
    await workspace.client.create_document(account, "lists", {"id": "vip_numbers", "name": "V"})
    await workspace.client.create_list_entry(account, "vip_numbers", {"prefix": "1312"})
    documents, server = await workspace.walk_documents()
    assert set(server) == {"ours"}
    assert documents.lookup("7777")[0] == "ours"
    assert "c0ffee00c0ffee00c0ffee00c0ffee00" in documents.callflows  # a sample, still there
    assert documents.list_matches("vip_numbers", "+13125550199") is True  # the account's list


@pytest.mark.parametrize(
    ("body", "verdict"),
    [
        ("return {module: 'hangup', data: {}};", "valid"),
        ("return {module: 'nope', data: {}};", "invalid"),
        ("throw new Error('boom');", "failed"),
        ("let x = 1; return {module: 'hangup', data: {}};", "rejected"),
    ],
)
def test_a_run_is_kept_with_its_verdict_call_and_flow(body: str, verdict: str) -> None:
    from backend.callflow.evaluate import evaluate
    from tui.workspace import run_record

    call = {"Caller-ID-Number": "+1"}
    evaluation = evaluate(body, call)
    record = run_record(evaluation, evaluation.to_json(), call, "sample:x")
    assert record["verdict"] == verdict and record["call"] == call
    assert record["call_name"] == "sample:x" and record["at"].endswith("+00:00")
    assert (record["flow"] is not None) == (verdict in ("valid", "rejected"))


async def test_create_list_load_duplicate_and_delete(workspace: Workspace) -> None:
    created = await workspace.create({"name": "route", "function_js": BODY, "enabled": False})
    workspace.local.keep_draft(created.id, "// unsaved", BODY, created.revision)
    copy = await workspace.duplicate(created)
    assert copy.id != created.id
    assert (copy.data["name"], copy.data["function_js"], copy.data["enabled"]) == (
        "route copy",
        BODY,
        False,
    )
    items, drafted = await workspace.list_functions()
    assert {created.id, copy.id} <= {item["id"] for item in items} and drafted == {created.id}
    assert (await workspace.load(created.id)).revision == created.revision
    await workspace.delete(created.id)
    assert workspace.local.draft(created.id) is None  # the draft goes with it
    with pytest.raises(NotFoundError):
        await workspace.load(created.id)
    with pytest.raises(ApiError, match=rf"^delete function {created.id} failed: bad identifier"):
        await workspace.delete(created.id)  # a sentence, as every other failure here
