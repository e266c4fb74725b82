"""Two runs' flows side by side (History, `d`): what changed in what KAZOO would branch into."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, Static

from widgets.result_view import json_syntax


def run_title(run: dict[str, Any]) -> str:
    call = run.get("call_name") or "edited call"
    return f"{str(run.get('at', ''))[:19]} · {run.get('verdict')} · {call}"


class CompareScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q", "dismiss", "Close", id="compare.close")]

    def __init__(self, newer: dict[str, Any], older: dict[str, Any]) -> None:
        super().__init__(classes="dialog")
        self.newer = newer
        self.older = older

    def compose(self) -> ComposeResult:
        same = self.newer.get("flow") == self.older.get("flow")
        with Vertical(classes="dialog-box wide"):
            yield Label("the same flow" if same else "the flows differ", classes="dialog-title")
            with Horizontal(id="compare-columns"):
                for run in (self.older, self.newer):
                    with VerticalScroll(classes="compare-column"):
                        yield Label(run_title(run), classes="dialog-hint")
                        flow = run.get("flow")
                        yield Static(json_syntax(flow, indent=2) if flow is not None
                                     else str(run.get("summary", "no flow")))  # fmt: skip
            yield Label("older on the left · esc: close", classes="dialog-hint")

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(result)
