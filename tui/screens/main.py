"""The main screen: function list, editor, problems, test pane; all I/O happens here, in workers.

Widgets post messages; this screen answers them with the API client (async workers) or the
runtime (thread workers whose results come back as messages), so the event loop never blocks.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, TypeVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.timer import Timer
from textual.widget import Widget

from backend.client import (
    ApiError,
    ApiKeyCredentials,
    AuthError,
    IssuedCredentials,
    KazooClient,
    Login,
    Revisioned,
    TokenCredentials,
    UserCredentials,
)
from backend.samples import sample_callflows, sample_calls
from tui import gc_pause
from tui.embedded import seed_samples
from tui.local_state import LocalState
from tui.profiles import missing_secret
from tui.screens.dialogs import ConfirmScreen, PromptScreen
from tui.workspace import (
    Conflict,
    Gone,
    Saved,
    SaveFailed,
    SaveOutcome,
    Workspace,
    run_record,
)
from widgets.function_list import FunctionEntry, FunctionList, FunctionOptions, ListAction
from widgets.key_footer import KeyFooter
from widgets.status_bar import StatusBar

# Start-up paints the list first and mounts the work area (editor, problems, test pane) right
# after, so the widgets of the work area, the runtime (jsonschema, fastjsonschema, the sandbox)
# and the help screen (markdown) are imported where first used; their messages are handled by
# name (on_js_editor_paused...), not with @on, which would need the classes at import.
if TYPE_CHECKING:
    from backend.callflow.evaluate import Evaluation
    from backend.callflow.simulate import Documents, MappingSource, Simulation
    from backend.runtime import es5
    from backend.runtime.sandbox import Limits
    from widgets.call_editor import CallEditor
    from widgets.callflow_view import CallflowView
    from widgets.diagnostics import Diagnostics
    from widgets.flow_tree import FlowTree
    from widgets.js_editor import Diagnostic, JsEditor
    from widgets.result_view import ResultView
    from widgets.run_history import RunHistory
    from widgets.test_pane import TestPane

WORK_AREA_PATIENCE_S = 1.0  # a slow server's list does not keep the editor off the screen
LOADING_DELAY_S = 0.15  # requests answered sooner show no spinner

T = TypeVar("T")

NEW_FUNCTION_BODY = """\
// `call` holds the call's parameters, every value a string, e.g. call['Caller-ID-Number'].
// Return the callflow KAZOO should branch into.
var caller = call['Caller-ID-Name'] || 'there';
console.log('greeting ' + caller);
return { module: 'tts', data: { text: 'Hello ' + caller } };
"""


class Failed:
    """What `MainScreen.attempt` returns for a request that failed (the user was told why)."""


FAILED = Failed()


def _succeeded(task: asyncio.Task[Any]) -> bool:
    return task.done() and not task.cancelled() and task.exception() is None


class CredentialsNeeded(Exception):
    """Refused credentials, met where no one can be asked yet (before the screen is shown).
    Not an ApiError: it passes the handlers that tell the user, up to the one that asks."""


@dataclass
class Opened:
    """An account opened: which one, its name, and its functions (FAILED: not listed)."""

    account_id: str
    name: str
    entries: list[FunctionEntry] | Failed


def to_diagnostics(report: es5.CheckReport) -> list[Diagnostic]:
    from widgets.js_editor import Diagnostic

    return [
        Diagnostic(found.line, max(0, found.column - 1), found.message, found.severity)
        for found in report.findings
    ]


def _direct(
    key: str,
    action: str,
    description: str,
    binding_id: str,
    *,
    show: bool = False,
    key_display: str | None = None,
) -> Binding:
    """A direct key: a priority binding, so it works from inside the editor and inputs."""
    return Binding(key, action, description, id=binding_id, show=show, priority=True,
                   key_display=key_display)  # fmt: skip


class MainScreen(Screen[None]):
    # Wide terminals put the test pane beside the editor instead of under it (see app.tcss).
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (140, "-wide")]
    # Short terminals (80x24) give the editor the room and let the test pane grow on focus.
    VERTICAL_BREAKPOINTS = [(0, "-short"), (36, "-tall")]
    ALLOW_IN_MAXIMIZED_VIEW = "KeyFooter"  # a zoomed pane still shows its keys
    BINDINGS = [
        Binding("ctrl+s", "save", "Save", id="app.save", priority=True),
        Binding("ctrl+r,f5", "run", "Run", id="app.run", priority=True),
        Binding("escape", "cancel_run", "Cancel run", id="app.cancel", priority=True),
        Binding("ctrl+n", "new", "New", id="app.new", priority=True),
        Binding("ctrl+o", "next_pane", "Pane", id="app.next_pane", priority=True),
        Binding("f1", "help", "Help", id="app.help"),
        # Direct keys. A terminal sends alt+key as ESC then the key, which tmux and SSH pass
        # through. Only letters: Textual reads ESC+digit as the character macOS's Option+digit
        # types (ESC 2 is "™", ESC 3 "£", which UK keyboards type on their own), and ESC f /
        # ESC b as word moves. Priority: they work from inside the editor and inputs.
        _direct(
            "alt+c",
            "show_tab('call')",
            "Tabs",
            "app.tab_call",
            show=True,
            key_display="M-c/r/t/w/h",
        ),
        _direct("alt+r", "show_tab('result')", "Result", "app.tab_result"),
        _direct("alt+t", "show_tab('flow')", "Flow", "app.tab_flow"),
        _direct("alt+w", "show_tab('callflow')", "Callflow", "app.tab_callflow"),
        _direct("alt+h", "show_tab('history')", "History", "app.tab_history"),
        _direct("alt+l", "focus_pane('functions')", "Functions", "app.go_functions"),
        _direct("alt+e", "focus_pane('editor')", "Editor", "app.go_editor"),
        _direct("alt+p", "focus_pane('problems')", "Problems", "app.go_problems"),
        _direct("alt+z", "zoom('editor')", "Zoom editor", "app.zoom_editor"),
        _direct("alt+x", "zoom('test')", "Zoom tests", "app.zoom_tests"),
        _direct("alt+u", "revert", "Revert", "app.revert"),
    ]

    class Checked(Message):
        def __init__(self, text: str, report: es5.CheckReport) -> None:
            super().__init__()
            self.text = text
            self.report = report

    class RunDone(Message):
        def __init__(self, evaluation: Evaluation) -> None:
            super().__init__()
            self.evaluation = evaluation

    class SimulationDone(Message):
        def __init__(self, simulation: Simulation) -> None:
            super().__init__()
            self.simulation = simulation

    class PathsDone(Message):
        def __init__(self, paths: dict[str, Any]) -> None:
            super().__init__()
            self.paths = paths

    def __init__(
        self,
        client: KazooClient,
        local: LocalState,
        server_label: str,
        *,
        default_account: str = "",
    ) -> None:
        super().__init__()
        self.client = client
        self.workspace = Workspace(client, local, self.api)
        self.default_account = default_account  # from the config; else the login's own account
        self.local = local
        self.server_label = server_label
        self.account_id = ""
        self._runtime_warmed = False
        self.current: Revisioned | None = None
        self.run_cancel: threading.Event | None = None
        self.run_started = 0.0
        self.run_timer: Timer | None = None
        self.run_limits: Limits | None = None  # None: the sandbox's defaults (1 s, 32 MiB)
        self.sample_calls: dict[str, dict[str, Any]] = {}  # read with the work area
        self._editor: JsEditor | None = None
        self._work_area: asyncio.Task[bool] | None = None  # see work_area()
        self._opening: asyncio.Task[Opened | None] | None = None  # see prepare()
        self.leaving = False  # see leave()
        self.wanted_tab = ""  # the test tab the last tab key asked for
        self._draft_problem: str | None = None  # the last draft write's failure, said once
        self.run_text: str | None = None  # the body the Result pane shows the run of
        self.run_payload: tuple[dict[str, Any], str | None] | None = None  # its call, name
        # What the screen last showed, for whoever waits on it (tests, the tmux driver): the
        # body whose check is on screen, the last run and the last simulation.
        self.checked_text: str | None = None
        self.last_evaluation: Evaluation | None = None
        self.last_simulation: Simulation | None = None
        self.last_paths: dict[str, Any] | None = None

    # -- layout -------------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        with Horizontal(id="body"):
            yield FunctionList(id="functions")
            yield Vertical(id="work")  # filled by work_area(), once the list is on screen
        yield StatusBar(id="status")
        yield KeyFooter()

    async def work_area(self) -> bool:
        """Mount the editor, the problems list and the test pane, once; return when they are,
        True, or False when this screen is going away meanwhile (then touch nothing).

        The first list of functions is painted before they are mounted (they double the cost of
        that first paint). Everything that needs them awaits this: the first load after the
        list, a slow or failed connection (WORK_AREA_PATIENCE_S), and actions on keys pressed
        in the meantime, which wait instead of being lost. The mount is one task, shielded: a
        caller that is cancelled (an exclusive worker replaced) does not cancel it."""
        if self._work_area is None:
            self._work_area = asyncio.get_running_loop().create_task(self._mount_work_area())
            # However the mount ends, start-up is over (tui/gc_pause.py).
            self._work_area.add_done_callback(lambda _task: gc_pause.resume())
        return await asyncio.shield(self._work_area) and self.here

    async def _mount_work_area(self) -> bool:
        await self._refreshed()
        if not self.here:
            return False
        from widgets.diagnostics import Diagnostics
        from widgets.js_editor import JsEditor
        from widgets.test_pane import TestPane

        editor = JsEditor(id="editor")
        editor.border_title = "no function open"
        editor.read_only = True
        await self.query_one("#work").mount_all(
            [
                Vertical(editor, Diagnostics(id="diagnostics"), id="editing"),
                TestPane(sample_callflows(), id="test-pane"),
            ]
        )
        # mount_all returns once the pane is mounted; TabbedContent puts its tabs' contents in
        # place a refresh or two later.
        while self.here and not (self.query("#call-editor") and self.query("#callflow-view")):
            await self._refreshed()
        if not self.here:
            return False
        self._editor = editor
        self.sample_calls = sample_calls()
        self.call_editor.set_calls(self.sample_calls, {})
        self.refresh_bindings()
        return True

    @property
    def work_area_ready(self) -> bool:
        return self._editor is not None  # set last, once the whole work area is in place

    @property
    def work_area_started(self) -> bool:
        return self._work_area is not None

    async def leave(self) -> None:
        """The app is about to quit or replace this screen: start nothing more, and let a
        mount in progress finish (Textual's Select fails if torn down while mounting)."""
        self.leaving = True
        if self._work_area is not None:
            await asyncio.wait({self._work_area}, timeout=2.0)

    @property
    def here(self) -> bool:
        """False once this screen is going away (the app quits, or a switch of server replaces
        it): a worker that was waiting must not touch its widgets, which may be gone already."""
        return self.is_attached and self.app.is_running and not self.leaving

    async def _refreshed(self) -> None:
        """Return once the screen has been refreshed (painted) after what is queued now."""
        refreshed: asyncio.Future[None] = asyncio.get_running_loop().create_future()

        def painted() -> None:
            if not refreshed.done():
                refreshed.set_result(None)

        self.call_after_refresh(painted)
        await refreshed

    @work(group="work-area")
    async def _work_area_anyway(self) -> None:
        await self.work_area()

    @property
    def editor(self) -> JsEditor:
        # Held, not queried: it is used on every keystroke message, and still readable at
        # unmount (when the DOM is already gone) to write the last draft.
        assert self._editor is not None, "await work_area() first"
        return self._editor

    @property
    def functions(self) -> FunctionList:
        return self.query_one(FunctionList)

    # The work area's widgets, queried by id: their classes are imported only with it.
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
    def status(self) -> StatusBar:
        return self.query_one(StatusBar)

    # -- requests -----------------------------------------------------------------------------------
    async def attempt(
        self,
        request: Callable[[], Awaitable[T]],
        *,
        title: str = "",
        timeout: float = 10,
        ask: bool = True,
    ) -> T | Failed:
        """`api(request, ask=ask)`, or FAILED once the user has been told why it failed."""
        try:
            return await self.api(request, ask=ask)
        except ApiError as exc:
            self.notify(str(exc), title=title, severity="error", timeout=timeout)
            return FAILED

    async def api(self, request: Callable[[], Awaitable[T]], *, ask: bool = True) -> T:
        """Run one client request; when the session cannot be renewed on its own (a given token
        expired, a password changed), ask the user for new credentials and try again; with
        `ask=False`, raise CredentialsNeeded. Edits are never touched: the editor keeps its
        text whatever happens here."""
        while True:
            try:
                return await request()
            except AuthError as exc:
                if not ask:
                    raise CredentialsNeeded(str(exc)) from exc
                if not await self.ask_credentials(str(exc)):
                    raise

    async def ask_credentials(self, reason: str) -> bool:
        credentials = self.client.credentials
        if isinstance(credentials, IssuedCredentials):
            return False  # the embedded server mints its own; nothing to ask
        kind = {
            TokenCredentials: "a new auth token",
            UserCredentials: "the password",
            ApiKeyCredentials: "a valid API key",
        }.get(type(credentials), "new credentials")
        answer = await self.app.push_screen_wait(
            PromptScreen(
                f"{reason}\nEnter {kind} for {self.client.base_url} (your edits are kept):",
                password=True,
            )
        )
        if not answer:
            return False
        if isinstance(credentials, UserCredentials):
            self.client.credentials = replace(credentials, password=answer)
        elif isinstance(credentials, ApiKeyCredentials):
            self.client.credentials = ApiKeyCredentials(answer.strip())
        else:
            self.client.credentials = TokenCredentials(answer.strip())
        self.client.login_info = None
        return True

    # -- loading -----------------------------------------------------------------------------------
    async def prepare(self, patience: float) -> None:
        """Before the screen is shown: log in, choose the account and list its functions, for up
        to `patience` seconds, so that the first paint already has the list. (Painting the
        screen empty, then again once the list came, cost ~70 ms more of every start.) Nothing
        is asked here: credentials still to be typed, or refused ones, wait for the screen."""
        if self.client.login_info is None and missing_secret(self.client.credentials):
            return
        self._opening = asyncio.get_running_loop().create_task(self.open_account(None, ask=False))
        await asyncio.wait({self._opening}, timeout=patience)

    def on_mount(self) -> None:
        self.status.server = self.server_label
        self.functions.border_title = "Functions"
        self.functions.options.focus()
        opening, self._opening = self._opening, None
        if opening is None or not _succeeded(opening):
            self.connect(opening=opening)  # still under way, refused, or not tried
        elif (opened := opening.result()) is None:
            self.status.activity = "not connected"  # the user has been told why
        else:
            self.show_opened(opened)  # in the first paint
            if not isinstance(opened.entries, Failed):
                self.run_worker(self.open_listed(), group="load", exclusive=True)
        self.set_timer(WORK_AREA_PATIENCE_S, self._work_area_anyway)

    @work(exclusive=True, group="load")
    async def connect(
        self, account_id: str | None = None, *, opening: asyncio.Task[Opened | None] | None = None
    ) -> None:
        """Open `account_id` (else the default account) and show its functions. At start-up,
        `opening` is what `prepare()` began and did not finish in time."""
        self.status.activity = "connecting…"
        opened: Opened | None = None
        if opening is not None:
            try:
                with self.spinner_while(self.functions):
                    opened = await opening
            except CredentialsNeeded:  # refused before the screen was up: ask now
                opening = None
        if opening is None:
            if self.client.login_info is None and missing_secret(self.client.credentials):
                await self.ask_credentials("kfn never stores passwords or tokens.")
            with self.spinner_while(self.functions):
                opened = await self.open_account(account_id)
        self.status.activity = "" if opened or self.account_id else "not connected"
        if opened is None:
            return
        self.show_opened(opened)
        if not isinstance(opened.entries, Failed):
            await self.open_listed()

    async def open_account(self, account_id: str | None, *, ask: bool = True) -> Opened | None:
        """Log in, choose the account and list its functions: requests only, no widget is
        touched (this runs before the screen is shown). None once the user has been told why
        not, or to stay in the account already open. With `ask=False`, refused credentials
        raise CredentialsNeeded instead of prompting."""
        login: Login | Failed | None = self.client.login_info
        if login is None:
            login = await self.attempt(
                self.client.login, title="Cannot connect", timeout=15, ask=ask
            )
        if isinstance(login, Failed):
            return None
        # Asked for (palette), else the config's default, else the one last opened on this
        # server, else the login's own.
        remembered = self.local.last_account()
        wanted = account_id or self.default_account or remembered or login.account_id
        name = login.account_name
        if wanted != login.account_id:
            try:
                name = (await self.api(lambda: self.client.account(wanted), ask=ask)).name
            except ApiError as exc:
                if wanted == remembered and not (account_id or self.default_account):
                    self.local.remember_account(None)  # gone, or no longer ours: quietly
                else:
                    self.notify(
                        str(exc), title="Cannot open that account", severity="error", timeout=15
                    )
                if self.account_id:  # stay in the account we had
                    return None
                wanted, name = login.account_id, login.account_name
        return Opened(wanted, name, await self.list_entries(wanted, ask=ask))

    async def list_entries(
        self, account_id: str, *, ask: bool = True
    ) -> list[FunctionEntry] | Failed:
        """The account's functions as list entries, marked where a draft is kept; FAILED once
        the user has been told why not."""
        items = await self.attempt(
            lambda: self.client.list_functions(account_id, page_size=1000),
            title="Cannot list functions",
            timeout=15,
            ask=ask,
        )
        if isinstance(items, Failed):
            return FAILED
        entries = [FunctionEntry.from_summary(item) for item in items]
        drafted = self.local.drafted_ids()
        for entry in entries:
            entry.dirty = entry.id in drafted
        return entries

    def show_opened(self, opened: Opened) -> None:
        if self.account_id and opened.account_id != self.account_id:
            self.close_function()  # it belongs to the account being left
        self.account_id = self.workspace.account_id = opened.account_id
        self.status.account = opened.name
        self.local.remember_account(opened.account_id)
        if not isinstance(opened.entries, Failed):
            self.functions.set_entries(opened.entries)

    def close_function(self, *, keep_draft: bool = True) -> None:
        """Put the open function away, its unsaved edits kept as a draft (unless it is being
        deleted): nothing of another account stays in the editor, to be saved into the wrong
        place or reported deleted."""
        if self.current is None or self._editor is None:
            self.current = None
            return
        if keep_draft:
            self.keep_draft()
        self.current = None
        self.editor.load_body("")
        self.editor.read_only = True
        self._title()
        self.result_view.show_message("", "")
        self.last_evaluation = None

    @contextmanager
    def spinner_while(self, widget: Widget) -> Iterator[None]:
        """Show `widget`'s loading indicator while the block runs, once it has run for
        LOADING_DELAY_S: a quick answer (the embedded server's) flashes no spinner, and does
        not pay for mounting and removing one (~90 ms of the first paint of 1,000 functions)."""
        timer = self.set_timer(LOADING_DELAY_S, lambda: setattr(widget, "loading", True))
        try:
            yield
        finally:
            timer.stop()
            if widget.loading:
                widget.loading = False

    async def reload_functions(self, open_id: str | None = None) -> None:
        self.status.activity = "loading functions…"
        try:
            with self.spinner_while(self.functions):
                entries = await self.list_entries(self.account_id)
        finally:
            self.status.activity = ""
        if isinstance(entries, Failed):
            return
        self.functions.set_entries(entries)
        await self.open_listed(open_id)

    async def open_listed(self, open_id: str | None = None) -> None:
        """After listing: the work area (the first time, once the list has been painted); the
        function to show (`open_id`, else the one open, else the first listed); and, once,
        the runtime warmed in the background."""
        if not await self.work_area():
            return
        visible = self.functions.visible_ids()
        target = open_id or (self.current.id if self.current else None)
        if target is None and self.local.last_function(self.account_id) in visible:
            target = self.local.last_function(self.account_id)  # where you left off
        if target is None and visible:
            target = visible[0]
        if target:
            self.functions.select(target)
            await self.load_function(target)
        if not self._runtime_warmed:
            self._runtime_warmed = True
            # A moment after the list is on screen, not competing with its first paint.
            self.set_timer(0.5, self.warm_runtime)

    @work(thread=True, group="warm")
    def warm_runtime(self) -> None:
        """Import the runtime, start the sandbox's worker processes and the checking process in
        the background, so the first run does not wait ~0.3 s for them nor the first check
        ~1 s for esprima (all were kept out of start-up)."""
        from backend.callflow.evaluate import evaluate  # noqa: F401
        from backend.runtime.checker import shared_checker
        from backend.runtime.sandbox import shared_sandbox

        shared_sandbox()
        shared_checker().check("")  # its process is up and has imported esprima

    async def load_function(self, function_id: str) -> None:
        if not await self.work_area():
            return
        with self.spinner_while(self.editor):
            loaded = await self.attempt(
                lambda: self.client.get_function(self.account_id, function_id)
            )
        if not isinstance(loaded, Failed):
            self.show_function(loaded)

    def show_function(self, loaded: Revisioned, *, use_draft: bool = True) -> None:
        if self.current is not None and self.current.id != loaded.id:
            self.keep_draft()  # the last keystrokes before switching, not only the last pause
        self.current = loaded
        body = str(loaded.data.get("function_js", ""))
        draft = self.local.draft(loaded.id) if use_draft else None
        self.editor.read_only = False
        if draft and draft.get("text") != body:
            # The draft stays tied to the revision it was made on: if the server moved on since,
            # saving it gives the conflict dialog instead of silently overwriting.
            self.current = Revisioned(loaded.data, draft.get("revision") or loaded.revision)
            self.editor.load_body(str(draft["text"]), saved_text=body)
            self.notify(f"Restored your unsaved edits to {loaded.data.get('name', loaded.id)}")
        else:
            self.local.drop_draft(loaded.id)
            self.editor.load_body(body)
        self._title()
        self.functions.select(loaded.id)
        self.call_editor.set_calls(self.sample_calls, self.local.calls(loaded.id))
        self.history.show_runs(self.local.runs(loaded.id))
        self.remember_opened(self.account_id, loaded.id)

    def _title(self) -> None:
        if self.current is None:
            self.editor.border_title = "no function open"
            self.editor.border_subtitle = ""
            return
        data = self.current.data
        name = str(data.get("name") or self.current.id)
        dirty = " ●" if self.editor.dirty else ""
        state = "" if data.get("enabled", True) is not False else " · disabled"
        self.editor.border_title = f"{name}{dirty}{state}"
        # The generation number is what a person compares; the hash part is noise on screen.
        self.editor.border_subtitle = f"rev {str(self.current.revision or '?').split('-')[0]}"

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
            await self.load_function(function_id)

    # -- editing, drafts and checks ----------------------------------------------------------------
    def on_js_editor_dirty_changed(self, event: JsEditor.DirtyChanged) -> None:
        if self.current is not None:
            self.functions.set_dirty(self.current.id, event.dirty)
            self.keep_draft()
        self._title()

    def on_js_editor_paused(self, event: JsEditor.Paused) -> None:
        self.keep_draft_in_background()
        self.check_body(event.text)
        if self.run_text is not None and self._editor is not None:
            self.result_view.set_stale(event.text != self.run_text)

    @work(exclusive=True, group="draft")
    async def keep_draft_in_background(self) -> None:
        """The pause's draft, written in a thread; a failure (a full disk) is said once."""
        current = self.current
        if current is None or not self.editor.dirty:
            self.keep_draft()  # dropping a draft is cheap
            return
        problem = await self.workspace.keep_draft(
            current.id, self.editor.text, self.editor.saved_text, current.revision
        )
        if problem and problem != self._draft_problem:
            self.notify(problem, title="Draft not kept", severity="error", timeout=15)
        self._draft_problem = problem

    def on_unmount(self) -> None:
        # Quitting, a signal, or switching server: keystrokes since the last pause go to disk.
        self.keep_draft()
        if self._work_area is not None:
            self._work_area.cancel()  # a mount still waiting for a refresh that will not come

    def keep_draft(self) -> None:
        """Write the editor's unsaved text to disk now (or drop the draft when it is clean)."""
        if self.current is None:
            return
        if self.editor.dirty:
            self.local.keep_draft(
                self.current.id, self.editor.text, self.editor.saved_text, self.current.revision
            )
        else:
            self.local.drop_draft(self.current.id)

    @work(thread=True, exclusive=True, group="check")
    def check_body(self, text: str) -> None:
        from backend.runtime.checker import shared_checker  # esprima, in a process of its own

        self.post_message(self.Checked(text, shared_checker().check(text)))

    @on(Checked)
    def _checked(self, event: Checked) -> None:
        if event.text != self.editor.text:
            return  # typing went on; a newer check is coming
        found = to_diagnostics(event.report)
        self.editor.set_diagnostics(found)
        self.diagnostics.show(found)
        self.checked_text = event.text

    def on_diagnostics_jump(self, event: Diagnostics.Jump) -> None:
        self.editor.goto_line(event.diagnostic.line, event.diagnostic.column)
        self.editor.focus()

    def on_js_editor_find_requested(self, event: JsEditor.FindRequested) -> None:
        if event.goto_line:
            self.app.push_screen(PromptScreen("Go to line", placeholder="line number"), self._goto)
        elif event.replace:
            self.find_and_replace()
        else:
            self.app.push_screen(
                PromptScreen("Find (F3 finds the next one)", self.editor.last_search), self._search
            )

    def _goto(self, answer: str | None) -> None:
        if answer and answer.strip().isdigit():
            self.editor.goto_line(int(answer.strip()))
        elif answer:
            self.notify(f"{answer!r} is not a line number", severity="warning")

    @work(group="dialogs")
    async def find_and_replace(self) -> None:
        """F6: what to replace, then with what; every occurrence, in one undoable edit."""
        editor = self.editor
        selected = editor.selected_text if "\n" not in editor.selected_text else ""
        needle = await self.app.push_screen_wait(
            PromptScreen("Replace (every occurrence)", selected or editor.last_search)
        )
        if not needle:
            return
        if needle not in editor.text:
            self.notify(f"{needle!r} is not in this function", severity="warning")
            return
        replacement = await self.app.push_screen_wait(
            PromptScreen(f"Replace {needle!r} with", placeholder="(empty: delete it)")
        )
        if replacement is None:
            return
        count = editor.replace_all(needle, replacement)
        self.notify(f"Replaced {count} occurrence(s) of {needle!r}; ctrl+z undoes it")

    def _search(self, answer: str | None) -> None:
        if answer and not self.editor.find_next(answer):
            self.notify(f"{answer!r} is not in this function", severity="warning")

    # -- saving --------------------------------------------------------------------------------------
    def action_save(self) -> None:
        if self.current is None:
            self.notify("Open a function first (Enter on the list)", severity="warning")
            return
        self.save()

    @work(exclusive=True, group="save")
    async def save(self) -> None:
        current = self.current
        if current is None:
            return
        text = self.editor.text
        self.status.activity = "saving…"
        try:
            outcome = await self.workspace.save(
                current.id, {**current.data, "function_js": text}, current.revision
            )
        finally:
            self.status.activity = ""
        await self._after_save(outcome, current, text)

    async def _after_save(self, outcome: SaveOutcome, current: Revisioned, text: str) -> None:
        """What every save of the editor's text ends in, ctrl+s or "keep mine"."""
        if isinstance(outcome, Saved):
            self._saved(outcome.doc, text)
        elif isinstance(outcome, Conflict):
            await self.resolve_conflict(current, text, outcome.theirs)
        elif isinstance(outcome, Gone):
            self._deleted_on_server()
        else:
            self.notify(
                f"{outcome.message}. Your edit is kept; ctrl+s to try again.",
                title="Not saved",
                severity="error",
                timeout=15,
            )

    def _saved(self, saved: Revisioned, text: str) -> None:
        self.functions.upsert(FunctionEntry.from_summary(saved.data))
        if self.current is None or self.current.id != saved.id:
            # Another function was opened while this one was saving; its editor is not ours.
            self.local.drop_draft(saved.id)
            self.functions.set_dirty(saved.id, False)
            self.notify(f"Saved {saved.data.get('name', saved.id)}")
            return
        self.current = saved
        self.editor.mark_saved(text)
        self.keep_draft()  # drops the draft, or keeps what was typed during the save
        self.functions.set_dirty(saved.id, self.editor.dirty)
        self._title()
        self.notify(f"Saved {saved.data.get('name', saved.id)}")

    def _deleted_on_server(self) -> None:
        self.notify(
            "This function was deleted on the server. Your text is kept (also as a draft); "
            "copy it into a new function (ctrl+n).",
            title="Not saved",
            severity="error",
            timeout=15,
        )

    async def resolve_conflict(self, current: Revisioned, text: str, theirs: Revisioned) -> None:
        """The three-way conflict dialog; whatever is chosen, the editor then holds it over the
        server's revision, so a save cannot overwrite the other edit unseen."""
        from tui.screens.conflict import EDIT, TAKE_THEIRS, ConflictScreen

        name = str(theirs.data.get("name", current.id))
        their_text = str(theirs.data.get("function_js", ""))
        answer = await self.app.push_screen_wait(
            ConflictScreen(name, self.editor.saved_text, text, their_text)
        )
        if answer is None:
            self.notify("Not saved; your edit is kept. ctrl+s to decide again.")
            return
        if answer.kind == TAKE_THEIRS:
            self.local.drop_draft(current.id)
            self.show_function(theirs, use_draft=False)
            self.notify(f"Took the server's version of {name}")
            return
        # Mine whole, or a merge: on top of their revision, in the editor.
        self.current = theirs
        self.editor.load_body(answer.text, saved_text=their_text)
        self._title()
        if answer.kind == EDIT:
            self.editor.focus()
            self.notify("Finish the merge where the <<<<<<< markers are, then ctrl+s")
            return
        # Saved over the revision just shown; if it moved again, the dialog comes back.
        outcome = await self.workspace.save(
            theirs.id, {**theirs.data, "function_js": answer.text}, theirs.revision
        )
        await self._after_save(outcome, theirs, answer.text)

    # -- list actions --------------------------------------------------------------------------------
    @on(FunctionList.ActionRequested)
    def _list_action(self, event: FunctionList.ActionRequested) -> None:
        if event.action is ListAction.NEW:
            self.action_new()
        elif event.function_id is None:
            self.notify("No function selected", severity="warning")
        else:
            self.list_action(event.action, event.function_id)

    def action_new(self) -> None:
        self.app.push_screen(
            PromptScreen("Name of the new function", placeholder="e.g. route by caller"),
            self._create,
        )

    def _create(self, name: str | None) -> None:
        if name and name.strip():
            self.create_function({"name": name.strip(), "function_js": NEW_FUNCTION_BODY})

    @work(exclusive=True, group="write")
    async def create_function(self, data: dict[str, Any]) -> None:
        await self._create_function(data)

    async def _create_function(self, data: dict[str, Any], *, focus_editor: bool = True) -> None:
        if not await self.work_area():
            return
        self.status.activity = "creating…"
        try:
            created = await self.attempt(lambda: self.client.create_function(self.account_id, data))
        finally:
            self.status.activity = ""
        if isinstance(created, Failed):
            return
        self.functions.upsert(FunctionEntry.from_summary(created.data))
        self.show_function(created)
        if focus_editor:
            self.editor.focus()
        self.notify(f"Created {created.data.get('name')}")

    @work(exclusive=True, group="write")
    async def action_revert(self) -> None:
        """Drop the unsaved edits (and their draft) and load the server's revision again."""
        current = self.current
        if current is None or not await self.work_area():
            return
        name = str(current.data.get("name", current.id))
        if not self.editor.dirty:
            self.notify(f"{name} has no unsaved edits", timeout=3)
            return
        question = f"Discard your edits to {name} and load the server's version?"
        if not await self.app.push_screen_wait(ConfirmScreen(question, "Discard")):
            return
        with self.spinner_while(self.editor):
            loaded = await self.attempt(
                lambda: self.client.get_function(self.account_id, current.id)
            )
        if isinstance(loaded, Failed):
            return  # the edits stay, and so does their draft
        self.local.drop_draft(current.id)
        self.show_function(loaded, use_draft=False)
        self.functions.set_dirty(current.id, False)
        self.notify(f"Reverted {name} to revision {loaded.revision}")

    @work(exclusive=True, group="write")
    async def list_action(self, action: ListAction, function_id: str) -> None:
        loaded = await self.attempt(lambda: self.client.get_function(self.account_id, function_id))
        if isinstance(loaded, Failed):
            return
        handlers = {
            ListAction.RENAME: self._rename,
            ListAction.TOGGLE: self._toggle,
            ListAction.DUPLICATE: self._duplicate,
            ListAction.DELETE: self._delete,
        }
        await handlers[action](loaded, str(loaded.data.get("name", function_id)))

    async def _rename(self, loaded: Revisioned, name: str) -> None:
        answer = await self.app.push_screen_wait(PromptScreen(f"Rename {name}", name))
        if not answer or not answer.strip() or answer.strip() == name:
            return
        await self._update(loaded, {"name": answer.strip()}, f"Renamed to {answer.strip()}")

    async def _toggle(self, loaded: Revisioned, name: str) -> None:
        enabled = loaded.data.get("enabled", True) is not False
        await self._update(
            loaded, {"enabled": not enabled}, f"{name} {'disabled' if enabled else 'enabled'}"
        )

    async def _duplicate(self, loaded: Revisioned, name: str) -> None:
        copy = {key: value for key, value in loaded.data.items() if key != "id"}
        copy["name"] = f"{name} copy"
        await self._create_function(copy, focus_editor=False)  # stay in the list

    async def _delete(self, loaded: Revisioned, name: str) -> None:
        if not await self.app.push_screen_wait(
            ConfirmScreen(f"Delete {name}? This cannot be undone here.", "Delete")
        ):
            return
        function_id = loaded.id
        deleted = await self.attempt(
            lambda: self.client.delete_function(self.account_id, function_id)
        )
        if isinstance(deleted, Failed):
            return
        if self.current is not None and self.current.id == function_id:
            self.close_function(keep_draft=False)
        self.local.drop_draft(function_id)
        self.functions.drop(function_id)
        self.notify(f"Deleted {name}")

    async def _update(self, loaded: Revisioned, changes: dict[str, Any], done: str) -> None:
        """A rename or enable/disable, through the same save as the editor's text."""
        outcome = await self.workspace.update_fields(loaded, changes)
        if isinstance(outcome, Gone):
            self.functions.drop(loaded.id)
            self.notify(
                f"{loaded.data.get('name', loaded.id)} was deleted on the server",
                severity="error",
                timeout=10,
            )
            return
        if isinstance(outcome, Conflict):
            fields = ", ".join(changes)
            self.notify(
                f"Someone changed the {fields} on the server meanwhile; nothing was changed. "
                "The list shows theirs now.",
                severity="warning",
                timeout=10,
            )
            self.functions.upsert(FunctionEntry.from_summary(outcome.theirs.data))
            return
        if isinstance(outcome, SaveFailed):
            self.notify(outcome.message, severity="error", timeout=10)
            return
        saved = outcome.doc
        self.functions.upsert(FunctionEntry.from_summary(saved.data))
        if self.current is not None and self.current.id == saved.id:
            # Keep the editor's text (maybe unsaved) but move to the new revision and fields.
            self.current = Revisioned(saved.data, saved.revision)
            self.editor.saved_text = str(saved.data.get("function_js", ""))
            self._title()
        self.notify(done)

    # -- running -----------------------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "cancel_run":
            return self.run_cancel is not None
        return True

    async def action_run(self) -> None:
        if not await self.work_area():
            return
        if self.run_cancel is not None:
            self.notify("A run is in progress (esc cancels it)", severity="warning")
            return
        if self.test_pane.callflow_mode:
            self.start_simulation()
            return
        if self.current is None:  # an empty editor is no function: nothing to judge
            self.notify("Open a function first (enter on the list)", severity="warning")
            return
        call_editor = self.call_editor
        if call_editor.payload is None:
            self.test_pane.active = "call"
            self.notify(f"The test call is not valid JSON: {call_editor.error}", severity="error")
            return
        self._start_function_run(call_editor.payload, call_editor.selected_key)

    def _start_function_run(self, payload: dict[str, Any], call_name: str | None) -> None:
        self._begin_run("the function")
        self.run_text = self.editor.text
        self.run_payload = (payload, call_name)
        self.run_function(self.run_text, payload, self.run_cancel)

    @work(thread=True, group="state")
    def remember_opened(self, account_id: str, function_id: str) -> None:
        """Which function to reopen in this account next time; in a thread (it is fsync'ed),
        and only a convenience: a failed write is not worth a word."""
        try:
            self.local.remember_function(account_id, function_id)
        except OSError:
            pass

    @work(group="history")
    async def record_run(self, function_id: str, run: dict[str, Any]) -> None:
        """Keep the run in the function's history (in a thread: the file is fsync'ed)."""
        try:
            await asyncio.to_thread(self.local.record_run, function_id, run)
        except OSError as exc:
            self.notify(f"The run was not added to the history: {exc}", severity="warning")
            return
        if self.current is not None and self.current.id == function_id:
            self.history.show_runs(self.local.runs(function_id))

    @property
    def history(self) -> RunHistory:
        from widgets.run_history import RunHistory

        return self.query_one("#run-history", RunHistory)

    def on_run_history_rerun(self, event: RunHistory.Rerun) -> None:
        """That run's call, with the code as it is now."""
        if self.run_cancel is not None:
            self.notify("A run is in progress (esc cancels it)", severity="warning")
            return
        payload = event.run.get("call")
        if not isinstance(payload, dict):
            self.notify("That run kept no call", severity="warning")
            return
        self._start_function_run(payload, event.run.get("call_name"))

    def on_run_history_compare(self, event: RunHistory.Compare) -> None:
        from tui.screens.compare import CompareScreen

        self.app.push_screen(CompareScreen(event.newer, event.older))

    def _begin_run(self, what: str) -> None:
        self.run_cancel = threading.Event()
        self.run_started = time.monotonic()
        if not self.test_pane.callflow_mode:
            self.test_pane.active = "result"
        self.result_view.show_running(what)
        self.run_timer = self.set_interval(0.1, self._tick)
        self._tick()
        self.refresh_bindings()

    def _tick(self) -> None:
        elapsed = time.monotonic() - self.run_started
        self.status.activity = f"running… {elapsed:.1f} s (esc cancels)"

    def _end_run(self) -> None:
        self.run_cancel = None
        if self.run_timer is not None:
            self.run_timer.stop()
            self.run_timer = None
        self.status.activity = ""
        self.refresh_bindings()

    def action_cancel_run(self) -> None:
        if self.run_cancel is not None:
            self.run_cancel.set()
            self.status.activity = "cancelling…"

    @work(thread=True, exclusive=True, group="run")
    def run_function(
        self, body: str, payload: dict[str, Any], cancel: threading.Event | None
    ) -> None:
        from backend.callflow.evaluate import evaluate
        from backend.runtime.checker import shared_checker

        report = shared_checker().check(body)  # cached there: the pause after typing checked it
        self.post_message(
            self.RunDone(
                evaluate(body, payload, cancel=cancel, limits=self.run_limits, report=report)
            )
        )

    @on(RunDone)
    def _run_done(self, event: RunDone) -> None:
        elapsed_ms = (time.monotonic() - self.run_started) * 1000
        self._end_run()
        evaluation = event.evaluation
        self.last_evaluation = evaluation
        report = evaluation.to_json()
        if evaluation.error is not None and evaluation.error.kind == "cancelled":
            report["duration_ms"] = elapsed_ms  # how long it ran before esc, not 0
        self.result_view.show_report(report, evaluation.reasons())
        self.query_one("#flow-tree").show_flow(  # type: ignore[attr-defined]
            evaluation.flow if evaluation.outcome and evaluation.outcome.ok else None
        )
        if self.current is not None and self.run_payload is not None:
            self.record_run(self.current.id, run_record(evaluation, report, *self.run_payload))
        if evaluation.error is not None and evaluation.error.kind == "cancelled":
            self.notify("Run cancelled")

    @work(exclusive=True, group="simulate")
    async def start_simulation(self, number: str | None = None, every_path: bool = False) -> None:
        """Walk the picked callflow (or the one that answers `number`) for the test call, or
        enumerate every path through it."""
        view = self.callflow_view
        call_editor = self.call_editor
        name = view.selected
        if number is None and (name is None or name not in view.callflows):
            self.notify("Pick a callflow first, or dial a number", severity="warning")
            return
        payload = call_editor.payload
        if payload is None:
            self.notify(f"The test call is not valid JSON: {call_editor.error}", severity="error")
            return
        self._begin_run(f"dialling {number}" if number else f"callflow {name}")
        source = await self._function_source()
        if source is None:
            return
        documents = await self._callflow_documents(name or "")
        capture: str | None = None
        if number is not None:
            found = documents.lookup(number)
            if found is None:
                self._end_run()
                self.notify(f"No callflow answers {number}", severity="warning")
                return
            _doc_id, callflow, capture = found
            # The picker shows what is walked: the dialled callflow, when it lists it.
            shown = [
                k for k, doc in view.callflows.items() if doc.get("name") == callflow.get("name")
            ]
            if shown:
                view.choose(shown[0])
        else:
            assert name is not None
            callflow = view.callflows[name]
        self.simulate_callflow(callflow, payload, source, documents, capture, every_path)

    async def _function_source(self) -> MappingSource | None:
        """The walk's functions (the editor's text for the open one); None after saying why
        the server could not list them."""
        try:
            return await self.workspace.function_source(
                self.current.id if self.current else None, self.editor.text
            )
        except ApiError as exc:
            self._end_run()
            self.result_view.show_message(str(exc), "red")
            self.notify(str(exc), severity="error", timeout=10)
            return None

    def on_flow_tree_detail_requested(self, event: FlowTree.DetailRequested) -> None:
        from tui.screens.detail import DetailScreen

        self.app.push_screen(DetailScreen(event.title, event.node))

    def on_callflow_view_dial(self, event: CallflowView.Dial) -> None:
        self.start_simulation(number=event.number)

    def on_callflow_view_all_paths_requested(self, event: CallflowView.AllPathsRequested) -> None:
        self.start_simulation(every_path=True)

    async def _callflow_documents(self, selected: str) -> Documents:
        """The walk's documents; the picker learns the account's own callflows too."""
        documents, server = await self.workspace.walk_documents()
        view = self.callflow_view
        shown = {doc.get("name") for doc in view.callflows.values()}  # samples seeded here too
        named = {
            str(doc.get("name") or doc_id): doc
            for doc_id, doc in server.items()
            if doc.get("name") not in shown
        }
        if not named.keys() <= view.callflows.keys():
            view.set_callflows({**view.callflows, **named})
            view.choose(selected)
        return documents

    @work(thread=True, exclusive=True, group="run")
    def simulate_callflow(
        self,
        callflow: dict[str, Any],
        payload: dict[str, Any],
        source: MappingSource,
        documents: Documents,
        capture: str | None = None,
        every_path: bool = False,
    ) -> None:
        from backend.callflow.execute import Environment, all_paths
        from backend.callflow.simulate import ScenarioError, simulate
        from backend.runtime.checker import shared_checker

        check = shared_checker().check
        try:
            if every_path:
                env = Environment(
                    payload, source, documents, self.account_id, check=check,
                    capture_group=capture,
                )  # fmt: skip
                self.post_message(self.PathsDone(all_paths(callflow, env).to_json()))
                return
            simulation = simulate(
                callflow,
                payload,
                source,
                documents=documents,
                account_id=self.account_id,
                check=check,
                capture_group=capture,
            )
        except ScenarioError as exc:
            self.app.call_from_thread(self._end_run)
            self.app.call_from_thread(
                self.notify, str(exc), title="Bad scenario in the call", severity="error"
            )
            return
        self.post_message(self.SimulationDone(simulation))

    @on(SimulationDone)
    def _simulated(self, event: SimulationDone) -> None:
        self._end_run()
        self.last_simulation = event.simulation
        self.result_view.show_message("See the Callflow tab for the simulated path.")
        self.callflow_view.show_simulation(event.simulation.to_json())

    @on(PathsDone)
    def _explored(self, event: PathsDone) -> None:
        self._end_run()
        self.last_paths = event.paths
        self.result_view.show_message("See the Callflow tab: every path, with its scenario.")
        self.callflow_view.show_paths(event.paths)

    @work(exclusive=True, group="write")
    async def import_samples(self) -> None:
        self.status.activity = "importing samples…"
        try:
            made = await self.attempt(lambda: seed_samples(self.client, self.account_id))
        finally:
            self.status.activity = ""
        if isinstance(made, Failed):
            return
        self.notify(f"Imported {made} sample function(s)")
        await self.reload_functions()

    # -- test calls ----------------------------------------------------------------------------------
    def on_call_editor_save_requested(self, event: CallEditor.SaveRequested) -> None:
        if self.current is None:
            self.notify("Open a function first: calls are saved per function", severity="warning")
            return
        function_id = self.current.id

        def save(name: str | None) -> None:
            if name and name.strip():
                self.local.save_call(function_id, name.strip(), event.payload)
                event.editor.set_calls(
                    self.sample_calls, self.local.calls(function_id), f"saved:{name.strip()}"
                )
                self.notify(f"Saved the test call {name.strip()!r} for this function")

        self.app.push_screen(PromptScreen("Save this call as", event.name), save)

    @work(group="dialogs")
    async def on_call_editor_delete_requested(self, event: CallEditor.DeleteRequested) -> None:
        current = self.current
        if current is None:
            return
        question = f"Delete the saved test call {event.name!r}?"
        if not await self.app.push_screen_wait(ConfirmScreen(question, "Delete")):
            return
        self.local.delete_call(current.id, event.name)
        event.editor.set_calls(self.sample_calls, self.local.calls(current.id))
        self.notify(f"Deleted the test call {event.name!r}")

    # -- navigation and help -------------------------------------------------------------------------
    TABS = ("call", "result", "flow", "callflow", "history")

    def _tab_target(self, tab: str) -> Widget:
        """What focus goes to in `tab`: its first focusable widget, else the pane."""
        pane = self.test_pane.tabs.get_pane(tab)
        inner = [w for w in pane.query("*") if w.focusable]
        return inner[0] if inner else self.test_pane

    def panes(self) -> list[tuple[str, Widget]]:
        """Where ctrl+o goes, in order: the list, the editor, the problems, then each tab."""
        fixed: list[tuple[str, Widget]] = [
            ("functions", self.query_one(FunctionOptions)),
            ("editor", self.editor),
            ("problems", self.diagnostics),
        ]
        return fixed + [(tab, self.test_pane) for tab in self.TABS]

    def _current_pane(self) -> int:
        node = self.focused
        while node is not None:
            if node is self.test_pane:
                return 3 + self.TABS.index(self.test_pane.active)
            for position, (_name, pane) in enumerate(self.panes()[:3]):
                if node is pane:
                    return position
            node = node.parent  # type: ignore[assignment]
        return -1

    async def action_next_pane(self) -> None:
        if not await self.work_area():
            return
        name, _pane = self.panes()[(self._current_pane() + 1) % len(self.panes())]
        if name in self.TABS:
            await self.action_show_tab(name)
        else:
            await self.action_focus_pane(name)

    async def action_show_tab(self, tab: str) -> None:
        """Open a test tab and focus what is in it."""
        if not await self.work_area():
            return
        self.wanted_tab = tab
        self.test_pane.active = tab
        target = self._tab_target(tab)
        # Now, not later (Widget.focus waits a turn): a key already queued behind this one,
        # such as tab to the dial field, must find the focus where the user expects it.
        self.set_focus(target)

        def keep_focus() -> None:
            # TabbedContent follows focus by message, so an earlier tab key's focus may still
            # switch back to its tab: the last key pressed wins. Focus the user has moved
            # within the tab since (tab to the dial field) is left alone.
            if self.wanted_tab != tab:
                return
            self.test_pane.active = tab
            pane = self.test_pane.tabs.get_pane(tab)
            if self.focused is None or pane not in self.focused.ancestors_with_self:
                self.set_focus(target)

        self.call_after_refresh(keep_focus)

    async def action_focus_pane(self, name: str) -> None:
        if not await self.work_area():
            return
        self.set_focus(dict(self.panes()[:3])[name])  # at once, as for the tabs

    async def action_zoom(self, what: str) -> None:
        """Fill the screen with the editor or the test pane; the same key puts it back."""
        if not await self.work_area():
            return
        target: Widget = self.editor if what == "editor" else self.test_pane
        if self.maximized is target:
            self.minimize()
            return
        self.minimize()
        if what == "editor":
            self.editor.focus()
        elif self.focused is None or self.test_pane not in self.focused.ancestors_with_self:
            self._tab_target(self.test_pane.active).focus()
        self.maximize(target, container=False)

    def action_help(self) -> None:
        node = self.focused
        while node is not None and not getattr(node, "HELP", None):
            node = node.parent  # type: ignore[assignment]
        text = getattr(node, "HELP", None) or FunctionList.HELP
        from tui.screens.help import HelpScreen

        self.app.push_screen(HelpScreen(text))

    def on_tabbed_content_tab_activated(self) -> None:
        self.refresh_bindings()
