"""The outcome of one run: verdict, errors by path, the returned JSON (highlighted), console logs,
duration. `c` copies the returned JSON through the terminal (OSC 52, so it works over SSH)."""

from __future__ import annotations

import json
from typing import Any

from rich.console import Group
from rich.syntax import Syntax
from rich.text import Text
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Static


def json_syntax(value: Any, *, indent: int | None = None) -> Syntax:
    """JSON highlighted with the terminal's own 16 colours (ansi theme), on its background."""
    text = value if isinstance(value, str) else json.dumps(value, indent=indent, ensure_ascii=False)
    return Syntax(text, "json", theme="ansi_dark", background_color="default", word_wrap=True)


LOG_STYLES = {"error": "bold red", "warn": "yellow", "info": "cyan", "log": ""}


class ResultView(VerticalScroll, can_focus=True):
    HELP = """\
## Result
What the function returned for the test call, and whether KAZOO would branch into it.

- ✓ means KAZOO would accept the flow; ✗ lists each reason, with the JSON path;
  ! means the flow is valid but the code uses syntax KAZOO's ES5 engine rejects.
- **c** copies the returned JSON to your clipboard (OSC 52: works over SSH,
  if your terminal allows it).
"""

    BINDINGS = [Binding("c", "copy_result", "Copy JSON", id="result.copy")]

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.report: dict[str, Any] | None = None
        self.stale = False
        self._parts: list[Any] = []  # the report as drawn, without the stale line

    def compose(self):  # type: ignore[no-untyped-def]
        yield Static("Run the function (ctrl+r or F5) to see what it returns.", id="result-body")

    @property
    def result_json(self) -> str | None:
        if self.report is None or self.report.get("result") is None:
            return None
        return json.dumps(self.report["result"], indent=2, ensure_ascii=False)

    def set_stale(self, stale: bool) -> None:
        """Mark the report as made from code since edited (the same text again unmarks it)."""
        if self.report is None or stale == self.stale:
            return
        self.stale = stale
        self._draw()

    def _draw(self) -> None:
        line = Text.assemble(
            ("⟳ stale: ", "bold yellow"), "the code changed since this run · ",
            ("F5", "bold"), " runs it again",
        )  # fmt: skip
        parts = [line, *self._parts] if self.stale else self._parts
        self.query_one("#result-body", Static).update(Group(*parts))

    def show_running(self, what: str) -> None:
        self.query_one("#result-body", Static).update(
            Text.assemble(("⏳ ", "bold"), f"running {what}… ", ("esc", "bold"), " cancels")
        )

    def show_message(self, text: str, style: str = "") -> None:
        self.report = None
        self.stale = False
        self.query_one("#result-body", Static).update(Text(text, style=style))

    def show_report(self, report: dict[str, Any], reasons: list[str]) -> None:
        self.report = report
        self.stale = False
        parts: list[Any] = []
        duration = f"{report.get('duration_ms', 0):.2f} ms"
        if (report.get("error") or {}).get("kind") == "cancelled":
            duration = f"cancelled after {report.get('duration_ms', 0):.0f} ms"
        if report.get("valid") and report.get("es5") and report.get("target") == "pivot":
            parts.append(
                Text.assemble(
                    ("✓ valid flow", "bold green"),
                    f" · Pivot would branch into it (KAZOO's ES5 function module would refuse "
                    f"the code) · {duration}",
                )
            )
        elif report.get("valid") and report.get("es5"):
            # It ran here (QuickJS is newer), but KAZOO's ES5 engine would not even compile it.
            parts.append(
                Text.assemble(
                    (
                        "! valid flow here, but KAZOO's ES5 engine would reject the code",
                        "bold yellow",
                    ),
                    f" · {duration}",
                )
            )
        elif report.get("valid"):
            parts.append(
                Text.assemble(
                    ("✓ valid flow", "bold green"), f" · KAZOO would branch into it · {duration}"
                )
            )
        else:
            parts.append(
                Text.assemble(("✗ KAZOO would continue to '_'", "bold red"), f" · {duration}")
            )
            for reason in reasons:
                parts.append(Text(f"  • {reason}", style="red"))
        error = report.get("error")
        if error and error.get("stack"):
            parts.append(Text(str(error["stack"]).rstrip(), style="dim"))
        for finding in report.get("es5") or []:
            parts.append(
                Text(
                    f"  ! line {finding['line']}:{finding['column']} {finding['message']}",
                    style="yellow",
                )
            )
        result = self.result_json
        if result is not None:
            parts.append(Text("returned:", style="bold"))
            parts.append(json_syntax(result))
        logs = report.get("logs") or []
        if logs:
            parts.append(Text(f"console ({len(logs)}):", style="bold"))
            for entry in logs:
                parts.append(
                    Text(
                        f"  {entry['level']:5} {entry['text']}",
                        style=LOG_STYLES.get(entry["level"], ""),
                    )
                )
        self._parts = parts
        self._draw()

    def action_copy_result(self) -> None:
        text = self.result_json
        if text is None:
            self.app.notify("Nothing to copy yet: run the function first", severity="warning")
            return
        self.app.copy_to_clipboard(text)
        self.app.notify("Copied the returned JSON (OSC 52)")
