"""One test run, start to finish: check the body, build `call`, run it, validate the flow.

This is what `kfn run`, the callflow simulation and the app's test pane all call, so they give
the same verdict for the same function and call.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from backend.callflow.validate import FlowVerdict, validate_flow
from backend.runtime import es5
from backend.runtime.call import CallEncodingError, build_call, call_settings
from backend.runtime.sandbox import Limits, RunError, RunOutcome, Sandbox, shared_sandbox

# Where a function is meant to run: KAZOO's function module (couchjs, ES5: ES2015+ syntax fails
# there) or kfn's Pivot runtime (QuickJS, ES2020). The verdicts of `kfn run`, `kfn check` and
# `kfn simulate` follow it.
FUNCTION_MODULE = "function"
PIVOT = "pivot"
TARGETS = (FUNCTION_MODULE, PIVOT)


TARGET_FIELD = "kfn_target"  # in the function document; KAZOO keeps unknown keys as they are


def target_of(doc: dict[str, Any] | None) -> str:
    """A function document's target: PIVOT when it says so, else KAZOO's function module."""
    return PIVOT if doc and doc.get(TARGET_FIELD) == PIVOT else FUNCTION_MODULE


def es5_severity(target: str) -> str:
    """How an ES2015+ finding counts for `target`: it fails KAZOO's function module."""
    return "error" if target == FUNCTION_MODULE else "warning"


@dataclass
class Evaluation:
    check: es5.CheckReport
    call: dict[str, Any] | None
    outcome: RunOutcome | None
    verdict: FlowVerdict | None

    @property
    def error(self) -> RunError | None:
        return self.outcome.error if self.outcome else None

    @property
    def ok(self) -> bool:
        """True when KAZOO would branch into the returned flow."""
        return bool(self.outcome and self.outcome.ok and self.verdict and self.verdict.valid)

    @property
    def flow(self) -> Any:
        """The validated flow (defaults filled) when valid, else the raw result."""
        if self.verdict is not None:
            return self.verdict.flow
        return self.outcome.result if self.outcome else None

    def reasons(self) -> list[str]:
        """Why KAZOO would not branch, one readable line each (empty when it would)."""
        if self.error:
            return [self.error.describe()]
        return self.verdict.messages() if self.verdict else []

    def rejections(self, target: str = FUNCTION_MODULE) -> list[str]:
        """What the target engine refuses although kfn ran it: ES2015+ for KAZOO's function
        module (its engine is ES5), nothing for Pivot."""
        if es5_severity(target) != "error":
            return []
        return [f"line {f.line}, column {f.column}: {f.message}" for f in self.check.es5]

    def passes(self, target: str = FUNCTION_MODULE) -> bool:
        """The verdict for `target`: a valid flow from code that engine runs."""
        return self.ok and not self.rejections(target)

    def to_json(self) -> dict[str, Any]:
        error = None
        if self.error:
            error = {
                "kind": self.error.kind,
                "message": self.error.message,
                "line": self.error.line,
                "column": self.error.column,
                "stack": self.error.stack,
            }
        return {
            "result": self.outcome.result if self.outcome else None,
            "flow": self.verdict.flow if self.verdict and self.verdict.valid else None,
            "valid": self.ok,
            "passes": {target: self.passes(target) for target in TARGETS},
            "errors": self.verdict.errors if self.verdict else {},
            "logs": [
                {"level": level, "text": text}
                for level, text in (self.outcome.logs if self.outcome else [])
            ],
            "duration_ms": round(self.outcome.duration_ms, 3) if self.outcome else 0.0,
            "error": error,
            "es5": [
                {"line": f.line, "column": f.column, "message": f.message} for f in self.check.es5
            ],
        }


def clock_ms(settings: dict[str, Any]) -> int | None:
    """The pinned test clock of a call file (`"kfn": {"now": "2026-11-27T09:30:00Z"}`)."""
    now = settings.get("now")
    if not now:
        return None
    return _epoch_ms(str(now))


@lru_cache(maxsize=64)
def _epoch_ms(iso: str) -> int:
    stamp = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    return int(stamp.timestamp() * 1000)


def evaluate(
    body: str,
    call_payload: dict[str, Any],
    *,
    raw: bool = False,
    sandbox: Sandbox | None = None,
    limits: Limits | None = None,
    cancel: threading.Event | None = None,
    report: es5.CheckReport | None = None,
) -> Evaluation:
    report = report or es5.check(body)
    if report.syntax_error is not None:
        found = report.syntax_error
        outcome = RunOutcome(error=RunError("syntax", found.message, found.line, found.column))
        return Evaluation(report, None, outcome, None)
    try:
        call = build_call(call_payload, raw=raw)
    except CallEncodingError as exc:
        return Evaluation(report, None, RunOutcome(error=RunError("call_encoding", str(exc))), None)
    try:
        now_ms = clock_ms(call_settings(call_payload))
    except (TypeError, ValueError):
        now = call_settings(call_payload).get("now")
        message = f"kfn.now is {now!r}; give an ISO 8601 time such as 2026-11-25T15:00:00Z"
        return Evaluation(report, None, RunOutcome(error=RunError("bad_call", message)), None)
    sandbox = sandbox or shared_sandbox()
    outcome = sandbox.run(body, call, limits=limits, now_ms=now_ms, cancel=cancel)
    verdict = validate_flow(outcome.result) if outcome.ok else None
    return Evaluation(report, call, outcome, verdict)
