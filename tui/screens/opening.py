"""The main screen's opening: connect, list the account's functions, open one in the editor,
close it (when switching account or deleting it), and warm the runtime once."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from backend.client import Revisioned
from tui.profiles import missing_secret
from tui.screens.connection import CredentialsNeeded, Failed, Opened

if TYPE_CHECKING:
    from tui.local_state import LocalState
    from tui.screens.main import MainScreen


class Opening:
    def __init__(self, screen: MainScreen) -> None:
        self.screen = screen
        self.task: asyncio.Task[Opened | None] | None = None  # see prepare()
        self._runtime_warmed = False

    async def prepare(self, patience: float) -> None:
        """Before the screen is shown: log in, choose the account and list its functions, for up
        to `patience` seconds, so that the first paint already has the list. Nothing is asked
        here: credentials still to be typed, or refused ones, wait for the screen."""
        client = self.screen.client
        if client.login_info is None and missing_secret(client.credentials):
            return
        self.task = asyncio.get_running_loop().create_task(self._open_account(None, ask=False))
        await asyncio.wait({self.task}, timeout=patience)

    async def _open_account(self, account_id: str | None, *, ask: bool = True) -> Opened | None:
        screen = self.screen
        return await screen.connection.open_account(
            account_id, default=screen.default_account, current=screen.account_id, ask=ask
        )

    async def connect(
        self, account_id: str | None = None, *, opening: asyncio.Task[Opened | None] | None = None
    ) -> None:
        """Open `account_id` (else the default account) and show its functions. At start-up,
        `opening` is what `prepare()` began and did not finish in time."""
        screen = self.screen
        screen.status.activity = "connecting…"
        opened: Opened | None = None
        if opening is not None:
            try:
                with screen.spinner_while(screen.functions):
                    opened = await opening
            except CredentialsNeeded:  # refused before the screen was up: ask now
                opening = None
        if opening is None:
            client = screen.client
            if client.login_info is None and missing_secret(client.credentials):
                await screen.connection.ask_credentials("kfn never stores passwords or tokens.")
            with screen.spinner_while(screen.functions):
                opened = await self._open_account(account_id)
        screen.status.activity = "" if opened or screen.account_id else "not connected"
        if opened is not None:
            self.show_opened(opened)
            if not isinstance(opened.entries, Failed):
                await self.open_listed()

    def show_opened(self, opened: Opened) -> None:
        screen = self.screen
        if screen.account_id and opened.account_id != screen.account_id:
            self.close_function()  # it belongs to the account being left
        screen.account_id = screen.workspace.account_id = opened.account_id
        screen.status.account = opened.name
        screen.local.remember_account(opened.account_id)
        if not isinstance(opened.entries, Failed):
            screen.functions.set_entries(opened.entries)

    def close_function(self, *, keep_draft: bool = True) -> None:
        """Put the open function away, its unsaved edits kept as a draft (unless it is being
        deleted): nothing of another account stays in the editor, to be saved into the wrong
        place or reported deleted."""
        screen = self.screen
        if screen.current is None or not screen.work.is_ready:
            screen.current = None
            return
        if keep_draft:
            screen.editing.keep_draft()
        screen.current = None
        screen.editor.load_body("")
        screen.editor.read_only = True
        self.show_title()
        screen.work.result_view.show_message("", "")
        screen.runner.last_evaluation = None

    async def reload_functions(self, open_id: str | None = None) -> None:
        screen = self.screen
        screen.status.activity = "loading functions…"
        try:
            with screen.spinner_while(screen.functions):
                entries = await screen.connection.list_entries(screen.account_id)
        finally:
            screen.status.activity = ""
        if not isinstance(entries, Failed):
            screen.functions.set_entries(entries)
            await self.open_listed(open_id)

    async def open_listed(self, open_id: str | None = None) -> None:
        """After listing: the work area (the first time, once the list has been painted); the
        function to show (`open_id`, else the one open, else the one last opened here, else the
        first listed); and, once, the runtime warmed in the background."""
        screen = self.screen
        if not await screen.work_area():
            return
        visible = screen.functions.visible_ids()
        last = screen.local.last_function(screen.account_id)
        target = open_id or (screen.current.id if screen.current else None)
        target = target or (last if last in visible else None) or (visible[0] if visible else None)
        if target:
            screen.functions.select(target)
            await self.load_function(target)
        if not self._runtime_warmed:
            self._runtime_warmed = True
            # A moment after the list is on screen, not competing with its first paint.
            screen.set_timer(
                0.5, lambda: screen.run_worker(warm_runtime, thread=True, group="warm")
            )

    async def load_function(self, function_id: str) -> None:
        screen = self.screen
        if not await screen.work_area():
            return
        with screen.spinner_while(screen.editor):
            loaded = await screen.connection.report(screen.workspace.load(function_id))
        if not isinstance(loaded, Failed):
            self.show_function(loaded)

    def show_function(self, loaded: Revisioned, *, use_draft: bool = True) -> None:
        screen, editor, local = self.screen, self.screen.editor, self.screen.local
        if screen.current is not None and screen.current.id != loaded.id:
            screen.editing.keep_draft()  # the last keystrokes before switching
        screen.current = loaded
        body = str(loaded.data.get("function_js", ""))
        draft = local.draft(loaded.id) if use_draft else None
        editor.read_only = False
        if draft and draft.get("text") != body:
            # The draft stays tied to the revision it was made on: if the server moved on since,
            # saving it gives the conflict dialog instead of silently overwriting.
            screen.current = Revisioned(loaded.data, draft.get("revision") or loaded.revision)
            editor.load_body(str(draft["text"]), saved_text=body)
            screen.notify(f"Restored your unsaved edits to {loaded.data.get('name', loaded.id)}")
        else:
            local.drop_draft(loaded.id)
            editor.load_body(body)
        self.show_title()
        screen.functions.select(loaded.id)
        screen.work.call_editor.set_calls(screen.sample_calls, local.calls(loaded.id))
        screen.work.history.show_runs(local.runs(loaded.id))
        account_id = screen.account_id
        screen.run_worker(
            lambda: remember_opened(local, account_id, loaded.id), thread=True, group="state"
        )

    def show_title(self) -> None:
        current = self.screen.current
        data = current.data if current else {}
        name = str(data.get("name") or current.id) if current else None
        if name is not None and self.screen.target == "pivot":
            name += " · Pivot"
        self.screen.work.show_title(
            name,
            dirty=self.screen.editor.dirty,
            enabled=data.get("enabled", True) is not False,
            revision=str(current.revision or "") if current else "",
        )


def remember_opened(local: LocalState, account_id: str, function_id: str) -> None:
    """Which function to reopen in this account next time; in a thread (it is fsync'ed), and
    only a convenience: a failed write is not worth a word."""
    try:
        local.remember_function(account_id, function_id)
    except OSError:
        pass


def warm_runtime() -> None:
    """Import the runtime, start the sandbox's processes and the checking process, so the first
    run and the first check do not wait for them (all were kept out of start-up)."""
    from backend.callflow.evaluate import evaluate  # noqa: F401
    from backend.runtime.checker import shared_checker
    from backend.runtime.sandbox import shared_sandbox

    shared_sandbox()
    shared_checker().check("")  # its process is up and has imported esprima
