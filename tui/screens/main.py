"""The main screen: function list, editor, problems, test pane; all I/O happens in workers.

This module is the Textual glue: keys, messages, and which worker answers each. The jobs live
beside it, one module each: `connection` (requests, credentials, opening an account),
`function_actions` (save and the conflict dialog, create, revert, list actions, test calls),
`editing` (drafts, checks, find), `running` (runs and callflow walks); the work area
(`widgets/work_area.py`) mounts itself after the list and owns its tabs.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widget import Widget
from textual.worker import Worker

from backend.client import KazooClient, Revisioned
from backend.samples import sample_callflows, sample_calls
from tui import gc_pause
from tui.local_state import LocalState
from tui.screens.connection import Connection, Failed, Opened
from tui.screens.deferred import deferred
from tui.screens.editing import Checked, Editing
from tui.screens.function_actions import FunctionActions
from tui.screens.keys import MAIN_SCREEN_KEYS
from tui.screens.live import POLL_S, Live
from tui.screens.opening import Opening
from tui.screens.running import PathsDone, RunDone, Runner, SimulationDone
from tui.workspace import Workspace
from widgets.function_list import FunctionList, ListAction
from widgets.function_options import FunctionOptions
from widgets.key_footer import KeyFooter
from widgets.status_bar import StatusBar
from widgets.work_area import WorkArea

# The work area's widgets (and the runtime) are imported where first used, so their messages
# are handled by name (on_js_editor_paused...), not with @on, which needs the classes at import.
if TYPE_CHECKING:
    from widgets.call_editor import CallEditor
    from widgets.callflow_view import CallflowView
    from widgets.diagnostics import Diagnostics
    from widgets.flow_tree import FlowTree
    from widgets.js_editor import JsEditor
    from widgets.live_calls import LiveCalls
    from widgets.run_history import RunHistory

WORK_AREA_PATIENCE_S = 1.0  # a slow server's list does not keep the editor off the screen
LOADING_DELAY_S = 0.15  # requests answered sooner show no spinner


def _succeeded(task: asyncio.Task[Any]) -> bool:
    return task.done() and not task.cancelled() and task.exception() is None


class MainScreen(Screen[None]):
    # Wide terminals put the test pane beside the editor instead of under it (see app.tcss).
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (140, "-wide")]
    # Short terminals (80x24) give the editor the room and let the test pane grow on focus.
    VERTICAL_BREAKPOINTS = [(0, "-short"), (36, "-tall")]
    ALLOW_IN_MAXIMIZED_VIEW = "KeyFooter"  # a zoomed pane still shows its keys
    BINDINGS = MAIN_SCREEN_KEYS

    def __init__(
        self,
        client: KazooClient,
        local: LocalState,
        server_label: str,
        *,
        default_account: str = "",
        pivot_instances: Sequence[str] = (),
    ) -> None:
        super().__init__()
        self.client = client
        self.local = local
        self.server_label = server_label
        self.default_account = default_account  # from the config; else the login's own account
        self.connection = Connection(self, client, local)
        # Started in a directory `kfn pull` wrote? Its functions' test cases are read there.
        self.workspace = Workspace(client, local, self.connection.api, Path.cwd(), pivot_instances)
        self.actions = FunctionActions(self)
        self.editing = Editing(self)
        self.runner = Runner(self)
        self.opening = Opening(self)
        self.live = Live(self)
        self.work = WorkArea(sample_callflows(), id="work")
        self.account_id = ""
        self.current: Revisioned | None = None
        self.sample_calls: dict[str, dict[str, Any]] = {}  # read with the work area
        self.leaving = False  # see leave()

    # -- layout and the work area -------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        with Horizontal(id="body"):
            yield FunctionList(id="functions")
            yield self.work  # filled once the list is on screen
        yield StatusBar(id="status")
        yield KeyFooter()

    async def work_area(self) -> bool:
        """Return once the work area is mounted (True), or False when this screen is going
        away meanwhile (then touch nothing). However the first mount ends, start-up is over."""
        first = not self.work.started
        if not await self.work.ready(gc_pause.resume) or not self.here:
            return False
        if first:
            self.sample_calls = sample_calls()
            self.work.call_editor.set_calls(self.sample_calls, {})
            self.refresh_bindings()
        return True

    @property
    def work_area_ready(self) -> bool:
        return self.work.is_ready

    @property
    def editor(self) -> JsEditor:
        return self.work.editor

    @property
    def functions(self) -> FunctionList:
        return self.query_one(FunctionList)

    @property
    def status(self) -> StatusBar:
        return self.query_one(StatusBar)

    @property
    def here(self) -> bool:
        """False once this screen is going away (the app quits, or a switch of server replaces
        it): a worker that was waiting must not touch its widgets, which may be gone already."""
        return self.is_attached and self.app.is_running and not self.leaving

    async def leave(self) -> None:
        """The app is about to quit or replace this screen: start nothing more, and let a
        mount in progress finish."""
        self.leaving = True
        await self.work.settle()

    def on_unmount(self) -> None:
        # Quitting, a signal, or switching server: keystrokes since the last pause go to disk.
        if self.work.is_ready:
            self.editing.keep_draft()
        self.work.abandon()

    # -- connecting and loading ---------------------------------------------------------------------
    async def prepare(self, patience: float) -> None:
        await self.opening.prepare(patience)

    def on_mount(self) -> None:
        self.status.server = self.server_label
        self.functions.border_title = "Functions"
        self.functions.options.focus()
        opening, self.opening.task = self.opening.task, None
        if opening is None or not _succeeded(opening):
            self.connect(opening=opening)  # still under way, refused, or not tried
        elif (opened := opening.result()) is None:
            self.status.activity = "not connected"  # the user has been told why
        else:
            self.opening.show_opened(opened)  # in the first paint
            if not isinstance(opened.entries, Failed):
                self.run_worker(deferred(self.opening.open_listed), group="load", exclusive=True)
        self.set_timer(WORK_AREA_PATIENCE_S, lambda: self.run_worker(deferred(self.work_area)))
        self.set_interval(POLL_S, self.live.tick)

    def connect(
        self, account_id: str | None = None, *, opening: asyncio.Task[Opened | None] | None = None
    ) -> Worker[None]:
        return self.run_worker(
            deferred(self.opening.connect, account_id, opening=opening),
            exclusive=True,
            group="load",
        )

    def close_function(self, *, keep_draft: bool = True) -> None:
        self.opening.close_function(keep_draft=keep_draft)

    @contextmanager
    def spinner_while(self, widget: Widget) -> Iterator[None]:
        """Show `widget`'s loading indicator once the block has run for LOADING_DELAY_S: a quick
        answer (the embedded server's) flashes no spinner and pays for none."""
        timer = self.set_timer(LOADING_DELAY_S, lambda: setattr(widget, "loading", True))
        try:
            yield
        finally:
            timer.stop()
            if widget.loading:
                widget.loading = False

    @on(FunctionList.Opened)
    def _open(self, event: FunctionList.Opened) -> None:
        self.open_function(event.function_id, focus_editor=True)

    @work(exclusive=True, group="open")
    async def open_function(self, function_id: str, *, focus_editor: bool = False) -> None:
        if not await self.work_area():
            return
        if focus_editor:
            self.editor.focus()
        if self.current is None or function_id != self.current.id:
            await self.opening.load_function(function_id)

    # -- editing ------------------------------------------------------------------------------------
    def on_js_editor_dirty_changed(self, event: JsEditor.DirtyChanged) -> None:
        if self.current is not None:
            self.functions.set_dirty(self.current.id, event.dirty)
            self.editing.keep_draft()
        self.opening.show_title()

    def on_js_editor_paused(self, event: JsEditor.Paused) -> None:
        self.run_worker(
            deferred(self.editing.keep_draft_in_background), group="draft", exclusive=True
        )
        self.run_worker(lambda: self.editing.check(event.text), thread=True, exclusive=True,
                        group="check")  # fmt: skip
        if self.runner.run_text is not None:
            self.work.result_view.set_stale(event.text != self.runner.run_text)

    @on(Checked)
    def _checked(self, event: Checked) -> None:
        self.editing.checked(event)

    def on_diagnostics_jump(self, event: Diagnostics.Jump) -> None:
        self.editor.goto_line(event.diagnostic.line, event.diagnostic.column)
        self.editor.focus()

    def action_dialog(self, kind: str) -> None:
        """ctrl+g, ctrl+f, F6: the dialog opens now, within the key's own handling, so the keys
        typed right after it go into the dialog, not into the editor (see PromptScreen)."""
        {"goto_line": self.editing.goto_line, "find": self.editing.find,
         "replace": self.editing.replace}[kind]()  # fmt: skip

    # -- functions ----------------------------------------------------------------------------------
    def action_save(self) -> None:
        if self.current is None:
            self.notify("Open a function first (Enter on the list)", severity="warning")
            return
        self.run_worker(deferred(self.actions.save), exclusive=True, group="save")

    def action_new(self) -> None:
        self.run_worker(deferred(self.actions.new), group="dialogs")

    def action_revert(self) -> None:
        self.run_worker(deferred(self.actions.revert), exclusive=True, group="write")

    def import_samples(self) -> None:
        self.run_worker(deferred(self.actions.import_samples), exclusive=True, group="write")

    def run_cases(self) -> None:
        self.run_worker(deferred(self.actions.run_cases), exclusive=True, group="cases")

    def toggle_target(self) -> None:
        self.run_worker(deferred(self.actions.toggle_target), exclusive=True, group="write")

    def list_action(self, action: ListAction, function_id: str) -> None:
        self.run_worker(
            deferred(self.actions.on_listed, action, function_id), exclusive=True, group="write"
        )

    @on(FunctionList.ActionRequested)
    def _list_action(self, event: FunctionList.ActionRequested) -> None:
        if event.action is ListAction.NEW:
            self.action_new()
        elif event.function_id is None:
            self.notify("No function selected", severity="warning")
        else:
            self.list_action(event.action, event.function_id)

    def on_call_editor_save_requested(self, event: CallEditor.SaveRequested) -> None:
        self.run_worker(deferred(self.actions.save_call, event), group="dialogs")

    def on_call_editor_delete_requested(self, event: CallEditor.DeleteRequested) -> None:
        self.run_worker(deferred(self.actions.delete_call, event), group="dialogs")

    # -- running ------------------------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "dialog":  # the editor's keys; elsewhere ctrl+f and ctrl+g are the widget's
            return self.work.is_ready and self.focused is self.editor
        return self.runner.busy if action == "cancel_run" else True

    async def action_run(self) -> None:
        if not await self.work_area() or self.runner.refuse_if_busy():
            return
        if self.work.test_pane.callflow_mode:
            self.start_simulation()
        elif self.current is None:  # an empty editor is no function: nothing to judge
            self.notify("Open a function first (enter on the list)", severity="warning")
        elif (payload := self.work.call_editor.payload) is None:
            self.work.test_pane.active = "call"
            error = self.work.call_editor.error
            self.notify(f"The test call is not valid JSON: {error}", severity="error")
        else:
            self.runner.run_function(payload, self.work.call_editor.selected_key)

    def action_cancel_run(self) -> None:
        self.runner.stop()

    def start_simulation(self, number: str | None = None, every_path: bool = False) -> None:
        self.run_worker(
            deferred(self.runner.simulate, number, every_path), exclusive=True, group="simulate"
        )

    @on(RunDone)
    def _run_done(self, event: RunDone) -> None:
        self.runner.done(event.evaluation)

    @on(SimulationDone)
    def _simulated(self, event: SimulationDone) -> None:
        self.runner.simulated(event.simulation)

    @on(PathsDone)
    def _explored(self, event: PathsDone) -> None:
        self.runner.explored(event.paths)

    def on_run_history_rerun(self, event: RunHistory.Rerun) -> None:
        """That run's call, with the code as it is now."""
        payload = event.run.get("call")
        if self.runner.refuse_if_busy():
            return
        if not isinstance(payload, dict):
            self.notify("That run kept no call", severity="warning")
            return
        self.runner.run_function(payload, event.run.get("call_name"))

    def on_run_history_compare(self, event: RunHistory.Compare) -> None:
        from tui.screens.compare import CompareScreen

        self.app.push_screen(CompareScreen(event.newer, event.older))

    def on_flow_tree_detail_requested(self, event: FlowTree.DetailRequested) -> None:
        from tui.screens.detail import DetailScreen

        self.app.push_screen(DetailScreen(event.title, event.node))

    def on_callflow_view_dial(self, event: CallflowView.Dial) -> None:
        self.start_simulation(number=event.number)

    def on_callflow_view_all_paths_requested(self, event: CallflowView.AllPathsRequested) -> None:
        self.start_simulation(every_path=True)

    # -- navigation and help ------------------------------------------------------------------------
    async def action_next_pane(self) -> None:
        """ctrl+o: the list, the editor, the problems, then each test tab, round again."""
        if not await self.work_area():
            return
        functions = self.query_one(FunctionOptions)
        if self.focused is functions:
            self.work.go("editor")
        elif not self.work.go_next():
            self.set_focus(functions)

    async def action_show_tab(self, tab: str) -> None:
        if await self.work_area():
            self.work.go(tab)

    async def action_focus_pane(self, name: str) -> None:
        if name == "functions":
            self.set_focus(self.query_one(FunctionOptions))  # at once, as for the tabs
        elif await self.work_area():
            self.work.go(name)

    async def action_zoom(self, what: str) -> None:
        if await self.work_area():
            self.work.toggle_zoom(what)

    def action_help(self) -> None:
        from tui.screens.help import HelpScreen

        node = self.focused
        while node is not None and not getattr(node, "HELP", None):
            node = node.parent  # type: ignore[assignment]
        self.app.push_screen(HelpScreen(getattr(node, "HELP", None) or FunctionList.HELP))

    def on_tabbed_content_tab_activated(self) -> None:
        self.refresh_bindings()
        self.live.tick()  # the Live tab shows what is there now, not after the next poll

    # -- production (Pivot) -------------------------------------------------------------------------
    @property
    def target(self) -> str:
        """Where the open function is meant to run: "function" (KAZOO's module) or "pivot"."""
        from backend.callflow.evaluate import target_of

        return target_of(self.current.data if self.current else None)

    def on_live_calls_rerun(self, event: LiveCalls.Rerun) -> None:
        self.live.rerun(event.invocation)

    def on_live_calls_keep(self, event: LiveCalls.Keep) -> None:
        self.live.keep(event.invocation)

    def on_live_calls_copy(self, event: LiveCalls.Copy) -> None:
        self.live.copy(event.part)
