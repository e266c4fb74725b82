"""The list of syntax errors and ES5 findings under the editor; Enter jumps to one."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.binding import Binding
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from widgets.js_editor import Diagnostic


class Diagnostics(OptionList):
    HELP = """\
## Problems
Syntax errors (the function cannot run) and constructs KAZOO's ES5 engine
rejects (it runs here, but not on KAZOO). **Up/down** picks one, **enter** jumps to
its line in the editor.
"""
    BINDINGS = [Binding("enter", "select", "Jump to it", id="problems.jump")]

    class Jump(Message):
        def __init__(self, diagnostics: Diagnostics, diagnostic: Diagnostic) -> None:
            super().__init__()
            self.diagnostics = diagnostics
            self.diagnostic = diagnostic

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.items: list[Diagnostic] = []

    def on_mount(self) -> None:
        self.show([])

    def show(self, diagnostics: list[Diagnostic]) -> None:
        self.items = list(diagnostics)
        self.clear_options()
        self.set_class(not diagnostics, "-clean")  # one borderless line (app.tcss)
        if not diagnostics:
            self.add_option(Option(Text("✓ no problems: ES5-clean", style="green"), disabled=True))
            self.border_title = "Problems"
            return
        for index, found in enumerate(diagnostics):
            mark, style = ("✗", "bold red") if found.severity == "error" else ("!", "yellow")
            label = Text.assemble(
                (f"{mark} ", style), (f"{found.line}:{found.column + 1} ", "dim"), found.message
            )
            self.add_option(Option(label, id=str(index)))
        self.border_title = f"Problems ({len(diagnostics)})"

    def on_focus(self) -> None:
        """The first problem is picked as the list takes the focus, so enter jumps at once."""
        if self.highlighted is None and self.items:
            self.highlighted = 0

    @on(OptionList.OptionSelected)
    def _jump(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id is not None:
            self.post_message(self.Jump(self, self.items[int(event.option.id)]))
