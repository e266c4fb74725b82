"""The main screen's runs: the function with the test call, and callflow walks.

The runtime works in thread workers (QuickJS in the sandbox's processes, the walk in a thread);
each posts one message back to the screen, which hands it to `Runner.done`, `simulated` or
`explored` here. One run at a time: esc cancels it.
"""

from __future__ import annotations

import asyncio
import threading
import time
from functools import partial
from typing import TYPE_CHECKING, Any

from textual.message import Message
from textual.timer import Timer

from backend.client import ApiError
from tui.screens.deferred import deferred
from tui.workspace import run_record

if TYPE_CHECKING:
    from backend.callflow.evaluate import Evaluation
    from backend.callflow.simulate import Documents, MappingSource, Simulation
    from backend.runtime.sandbox import Limits
    from tui.screens.main import MainScreen


class RunDone(Message):
    def __init__(self, evaluation: Evaluation) -> None:
        super().__init__()
        self.evaluation = evaluation


class SimulationDone(Message):
    def __init__(self, simulation: Simulation) -> None:
        super().__init__()
        self.simulation = simulation


class PathsDone(Message):
    def __init__(self, paths: dict[str, Any]) -> None:
        super().__init__()
        self.paths = paths


class Runner:
    def __init__(self, screen: MainScreen) -> None:
        self.screen = screen
        self.cancel: threading.Event | None = None  # set: a run is under way
        self.started = 0.0
        self.timer: Timer | None = None
        self.limits: Limits | None = None  # None: the sandbox's defaults (1 s, 32 MiB)
        self.run_text: str | None = None  # the body the Result pane shows the run of
        self.run_payload: tuple[dict[str, Any], str | None] | None = None  # its call, name
        # What the screen last showed, for whoever waits on it (tests, the tmux driver).
        self.last_evaluation: Evaluation | None = None
        self.last_simulation: Simulation | None = None
        self.last_paths: dict[str, Any] | None = None

    @property
    def busy(self) -> bool:
        return self.cancel is not None

    def refuse_if_busy(self) -> bool:
        if self.busy:
            self.screen.notify("A run is in progress (esc cancels it)", severity="warning")
        return self.busy

    # -- the run's life -----------------------------------------------------------------------------
    def begin(self, what: str) -> None:
        work = self.screen.work
        self.cancel = threading.Event()
        self.started = time.monotonic()
        if not work.test_pane.callflow_mode:
            work.test_pane.active = "result"
        work.result_view.show_running(what)
        self.timer = self.screen.set_interval(0.1, self._tick)
        self._tick()
        self.screen.refresh_bindings()

    def _tick(self) -> None:
        elapsed = time.monotonic() - self.started
        self.screen.status.activity = f"running… {elapsed:.1f} s (esc cancels)"

    def end(self) -> None:
        self.cancel = None
        if self.timer is not None:
            self.timer.stop()
            self.timer = None
        self.screen.status.activity = ""
        self.screen.refresh_bindings()

    def stop(self) -> None:
        if self.cancel is not None:
            self.cancel.set()
            self.screen.status.activity = "cancelling…"

    # -- the function -------------------------------------------------------------------------------
    def run_function(self, payload: dict[str, Any], call_name: str | None) -> None:
        self.begin("the function")
        self.run_text = self.screen.work.editor.text
        self.run_payload = (payload, call_name)
        self.screen.run_worker(
            partial(self._evaluate, self.run_text, payload, self.cancel),
            thread=True, exclusive=True, group="run",
        )  # fmt: skip

    def _evaluate(self, body: str, payload: dict[str, Any], cancel: threading.Event | None) -> None:
        from backend.callflow.evaluate import evaluate
        from backend.runtime.checker import shared_checker

        report = shared_checker().check(body)  # cached there: the pause after typing checked it
        evaluation = evaluate(body, payload, cancel=cancel, limits=self.limits, report=report)
        self.screen.post_message(RunDone(evaluation))

    def done(self, evaluation: Evaluation) -> None:
        screen, work = self.screen, self.screen.work
        elapsed_ms = (time.monotonic() - self.started) * 1000
        self.end()
        self.last_evaluation = evaluation
        report = evaluation.to_json()
        report["target"] = screen.target
        cancelled = evaluation.error is not None and evaluation.error.kind == "cancelled"
        if cancelled:
            report["duration_ms"] = elapsed_ms  # how long it ran before esc, not 0
        work.result_view.show_report(report, evaluation.reasons())
        work.flow_tree.show_flow(
            evaluation.flow if evaluation.outcome and evaluation.outcome.ok else None
        )
        if screen.current is not None and self.run_payload is not None:
            record = run_record(evaluation, report, *self.run_payload)
            screen.run_worker(deferred(self.record, screen.current.id, record), group="history")
            screen.live.after_run(record)
        if cancelled:
            screen.notify("Run cancelled")

    async def record(self, function_id: str, run: dict[str, Any]) -> None:
        """Keep the run in the function's history (in a thread: the file is fsync'ed)."""
        local = self.screen.local
        try:
            await asyncio.to_thread(local.record_run, function_id, run)
        except OSError as exc:
            self.screen.notify(f"The run was not added to the history: {exc}", severity="warning")
            return
        current = self.screen.current
        if current is not None and current.id == function_id:
            self.screen.work.history.show_runs(local.runs(function_id))

    # -- callflow walks -----------------------------------------------------------------------------
    async def simulate(self, number: str | None = None, every_path: bool = False) -> None:
        """Walk the picked callflow (or the one that answers `number`) for the test call, or
        enumerate every path through it."""
        screen, work = self.screen, self.screen.work
        view = work.callflow_view
        name = view.selected
        if number is None and (name is None or name not in view.callflows):
            screen.notify("Pick a callflow first, or dial a number", severity="warning")
            return
        payload = work.call_editor.payload
        if payload is None:
            screen.notify(
                f"The test call is not valid JSON: {work.call_editor.error}", severity="error"
            )
            return
        self.begin(f"dialling {number}" if number else f"callflow {name}")
        try:
            source = await screen.workspace.function_source(
                screen.current.id if screen.current else None, work.editor.text
            )
            documents = await self._documents(name or "")
        except ApiError as exc:
            self.end()
            work.result_view.show_message(str(exc), "red")
            screen.notify(str(exc), severity="error", timeout=10)
            return
        capture: str | None = None
        if number is not None:
            found = documents.lookup(number)
            if found is None:
                self.end()
                screen.notify(f"No callflow answers {number}", severity="warning")
                return
            _doc_id, callflow, capture = found
            # The picker shows what is walked: the dialled callflow, when it lists it.
            shown = [
                k for k, doc in view.callflows.items() if doc.get("name") == callflow.get("name")
            ]
            if shown:
                view.choose(shown[0])
        else:
            assert name is not None
            callflow = view.callflows[name]
        walk = partial(self._walk, callflow, payload, source, documents, capture, every_path)
        screen.run_worker(walk, thread=True, exclusive=True, group="run")

    async def _documents(self, selected: str) -> Documents:
        """The walk's documents; the picker learns the account's own callflows too."""
        documents, server = await self.screen.workspace.walk_documents()
        view = self.screen.work.callflow_view
        shown = {doc.get("name") for doc in view.callflows.values()}  # samples seeded here too
        named = {
            str(doc.get("name") or doc_id): doc
            for doc_id, doc in server.items()
            if doc.get("name") not in shown
        }
        if not named.keys() <= view.callflows.keys():
            view.set_callflows({**view.callflows, **named})
            view.choose(selected)
        return documents

    def _walk(
        self,
        callflow: dict[str, Any],
        payload: dict[str, Any],
        source: MappingSource,
        documents: Documents,
        capture: str | None,
        every_path: bool,
    ) -> None:
        from backend.callflow.execute import Environment, all_paths
        from backend.callflow.simulate import ScenarioError, simulate
        from backend.runtime.checker import shared_checker

        screen = self.screen
        check = shared_checker().check
        try:
            if every_path:
                env = Environment(
                    payload, source, documents, screen.account_id, check=check,
                    capture_group=capture,
                )  # fmt: skip
                screen.post_message(PathsDone(all_paths(callflow, env).to_json()))
                return
            simulation = simulate(
                callflow, payload, source, documents=documents, account_id=screen.account_id,
                check=check, capture_group=capture,
            )  # fmt: skip
        except ScenarioError as exc:
            screen.app.call_from_thread(self.end)
            screen.app.call_from_thread(
                screen.notify, str(exc), title="Bad scenario in the call", severity="error"
            )
            return
        screen.post_message(SimulationDone(simulation))

    def simulated(self, simulation: Simulation) -> None:
        self.end()
        self.last_simulation = simulation
        work = self.screen.work
        work.result_view.show_message("See the Callflow tab for the simulated path.")
        work.callflow_view.show_simulation(simulation.to_json())

    def explored(self, paths: dict[str, Any]) -> None:
        self.end()
        self.last_paths = paths
        work = self.screen.work
        work.result_view.show_message("See the Callflow tab: every path, with its scenario.")
        work.callflow_view.show_paths(paths)
