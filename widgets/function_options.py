"""The option list inside FunctionList: its keys act on the highlighted function."""

from __future__ import annotations

from textual.binding import Binding
from textual.message import Message
from textual.widgets import OptionList


class FunctionOptions(OptionList):
    BINDINGS = [
        Binding("n", "request('new')", "New", id="list.new", show=False),
        Binding("r,f2", "request('rename')", "Rename", id="list.rename"),
        Binding("c", "request('duplicate')", "Duplicate", id="list.duplicate", show=False),
        Binding("e", "request('toggle')", "On/off", id="list.toggle"),
        Binding("x,delete", "request('delete')", "Delete", id="list.delete"),
        Binding("slash", "request('filter')", "Filter", id="list.filter", show=False),
    ]

    class Requested(Message):
        """A list key: new, rename, duplicate, toggle, delete or filter (FunctionList's
        ListAction values, and its own filter)."""

        def __init__(self, action: str) -> None:
            super().__init__()
            self.action = action

    def action_request(self, action: str) -> None:
        self.post_message(self.Requested(action))
