"""Callflow mode: pick a callflow, run the simulation, walk the executed path step by step."""

from __future__ import annotations

from typing import Any

from rich.console import Group
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import OptionList, Select, Static
from textual.widgets.option_list import Option

from widgets.result_view import json_syntax

OUTCOME_STYLES = {
    "branched": "bold green",
    "continued": "yellow",
    "stopped": "bold magenta",
    "ended": "bold red",
    "skipped": "dim",
}


class CallflowView(Vertical):
    HELP = """\
## Callflow
Walks a whole callflow the way KAZOO's executor would, with the selected test
call: each function runs (a valid flow is branched into, a failure continues to
`_`), bridges, menus and fax detection follow the call's scenario
(`"kfn": {"scenario": {"answer": ["NO_ANSWER"], "digits": ["1"]}}`), caller-id
checks and variables are computed from the call. A stop resumes what KAZOO keeps
on its branch stack ("resumed: ..."); hangup and hand-offs end everything.
Functions come from the server; the one in the editor runs with your unsaved
edits.

- Pick a callflow, then **ctrl+r** / **F5**.
- **Up/down** walks the path; the step's detail shows below it.
"""

    def __init__(
        self, callflows: dict[str, dict[str, Any]] | None = None, **kwargs: object
    ) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.callflows: dict[str, dict[str, Any]] = dict(callflows or {})
        self.steps: list[dict[str, Any]] = []
        self.shown_step: int | None = None

    def compose(self) -> ComposeResult:
        yield Select[str](
            [], prompt="callflow", allow_blank=True, compact=True, id="callflow-picker"
        )
        yield OptionList(id="callflow-steps")
        yield Static("", id="callflow-detail")

    def on_mount(self) -> None:
        if self.callflows:
            self.set_callflows(self.callflows)

    @property
    def selected(self) -> str | None:
        value = self.query_one("#callflow-picker", Select).value
        return value if isinstance(value, str) else None

    def set_callflows(self, callflows: dict[str, dict[str, Any]]) -> None:
        self.callflows = dict(callflows)
        picker = self.query_one("#callflow-picker", Select)
        picker.set_options(
            [(doc.get("name", name), name) for name, doc in sorted(callflows.items())]
        )
        if callflows:
            picker.value = sorted(callflows)[0]

    def choose(self, name: str) -> None:
        self.query_one("#callflow-picker", Select).value = name

    def show_simulation(self, result: dict[str, Any]) -> None:
        self.steps = list(result.get("steps") or [])
        steps = self.query_one("#callflow-steps", OptionList)
        steps.clear_options()
        for index, step in enumerate(self.steps):
            label = Text.assemble(
                (f"{index + 1:>2} ", "dim"),
                (f"{step['module'] or '(none)'} ", "bold"),
                (step["outcome"], OUTCOME_STYLES.get(step["outcome"], "")),
                (f" ▸ {step['child']}" if step.get("child") else "", "bold"),
                (f"  {step['where']}", "dim"),
            )
            steps.add_option(Option(label, id=str(index)))
        steps.add_option(
            Option(
                Text(
                    f"■ {result.get('ended', '')} · {result.get('branches', 0)} branch(es)",
                    style="italic",
                ),
                disabled=True,
            )
        )
        for dead in result.get("dead_branches") or []:
            steps.add_option(Option(Text(f"dead branch: {dead}", style="dim red"), disabled=True))
        if self.steps:
            steps.highlighted = 0
            self._detail(0)

    def _detail(self, index: int) -> None:
        self.shown_step = index
        step = self.steps[index]
        parts: list[Any] = [Text.assemble(("at ", "dim"), step["where"])]
        if step.get("note"):
            parts.append(Text(step["note"], style=OUTCOME_STYLES.get(step["outcome"], "")))
        parts.append(json_syntax(step.get("data", {})))
        run = step.get("run")
        if run:
            parts.append(Text(f"function ran in {run.get('duration_ms', 0):.2f} ms", style="dim"))
            if run.get("result") is not None:
                parts.append(json_syntax(run["result"]))
            for entry in run.get("logs") or []:
                parts.append(Text(f"console.{entry['level']}: {entry['text']}", style="cyan"))
        self.query_one("#callflow-detail", Static).update(Group(*parts))

    @on(OptionList.OptionHighlighted, "#callflow-steps")
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        event.stop()
        if event.option.id is not None:
            self._detail(int(event.option.id))
