"""The test pane: tabs for the call, the result, the flow tree and callflow mode."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import TabbedContent, TabPane

from widgets.call_editor import CallEditor
from widgets.callflow_view import CallflowView
from widgets.flow_tree import FlowTree
from widgets.live_calls import LiveCalls
from widgets.result_view import ResultView
from widgets.run_history import RunHistory


class TestPane(Vertical):
    HELP = """\
## Test pane
**Call** (the test call) · **Result** (verdict, JSON, logs) · **Flow** (the
returned callflow as a tree) · **Callflow** (simulate a whole callflow) ·
**History** (the last runs: run one again, compare two) · **Live** (production calls through
the function's Pivot URL, as they arrive).
**alt+c** Call, **alt+r** Result, **alt+t** Flow, **alt+w**
Callflow, **alt+h** History, **alt+v** Live open a tab (from anywhere), **ctrl+o** moves on to the next
one, **alt+x** gives the pane the whole screen (again to put it back);
**left/right** on the tab bar switch too. **ctrl+r** / **F5** runs the function,
or the callflow when the Callflow tab is open.
"""
    ALLOW_MAXIMIZE = True  # alt+x

    __test__ = False  # not a pytest test class, despite the name

    def __init__(self, callflows: dict[str, dict[str, Any]], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.callflows = callflows

    def compose(self) -> ComposeResult:
        # No Lazy for the hidden tabs: the whole pane is already mounted after the list is up,
        # and a Lazy mount landing after a quit had begun raised MountError.
        with TabbedContent(id="test-tabs"):
            with TabPane("Call", id="call"):
                yield CallEditor(id="call-editor")
            with TabPane("Result", id="result"):
                yield ResultView(id="result-view")
            with TabPane("Flow", id="flow"):
                yield FlowTree(id="flow-tree")
            with TabPane("Callflow", id="callflow"):
                yield CallflowView(self.callflows, id="callflow-view")
            with TabPane("History", id="history"):
                yield RunHistory(id="run-history")
            with TabPane("Live", id="live"):
                yield LiveCalls(id="live-calls")

    @property
    def tabs(self) -> TabbedContent:
        return self.query_one(TabbedContent)

    @property
    def active(self) -> str:
        return self.tabs.active

    @active.setter
    def active(self, tab: str) -> None:
        self.tabs.active = tab

    @property
    def callflow_mode(self) -> bool:
        return self.active == "callflow"
