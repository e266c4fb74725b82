"""The main screen's editing: drafts of unsaved text, the ES5 check after each pause, and the
go-to-line, find and replace dialogs."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.message import Message

from tui.screens.dialogs import PromptScreen
from tui.workspace import draft_error

if TYPE_CHECKING:
    from backend.runtime import es5
    from tui.screens.main import MainScreen
    from widgets.js_editor import Diagnostic, JsEditor


class Checked(Message):
    def __init__(self, text: str, report: es5.CheckReport) -> None:
        super().__init__()
        self.text = text
        self.report = report


def to_diagnostics(report: es5.CheckReport, target: str) -> list[Diagnostic]:
    """The editor's marks: ES2015+ findings are errors for a function meant for KAZOO's
    function module (its engine refuses them), warnings for one meant for Pivot."""
    from backend.callflow.evaluate import es5_severity
    from widgets.js_editor import Diagnostic

    es5_found = set(map(id, report.es5))
    return [
        Diagnostic(
            found.line,
            max(0, found.column - 1),
            found.message,
            es5_severity(target) if id(found) in es5_found else found.severity,
        )
        for found in report.findings
    ]


class Editing:
    def __init__(self, screen: MainScreen) -> None:
        self.screen = screen
        self.draft_problem: str | None = None  # the failure said, until a write succeeds
        self.draft_settled: str | None = None  # the text whose last draft write has ended
        self.checked_text: str | None = None  # the body whose check is on screen

    @property
    def editor(self) -> JsEditor:
        return self.screen.work.editor

    # -- drafts -------------------------------------------------------------------------------------
    def keep_draft(self) -> None:
        """Write the editor's unsaved text to disk now (or drop the draft when it is clean):
        for the moments that cannot wait for a thread (switching function, quitting)."""
        current, local = self.screen.current, self.screen.local
        if current is None:
            return
        try:
            if self.editor.dirty:
                local.keep_draft(
                    current.id, self.editor.text, self.editor.saved_text, current.revision
                )
            else:
                local.drop_draft(current.id)
        except OSError as exc:
            self._said(draft_error(exc))
            return
        self._said(None)

    async def keep_draft_in_background(self) -> None:
        """The pause's draft, written in a thread; a failure (a full disk) is said once."""
        current = self.screen.current
        if current is None or not self.editor.dirty:
            self.keep_draft()  # dropping a draft is cheap
            return
        text = self.editor.text
        self._said(
            await self.screen.workspace.keep_draft(
                current.id, text, self.editor.saved_text, current.revision
            )
        )
        self.draft_settled = text

    def _said(self, problem: str | None) -> None:
        """Say the first failure; not again until a draft has been written since."""
        if problem and self.draft_problem is None:
            self.screen.notify(problem, title="Draft not kept", severity="error", timeout=15)
        self.draft_problem = problem

    # -- checks -------------------------------------------------------------------------------------
    def check(self, text: str) -> None:
        """In a thread worker: esprima runs in a process of its own."""
        from backend.runtime.checker import shared_checker

        self.screen.post_message(Checked(text, shared_checker().check(text)))

    def recheck(self) -> None:
        """Check the editor's text again (the target changed: the findings' weight did too)."""
        text = self.editor.text
        self.screen.run_worker(lambda: self.check(text), thread=True, exclusive=True, group="check")

    def checked(self, event: Checked) -> None:
        if event.text != self.editor.text:
            return  # typing went on; a newer check is coming
        found = to_diagnostics(event.report, self.screen.target)
        self.editor.set_diagnostics(found)
        self.screen.work.diagnostics.show(found)
        self.checked_text = event.text

    # -- go to, find, replace ----------------------------------------------------------------------
    # Each dialog is pushed at once, from the key's own binding (see MainScreen.action_dialog):
    # a key typed right after lands in the dialog, which holds it until its input has the focus.
    def goto_line(self) -> None:
        self.screen.app.push_screen(
            PromptScreen("Go to line", placeholder="line number"), self._goto
        )

    def _goto(self, answer: str | None) -> None:
        if answer and answer.strip().isdigit():
            self.editor.goto_line(int(answer.strip()))
        elif answer:
            self.screen.notify(f"{answer!r} is not a line number", severity="warning")

    def find(self) -> None:
        prompt = PromptScreen("Find (F3 finds the next one)", self.editor.last_search)
        self.screen.app.push_screen(prompt, self._found)

    def _found(self, answer: str | None) -> None:
        if answer and not self.editor.find_next(answer):
            self.screen.notify(f"{answer!r} is not in this function", severity="warning")

    def replace(self) -> None:
        """F6: what to replace, then with what; every occurrence, in one undoable edit."""
        editor = self.editor
        selected = editor.selected_text if "\n" not in editor.selected_text else ""
        prompt = PromptScreen("Replace (every occurrence)", selected or editor.last_search)
        self.screen.app.push_screen(prompt, self._replace_what)

    def _replace_what(self, needle: str | None) -> None:
        if not needle:
            return
        if needle not in self.editor.text:
            self.screen.notify(f"{needle!r} is not in this function", severity="warning")
            return

        def replace_with(replacement: str | None) -> None:
            if replacement is not None:
                count = self.editor.replace_all(needle, replacement)
                self.screen.notify(
                    f"Replaced {count} occurrence(s) of {needle!r}; ctrl+z undoes it"
                )

        prompt = PromptScreen(f"Replace {needle!r} with", placeholder="(empty: delete it)")
        self.screen.app.push_screen(prompt, replace_with)
