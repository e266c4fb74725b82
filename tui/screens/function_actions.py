"""What the main screen does to functions: save (ctrl+s, the conflict dialog), create, revert,
rename, enable or disable, duplicate, delete, import the samples, and the saved test calls.

Every save goes through `Workspace.save` and ends in `after_save`, whatever started it. These
are coroutines the screen runs as workers; they read and change the screen's open function.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any

from backend.client import Revisioned
from tui.embedded import seed_samples
from tui.screens.connection import Failed
from tui.screens.dialogs import ConfirmScreen, PromptScreen
from tui.workspace import Conflict, Gone, Saved, SaveFailed, SaveOutcome
from widgets.function_list import FunctionEntry, ListAction

if TYPE_CHECKING:
    from tui.screens.main import MainScreen
    from widgets.call_editor import CallEditor

NEW_FUNCTION_BODY = """\
// `call` holds the call's parameters, every value a string, e.g. call['Caller-ID-Number'].
// Return the callflow KAZOO should branch into.
var caller = call['Caller-ID-Name'] || 'there';
console.log('greeting ' + caller);
return { module: 'tts', data: { text: 'Hello ' + caller } };
"""


class FunctionActions:
    def __init__(self, screen: MainScreen) -> None:
        self.screen = screen

    # -- saving -------------------------------------------------------------------------------------
    async def save(self) -> None:
        screen = self.screen
        current = screen.current
        if current is None:
            return
        text = screen.work.editor.text
        screen.status.activity = "saving…"
        try:
            outcome = await screen.workspace.save(
                current.id, {**current.data, "function_js": text}, current.revision
            )
        finally:
            screen.status.activity = ""
        await self.after_save(outcome, current, text)

    async def after_save(self, outcome: SaveOutcome, current: Revisioned, text: str) -> None:
        """What every save of the editor's text ends in, ctrl+s or "keep mine"."""
        if isinstance(outcome, (Saved, Conflict)):
            # The server answered: a toast of an earlier attempt ("cannot connect") is wrong
            # now, and over the conflict dialog it would hide the server's side.
            self.screen.app.clear_notifications()
        if isinstance(outcome, Saved):
            self._saved(outcome.doc, text)
        elif isinstance(outcome, Conflict):
            await self.resolve_conflict(current, text, outcome.theirs)
        elif isinstance(outcome, Gone):
            self.screen.notify(
                "This function was deleted on the server. Your text is kept (also as a draft); "
                "copy it into a new function (ctrl+n).",
                title="Not saved", severity="error", timeout=15,
            )  # fmt: skip
        else:
            self.screen.notify(
                f"{outcome.message}. Your edit is kept; ctrl+s to try again.",
                title="Not saved", severity="error", timeout=15,
            )  # fmt: skip

    def _saved(self, saved: Revisioned, text: str) -> None:
        screen = self.screen
        screen.functions.upsert(FunctionEntry.from_summary(saved.data))
        name = saved.data.get("name", saved.id)
        if screen.current is None or screen.current.id != saved.id:
            # Another function was opened while this one was saving; its editor is not ours.
            screen.local.drop_draft(saved.id)
            screen.functions.set_dirty(saved.id, False)
            screen.notify(f"Saved {name}")
            return
        screen.current = saved
        screen.work.editor.mark_saved(text)
        screen.editing.keep_draft()  # drops the draft, or keeps what was typed during the save
        screen.functions.set_dirty(saved.id, screen.work.editor.dirty)
        screen.opening.show_title()
        screen.notify(f"Saved {name}")

    async def resolve_conflict(self, current: Revisioned, text: str, theirs: Revisioned) -> None:
        """The three-way conflict dialog; whatever is chosen, the editor then holds it over the
        server's revision, so a save cannot overwrite the other edit unseen."""
        from tui.screens.conflict import EDIT, TAKE_THEIRS, ConflictScreen

        screen, editor = self.screen, self.screen.work.editor
        name = str(theirs.data.get("name", current.id))
        their_text = str(theirs.data.get("function_js", ""))
        answer = await screen.app.push_screen_wait(
            ConflictScreen(name, editor.saved_text, text, their_text)
        )
        if answer is None:
            screen.notify("Not saved; your edit is kept. ctrl+s to decide again.")
            return
        if answer.kind == TAKE_THEIRS:
            screen.local.drop_draft(current.id)
            screen.opening.show_function(theirs, use_draft=False)
            screen.notify(f"Took the server's version of {name}")
            return
        # Mine whole, or a merge: on top of their revision, in the editor.
        screen.current = theirs
        editor.load_body(answer.text, saved_text=their_text)
        screen.opening.show_title()
        if answer.kind == EDIT:
            editor.focus()
            screen.notify("Finish the merge where the <<<<<<< markers are, then ctrl+s")
            return
        # Saved over the revision just shown; if it moved again, the dialog comes back.
        outcome = await screen.workspace.save(
            theirs.id, {**theirs.data, "function_js": answer.text}, theirs.revision
        )
        await self.after_save(outcome, theirs, answer.text)

    # -- creating and reverting ---------------------------------------------------------------------
    async def new(self) -> None:
        name = await self.screen.app.push_screen_wait(
            PromptScreen("Name of the new function", placeholder="e.g. route by caller")
        )
        if name and name.strip():
            await self.create({"name": name.strip(), "function_js": NEW_FUNCTION_BODY})

    async def create(self, data: dict[str, Any]) -> None:
        await self._created(self.screen.workspace.create(data), focus_editor=True)

    async def _created(self, creating: Awaitable[Revisioned], *, focus_editor: bool) -> None:
        screen = self.screen
        if not await screen.work_area():
            return
        screen.status.activity = "creating…"
        try:
            created = await screen.connection.report(creating)
        finally:
            screen.status.activity = ""
        if isinstance(created, Failed):
            return
        screen.functions.upsert(FunctionEntry.from_summary(created.data))
        screen.opening.show_function(created)
        if focus_editor:
            screen.work.editor.focus()
        screen.notify(f"Created {created.data.get('name')}")

    async def revert(self) -> None:
        """Drop the unsaved edits (and their draft) and load the server's revision again."""
        screen = self.screen
        current = screen.current
        if current is None or not await screen.work_area():
            return
        name = str(current.data.get("name", current.id))
        if not screen.work.editor.dirty:
            screen.notify(f"{name} has no unsaved edits", timeout=3)
            return
        question = f"Discard your edits to {name} and load the server's version?"
        if not await screen.app.push_screen_wait(ConfirmScreen(question, "Discard")):
            return
        with screen.spinner_while(screen.work.editor):
            loaded = await screen.connection.report(screen.workspace.load(current.id))
        if isinstance(loaded, Failed):
            return  # the edits stay, and so does their draft
        screen.local.drop_draft(current.id)
        screen.opening.show_function(loaded, use_draft=False)
        screen.functions.set_dirty(current.id, False)
        screen.notify(f"Reverted {name} to revision {loaded.revision}")

    async def import_samples(self) -> None:
        screen = self.screen
        screen.status.activity = "importing samples…"
        try:
            made = await screen.connection.attempt(
                lambda: seed_samples(screen.client, screen.account_id)
            )
        finally:
            screen.status.activity = ""
        if isinstance(made, Failed):
            return
        screen.notify(f"Imported {made} sample function(s)")
        await screen.opening.reload_functions()

    # -- list actions -------------------------------------------------------------------------------
    async def on_listed(self, action: ListAction, function_id: str) -> None:
        screen = self.screen
        loaded = await screen.connection.report(screen.workspace.load(function_id))
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
        answer = await self.screen.app.push_screen_wait(PromptScreen(f"Rename {name}", name))
        if not answer or not answer.strip() or answer.strip() == name:
            return
        await self._update(loaded, {"name": answer.strip()}, f"Renamed to {answer.strip()}")

    async def _toggle(self, loaded: Revisioned, name: str) -> None:
        enabled = loaded.data.get("enabled", True) is not False
        await self._update(
            loaded, {"enabled": not enabled}, f"{name} {'disabled' if enabled else 'enabled'}"
        )

    async def _duplicate(self, loaded: Revisioned, name: str) -> None:
        await self._created(self.screen.workspace.duplicate(loaded), focus_editor=False)

    async def _delete(self, loaded: Revisioned, name: str) -> None:
        screen = self.screen
        question = f"Delete {name}? This cannot be undone here."
        if not await screen.app.push_screen_wait(ConfirmScreen(question, "Delete")):
            return
        function_id = loaded.id
        deleted = await screen.connection.report(screen.workspace.delete(function_id))
        if isinstance(deleted, Failed):
            return
        if screen.current is not None and screen.current.id == function_id:
            screen.opening.close_function(keep_draft=False)
        screen.functions.drop(function_id)
        screen.notify(f"Deleted {name}")

    async def toggle_target(self) -> None:
        """Meant for KAZOO's function module (ES5), or for Pivot (ES2020): a field of the
        function, so the checks, verdicts and `kfn run` follow it wherever it is opened."""
        from backend.callflow.evaluate import PIVOT, TARGET_FIELD, target_of

        screen = self.screen
        if screen.current is None:
            screen.notify("Open a function first", severity="warning")
            return
        loaded = await screen.connection.report(screen.workspace.load(screen.current.id))
        if isinstance(loaded, Failed):
            return
        pivot = target_of(loaded.data) != PIVOT
        done = ("Meant for Pivot now: ES2015+ is allowed (KAZOO's function module would refuse "
                "it)" if pivot else "Meant for KAZOO's function module now: ES5 only")  # fmt: skip
        await self._update(loaded, {TARGET_FIELD: PIVOT if pivot else None}, done)
        screen.editing.recheck()

    async def _update(self, loaded: Revisioned, changes: dict[str, Any], done: str) -> None:
        """A rename or enable/disable, through the same save as the editor's text."""
        screen = self.screen
        outcome = await screen.workspace.update_fields(loaded, changes)
        if isinstance(outcome, Gone):
            screen.functions.drop(loaded.id)
            name = loaded.data.get("name", loaded.id)
            screen.notify(f"{name} was deleted on the server", severity="error", timeout=10)
            return
        if isinstance(outcome, Conflict):
            screen.notify(
                f"Someone changed the {', '.join(changes)} on the server meanwhile; nothing was "
                "changed. The list shows theirs now.",
                severity="warning", timeout=10,
            )  # fmt: skip
            screen.functions.upsert(FunctionEntry.from_summary(outcome.theirs.data))
            return
        if isinstance(outcome, SaveFailed):
            screen.notify(outcome.message, severity="error", timeout=10)
            return
        saved = outcome.doc
        screen.functions.upsert(FunctionEntry.from_summary(saved.data))
        if screen.current is not None and screen.current.id == saved.id:
            # Keep the editor's text (maybe unsaved) but move to the new revision and fields.
            screen.current = Revisioned(saved.data, saved.revision)
            screen.work.editor.saved_text = str(saved.data.get("function_js", ""))
            screen.opening.show_title()
        screen.notify(done)

    # -- saved test calls ---------------------------------------------------------------------------
    async def save_call(self, event: CallEditor.SaveRequested) -> None:
        screen = self.screen
        if screen.current is None:
            screen.notify("Open a function first: calls are saved per function", severity="warning")
            return
        function_id = screen.current.id
        name = await screen.app.push_screen_wait(PromptScreen("Save this call as", event.name))
        if not name or not name.strip():
            return
        name = name.strip()
        try:
            screen.local.save_call(function_id, name, event.payload)
        except OSError as exc:
            screen.notify(f"The call was not saved: {exc}", severity="error", timeout=10)
            return
        event.editor.set_calls(
            screen.sample_calls, screen.local.calls(function_id), f"saved:{name}"
        )
        try:
            case_file = await screen.workspace.record_case(
                function_id, name, event.payload, screen.work.editor.text, screen.target
            )
        except (OSError, ValueError) as exc:  # a test file it cannot read or write
            screen.notify(f"Saved the call, but not as a case: {exc}", severity="warning")
            return
        also = f" and as a case in {case_file.name} (kfn test)" if case_file else ""
        screen.notify(f"Saved the test call {name!r} for this function{also}")

    async def run_cases(self) -> None:
        """The open function's cases (`NAME.test.json` beside it), against the editor's text."""
        screen = self.screen
        if screen.current is None:
            screen.notify("Open a function first", severity="warning")
            return
        results = await screen.workspace.run_cases(
            screen.current.id, screen.work.editor.text, screen.target
        )
        if results is None:
            screen.notify(
                "This function has no test cases here: start kfn in a directory `kfn pull` "
                "wrote, and F4 a call",
                severity="warning",
            )
            return
        failed = [r for r in results if not r.passed]
        lines = [f"{'✓' if r.passed else '✗'} {r.name}" + (f": {r.failure}" if r.failure else "")
                 for r in results]  # fmt: skip
        summary = f"{len(results) - len(failed)} passed, {len(failed)} failed"
        view = screen.work.result_view
        view.show_message("\n".join([summary, *lines]), "red" if failed else "green")
        screen.work.test_pane.active = "result"
        screen.notify(f"Test cases: {summary}", severity="error" if failed else "information")

    async def delete_call(self, event: CallEditor.DeleteRequested) -> None:
        screen = self.screen
        current = screen.current
        if current is None:
            return
        question = f"Delete the saved test call {event.name!r}?"
        if not await screen.app.push_screen_wait(ConfirmScreen(question, "Delete")):
            return
        screen.local.delete_call(current.id, event.name)
        event.editor.set_calls(screen.sample_calls, screen.local.calls(current.id))
        screen.notify(f"Deleted the test call {event.name!r}")
