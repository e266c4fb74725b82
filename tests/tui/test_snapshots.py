"""Snapshots of the main screen, narrow (80x24, the SSH default) and wide (160x48).

The app runs with --no-api (a private socket), so nothing on screen depends on a port number.
Update after a deliberate change with `pytest tests/tui/test_snapshots.py --snapshot-update`,
and look at the SVGs in `__snapshots__/` before committing them.
"""

from __future__ import annotations

from textual.pilot import Pilot

from tests.tui.conftest import Harness, ready, wait_for
from tui.screens.main import MainScreen


async def _checked(pilot: Pilot, screen: MainScreen) -> None:
    """The check of the text in the editor has reported (its problems are on screen)."""
    await wait_for(
        pilot, lambda: screen.editing.checked_text == screen.editor.text, what="the check to report"
    )


async def _loaded(pilot: Pilot) -> None:
    await _checked(pilot, await ready(pilot))
    pilot.app.clear_notifications()  # the first-start toast names a temp path
    await pilot.pause()


def test_main_screen_80x24(harness: Harness, snap_compare) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(harness.app(serve_tcp=False), terminal_size=(80, 24), run_before=_loaded)


def test_main_screen_160x48(harness: Harness, snap_compare) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(harness.app(serve_tcp=False), terminal_size=(160, 48), run_before=_loaded)


def test_result_and_tree_80x24(harness: Harness, snap_compare) -> None:  # type: ignore[no-untyped-def]
    async def run_then_show_tree(pilot: Pilot) -> None:
        screen = await ready(pilot)
        screen.functions.select("vip_to_user")
        screen.open_function("vip_to_user")
        await wait_for(
            pilot, lambda: screen.current is not None and screen.current.id == "vip_to_user"
        )
        screen.editor.text = (
            "return {module: 'user', data: {id: 'u1'},"
            " children: {_: {module: 'voicemail', data: {id: 'vm1'}}}};"
        )
        await pilot.press("f5")
        await wait_for(pilot, lambda: screen.runner.last_evaluation is not None, what="the run")
        await _checked(pilot, screen)
        screen.work.test_pane.active = "flow"
        pilot.app.clear_notifications()
        await pilot.pause()

    assert snap_compare(
        harness.app(serve_tcp=False), terminal_size=(80, 24), run_before=run_then_show_tree
    )


def _then(*keys: str, screen_type: type | None = None):  # type: ignore[no-untyped-def]
    """Load, then press `keys` and wait for a screen of `screen_type` on top."""

    async def run_before(pilot: Pilot) -> None:
        await _loaded(pilot)
        await pilot.press(*keys)
        if screen_type is not None:
            await wait_for(pilot, lambda: isinstance(pilot.app.screen, screen_type), what="it")
        await pilot.pause()

    return run_before


def test_help_80x24(harness: Harness, snap_compare) -> None:  # type: ignore[no-untyped-def]
    from tui.screens.help import HelpScreen

    before = _then("alt+e", "f1", screen_type=HelpScreen)
    assert snap_compare(harness.app(serve_tcp=False), terminal_size=(80, 24), run_before=before)


def test_prompt_80x24(harness: Harness, snap_compare) -> None:  # type: ignore[no-untyped-def]
    from tui.screens.dialogs import PromptScreen

    before = _then("ctrl+n", screen_type=PromptScreen)
    assert snap_compare(harness.app(serve_tcp=False), terminal_size=(80, 24), run_before=before)


def test_palette_80x24(harness: Harness, snap_compare) -> None:  # type: ignore[no-untyped-def]
    from textual.command import CommandPalette

    before = _then("ctrl+p", *"simulate", screen_type=CommandPalette)
    assert snap_compare(harness.app(serve_tcp=False), terminal_size=(80, 24), run_before=before)


def test_conflict_80x24(harness: Harness, snap_compare) -> None:  # type: ignore[no-untyped-def]
    from tui.screens.conflict import ConflictScreen

    async def before(pilot: Pilot) -> None:
        await _loaded(pilot)
        base = "var a = 1;\nvar b = 1;\nvar c = 1;\nreturn {module: 'hangup', data: {}};\n"
        mine = base.replace("a = 1", "a = 2").replace("c = 1", "c = 'mine'")
        theirs = base.replace("c = 1", "c = 'theirs'")
        pilot.app.push_screen(ConflictScreen("Day of week", base, mine, theirs))
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, ConflictScreen))
        await pilot.pause()

    assert snap_compare(harness.app(serve_tcp=False), terminal_size=(80, 24), run_before=before)


def test_connect_80x24(harness: Harness, snap_compare) -> None:  # type: ignore[no-untyped-def]
    from tui.screens.connect import ConnectScreen

    async def before(pilot: Pilot) -> None:
        await _loaded(pilot)
        pilot.app.push_screen(ConnectScreen(harness.config_dir))
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, ConnectScreen))
        await pilot.pause()

    assert snap_compare(harness.app(serve_tcp=False), terminal_size=(80, 24), run_before=before)


def test_callflow_walk_80x24(harness: Harness, snap_compare) -> None:  # type: ignore[no-untyped-def]
    from widgets.call_editor import CallEditor
    from widgets.callflow_view import CallflowView

    async def before(pilot: Pilot) -> None:
        await _loaded(pilot)
        screen = pilot.app.screen
        assert isinstance(screen, MainScreen)
        screen.query_one(CallEditor).choose("sample:known_caller")
        await pilot.press("alt+w")
        view = screen.query_one(CallflowView)
        await wait_for(pilot, lambda: "main_number" in view.callflows)
        view.choose("main_number")
        await pilot.press("f5")
        await wait_for(pilot, lambda: screen.runner.last_simulation is not None, what="the walk")
        await pilot.press("alt+x")  # the whole screen for the path
        view.query_one("#callflow-steps").focus()
        await pilot.press("down")  # the ring group's step: no run duration, which varies
        await wait_for(pilot, lambda: view.shown_step == 1, what="the second step")
        pilot.app.clear_notifications()
        await pilot.pause()

    assert snap_compare(harness.app(serve_tcp=False), terminal_size=(80, 24), run_before=before)


def test_history_and_compare_80x24(harness: Harness, snap_compare) -> None:  # type: ignore[no-untyped-def]
    from tui.screens.compare import CompareScreen

    async def before(pilot: Pilot) -> None:
        await _loaded(pilot)
        screen = pilot.app.screen
        assert isinstance(screen, MainScreen)
        # Two runs with fixed fields (a run's time and duration would change every time).
        for text, minute in (("hi", "00"), ("hello", "01")):
            screen.local.record_run(screen.current.id, {
                "at": f"2026-12-01T12:{minute}:00+00:00", "call_name": "sample:known_caller",
                "call": {}, "verdict": "valid", "duration_ms": 0.5, "summary": "→ tts",
                "flow": {"module": "tts", "data": {"text": text}},
            })  # fmt: skip
        screen.work.history.show_runs(screen.local.runs(screen.current.id))
        await pilot.press("alt+h")
        await wait_for(pilot, lambda: pilot.app.focused is screen.work.history, what="the history")
        await pilot.press("d")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, CompareScreen), what="compare")
        await pilot.pause()

    assert snap_compare(harness.app(serve_tcp=False), terminal_size=(80, 24), run_before=before)
