"""F1: help for the focused pane, then the keys that work everywhere."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, Markdown

GLOBAL_HELP = """\
## Everywhere
- **ctrl+s** save · **ctrl+r** / **F5** run · **esc** stop a run · **ctrl+n** new function
- **ctrl+o** next pane: functions, editor, problems, then each test tab
- **alt+l** functions list · **alt+e** editor · **alt+p** problems
- **alt+c** Call · **alt+r** Result · **alt+t** Flow (the tree) · **alt+w** Callflow (the walk) · **alt+h** History · **alt+v** Live (Pivot calls)
- **alt+z** zoom the editor · **alt+x** zoom the test pane (the same key puts it back)
- **alt+u** revert: drop your unsaved edits and load the server's version (asks first)
- **ctrl+p** palette · **F1** this help · **ctrl+q** quit

If alt keys do nothing, the terminal keeps alt for itself: on macOS, turn on "Use Option
as Meta key" (Terminal) or "Esc+" for the Option key (iTerm2).

Unsaved edits are kept on disk and come back when kfn starts again.
"""


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,f1,q", "dismiss", "Close", id="help.close")]

    def __init__(self, pane_help: str) -> None:
        super().__init__(classes="dialog")
        self.pane_help = pane_help

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box wide"):
            with VerticalScroll():
                yield Markdown(f"{self.pane_help}\n\n{GLOBAL_HELP}")
            yield Label("esc: close", classes="dialog-hint")

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(result)
