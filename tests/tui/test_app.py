"""Each flow of the app, driven with Pilot against the embedded server it really starts."""

from __future__ import annotations

import io
import json
import time
from pathlib import Path

import httpx
import pytest
from rich.console import Console
from textual.command import CommandList, CommandPalette
from textual.pilot import Pilot

from backend.runtime.sandbox import Limits
from backend.samples import samples_dir
from tests.conftest import kfn as kfn_cli
from tests.tui.conftest import Harness, main_screen, ready, wait_for
from tui.embedded import seed_sample_callflows
from tui.screens.conflict import ConflictScreen
from tui.screens.dialogs import ConfirmScreen, PromptScreen
from tui.screens.help import HelpScreen
from tui.screens.main import MainScreen
from widgets.call_editor import CallEditor
from widgets.callflow_view import CallflowView
from widgets.diagnostics import Diagnostics
from widgets.flow_tree import FlowTree
from widgets.function_list import FunctionEntry, FunctionList
from widgets.result_view import ResultView


async def run_and_wait(pilot: Pilot, screen: MainScreen, key: str) -> ResultView:
    """Press `key` (a run key) and return the result view once the run has reported."""
    await pilot.press(key)
    result = screen.query_one(ResultView)
    await wait_for(pilot, lambda: result.report is not None, what=f"the run ({key})")
    return result


async def test_fresh_start_serves_the_api_and_lists_the_samples(harness: Harness) -> None:
    app = harness.app()
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await ready(pilot)
        entries = screen.query_one(FunctionList).entries
        assert {"business_hours", "vip_to_user", "greeting_by_name"} <= entries.keys()
        assert app.embedded is not None and screen.status.server == app.embedded.url
        key_file = harness.backend.store.data_dir / "local-api-key"
        assert key_file.stat().st_mode & 0o777 == 0o600
        api_key = key_file.read_text().strip()
        assert harness.backend.accounts.account_for_api_key(api_key) == screen.account_id
        # The embedded API is really served: a curl-style client sees the same functions.
        token, _ = harness.backend.accounts.issue_token(screen.account_id, None, "test")
        async with httpx.AsyncClient() as client:
            reply = await client.get(
                f"{app.embedded.url}/v2/accounts/{screen.account_id}/functions",
                headers={"X-Auth-Token": token},
            )
            assert {item["id"] for item in reply.json()["data"]} == set(entries)
            # The sample callflows are the account's own callflows too, with their ids.
            callflows = await client.get(
                f"{app.embedded.url}/v2/accounts/{screen.account_id}/callflows",
                headers={"X-Auth-Token": token},
            )
            # And the menus and match lists they use, with the lists' entries.
            base = f"{app.embedded.url}/v2/accounts/{screen.account_id}"
            menus = await client.get(f"{base}/menus", headers={"X-Auth-Token": token})
            vip = await client.get(
                f"{base}/lists/vip_numbers/entries", headers={"X-Auth-Token": token}
            )
        assert [item["id"] for item in menus.json()["data"]] == ["support_menu"]
        listed = {
            e.get("prefix") or e.get("number") or e.get("pattern") for e in vip.json()["data"]
        }
        assert listed == {"14155550123", "1212555", "^\\+44"}
        by_id = {item["id"]: item["name"] for item in callflows.json()["data"]}
        assert by_id["5a1e5a1e5a1e5a1e5a1e5a1e5a1e5a1e"] == "Sales"
        assert "Support menu (1 front desk, 2 sales)" in by_id.values()
        # Seeding again adds nothing: the account has them all, by name.
        assert await seed_sample_callflows(app.client, screen.account_id) == 0
        await pilot.press("ctrl+q")
    assert app.embedded.server is None  # quitting stopped the server


async def test_create_edit_save_run_and_see_the_tree(harness: Harness) -> None:
    async with harness.app().run_test(size=(100, 30)) as pilot:
        screen = await ready(pilot)
        await pilot.press("ctrl+n")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, PromptScreen))
        await pilot.press(*"routing", "enter")
        await wait_for(pilot, lambda: harness.stored_by_name("routing") is not None, what="create")
        function_id, _ = harness.stored_by_name("routing")  # type: ignore[misc]
        await wait_for(
            pilot, lambda: screen.current is not None and screen.current.id == function_id
        )
        editor = screen.editor
        editor.text = ""
        editor.focus()
        await pilot.press(*"return ")
        editor.insert(
            "{module: 'play', data: {id: 'hello'}, children: {_: {module: 'hangup', data: {}}}};"
        )
        await wait_for(
            pilot, lambda: screen.functions.entries[function_id].dirty, what="dirty mark"
        )
        assert "●" in str(editor.border_title)
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: not editor.dirty, what="save")
        stored = harness.stored(function_id)
        assert stored is not None and stored["function_js"].startswith("return {module: 'play'")
        assert stored["_rev"].startswith("2-")
        assert not screen.functions.entries[function_id].dirty
        result = await run_and_wait(pilot, screen, "f5")
        assert result.report["valid"] is True
        assert result.report["result"]["data"] == {"id": "hello"}
        tree = screen.query_one(FlowTree)
        labels = [str(node.label) for node in tree.root.children]
        assert labels and labels[0].startswith("play")
        assert str(tree.root.children[0].children[0].label).startswith("_ ▸ hangup")


async def test_invalid_flow_is_explained(harness: Harness) -> None:
    async with harness.app().run_test(size=(100, 30)) as pilot:
        screen = await ready(pilot)
        screen.editor.text = "return {'action': 'tts', data: {text: 'hi'}};"
        result = await run_and_wait(pilot, screen, "ctrl+r")
        assert result.report["valid"] is False
        assert "module" in str(result.report["errors"])


async def test_es5_findings_show_on_pause(harness: Harness) -> None:
    async with harness.app().run_test(size=(100, 30)) as pilot:
        screen = await ready(pilot)
        screen.editor.text = "let x = () => 1;\nreturn {module: 'hangup', data: {}};"
        problems = screen.query_one(Diagnostics)
        await wait_for(pilot, lambda: len(problems.items) >= 2, what="ES5 findings")
        messages = " ".join(item.message for item in problems.items)
        assert "let" in messages and "arrow" in messages
        assert screen.editor.diagnostic_columns == {0: 0}
        screen.editor.text = "return {module: 'hangup', data: {}};"
        await wait_for(pilot, lambda: not problems.items, what="problems to clear")


async def test_filter_narrows_the_list(harness: Harness) -> None:
    async with harness.app().run_test(size=(100, 30)) as pilot:
        screen = await ready(pilot)
        screen.functions.options.focus()
        await pilot.press("slash", *"vip")
        await wait_for(pilot, lambda: screen.functions.visible_ids() == ["vip_to_user"])
        await pilot.press("enter")
        await wait_for(
            pilot, lambda: screen.current is not None and screen.current.id == "vip_to_user"
        )


async def test_delete_asks_first(harness: Harness) -> None:
    async with harness.app().run_test(size=(100, 30)) as pilot:
        screen = await ready(pilot)
        screen.functions.select("day_of_week")
        screen.functions.options.focus()
        await pilot.press("x")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, ConfirmScreen))
        await pilot.press("n")
        await wait_for(pilot, lambda: not isinstance(pilot.app.screen, ConfirmScreen))
        await pilot.app.workers.wait_for_complete()  # a delete, had it started, is done now
        assert not harness.stored("day_of_week").get("pvt_deleted")
        await pilot.press("x")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, ConfirmScreen))
        await pilot.press("y")
        await wait_for(pilot, lambda: "day_of_week" not in screen.functions.entries)
        assert harness.stored("day_of_week")["pvt_deleted"] is True


async def test_deleting_the_open_function_closes_it_and_keeps_no_draft(harness: Harness) -> None:
    async with harness.app().run_test(size=(100, 30)) as pilot:
        screen = await ready(pilot)
        function_id = screen.current.id
        screen.editor.text += "\n// an edit of a function about to go"
        await wait_for(pilot, lambda: screen.local.draft(function_id) is not None, what="draft")
        screen.functions.select(function_id)
        screen.functions.options.focus()
        await pilot.press("x")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, ConfirmScreen))
        await pilot.press("y")
        await wait_for(pilot, lambda: screen.current is None, what="the editor closed")
        assert screen.editor.text == "" and screen.editor.read_only
        assert screen.editor.border_title == "no function open"
        assert screen.editor.border_subtitle == ""  # no revision of a function that is gone
        assert screen.local.draft(function_id) is None


async def test_a_rename_after_someone_else_renamed_it_changes_nothing_and_says_so(
    harness: Harness,
) -> None:
    async with harness.app().run_test(size=(100, 30)) as pilot:
        screen = await ready(pilot)
        screen.functions.select("day_of_week")
        screen.functions.options.focus()
        await pilot.press("r")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, PromptScreen), what="ask")
        # Between the load and the save, someone else renames it on the server.
        harness.backend.functions.patch(screen.account_id, "day_of_week", {"name": "Theirs"})
        pilot.app.screen.query_one("Input").value = "Mine"
        await pilot.press("enter")
        await wait_for(pilot, lambda: notified(pilot, "changed the name on the server"),
                       what="the refusal")  # fmt: skip
        assert harness.stored("day_of_week")["name"] == "Theirs"
        await wait_for(pilot, lambda: screen.functions.entries["day_of_week"].name == "Theirs",
                       what="the list showing theirs")  # fmt: skip


async def test_toggle_and_rename(harness: Harness) -> None:
    async with harness.app().run_test(size=(100, 30)) as pilot:
        screen = await ready(pilot)
        screen.functions.select("menu_by_digits")
        screen.functions.options.focus()
        await pilot.press("e")
        await wait_for(pilot, lambda: harness.stored("menu_by_digits")["enabled"] is False)
        await wait_for(pilot, lambda: not screen.functions.entries["menu_by_digits"].enabled)
        await pilot.press("r")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, PromptScreen))
        pilot.app.screen.query_one("Input").value = "Digits menu"
        await pilot.press("enter")
        await wait_for(pilot, lambda: harness.stored("menu_by_digits")["name"] == "Digits menu")
        assert harness.stored("menu_by_digits")["enabled"] is False  # rename kept the other fields


async def _edit_then_change_on_server(pilot, harness: Harness):  # type: ignore[no-untyped-def]
    screen = await ready(pilot)
    current = screen.current
    assert current is not None
    screen.editor.text = "return {module: 'hangup', data: {}}; // mine"
    app = pilot.app
    token, _ = harness.backend.accounts.issue_token(screen.account_id, None, "test")
    async with httpx.AsyncClient() as client:
        reply = await client.patch(
            f"{app.embedded.url}/v2/accounts/{screen.account_id}/functions/{current.id}",
            json={"data": {"function_js": "return {module: 'hangup', data: {}}; // theirs"}},
            headers={"X-Auth-Token": token},
        )
    assert reply.status_code == 200
    await pilot.press("ctrl+s")
    await wait_for(pilot, lambda: isinstance(app.screen, ConflictScreen), what="conflict dialog")
    dialog = app.screen
    assert "// theirs" in dialog.theirs and "// mine" in dialog.mine
    return screen, current.id


async def test_conflict_keep_mine(harness: Harness) -> None:
    async with harness.app().run_test(size=(100, 30)) as pilot:
        screen, function_id = await _edit_then_change_on_server(pilot, harness)
        await pilot.press("m", "enter")  # the one conflict: mine; then use the merge
        await wait_for(pilot, lambda: "// mine" in harness.stored(function_id)["function_js"])
        assert harness.stored(function_id)["_rev"].startswith("3-")
        await wait_for(pilot, lambda: not screen.editor.dirty)


async def test_conflict_take_theirs(harness: Harness) -> None:
    async with harness.app().run_test(size=(100, 30)) as pilot:
        screen, function_id = await _edit_then_change_on_server(pilot, harness)
        await pilot.press("T")  # all of theirs, nothing saved
        await wait_for(pilot, lambda: "// theirs" in screen.editor.text)
        assert not screen.editor.dirty
        assert "// theirs" in harness.stored(function_id)["function_js"]


async def test_runaway_run_can_be_cancelled(harness: Harness) -> None:
    async with harness.app().run_test(size=(100, 30)) as pilot:
        screen = await ready(pilot)
        screen.runner.limits = Limits(time_s=30)  # only the cancel may stop it
        screen.editor.text = "while (true) {}"
        await pilot.press("f5")
        await wait_for(pilot, lambda: screen.runner.cancel is not None)
        await wait_for(pilot, lambda: "running" in screen.status.activity, what="the spinner")
        await wait_for(pilot, lambda: time.monotonic() - screen.runner.started >= 0.2,
                       what="a moment of running")  # fmt: skip
        await pilot.press("escape")
        result = screen.query_one(ResultView)
        await wait_for(pilot, lambda: result.report is not None, timeout=5)
        assert result.report["error"]["kind"] == "cancelled"
        assert result.report["duration_ms"] >= 200  # how long it ran, not 0.00 ms
        assert screen.runner.cancel is None
        screen.editor.text = "return {module: 'hangup', data: {}};"
        await pilot.press("f5")  # the sandbox is healthy afterwards
        await wait_for(pilot, lambda: result.report is not None and result.report["valid"])


async def callflow_tab(pilot: Pilot) -> tuple[MainScreen, CallflowView]:
    """The main screen with the known caller's call and the Callflow tab open."""
    screen = await ready(pilot)
    screen.query_one(CallEditor).choose("sample:known_caller")
    screen.work.test_pane.active = "callflow"
    return screen, screen.query_one(CallflowView)


def notified(pilot: Pilot, text: str) -> bool:
    return any(text in n.message for n in pilot.app._notifications)


async def test_callflow_mode_walks_the_path(harness: Harness) -> None:
    async with harness.app().run_test(size=(120, 40)) as pilot:
        _screen, view = await callflow_tab(pilot)
        view.choose("main_number")
        await pilot.press("f5")
        await wait_for(pilot, lambda: bool(view.steps), what="the simulation")
        assert view.steps[0]["module"] == "function" and view.steps[0]["outcome"] == "branched"
        assert len(view.steps) >= 2
        steps = view.query_one("#callflow-steps")
        steps.focus()
        await pilot.press("down")
        await wait_for(pilot, lambda: view.shown_step == 1, what="the second step's detail")


async def test_the_scenario_beside_the_call_changes_the_path(harness: Harness) -> None:
    async with harness.app().run_test(size=(120, 40)) as pilot:
        screen = await ready(pilot)
        calls = screen.query_one(CallEditor)
        call = json.loads((samples_dir() / "calls" / "known_caller.json").read_text())
        screen.work.test_pane.active = "callflow"
        view = screen.query_one(CallflowView)
        view.choose("support")
        paths = []
        for scenario in ({}, {"digits": ["1"]}, {"digits": ["1"], "answer": ["USER_BUSY"]}):
            call["kfn"]["scenario"] = scenario
            calls.text_area.text = json.dumps(call)
            await wait_for(pilot, lambda: calls.payload == call, what="the edited call")
            screen.runner.last_simulation = None
            await pilot.press("f5")
            await wait_for(
                pilot, lambda: screen.runner.last_simulation is not None, what="the walk"
            )
            paths.append([(step["module"], step["child"]) for step in view.steps])
        assert paths == [
            [("menu", "max_retries"), ("voicemail", None)],
            [("menu", "1"), ("callflow", None), ("user", None)],
            [("menu", "1"), ("callflow", None), ("user", "USER_BUSY"), ("tts", "_"),
             ("voicemail", None)],
        ]  # fmt: skip
        bad = {**call, "kfn": {"scenario": {"answer": ["MAYBE"]}}}
        calls.text_area.text = json.dumps(bad)
        await wait_for(pilot, lambda: calls.payload == bad, what="the bad call")
        await pilot.press("f5")
        await wait_for(pilot, lambda: notified(pilot, "MAYBE"), what="the scenario error")


async def test_dial_a_number_then_list_every_path(harness: Harness) -> None:
    async with harness.app().run_test(size=(120, 40)) as pilot:
        screen, view = await callflow_tab(pilot)
        view.query_one("#callflow-dial").focus()
        await pilot.press(*"5550000", "enter")
        await wait_for(pilot, lambda: notified(pilot, "No callflow answers 5550000"))
        assert screen.runner.last_simulation is None and screen.runner.cancel is None
        await pilot.press(*["backspace"] * 7, *"2101", "enter")  # sales, by its number
        await wait_for(pilot, lambda: screen.runner.last_simulation is not None, what="the walk")
        assert [step["module"] for step in view.steps] == ["ring_group"]
        assert view.selected == "sales"  # the picker shows the dialled callflow
        view.choose("support")
        view.query_one("#callflow-steps").focus()
        await pilot.press("a")
        await wait_for(pilot, lambda: screen.runner.last_paths is not None, what="every path")
        assert len(view.paths) == 8 and view.paths[0]["scenario"] == {}
        assert {"digits": ["2"]} in [p["scenario"] for p in view.paths]


async def test_unsaved_edits_survive_a_restart(harness: Harness) -> None:
    async with harness.app().run_test(size=(100, 30)) as pilot:
        screen = await ready(pilot)
        function_id = screen.current.id
        screen.editor.text = "return {module: 'hangup', data: {}}; // draft"
        await wait_for(pilot, lambda: screen.local.draft(function_id) is not None, what="draft")
        await pilot.press("ctrl+q")
    async with harness.app().run_test(size=(100, 30)) as pilot:
        screen = await ready(pilot)
        assert screen.current.id == function_id
        assert screen.editor.text.endswith("// draft") and screen.editor.dirty
        assert screen.functions.entries[function_id].dirty
        assert "// draft" not in harness.stored(function_id)["function_js"]


async def test_saved_test_calls_per_function(harness: Harness) -> None:
    async with harness.app().run_test(size=(100, 30)) as pilot:
        screen = await ready(pilot)
        calls = screen.query_one(CallEditor)
        calls.text_area.text = '{"Caller-ID-Name": "Zed", "Caller-ID-Number": "+15550001"}'
        calls.text_area.focus()
        await pilot.press("f4")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, PromptScreen))
        await pilot.press(*"zed", "enter")
        await wait_for(pilot, lambda: "zed" in calls.saved)
        assert screen.local.calls(screen.current.id)["zed"]["Caller-ID-Name"] == "Zed"
        assert calls.selected_key == "saved:zed"


async def test_bad_call_json_is_reported_not_run(harness: Harness) -> None:
    async with harness.app().run_test(size=(100, 30)) as pilot:
        screen = await ready(pilot)
        calls = screen.query_one(CallEditor)
        calls.text_area.text = '{"Caller-ID-Name": '
        await wait_for(pilot, lambda: "line 1" in calls.error, what="the JSON error")
        assert calls.payload is None
        await pilot.press("f5")
        await pilot.pause()  # the key is handled
        await pilot.app.workers.wait_for_complete()  # a run, had one started, is over
        assert screen.runner.last_evaluation is None and screen.work.test_pane.active == "call"


async def test_help_is_for_the_focused_pane(harness: Harness) -> None:
    async with harness.app().run_test(size=(100, 30)) as pilot:
        screen = await ready(pilot)
        screen.editor.focus()
        await pilot.press("f1")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, HelpScreen))
        assert "## Editor" in pilot.app.screen.pane_help
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(pilot.app.screen, HelpScreen))


async def test_next_pane_cycles_through_the_panes_and_each_test_tab(harness: Harness) -> None:
    async with harness.app().run_test(size=(100, 30)) as pilot:
        screen = await ready(pilot)
        screen.functions.options.focus()
        seen = []
        for _ in range(10):
            await pilot.press("ctrl+o")
            await pilot.pause()
            focused = pilot.app.focused
            inside = focused is not None and screen.work.test_pane in focused.ancestors
            seen.append((type(focused).__name__, screen.work.test_pane.active if inside else None))
        assert [name for name, _tab in seen[:2]] == ["JsEditor", "Diagnostics"]
        tabs = ["call", "result", "flow", "callflow", "history", "live"]
        assert [tab for _name, tab in seen[2:8]] == tabs
        assert seen[8][0] == "FunctionOptions" and seen[9][0] == "JsEditor"


async def test_direct_keys_reach_every_pane_and_tab(harness: Harness) -> None:
    async with harness.app().run_test(size=(80, 24)) as pilot:
        screen = await ready(pilot)
        for key, tab in (("alt+w", "callflow"), ("alt+r", "result"), ("alt+t", "flow"),
                         ("alt+h", "history"), ("alt+v", "live"), ("alt+c", "call")):  # fmt: skip
            await pilot.press(key)
            await wait_for(
                pilot,
                lambda tab=tab: (
                    screen.work.test_pane.active == tab
                    and screen.work.test_pane in pilot.app.focused.ancestors
                ),
                what=f"{key} to open {tab}",
            )
        screen.editor.focus()
        before = screen.editor.text
        await pilot.press("alt+r")  # from inside the editor: it switches, and types nothing
        await wait_for(pilot, lambda: screen.work.test_pane.active == "result", what="alt+r")
        assert screen.editor.text == before
        for key, name in (("alt+l", "FunctionOptions"), ("alt+p", "Diagnostics"),
                          ("alt+e", "JsEditor")):  # fmt: skip
            await pilot.press(key)
            await wait_for(
                pilot, lambda name=name: type(pilot.app.focused).__name__ == name, what=key
            )
        await pilot.press("alt+z")
        await wait_for(pilot, lambda: screen.maximized is screen.editor, what="the editor zoomed")
        await pilot.press("alt+x")
        await wait_for(
            pilot, lambda: screen.maximized is screen.work.test_pane, what="tests zoomed"
        )
        assert screen.work.test_pane in pilot.app.focused.ancestors
        await pilot.press("alt+x")
        await wait_for(pilot, lambda: screen.maximized is None, what="the zoom undone")


async def test_a_dead_server_keeps_the_edit(harness: Harness) -> None:
    async with harness.app().run_test(size=(100, 30)) as pilot:
        screen = await ready(pilot)
        function_id = screen.current.id
        screen.editor.text = "return {module: 'hangup', data: {}}; // unsaved"
        await pilot.app.embedded.stop()
        await pilot.press("ctrl+s")
        await wait_for(
            pilot,
            lambda: any("connection refused" in n.message for n in pilot.app._notifications),
            what="the error notification",
        )
        assert screen.editor.dirty and screen.editor.text.endswith("// unsaved")
        assert screen.local.draft(function_id)["text"].endswith("// unsaved")


async def test_once_a_save_reaches_the_server_the_failed_attempts_toast_goes(
    harness: Harness,
) -> None:
    from backend.api.server import ApiServer

    async with harness.app().run_test(size=(80, 24)) as pilot:
        screen = await ready(pilot)
        function_id, revision = screen.current.id, screen.current.revision
        port = int(pilot.app.embedded.url.rsplit(":", 1)[1])
        screen.editor.text = "return {module: 'hangup', data: {}}; // mine"
        await pilot.app.embedded.stop()
        await pilot.press("ctrl+s")

        def toasts() -> list[str]:
            return [n.message for n in pilot.app._notifications]

        await wait_for(pilot, lambda: any("refused" in t for t in toasts()), what="the failure")
        # Meanwhile someone else saves the function: the next save meets a conflict.
        harness.backend.functions.update(
            screen.account_id, function_id, {**harness.stored(function_id),
                                             "function_js": "return {}; // theirs"}, revision,
        )  # fmt: skip
        back = ApiServer(harness.backend, "127.0.0.1", port, access_log=False)
        await back.start()
        try:
            await pilot.press("ctrl+s")
            await wait_for(pilot, lambda: isinstance(pilot.app.screen, ConflictScreen))
            # The toast said the server could not be reached; over the dialog it would hide
            # half of the server's side, and be wrong.
            assert not any("refused" in t for t in toasts())
            await pilot.press("M", "enter")  # all mine, saved over theirs
            await wait_for(pilot, lambda: any("Saved" in t for t in toasts()), what="the save")
            assert "// mine" in harness.stored(function_id)["function_js"]
        finally:
            await back.stop()


async def test_no_api_mode_serves_only_a_private_socket(harness: Harness) -> None:
    app = harness.app(serve_tcp=False)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await ready(pilot)
        assert "--no-api" in screen.status.server
        assert app.embedded.server.unix_path.exists()
        assert main_screen(pilot).functions.entries
        await pilot.press("ctrl+q")
    assert not (harness.backend.store.data_dir / "kfn-app.sock").exists()


async def test_command_palette_opens_a_function(harness: Harness) -> None:
    async with harness.app().run_test(size=(100, 30)) as pilot:
        screen = await ready(pilot)
        await pilot.press("ctrl+p")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, CommandPalette))
        await pilot.press(*"Open function: Day of")
        results = pilot.app.screen.query_one(CommandList)
        await wait_for(
            pilot,
            lambda: (
                results.option_count > 0
                and "Day of week" in str(results.get_option_at_index(0).prompt)
            ),
            what="the palette's first hit",
        )
        await pilot.press("enter")
        await wait_for(
            pilot, lambda: screen.current is not None and screen.current.id == "day_of_week"
        )


async def test_find_and_go_to_line(harness: Harness) -> None:
    async with harness.app().run_test(size=(100, 30)) as pilot:
        screen = await ready(pilot)
        screen.editor.text = "var a = 1;\nvar b = 2;\nreturn {module: 'hangup', data: {}};"
        screen.editor.focus()
        await pilot.press("ctrl+g")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, PromptScreen))
        await pilot.press("3", "enter")
        await wait_for(pilot, lambda: screen.editor.cursor_location[0] == 2)
        await pilot.press("ctrl+f")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, PromptScreen))
        await pilot.press(*"var", "enter")
        await wait_for(pilot, lambda: screen.editor.selected_text == "var")
        first = screen.editor.selection
        await pilot.press("f3")
        await wait_for(pilot, lambda: screen.editor.selection != first)
        assert screen.editor.selected_text == "var"


async def test_copy_result_uses_the_terminal_clipboard(harness: Harness) -> None:
    async with harness.app().run_test(size=(100, 30)) as pilot:
        screen = await ready(pilot)
        screen.editor.text = "return {module: 'hangup', data: {}};"
        result = await run_and_wait(pilot, screen, "f5")
        result.focus()
        await pilot.press("c")
        assert '"module": "hangup"' in pilot.app.clipboard


async def test_config_keymap_theme_and_account(harness: Harness) -> None:
    from tui.config import Config

    config = Config.load(harness.config_dir)
    config.keymap = {"app.run": "f9"}
    config.theme = "ansi-dark"  # the terminal's own 16 colours
    config.save()
    app = harness.app()
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await ready(pilot)
        assert app.theme == "ansi-dark"
        screen.editor.text = "return {module: 'hangup', data: {}};"
        await run_and_wait(pilot, screen, "f9")  # the remapped run key
        app.theme = "textual-light"
        await wait_for(
            pilot,
            lambda: Config.load(harness.config_dir).theme == "textual-light",
            what="the theme saved in the config",
        )


async def test_deleting_a_saved_call(harness: Harness) -> None:
    async with harness.app().run_test(size=(100, 30)) as pilot:
        screen = await ready(pilot)
        screen.local.save_call(screen.current.id, "mine", {"Caller-ID-Name": "Me"})
        calls = screen.query_one(CallEditor)
        calls.set_calls(screen.sample_calls, screen.local.calls(screen.current.id), "saved:mine")
        calls.text_area.focus()
        await pilot.press("f8")  # asks first; "n" keeps it
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, ConfirmScreen), what="ask")
        await pilot.press("n")
        await wait_for(pilot, lambda: not isinstance(pilot.app.screen, ConfirmScreen))
        assert "mine" in screen.local.calls(screen.current.id)
        await pilot.press("f8")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, ConfirmScreen), what="ask")
        await pilot.press("y")
        await wait_for(pilot, lambda: "mine" not in calls.saved)
        assert screen.local.calls(screen.current.id) == {}


async def test_the_problems_list_picks_the_first_problem_and_enter_jumps(
    harness: Harness,
) -> None:
    async with harness.app().run_test(size=(100, 30)) as pilot:
        screen = await ready(pilot)
        screen.editor.text = "var a = 1;\nlet b = 2;\nreturn {module: 'hangup', data: {}};"
        await wait_for(pilot, lambda: len(screen.work.diagnostics.items) == 1, what="the finding")
        await pilot.press("alt+p")
        await wait_for(
            pilot, lambda: screen.work.diagnostics.highlighted == 0, what="the first row"
        )
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen.editor.has_focus, what="the jump")
        assert screen.editor.cursor_location[0] == 1  # line 2, where `let` is


async def test_at_80x24_the_problems_line_shows_a_problem_while_the_test_pane_grows(
    harness: Harness,
) -> None:
    async with harness.app().run_test(size=(80, 24)) as pilot:
        screen = await ready(pilot)
        screen.editor.text = "let b = 2;\nreturn {module: 'hangup', data: {}};"
        problems = screen.work.diagnostics
        await wait_for(pilot, lambda: len(problems.items) == 1, what="the finding")

        def problem_rows_on_screen() -> int:
            """Rows of the list itself (inside any border) that the screen shows."""
            placed = screen.find_widget(problems)
            return problems.content_region.intersection(placed.clip).height

        await pilot.press("alt+c")  # the test pane takes the focus and most of the screen
        await wait_for(pilot, lambda: screen.work.has_class("-testing"), what="the test pane")
        await pilot.pause()
        # One row is left: it shows the problem, not the top of an empty box.
        assert problem_rows_on_screen() == 1
        assert "'let' declaration" in problems.render_line(0).text
        await pilot.press("alt+e")
        await wait_for(pilot, lambda: problem_rows_on_screen() > 1, what="the room back")
        assert problems.styles.border_top[0] == "round"  # the titled box again


async def test_duplicate_keeps_the_list_focused(harness: Harness) -> None:
    async with harness.app().run_test(size=(100, 30)) as pilot:
        screen = await ready(pilot)
        screen.functions.select("day_of_week")
        screen.functions.options.focus()
        await pilot.press("c")
        await wait_for(pilot, lambda: harness.stored_by_name("Day of week copy") is not None)
        copy_id, copy = harness.stored_by_name("Day of week copy")  # type: ignore[misc]
        assert copy["function_js"] == harness.stored("day_of_week")["function_js"]
        await wait_for(pilot, lambda: screen.current is not None and screen.current.id == copy_id)
        assert type(pilot.app.focused).__name__ == "FunctionOptions"


async def test_typing_then_switching_or_quitting_at_once_keeps_every_keystroke(
    harness: Harness,
) -> None:
    async with harness.app().run_test(size=(100, 30)) as pilot:
        screen = await ready(pilot)
        first = screen.current.id
        screen.editor.text = "return {module: 'hangup', data: {}}; // one"
        await wait_for(  # the dirty mark is handled: the draft on disk says "one"
            pilot, lambda: (screen.local.draft(first) or {}).get("text", "").endswith("// one")
        )
        screen.editor.text += " two"  # and no typing pause follows before the switch
        screen.open_function("vip_to_user")
        await wait_for(pilot, lambda: screen.current.id == "vip_to_user")
        assert screen.local.draft(first)["text"].endswith("// one two")
        screen.editor.text = "return {module: 'hangup', data: {}}; // two"
        await wait_for(
            pilot,
            lambda: (screen.local.draft("vip_to_user") or {}).get("text", "").endswith("// two"),
        )
        screen.editor.text += " three"
        await pilot.press("ctrl+q")
    assert LocalStateView(harness).draft("vip_to_user")["text"].endswith("// two three")


class LocalStateView:
    """Read the drafts file the way a fresh app would."""

    def __init__(self, harness: Harness) -> None:
        from tui.local_state import LocalState

        self.state = LocalState(harness.state_dir, "local")

    def draft(self, function_id: str) -> dict:
        return self.state.draft(function_id)


async def test_config_default_account(harness: Harness) -> None:
    from tui.config import Config

    other = harness.backend.accounts.create_account("Branch office")
    harness.backend.functions.create(other.account_id, {"name": "branch fn", "function_js": ""})
    config = Config.load(harness.config_dir)
    config.account = other.account_id
    config.save()
    async with harness.app().run_test(size=(100, 30)) as pilot:
        screen = await ready(pilot)
        assert screen.account_id == other.account_id
        assert screen.status.account == "Branch office"
        assert [entry.name for entry in screen.functions.entries.values()] == ["branch fn"]


async def test_undo_and_redo_in_the_editor(harness: Harness) -> None:
    async with harness.app().run_test(size=(100, 30)) as pilot:
        screen = await ready(pilot)
        original = screen.editor.text
        screen.editor.focus()
        screen.editor.move_cursor((0, 0))
        await pilot.press(*"xyz")
        assert screen.editor.text.startswith("xyz") and screen.editor.dirty
        await pilot.press("ctrl+z")
        await wait_for(pilot, lambda: screen.editor.text == original)
        await wait_for(pilot, lambda: not screen.editor.dirty, what="clean again after undo")
        await pilot.press("ctrl+y")
        assert screen.editor.text.startswith("xyz")


async def test_escape_leaves_the_editor_when_nothing_runs(harness: Harness) -> None:
    async with harness.app().run_test(size=(100, 30)) as pilot:
        screen = await ready(pilot)
        screen.editor.focus()
        await pilot.press("escape")
        assert pilot.app.focused is not screen.editor
        assert screen.runner.cancel is None


async def test_saving_a_function_deleted_on_the_server_keeps_the_text(harness: Harness) -> None:
    async with harness.app().run_test(size=(100, 30)) as pilot:
        screen = await ready(pilot)
        function_id = screen.current.id
        screen.editor.text = "return {module: 'hangup', data: {}}; // orphan"
        harness.backend.functions.delete(screen.account_id, function_id)
        await pilot.press("ctrl+s")
        await wait_for(
            pilot,
            lambda: any("deleted on the server" in n.message for n in pilot.app._notifications),
            what="the explanation",
        )
        assert screen.editor.text.endswith("// orphan") and screen.editor.dirty


async def test_import_samples_into_another_account_and_a_bad_account_switch(
    harness: Harness,
) -> None:
    other = harness.backend.accounts.create_account("Branch office")
    async with harness.app().run_test(size=(100, 30)) as pilot:
        screen = await ready(pilot)
        home = screen.account_id
        screen.connect("f" * 32)  # no such account: an error, and we stay where we were
        await wait_for(
            pilot,
            lambda: any("Cannot open" in (n.title or "") for n in pilot.app._notifications),
        )
        assert screen.account_id == home and screen.status.account == "local"
        screen.connect(other.account_id)
        await wait_for(pilot, lambda: screen.account_id == other.account_id)
        await wait_for(pilot, lambda: not screen.functions.entries, what="an empty account")
        screen.import_samples()
        await wait_for(pilot, lambda: len(screen.functions.entries) == 8, what="the samples")
        stored = harness.backend.functions.list(other.account_id, {}).items
        assert {item["id"] for item in stored} == set(screen.functions.entries)
        screen.import_samples()  # again: nothing is duplicated
        await wait_for(
            pilot, lambda: any("Imported 0" in n.message for n in pilot.app._notifications)
        )
        assert len(harness.backend.functions.list(other.account_id, {}).items) == 8


async def test_a_valid_flow_from_non_es5_code_is_not_called_fine(harness: Harness) -> None:
    async with harness.app().run_test(size=(100, 30)) as pilot:
        screen = await ready(pilot)
        screen.editor.text = "let x = 1; return {module: 'hangup', data: {}};"
        result = await run_and_wait(pilot, screen, "f5")
        console = Console(width=100, record=True, file=io.StringIO())
        console.print(result.query_one("#result-body").content)
        shown = console.export_text()
        assert "ES5 engine would reject" in shown and "would branch" not in shown


async def test_the_last_account_opened_comes_back_and_a_gone_one_is_dropped(
    harness: Harness,
) -> None:
    other = harness.backend.accounts.create_account("Branch office")
    harness.backend.functions.create(other.account_id, {"name": "branch fn", "function_js": ""})
    async with harness.app().run_test(size=(100, 30)) as pilot:
        screen = await ready(pilot)
        home = screen.account_id
        screen.connect(other.account_id)
        await wait_for(pilot, lambda: screen.status.account == "Branch office")
    async with harness.app().run_test(size=(100, 30)) as pilot:
        screen = await ready(pilot)
        assert screen.account_id == other.account_id  # remembered for this server
        assert screen.status.account == "Branch office"
    accounts_file = harness.state_dir / "accounts.json"
    accounts_file.write_text(json.dumps({"local": "f" * 32}))  # an account that is gone
    async with harness.app().run_test(size=(100, 30)) as pilot:
        opened = await ready(pilot)
        assert opened.account_id == home and opened.status.account == "local"
        assert not any("Cannot open" in (n.title or "") for n in pilot.app._notifications)
    assert json.loads(accounts_file.read_text()) == {"local": home}


async def test_the_runtime_is_warmed_once_the_list_is_up(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    from backend.runtime import sandbox
    from backend.runtime.shared import PerProcess

    fresh = PerProcess(sandbox._make_pool)  # as in a fresh process
    monkeypatch.setattr(sandbox, "_shared", fresh)
    async with harness.app().run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        await wait_for(pilot, lambda: fresh.instance is not None, what="the sandbox pool")
        pool = fresh.instance
        assert pool is not None and pool.run("return {module: 'hangup', data: {}};", {}).ok


MOUNT_MOMENTS = {
    "with the list filled, before it": lambda screen: bool(screen.functions.entries),
    "as it starts": lambda screen: screen.work.started,
    "with the editor mounted, the tabs not yet": lambda screen: bool(screen.query("#editing")),
    "with its tabs half mounted": lambda screen: bool(screen.query("#test-pane")),
    "once it is mounted": lambda screen: screen.work_area_ready,
}


@pytest.mark.parametrize("moment", list(MOUNT_MOMENTS))
async def test_quitting_while_the_work_area_mounts_exits_cleanly(
    harness: Harness, moment: str
) -> None:
    """The list is painted before the editor and test pane are mounted: a quit (or a signal)
    in between must not find half-mounted widgets (a Lazy tab once raised MountError)."""
    import asyncio
    import time

    app = harness.app()
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, MainScreen))
        screen = main_screen(pilot)
        deadline = time.monotonic() + 10
        while not MOUNT_MOMENTS[moment](screen):  # not pilot.pause(): the mount would finish
            assert time.monotonic() < deadline, f"never saw the work area {moment}"
            await asyncio.sleep(0)
        await app.action_quit()  # what ctrl+q, SIGINT and SIGTERM run
    assert app.return_code == 0


async def test_revert_drops_the_edits_and_their_draft(harness: Harness) -> None:
    async with harness.app().run_test(size=(80, 24)) as pilot:
        screen = await ready(pilot)
        function_id = screen.current.id
        saved = screen.editor.text
        screen.editor.text = saved + "\n// an edit to throw away"
        await wait_for(pilot, lambda: screen.local.draft(function_id) is not None, what="draft")
        await pilot.press("alt+u")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, ConfirmScreen), what="ask")
        await pilot.press("n")  # no: the edit stays
        await wait_for(pilot, lambda: not isinstance(pilot.app.screen, ConfirmScreen))
        assert screen.editor.text.endswith("throw away") and screen.editor.dirty
        await pilot.press("alt+u")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, ConfirmScreen), what="ask")
        await pilot.press("y")
        await wait_for(pilot, lambda: screen.editor.text == saved, what="the server's text")
        assert not screen.editor.dirty and screen.local.draft(function_id) is None
        assert not screen.functions.entries[function_id].dirty
    # After a restart the function opens as the server has it.
    async with harness.app().run_test(size=(80, 24)) as pilot:
        screen = await ready(pilot)
        assert screen.editor.text == saved


async def test_switching_account_closes_the_old_accounts_function(harness: Harness) -> None:
    other = harness.backend.accounts.create_account("Branch office")
    branch_id, _ = harness.backend.functions.create(
        other.account_id, {"name": "branch fn", "function_js": "return null;"}
    )
    async with harness.app().run_test(size=(100, 30)) as pilot:
        screen = await ready(pilot)
        home, home_fn = screen.account_id, screen.current.id
        screen.editor.text += "\n// unsaved, in the home account"
        screen.connect(other.account_id)
        await wait_for(pilot, lambda: screen.current is not None and screen.current.id == branch_id,
                       what="the branch's function open")  # fmt: skip
        assert screen.editor.text == "return null;"
        assert not any("failed" in n.message for n in pilot.app._notifications)
        # The home account's edit was kept as its draft, not carried over or lost.
        assert screen.local.draft(home_fn)["text"].endswith("in the home account")
        await pilot.press("ctrl+s")  # nothing is dirty here: no false "deleted on the server"
        await pilot.pause()
        assert not any("deleted" in n.message for n in pilot.app._notifications)
        screen.connect(home)
        await wait_for(pilot, lambda: screen.current is not None and screen.current.id == home_fn,
                       what="back home, the function last opened there")  # fmt: skip
        assert screen.editor.text.endswith("in the home account") and screen.editor.dirty


async def test_the_last_function_opened_in_an_account_opens_after_a_restart(
    harness: Harness,
) -> None:
    async with harness.app().run_test(size=(100, 30)) as pilot:
        screen = await ready(pilot)
        screen.open_function("menu_by_digits")
        await wait_for(pilot, lambda: screen.current.id == "menu_by_digits")
    async with harness.app().run_test(size=(100, 30)) as pilot:
        screen = await ready(pilot)
        assert screen.current.id == "menu_by_digits"


async def test_the_result_is_marked_stale_after_an_edit_and_not_after_undoing_it(
    harness: Harness,
) -> None:
    async with harness.app().run_test(size=(100, 30)) as pilot:
        screen = await ready(pilot)
        ran = screen.editor.text
        result = await run_and_wait(pilot, screen, "f5")
        assert not result.stale
        screen.editor.text = ran + "\n// changed"
        await wait_for(pilot, lambda: result.stale, what="the stale mark")
        screen.editor.text = ran
        await wait_for(pilot, lambda: not result.stale, what="the same code again")
        screen.editor.text = ran + "\n// changed"
        await wait_for(pilot, lambda: result.stale, what="stale again")
        result.report = None
        await run_and_wait(pilot, screen, "f5")
        assert not result.stale  # a new run is fresh


async def test_enter_on_a_flow_node_shows_its_whole_data(harness: Harness) -> None:
    from textual.widgets import Static

    from tui.screens.detail import DetailScreen

    long_text = "a greeting far longer than any tree label can show " * 3
    async with harness.app().run_test(size=(80, 24)) as pilot:
        screen = await ready(pilot)
        screen.editor.text = (
            f"return {{module: 'tts', data: {{text: {long_text!r}}},"
            " children: {_: {module: 'hangup', data: {}}}};"
        )
        await run_and_wait(pilot, screen, "f5")
        await pilot.press("alt+t")
        tree = screen.query_one("#flow-tree")
        await wait_for(pilot, lambda: pilot.app.focused is tree, what="the flow tree focused")
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, DetailScreen), what="detail")
        detail = pilot.app.screen
        assert detail.value["data"]["text"] == long_text  # the whole data, not the label's cut
        assert "hangup" in str(detail.value["children"])
        shown = detail.query_one("#detail-body Static", Static).content
        assert long_text in shown.code and "hangup" in shown.code  # on screen, whole
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(pilot.app.screen, DetailScreen))
        await pilot.press("space")  # folds the node instead
        await wait_for(pilot, lambda: not tree.root.children[0].is_expanded, what="folded")


async def test_f6_replaces_every_occurrence_in_one_undoable_edit(harness: Harness) -> None:
    async with harness.app().run_test(size=(80, 24)) as pilot:
        screen = await ready(pilot)
        original = "var a = 'x';\nvar b = a + 'x';\nreturn {module: 'tts', data: {text: b}};"
        screen.editor.load_body(original)
        screen.editor.focus()
        await pilot.press("f6")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, PromptScreen), what="what")
        await pilot.press(*"'x'", "enter")
        await wait_for(pilot, lambda: "with" in pilot.app.screen.question, what="with what")
        await pilot.press(*"'y'", "enter")
        await wait_for(pilot, lambda: "'y'" in screen.editor.text, what="the replacement")
        assert screen.editor.text == original.replace("'x'", "'y'")
        assert any("Replaced 2 occurrence(s)" in n.message for n in pilot.app._notifications)
        await pilot.press("ctrl+z")
        await wait_for(pilot, lambda: screen.editor.text == original, what="one undo")


async def test_the_ansi_themes_colour_the_editor_with_the_terminals_own_colours(
    harness: Harness,
) -> None:
    from rich.color import ColorType

    from tui.config import Config

    config = Config.load(harness.config_dir)
    config.theme = "ansi-dark"
    config.save()
    async with harness.app().run_test(size=(80, 24)) as pilot:
        screen = await ready(pilot)
        editor = screen.editor
        assert editor.theme == "kfn-ansi"
        colours = [s.color for s in editor._theme.syntax_styles.values() if s.color is not None]
        assert colours and all(c.type is ColorType.STANDARD for c in colours)
        pilot.app.theme = "textual-dark"
        await wait_for(pilot, lambda: editor.theme == "kfn", what="kfn's own colours back")


async def test_the_run_history_is_kept_and_reruns_and_compares(harness: Harness) -> None:
    from tui.screens.compare import CompareScreen

    async with harness.app().run_test(size=(100, 30)) as pilot:
        screen = await ready(pilot)
        function_id = screen.current.id
        screen.editor.text = "return {module: 'tts', data: {text: call['Caller-ID-Name']}};"
        screen.work.call_editor.choose("sample:known_caller")
        await run_and_wait(pilot, screen, "f5")
        screen.query_one(ResultView).report = None
        screen.work.call_editor.choose("sample:anonymous")
        await run_and_wait(pilot, screen, "f5")
        await wait_for(pilot, lambda: len(screen.local.runs(function_id)) == 2, what="2 runs")
        newest, older = screen.local.runs(function_id)
        assert (newest["call_name"], older["call_name"]) == ("sample:anonymous",
                                                            "sample:known_caller")  # fmt: skip
        assert newest["verdict"] == "valid" and newest["flow"]["module"] == "tts"
        await pilot.press("alt+h")
        history = screen.work.history
        await wait_for(pilot, lambda: pilot.app.focused is history, what="the history")
        assert len(history.runs) == 2
        await pilot.press("d")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, CompareScreen), what="compare")
        compared = pilot.app.screen
        assert compared.newer["call_name"] == "sample:anonymous"
        assert compared.older["call_name"] == "sample:known_caller"
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(pilot.app.screen, CompareScreen))
        await pilot.press("down", "enter")  # run the older one's call again
        await wait_for(pilot, lambda: len(screen.local.runs(function_id)) == 3, what="a rerun")
        assert screen.local.runs(function_id)[0]["call_name"] == "sample:known_caller"
    async with harness.app().run_test(size=(100, 30)) as pilot:
        screen = await ready(pilot)
        assert len(screen.work.history.runs) == 3  # kept across a restart


async def test_the_conflict_dialog_merges_changes_to_different_lines(harness: Harness) -> None:
    base = (
        "var greeting = 'hi';\nvar who = call['Caller-ID-Name'];\nvar unused = 0;\n"
        "return {module: 'tts', data: {text: greeting + ' ' + who}};\n"
    )
    async with harness.app().run_test(size=(80, 24)) as pilot:
        screen = await ready(pilot)
        created = await screen.client.create_function(
            screen.account_id, {"name": "merge me", "function_js": base}
        )
        screen.functions.upsert(FunctionEntry.from_summary(created.data))
        screen.open_function(created.id)
        await wait_for(pilot, lambda: screen.current.id == created.id, what="opened")
        screen.editor.text = base.replace("'hi'", "'hello'")  # mine: line 1
        theirs = base.replace("var unused = 0;\n", "")  # theirs: line 3, saved first
        harness.backend.functions.patch(screen.account_id, created.id, {"function_js": theirs})
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, ConflictScreen), what="dialog")
        assert pilot.app.screen.merge.conflicts == []
        await pilot.press("enter")
        merged = theirs.replace("'hi'", "'hello'")
        await wait_for(pilot, lambda: harness.stored(created.id)["function_js"] == merged,
                       what="the merge saved")  # fmt: skip
        await wait_for(pilot, lambda: not screen.editor.dirty and screen.editor.text == merged)


async def test_a_conflict_can_be_finished_by_hand_with_markers(harness: Harness) -> None:
    async with harness.app().run_test(size=(80, 24)) as pilot:
        screen, function_id = await _edit_then_change_on_server(pilot, harness)
        await pilot.press("e")
        await wait_for(pilot, lambda: "<<<<<<< mine" in screen.editor.text, what="the markers")
        assert "// mine" in screen.editor.text and "// theirs" in screen.editor.text
        assert screen.editor.dirty and "// theirs" in harness.stored(function_id)["function_js"]
        assert screen.current.revision == harness.stored(function_id)["_rev"]  # over theirs


async def test_enter_with_a_conflict_unsettled_says_so_in_the_dialog(harness: Harness) -> None:
    async with harness.app().run_test(size=(80, 24)) as pilot:
        _screen, function_id = await _edit_then_change_on_server(pilot, harness)
        dialog = pilot.app.screen
        summary = dialog.query_one("#conflict-summary")
        await pilot.press("enter")  # nothing settled yet
        await wait_for(pilot, lambda: "left" in str(summary.render()), what="the reminder")
        assert "1 conflict(s) left: m, t or b settles one" in str(summary.render())
        assert not pilot.app._notifications  # not a toast over the sides
        assert pilot.app.screen is dialog  # still deciding: nothing saved
        assert harness.stored(function_id)["function_js"].endswith("// theirs")


async def test_run_with_no_function_open_says_so_instead_of_judging_an_empty_editor(
    harness: Harness,
) -> None:
    async with harness.app().run_test(size=(80, 24)) as pilot:
        screen = await ready(pilot)
        screen.close_function()
        await pilot.press("f5")
        await wait_for(pilot, lambda: notified(pilot, "Open a function first"), what="the hint")
        assert screen.runner.cancel is None and screen.runner.last_evaluation is None


async def test_local_state_that_cannot_be_written_is_said_and_loses_no_edit(
    harness: Harness, tmp_path: Path
) -> None:
    """Drafts, the run history and saved calls on a disk that refuses every write (here: their
    directory is a file): each failure is said, once, and the edit is still saved to the server."""
    blocked = tmp_path / "not a directory"
    blocked.write_text("")
    async with harness.app().run_test(size=(100, 30)) as pilot:
        screen = await ready(pilot)
        function_id = screen.current.id
        local = screen.local
        local.drafts_path, local.runs_path = blocked / "drafts.json", blocked / "runs.json"
        local.calls_path = blocked / "test_calls.json"
        screen.editor.focus()
        screen.editor.text = "return {module: 'hangup', data: {}}; // kept"
        await wait_for(pilot, lambda: notified(pilot, "could not be kept on disk"), what="said")
        drafts = [n for n in pilot.app._notifications if n.title == "Draft not kept"]
        screen.editor.text += " "  # another pause, the same failure: not said again
        await wait_for(pilot, lambda: screen.editing.draft_settled == screen.editor.text)
        assert [n for n in pilot.app._notifications if n.title == "Draft not kept"] == drafts
        await run_and_wait(pilot, screen, "f5")
        await wait_for(pilot, lambda: notified(pilot, "not added to the history"), what="runs")
        await pilot.press("alt+c")
        await wait_for(pilot, lambda: screen.work.focused_tab() == "call", what="the Call tab")
        await pilot.press("f4")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, PromptScreen), what="prompt")
        await pilot.press("x", "enter")
        await wait_for(pilot, lambda: notified(pilot, "The call was not saved"), what="calls")
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: notified(pilot, "Saved"), what="the save")
    assert harness.stored(function_id)["function_js"].endswith("// kept ")


async def test_the_live_tab_shows_pivot_calls_keeps_one_and_reruns_it_against_the_edit(
    harness: Harness,
) -> None:
    from tui.screens.compare import CompareScreen
    from widgets.live_calls import LiveCalls

    async with harness.app().run_test(size=(100, 30)) as pilot:
        screen = await ready(pilot)
        function_id = screen.current.id
        await pilot.press("alt+v")
        live = screen.query_one(LiveCalls)
        await wait_for(
            pilot, lambda: "Pivot URL" in live.note and "http" in live.note, what="the URL"
        )
        voice_url = screen.live.described["voice_url"]
        assert f"/pivot/{screen.account_id}/{function_id}/" in voice_url
        query = "Call-ID=prod-1&Caller-ID-Name=Ann&Caller-ID-Number=%2B13125550199&Request=2000"
        async with httpx.AsyncClient() as kazoo:  # what KAZOO's pivot_call sends
            answer = await kazoo.get(f"{voice_url}?{query}")
        assert answer.status_code == 200
        await wait_for(pilot, lambda: len(live.invocations) == 1, what="the call to arrive")
        assert live.invocations[0]["call"]["Caller-ID-Name"] == "Ann"
        await pilot.press("u")
        await wait_for(pilot, lambda: notified(pilot, "Copied the Pivot URL"), what="copied")
        await pilot.press("s")
        await wait_for(pilot, lambda: "production prod-1" in screen.local.calls(function_id))
        kept = screen.local.calls(function_id)["production prod-1"]
        assert kept["Caller-ID-Number"] == "+13125550199"
        screen.editor.text = "return {module: 'hangup', data: {}};"
        await pilot.press("enter")  # re-run that call against the edit
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, CompareScreen), what="both")
        compared = pilot.app.screen
        assert compared.older["call_name"] == "production call prod-1"
        assert compared.older["flow"] == answer.json()  # what production answered
        assert compared.newer["flow"]["module"] == "hangup"  # what the edit answers


async def test_a_function_meant_for_pivot_weighs_es2015_as_a_warning(harness: Harness) -> None:
    async with harness.app().run_test(size=(100, 30)) as pilot:
        screen = await ready(pilot)
        function_id = screen.current.id
        screen.editor.text = "const x = 1;\nreturn {module: 'hangup', data: {}};"
        await wait_for(pilot, lambda: screen.editing.checked_text == screen.editor.text)
        assert [d.severity for d in screen.work.diagnostics.items] == ["error"]  # KAZOO's ES5
        screen.toggle_target()
        await wait_for(pilot, lambda: screen.target == "pivot", what="the target saved")
        assert harness.stored(function_id)["kfn_target"] == "pivot"
        assert "· Pivot" in screen.editor.border_title
        await wait_for(
            pilot, lambda: [d.severity for d in screen.work.diagnostics.items] == ["warning"]
        )
        result = await run_and_wait(pilot, screen, "f5")
        assert result.report["target"] == "pivot" and result.report["passes"]["pivot"]
        screen.toggle_target()
        await wait_for(pilot, lambda: screen.target == "function", what="back")
        assert "kfn_target" not in harness.stored(function_id)


async def test_in_a_pulled_directory_a_saved_call_becomes_a_case_the_app_runs(
    harness: Harness, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import json as json_module

    repo = tmp_path / "repo"
    repo.mkdir()
    monkeypatch.chdir(repo)
    async with harness.app().run_test(size=(100, 30)) as pilot:
        screen = await ready(pilot)
        function_id = screen.current.id
        manifest = {"account_id": screen.account_id, "functions": {function_id: {
            "file": "blocker.js", "revision": None, "sha256": "", "fields": {}}}}  # fmt: skip
        (repo / "functions.json").write_text(json_module.dumps(manifest))
        (repo / "blocker.js").write_text(screen.editor.text)
        calls = screen.query_one(CallEditor)
        calls.text_area.text = '{"Caller-ID-Name": "Spam", "Caller-ID-Number": "+13125550199"}'
        calls.text_area.focus()
        await pilot.press("f4")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, PromptScreen))
        await pilot.press(*"spam", "enter")
        await wait_for(pilot, lambda: (repo / "blocker.test.json").exists(), what="the case")
        case = json_module.loads((repo / "blocker.test.json").read_text())["cases"][0]
        assert case["name"] == "spam" and case["call"]["Caller-ID-Number"] == "+13125550199"
        assert case["expect"]["valid"] is True and case["expect"]["flow"]["module"] == "response"
        screen.run_cases()
        await wait_for(pilot, lambda: notified(pilot, "Test cases: 1 passed, 0 failed"))
        screen.editor.text = "return {module: 'hangup', data: {}};"
        screen.run_cases()  # against the editor's text, saved or not
        await wait_for(pilot, lambda: notified(pilot, "Test cases: 0 passed, 1 failed"))
    result = kfn_cli("test", str(repo))
    assert result.returncode == 0 and "1 passed" in result.stdout  # the file on disk: unchanged


async def test_with_a_public_url_the_live_tab_gives_the_url_kazoo_reaches(harness: Harness) -> None:
    from tui.app import KfnApp
    from tui.config import Config
    from tui.embedded import Embedded
    from widgets.live_calls import LiveCalls

    app = KfnApp(
        config=Config.load(harness.config_dir), state_dir=harness.state_dir,
        embedded=Embedded(harness.backend, port=0, public_url="https://kfn.example.net"),
    )  # fmt: skip
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await ready(pilot)
        await pilot.press("alt+v")
        live = screen.query_one(LiveCalls)
        await wait_for(pilot, lambda: "https://kfn.example.net/pivot/" in live.note, what="URL")
        assert "loopback" not in live.note
