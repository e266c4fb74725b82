"""The save conflict: the server moved on since the function was loaded. A three-way merge of
the body (the revision you loaded, yours, the server's): what only one side changed is merged
already; each conflict is settled with mine, theirs or both; or the whole merge goes to the
editor with git's markers to finish by hand."""

from __future__ import annotations

from dataclasses import dataclass

from rich.console import Group
from rich.syntax import Syntax
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, Static

from tui.merge import BOTH, MINE, THEIRS, Merge, merge

MERGED, EDIT, KEEP_MINE, TAKE_THEIRS = "merged", "edit", "mine", "theirs"


@dataclass(frozen=True)
class Resolution:
    kind: str  # MERGED (save `text`), EDIT (finish `text` in the editor), KEEP_MINE, TAKE_THEIRS
    text: str


def _code(lines: tuple[str, ...], empty: str) -> Syntax | Text:
    if not lines:
        return Text(empty, style="dim italic")
    return Syntax("".join(lines).rstrip("\n"), "javascript", theme="ansi_dark",
                  background_color="default", word_wrap=True)  # fmt: skip


class ConflictScreen(ModalScreen[Resolution | None]):
    BINDINGS = [
        Binding("m", "settle('mine')", "Mine", id="conflict.mine"),
        Binding("t", "settle('theirs')", "Theirs", id="conflict.theirs"),
        Binding("b", "settle('both')", "Both", id="conflict.both"),
        Binding("down,n", "move(1)", "Next", id="conflict.next", show=False),
        Binding("up,p", "move(-1)", "Previous", id="conflict.previous", show=False),
        Binding("enter", "use_merge", "Use the merge", id="conflict.use"),
        Binding("e", "edit_merge", "Edit it", id="conflict.edit"),
        Binding("M", "whole('mine')", "Keep all mine", id="conflict.keep_mine"),
        Binding("T", "whole('theirs')", "Take all theirs", id="conflict.take_theirs"),
        Binding("escape", "later", "Decide later", id="conflict.cancel"),
    ]

    def __init__(self, name: str, base: str, mine: str, theirs: str) -> None:
        super().__init__(classes="dialog")
        self.function_name = name
        self.mine = mine
        self.theirs = theirs
        self.merge: Merge = merge(base, mine, theirs)
        self.choices: dict[int, str] = {}
        self.at = 0  # which conflict is shown (an index into merge.conflicts)

    def compose(self) -> ComposeResult:
        counts = self.merge.counts()
        with Vertical(classes="dialog-box wide"):
            yield Label(
                f"{self.function_name} changed on the server since you loaded it.",
                classes="dialog-title",
            )
            yield Label(
                f"Merged already: {counts['mine']} change(s) of yours, {counts['theirs']} of "
                f"theirs. Conflicts: {counts['conflict']}.",
                id="conflict-summary",
            )
            with Horizontal(id="conflict-sides"):
                with VerticalScroll(classes="conflict-side"):
                    yield Static(id="conflict-mine")
                with VerticalScroll(classes="conflict-side"):
                    yield Static(id="conflict-theirs")
            yield Label(
                "m mine · t theirs · b both · ↑↓ other conflicts · enter saves",
                classes="dialog-hint",
            )
            yield Label(
                "e finish by hand · M all mine · T all theirs · esc decide later",
                classes="dialog-hint",
            )

    def on_mount(self) -> None:
        self._show()

    def _show(self) -> None:
        conflicts = self.merge.conflicts
        mine, theirs = (
            self.query_one("#conflict-mine", Static),
            self.query_one("#conflict-theirs", Static),
        )
        if not conflicts:
            mine.update(Text("No conflict: enter saves the merge.", style="green"))
            theirs.update(_code((self.merge.text({}) or "",), "(empty)"))
            return
        position = conflicts[self.at]
        chunk = self.merge.chunks[position]
        settled = self.choices.get(position)
        mark = f" · settled: {settled}" if settled else ""
        head = f"conflict {self.at + 1} of {len(conflicts)}{mark}"
        mine.update(Group(Text(f"yours · {head}", style="bold"), _code(chunk.mine, "(deleted)")))
        theirs.update(Group(Text("the server's", style="bold"), _code(chunk.theirs, "(deleted)")))

    def action_settle(self, choice: str) -> None:
        conflicts = self.merge.conflicts
        if not conflicts:
            return
        self.choices[conflicts[self.at]] = {"mine": MINE, "theirs": THEIRS}.get(choice, BOTH)
        unsettled = [i for i, p in enumerate(conflicts) if p not in self.choices]
        if unsettled:
            self.at = next((i for i in unsettled if i > self.at), unsettled[0])
        self._show()

    def action_move(self, step: int) -> None:
        if self.merge.conflicts:
            self.at = (self.at + step) % len(self.merge.conflicts)
            self._show()

    def action_use_merge(self) -> None:
        text = self.merge.text(self.choices)
        if text is None:
            # Said in the dialog, where the eyes are: a toast would cover one of the sides.
            left = len(self.merge.conflicts) - len(self.choices)
            self.query_one("#conflict-summary", Label).update(Text(
                f"{left} conflict(s) left: m, t or b settles one; e edits by hand",
                style="bold yellow",
            ))  # fmt: skip
            return
        self.dismiss(Resolution(MERGED, text))

    def action_edit_merge(self) -> None:
        self.dismiss(Resolution(EDIT, self.merge.with_markers(self.choices)))

    def action_whole(self, side: str) -> None:
        self.dismiss(Resolution(KEEP_MINE, self.mine) if side == "mine"
                     else Resolution(TAKE_THEIRS, self.theirs))  # fmt: skip

    def action_later(self) -> None:
        self.dismiss(None)
