"""One line at the bottom: where the API is, which account, and what is going on."""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.widgets import Static


class StatusBar(Static):
    server: reactive[str] = reactive("")
    account: reactive[str] = reactive("")
    activity: reactive[str] = reactive("")

    def render(self) -> Text:
        text = Text()
        text.append(" API ", style="reverse")
        text.append(f" {self.server or 'not connected'} ")
        text.append(" account ", style="reverse")
        text.append(f" {self.account or '—'} ")
        if self.activity:
            text.append(f" {self.activity}", style="bold")
        return text
