"""Callflow mode: pick (or dial) a callflow, run the simulation, walk the executed path (a tree
of the flows the call entered) step by step, or list every path through it."""

from __future__ import annotations

import json
from typing import Any

from rich.console import Group
from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Input, Select, Static

from widgets.inline_input import InlineBindingsInput
from widgets.path_tree import OUTCOME_STYLES, PathTree
from widgets.result_view import json_syntax


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

- Pick a callflow, then **ctrl+r** / **F5**; or **tab** from the picker to *dial*, type
  a number and press **enter**: the callflow is found as KAZOO finds it (exact numbers,
  then patterns).
- The path is a tree of the flows the call entered: a function's returned flow or a
  callflow branched into hangs under the step that branched. A step marked **↩** was
  resumed from KAZOO's branch stack: after a branched flow stops, KAZOO goes back to the
  `_` of the node that branched (a function node's `_` too).
- **Up/down** walks the path; the step's detail (its data, the branch stack, the function's
  run) shows below it; **enter** folds a flow.
- **a** (in the path) lists every path through the callflow, each with the scenario
  that reproduces it, and the dead branches KAZOO can never take.
"""

    BINDINGS = [
        Binding("a", "all_paths", "All paths", id="callflow.all_paths"),
    ]

    class Dial(Message):
        """Walk the callflow that answers `number`."""

        def __init__(self, number: str) -> None:
            super().__init__()
            self.number = number

    class AllPathsRequested(Message):
        """Enumerate every path through the picked callflow."""

    def __init__(
        self, callflows: dict[str, dict[str, Any]] | None = None, **kwargs: object
    ) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.callflows: dict[str, dict[str, Any]] = dict(callflows or {})
        self.steps: list[dict[str, Any]] = []
        self.paths: list[dict[str, Any]] = []
        self.shown_step: int | None = None

    def compose(self) -> ComposeResult:
        with Horizontal(id="callflow-pick"):
            yield Select[str](
                [], prompt="callflow", allow_blank=True, compact=True, id="callflow-picker"
            )
            yield InlineBindingsInput(placeholder="dial…", compact=True, id="callflow-dial")
        yield PathTree(id="callflow-steps")
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
        self.paths = []
        name = self.selected or ""
        title = str(self.callflows.get(name, {}).get("name") or name or "the callflow")
        self.query_one(PathTree).show_walk(result, title)

    def _detail(self, index: int) -> None:
        self.shown_step = index
        step = self.steps[index]
        parts: list[Any] = [Text.assemble(("at ", "dim"), step["where"])]
        for waiting in reversed(step.get("stack") or []):
            parts.append(Text.assemble(("waits on KAZOO's branch stack: ", "dim"), waiting))
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

    def on_key(self, event: events.Key) -> None:
        """tab from the picker goes to the dial field at once. The screen's focus chain is
        refreshed only on the next paint, so right after this tab was opened a plain tab (and
        the digits after it) could land in another pane."""
        if event.key == "tab" and self.query_one("#callflow-picker", Select).has_focus:
            event.stop()
            event.prevent_default()
            self.screen.set_focus(self.query_one("#callflow-dial", Input))

    @on(Input.Submitted, "#callflow-dial")
    def _dialled(self, event: Input.Submitted) -> None:
        event.stop()
        if event.value.strip():
            self.post_message(self.Dial(event.value.strip()))

    def action_all_paths(self) -> None:
        self.post_message(self.AllPathsRequested())

    def show_paths(self, found: dict[str, Any]) -> None:
        """Every path, one node each (module[child] → ...); its steps and scenario below."""
        self.paths = list(found.get("paths") or [])
        self.steps = []
        self.query_one(PathTree).show_paths(found)

    def _path_detail(self, index: int) -> None:
        path = self.paths[index]
        parts: list[Any] = [
            Text.assemble(("scenario ", "dim"), json.dumps(path.get("scenario") or {})),
            Text(path.get("ended", ""), style="italic"),
        ]
        for step in path["steps"]:
            child = f" ▸ {step['child']}" if step.get("child") else ""
            parts.append(Text.assemble((f"{step['module']}{child} ", "bold"),
                                       (step.get("note", ""), OUTCOME_STYLES.get(step["outcome"], ""))))  # fmt: skip
        self.query_one("#callflow-detail", Static).update(Group(*parts))

    @on(PathTree.Picked)
    def _picked(self, event: PathTree.Picked) -> None:
        event.stop()
        if event.kind == "path" and event.index < len(self.paths):
            self._path_detail(event.index)
        elif event.kind == "step" and event.index < len(self.steps):
            self._detail(event.index)
        elif event.kind == "note":
            self.query_one("#callflow-detail", Static).update(Text(event.text))
