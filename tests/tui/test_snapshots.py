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
        pilot, lambda: screen.checked_text == screen.editor.text, what="the check to report"
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
        await wait_for(pilot, lambda: screen.last_evaluation is not None, what="the run")
        await _checked(pilot, screen)
        screen.test_pane.active = "flow"
        pilot.app.clear_notifications()
        await pilot.pause()

    assert snap_compare(
        harness.app(serve_tcp=False), terminal_size=(80, 24), run_before=run_then_show_tree
    )
