"""The save conflict: the server moved on since the function was loaded. Show both as a diff."""

from __future__ import annotations

import difflib

from rich.syntax import Syntax
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Static

KEEP_MINE, TAKE_THEIRS = "mine", "theirs"


def unified(theirs: str, mine: str, name: str) -> str:
    lines = difflib.unified_diff(
        theirs.splitlines(keepends=True),
        mine.splitlines(keepends=True),
        fromfile=f"{name} (server)",
        tofile=f"{name} (yours)",
    )
    return "".join(lines) or "(the bodies are the same; other fields changed on the server)\n"


class ConflictScreen(ModalScreen[str | None]):
    """Answers "mine" (save over the server's version), "theirs" (drop my edit) or None."""

    BINDINGS = [
        Binding("m", "answer('mine')", "Keep mine", id="conflict.mine"),
        Binding("t", "answer('theirs')", "Take theirs", id="conflict.theirs"),
        Binding("escape", "answer(None)", "Decide later", id="conflict.cancel"),
    ]

    def __init__(self, name: str, theirs: str, mine: str, who: str = "") -> None:
        super().__init__(classes="dialog")
        self.function_name = name
        self.theirs = theirs
        self.mine = mine
        self.who = who

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box wide"):
            yield Label(
                f"{self.function_name} changed on the server since you loaded it{self.who}.",
                classes="dialog-title",
            )
            with VerticalScroll(id="conflict-diff"):
                yield Static(
                    Syntax(
                        unified(self.theirs, self.mine, self.function_name),
                        "diff",
                        theme="ansi_dark",
                        background_color="default",
                    )
                )
            with Horizontal(classes="dialog-buttons"):
                yield Button("Keep mine (m)", variant="warning", id="mine")
                yield Button("Take theirs (t)", variant="primary", id="theirs")
                yield Button("Decide later (esc)", id="later")

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id if event.button.id in (KEEP_MINE, TAKE_THEIRS) else None)

    def action_answer(self, answer: str | None) -> None:
        self.dismiss(answer)
