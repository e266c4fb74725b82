"""The main screen's Live tab: the open function's production calls through its Pivot URL,
read every POLL_S while the tab is open; a call re-run against the editor's text, both flows
compared; a call kept as a test call; the URL and the callflow node copied (OSC 52)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from backend.client import ApiError, NotFoundError
from tui.screens.deferred import deferred

if TYPE_CHECKING:
    from tui.screens.main import MainScreen

POLL_S = 2.0


def production_record(invocation: dict[str, Any]) -> dict[str, Any]:
    """A production call in the shape of a run of the history (what CompareScreen shows)."""
    return {
        "at": invocation.get("time", ""),
        "verdict": "valid" if invocation.get("status") == 200 else str(invocation.get("verdict")),
        "call_name": f"production call {invocation.get('call_id') or ''}".strip(),
        "flow": invocation.get("flow") if invocation.get("status") == 200 else None,
        "summary": str(invocation.get("error") or ""),
    }


class Live:
    def __init__(self, screen: MainScreen) -> None:
        self.screen = screen
        self.described: dict[str, Any] = {}
        self.compare_with: dict[str, Any] | None = None  # the production call being re-run

    def tick(self) -> None:
        """On the poll timer: read the calls when the Live tab is open and a function is."""
        screen = self.screen
        if screen.work.is_ready and screen.current and screen.work.test_pane.active == "live":
            screen.run_worker(deferred(self.refresh), group="live", exclusive=True)

    async def refresh(self) -> None:
        screen = self.screen
        current = screen.current
        if current is None:
            return
        try:
            view = await screen.workspace.pivot(current.id)
        except NotFoundError:
            note = (
                "A KAZOO keeps no Pivot URLs: `kfn pivot --signing-key FILE` serves them, "
                "and --pivot-instance URL shows them here (README: Pivot)"
            )
            described, calls = {}, []
        except ApiError as exc:
            described, calls, note = self.described, screen.work.live.invocations, str(exc)
        else:
            described, calls = view.described, view.calls
            lines = [self._note(described), *(f"! {line}" for line in view.problems)]
            if view.asked:
                lines.append(f"calls from {view.answered} of {view.asked} kfn pivot instances")
            note = "\n".join(lines)
        if screen.current is not None and screen.current.id == current.id:
            self.described = described
            screen.work.live.show_calls(calls, note)

    @staticmethod
    def _note(described: dict[str, Any]) -> str:
        if not described.get("enabled", False):
            return str(described.get("message") or "no Pivot URL")
        # Short: the whole warning is in the description (and `kfn serve`, `kfn pivot` say it).
        warning = (
            "\n! KAZOO refuses loopback URLs: give kfn --public-url"
            if described.get("warning")
            else ""
        )
        return f"Pivot URL (u copies it, n the pivot node):\n{described.get('voice_url')}{warning}"

    def copy(self, part: str) -> None:
        value = self.described.get(part)
        if value is None:
            self.screen.notify("No Pivot URL for this function yet", severity="warning")
            return
        text = value if isinstance(value, str) else json.dumps(value, indent=2)
        self.screen.app.copy_to_clipboard(text)
        what = "Pivot URL" if part == "voice_url" else "pivot callflow node"
        self.screen.notify(f"Copied the {what} (OSC 52)")

    def keep(self, invocation: dict[str, Any]) -> None:
        screen = self.screen
        if screen.current is None:
            return
        name = f"production {invocation.get('call_id') or invocation.get('time', '')}".strip()
        try:
            screen.local.save_call(screen.current.id, name, dict(invocation.get("call") or {}))
        except OSError as exc:
            screen.notify(f"The call was not saved: {exc}", severity="error", timeout=10)
            return
        screen.work.call_editor.set_calls(
            screen.sample_calls, screen.local.calls(screen.current.id)
        )
        screen.notify(f"Kept the call as the test call {name!r} (F4 list in the Call tab)")

    def rerun(self, invocation: dict[str, Any]) -> None:
        """That production call against the editor's text; both flows side by side after."""
        screen = self.screen
        call = invocation.get("call")
        if screen.runner.refuse_if_busy() or not isinstance(call, dict):
            return
        self.compare_with = production_record(invocation)
        name = f"production call {invocation.get('call_id') or ''}".strip()
        screen.runner.run_function(call, name)

    def after_run(self, run: dict[str, Any]) -> None:
        """The re-run is done: put its flow beside production's."""
        if self.compare_with is None:
            return
        from tui.screens.compare import CompareScreen

        production, self.compare_with = self.compare_with, None
        self.screen.app.push_screen(CompareScreen(run, production))
