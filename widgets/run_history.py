"""The open function's last runs (kept across restarts): when, with which call, the verdict and
the time. Enter runs one again with its call; `d` puts its flow beside the run before it."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on
from textual.binding import Binding
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option

VERDICT_STYLES = {"valid": "green", "rejected": "yellow", "invalid": "red", "failed": "bold red"}


def run_label(run: dict[str, Any]) -> Text:
    verdict = str(run.get("verdict", "?"))
    return Text.assemble(
        (f"{str(run.get('at', ''))[11:19]} ", "dim"),
        (f"{verdict:8}", VERDICT_STYLES.get(verdict, "")),
        (f" {run.get('duration_ms', 0):7.2f} ms ", "dim"),
        str(run.get("call_name") or "edited call"),
        (f"  {run.get('summary', '')}", "dim"),
    )


class RunHistory(OptionList):
    HELP = """\
## History
The open function's last 50 runs, newest first, kept across restarts: the time, the
verdict, how long it took and the test call. **Enter** runs the function again (as it is in
the editor now) with that run's call; **d** shows that run's flow beside the flow of the run
before it.
"""

    BINDINGS = [
        Binding("enter", "select", "Run again", id="history.rerun"),
        Binding("d", "compare", "Compare", id="history.compare"),
    ]

    class Rerun(Message):
        def __init__(self, run: dict[str, Any]) -> None:
            super().__init__()
            self.run = run

    class Compare(Message):
        def __init__(self, newer: dict[str, Any], older: dict[str, Any]) -> None:
            super().__init__()
            self.newer = newer
            self.older = older

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.runs: list[dict[str, Any]] = []

    def show_runs(self, runs: list[dict[str, Any]]) -> None:
        self.runs = list(runs)
        self.clear_options()
        if not runs:
            self.add_option(Option(Text("no runs yet: F5 runs the function", style="dim"),
                                   disabled=True))  # fmt: skip
            return
        self.add_options(Option(run_label(run), id=str(i)) for i, run in enumerate(runs))
        self.highlighted = 0

    def on_focus(self) -> None:
        if self.highlighted is None and self.runs:
            self.highlighted = 0

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id is not None:
            self.post_message(self.Rerun(self.runs[int(event.option.id)]))

    def action_compare(self) -> None:
        index = self.highlighted
        if index is None or index + 1 >= len(self.runs):
            self.app.notify("Pick a run that has an older one to compare with", severity="warning")
            return
        self.post_message(self.Compare(self.runs[index], self.runs[index + 1]))
