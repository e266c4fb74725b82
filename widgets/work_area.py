"""The work area: the editor, its problems and the test pane, mounted once, after the list.

The first list of functions is painted before these are mounted (they double the cost of that
first paint), so this container starts empty and fills itself when first asked (`ready()`).
Everything that needs its parts awaits `ready()`: a key pressed meanwhile waits instead of being
lost. The widget classes are imported here, on the first mount, not at start-up.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from textual import events
from textual.containers import Vertical
from textual.widget import Widget

if TYPE_CHECKING:
    from widgets.call_editor import CallEditor
    from widgets.callflow_view import CallflowView
    from widgets.diagnostics import Diagnostics
    from widgets.flow_tree import FlowTree
    from widgets.js_editor import JsEditor
    from widgets.live_calls import LiveCalls
    from widgets.result_view import ResultView
    from widgets.run_history import RunHistory
    from widgets.test_pane import TestPane

TABS = ("call", "result", "flow", "callflow", "history", "live")  # the test pane's, in order


class WorkArea(Vertical):
    def __init__(self, callflows: dict[str, dict[str, Any]], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.callflows = callflows  # the Callflow tab's picker, from the start
        self._mounting: asyncio.Task[bool] | None = None
        self._editor: JsEditor | None = None
        self.wanted_tab = ""  # the test tab the last tab key asked for

    # -- the one mount ------------------------------------------------------------------------------
    async def ready(self, on_done: Callable[[], None] | None = None) -> bool:
        """Mount the parts, once; return when they are (True), or False when the screen goes
        away meanwhile (then touch nothing). The mount is one task, shielded: a caller that is
        cancelled (an exclusive worker replaced) does not cancel it. `on_done` runs once the
        first mount ends, however it ends."""
        if self._mounting is None:
            self._mounting = asyncio.get_running_loop().create_task(self._mount_parts())
            if on_done is not None:
                self._mounting.add_done_callback(lambda _task: on_done())
        return await asyncio.shield(self._mounting) and self.is_attached

    @property
    def is_ready(self) -> bool:
        return self._editor is not None  # set last, once every part is in place

    @property
    def started(self) -> bool:
        return self._mounting is not None

    async def settle(self, timeout: float = 2.0) -> None:
        """Let a mount in progress finish (Textual's Select fails if torn down mid-mount)."""
        if self._mounting is not None:
            await asyncio.wait({self._mounting}, timeout=timeout)

    def abandon(self) -> None:
        """The screen is gone: a mount still waiting for a refresh that will not come ends."""
        if self._mounting is not None:
            self._mounting.cancel()

    async def _refreshed(self) -> None:
        """Return once the screen has been painted after what is queued now."""
        refreshed: asyncio.Future[None] = asyncio.get_running_loop().create_future()

        def painted() -> None:
            if not refreshed.done():
                refreshed.set_result(None)

        self.call_after_refresh(painted)
        await refreshed

    async def _mount_parts(self) -> bool:
        await self._refreshed()
        if not self.is_attached:
            return False
        from widgets.diagnostics import Diagnostics
        from widgets.js_editor import JsEditor
        from widgets.test_pane import TestPane

        editor = JsEditor(id="editor")
        editor.border_title = "no function open"
        editor.read_only = True
        await self.mount_all(
            [
                Vertical(editor, Diagnostics(id="diagnostics"), id="editing"),
                TestPane(self.callflows, id="test-pane"),
            ]
        )
        # mount_all returns once the pane is mounted; TabbedContent puts its tabs' contents in
        # place a refresh or two later.
        while self.is_attached and not (
            self.query("#call-editor") and self.query("#callflow-view")
        ):
            await self._refreshed()
        if not self.is_attached:
            return False
        self._editor = editor
        return True

    # -- the parts ----------------------------------------------------------------------------------
    @property
    def editor(self) -> JsEditor:
        # Held, not queried: it is used on every keystroke message, and still readable at
        # unmount (when the DOM is already gone) to write the last draft.
        assert self._editor is not None, "await ready() first"
        return self._editor

    # Queried by id: their classes are imported only with the mount.
    @property
    def test_pane(self) -> TestPane:
        return self.query_one("#test-pane")  # type: ignore[return-value]

    @property
    def call_editor(self) -> CallEditor:
        return self.query_one("#call-editor")  # type: ignore[return-value]

    @property
    def diagnostics(self) -> Diagnostics:
        return self.query_one("#diagnostics")  # type: ignore[return-value]

    @property
    def result_view(self) -> ResultView:
        return self.query_one("#result-view")  # type: ignore[return-value]

    @property
    def callflow_view(self) -> CallflowView:
        return self.query_one("#callflow-view")  # type: ignore[return-value]

    @property
    def flow_tree(self) -> FlowTree:
        return self.query_one("#flow-tree")  # type: ignore[return-value]

    @property
    def history(self) -> RunHistory:
        return self.query_one("#run-history")  # type: ignore[return-value]

    @property
    def live(self) -> LiveCalls:
        return self.query_one("#live-calls")  # type: ignore[return-value]

    def show_title(self, name: str | None, *, dirty: bool, enabled: bool, revision: str) -> None:
        """The editor's border: the open function's name and state (None: nothing open)."""
        editor = self.editor
        if name is None:
            editor.border_title, editor.border_subtitle = "no function open", ""
            return
        editor.border_title = f"{name}{' ●' if dirty else ''}{'' if enabled else ' · disabled'}"
        # The generation number is what a person compares; the hash part is noise on screen.
        editor.border_subtitle = f"rev {(revision or '?').split('-')[0]}"

    # -- the tabs -----------------------------------------------------------------------------------
    def tab_target(self, tab: str) -> Widget:
        """What focus goes to in `tab`: its first focusable widget, else the pane."""
        pane = self.test_pane.tabs.get_pane(tab)
        inner = [w for w in pane.query("*") if w.focusable]
        return inner[0] if inner else self.test_pane

    def show_tab(self, tab: str) -> None:
        """Open a test tab and focus what is in it."""
        self.wanted_tab = tab
        self.test_pane.active = tab
        target = self.tab_target(tab)
        # Now, not later (Widget.focus waits a turn): a key already queued behind this one,
        # such as tab to the dial field, must find the focus where the user expects it.
        self.screen.set_focus(target)

        def keep_focus() -> None:
            # TabbedContent follows focus by message, so an earlier tab key's focus may still
            # switch back to its tab: the last key pressed wins. Focus the user has moved
            # within the tab since (tab to the dial field) is left alone.
            if self.wanted_tab != tab or not self.is_attached:
                return
            self.test_pane.active = tab
            focused = self.screen.focused
            if (
                focused is None
                or self.test_pane.tabs.get_pane(tab) not in focused.ancestors_with_self
            ):
                self.screen.set_focus(target)

        self.call_after_refresh(keep_focus)

    PANES = ("editor", "problems", *TABS)  # ctrl+o's order within the work area

    def go(self, pane: str) -> None:
        """Focus a pane of the work area, or open a test tab and focus what is in it."""
        if pane in TABS:
            self.show_tab(pane)
        else:
            # At once (Widget.focus waits a turn), as for the tabs.
            self.screen.set_focus(self.editor if pane == "editor" else self.diagnostics)

    def go_next(self) -> bool:
        """Focus the pane after the focused one (ctrl+o); False past the last one."""
        tab = self.focused_tab()
        focused = self.screen.focused
        if tab is not None:
            here = self.PANES.index(tab)
        elif focused is not None and self.diagnostics in focused.ancestors_with_self:
            here = 1
        elif focused is not None and self.editor in focused.ancestors_with_self:
            here = 0
        else:
            here = -1
        if here + 1 >= len(self.PANES):
            return False
        self.go(self.PANES[here + 1])
        return True

    def toggle_zoom(self, what: str) -> None:
        """Fill the screen with the editor or the test pane; the same key puts it back."""
        screen = self.screen
        target: Widget = self.editor if what == "editor" else self.test_pane
        if screen.maximized is target:
            screen.minimize()
            return
        screen.minimize()
        if what == "editor":
            self.editor.focus()
        elif self.focused_tab() is None:
            self.tab_target(self.test_pane.active).focus()
        screen.maximize(target, container=False)

    def focused_tab(self) -> str | None:
        """The test tab holding the focus, if the focus is in the test pane."""
        focused = self.screen.focused
        if focused is not None and self.test_pane in focused.ancestors_with_self:
            return self.test_pane.active
        return None

    # On a short terminal the test pane grows while it holds the focus (app.tcss), leaving the
    # problems one line: `-testing` makes that line the first problem, not an empty box's top.
    def on_descendant_focus(self, _event: events.DescendantFocus) -> None:
        self._mark_testing()

    def on_descendant_blur(self, _event: events.DescendantBlur) -> None:
        self._mark_testing()

    def _mark_testing(self) -> None:
        self.set_class(self.is_ready and self.focused_tab() is not None, "-testing")
