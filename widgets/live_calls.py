"""The open function's production calls through its Pivot URL, newest first, as they arrive:
when, the answer, how long it took, the call. Enter runs that call against the function as it
is in the editor and puts both flows side by side; `s` keeps the call as a test call; `u` and
`n` copy the Pivot URL and the callflow node to paste into KAZOO."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on
from textual.binding import Binding
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option

STATUS_STYLES = {200: "green", 503: "yellow"}


LABEL_WIDTH = 52  # what the Live pane shows on one line at 80 columns


def call_label(invocation: dict[str, Any]) -> Text:
    """One line per call, at most LABEL_WIDTH wide: time, status, verdict, duration, caller
    and number dialled (cut to fit), the function's revision."""
    status = int(invocation.get("status", 0))
    call = invocation.get("call") or {}
    who = str(call.get("Caller-ID-Number") or call.get("Caller-ID-Name") or "?")
    to = str(call.get("Request") or call.get("To") or "?")
    head = f"{str(invocation.get('time', ''))[11:19]} "
    verdict = f"{status} {invocation.get('verdict', '')!s} "
    took = f"{float(invocation.get('duration_ms', 0)):.1f} ms "
    revision = f" r{str(invocation.get('revision', '?')).split('-')[0]}"
    room = LABEL_WIDTH - len(head) - len(verdict) - len(took) - len(revision)
    route = f"{who}→{to}"
    if len(route) > room:
        route = route[: max(1, room - 1)] + "…"
    return Text.assemble(
        (head, "dim"), (verdict, STATUS_STYLES.get(status, "red")), (took, "dim"), route,
        (revision, "dim"),
    )  # fmt: skip


class LiveCalls(OptionList):
    HELP = """\
## Live
The open function's calls from KAZOO through its Pivot URL, newest first (the last 100), as
they arrive. **Enter** runs that call against the function as it is in the editor and shows
both flows side by side; **s** keeps the call as a test call of this function; **u** copies
the Pivot URL and **n** the `pivot` callflow node to paste into KAZOO (OSC 52).
"""

    BINDINGS = [
        Binding("enter", "select", "Re-run", id="live.rerun"),
        Binding("s", "keep", "Keep call", id="live.keep"),
        Binding("u", "copy('voice_url')", "Copy URL", id="live.copy_url"),
        Binding("n", "copy('callflow_node')", "Copy node", id="live.copy_node"),
    ]

    class Rerun(Message):
        def __init__(self, invocation: dict[str, Any]) -> None:
            super().__init__()
            self.invocation = invocation

    class Keep(Message):
        def __init__(self, invocation: dict[str, Any]) -> None:
            super().__init__()
            self.invocation = invocation

    class Copy(Message):
        """Copy a part of the Pivot description ("voice_url" or "callflow_node")."""

        def __init__(self, part: str) -> None:
            super().__init__()
            self.part = part

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.invocations: list[dict[str, Any]] = []
        self.note = ""

    def show_calls(self, invocations: list[dict[str, Any]], note: str = "") -> None:
        """The calls, newest first; `note` heads the list (the Pivot URL, or why there is none)."""
        if invocations == self.invocations and note == self.note:
            return  # polled again, nothing new: keep the highlight where the user put it
        keep = self.highlighted
        self.invocations, self.note = list(invocations), note
        self.clear_options()
        if note:
            self.add_option(Option(Text(note, style="dim"), disabled=True))
        if not invocations:
            self.add_option(Option(Text("no calls yet: point a KAZOO pivot node at the URL",
                                        style="dim"), disabled=True))  # fmt: skip
            return
        self.add_options(Option(call_label(item), id=str(i)) for i, item in enumerate(invocations))
        first = 1 if note else 0
        self.highlighted = keep if keep is not None and keep >= first else first

    @property
    def chosen(self) -> dict[str, Any] | None:
        index = self.highlighted
        if index is None:
            return None
        option = self.get_option_at_index(index)
        return self.invocations[int(option.id)] if option.id is not None else None

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id is not None:
            self.post_message(self.Rerun(self.invocations[int(event.option.id)]))

    def action_keep(self) -> None:
        chosen = self.chosen
        if chosen is None:
            self.app.notify("Pick a call first", severity="warning")
            return
        self.post_message(self.Keep(chosen))

    def action_copy(self, part: str) -> None:
        self.post_message(self.Copy(part))
