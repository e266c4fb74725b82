"""Answer KAZOO's Pivot requests: find the function, check the URL's secret, build `call`, run
it isolated, validate the flow, answer, and record the invocation.

Answers follow what KAZOO does with them (docs/kazoo-compatibility.md §9): a valid flow is
200 `application/json` with the validated flow (defaults filled), which cf_exe runs in place of
the rest of the callflow. Anything else is a non-200 status, because KAZOO then continues to the
pivot node's `_` child; a 200 with a flow KAZOO's validator refuses would leave the caller in
dead air. The reason is in the body and the log.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from backend.pivot.invocations import InvocationLog
from backend.pivot.request import BadPivotRequest, pivot_call
from backend.pivot.secrets import matches
from backend.pivot.source import PivotSource, PivotTarget, Unavailable
from backend.pivot.turns import Busy, FunctionTurns, Turn
from backend.runtime.async_sandbox import AsyncSandbox, NoWorkerInTime
from backend.runtime.sandbox import Limits, worker_count

if TYPE_CHECKING:
    from backend.pivot.metrics import PivotMetrics

log = logging.getLogger("kfn.pivot")
PIVOT_PREFIX = "/pivot/"
# Pivot waits 5 s at most (req_timeout_ms, pivot_call.erl): the run's limit plus the kill grace
# and the validation stay well inside it.
PIVOT_LIMITS = Limits(time_s=2.0)
# A run that has not started this long after its call arrived could not end inside those 5 s:
# answered at once instead (KAZOO goes on to `_`), so kfn never answers a caller already gone.
START_WITHIN_S = 2.5
NOT_FOUND = {"error": "not_found", "message": "no such Pivot URL"}  # the same for every miss


@dataclass(frozen=True)
class PivotAnswer:
    status: int
    body: dict[str, Any] | Any  # the flow on 200, else {"error", "message", ...}

    def encoded(self) -> bytes:
        return json.dumps(self.body, separators=(",", ":")).encode()


def parse_path(path: str) -> tuple[str, str, str] | None:
    """(account, function, secret) of /pivot/ACCOUNT/FUNCTION/SECRET, else None."""
    parts = path[len(PIVOT_PREFIX) :].split("/")
    if not path.startswith(PIVOT_PREFIX) or len(parts) != 3 or not all(parts):
        return None
    return parts[0], parts[1], parts[2]


class PivotService:
    def __init__(
        self,
        source: PivotSource,
        invocations: InvocationLog,
        metrics: PivotMetrics | None = None,
        *,
        sandbox: AsyncSandbox | None = None,
        limits: Limits = PIVOT_LIMITS,
        turns: FunctionTurns | None = None,
        start_within: float = START_WITHIN_S,
    ) -> None:
        self.source = source
        self.invocations = invocations
        self._metrics = metrics
        self._sandbox = sandbox
        self.limits = limits
        self._turns = turns
        self.start_within = start_within

    @property
    def metrics(self) -> PivotMetrics:
        """Made on first use: prometheus_client stays out of the app's and the server's start."""
        if self._metrics is None:
            from backend.pivot.metrics import PivotMetrics

            self._metrics = PivotMetrics()
        return self._metrics

    @property
    def sandbox(self) -> AsyncSandbox:
        """Pivot's own workers, started on the first request: the app's and the API's runs
        (in threads) never wait behind production calls, nor these behind them."""
        if self._sandbox is None:
            self._sandbox = AsyncSandbox(worker_count(), self.limits)
        return self._sandbox

    @property
    def turns(self) -> FunctionTurns:
        """Each function's share of the workers (turns.py)."""
        if self._turns is None:
            self._turns = FunctionTurns(self.sandbox.size)
        return self._turns

    def health(self) -> dict[str, Any]:
        """What /health adds: how many functions a `kfn pivot` instance has cached."""
        cached = getattr(self.source, "__len__", None)
        return {"cached_functions": cached()} if cached is not None else {}

    def close(self) -> None:
        if self._sandbox is not None:
            self._sandbox.close()
            self._sandbox = None

    async def answer(
        self, method: str, path: str, query: str, content_type: str, body: bytes
    ) -> PivotAnswer:
        started = time.perf_counter()
        answer, invocation = await self._answer(method, path, query, content_type, body)
        elapsed = time.perf_counter() - started
        self.metrics.latency.observe(elapsed)
        self.metrics.requests.labels(str(answer.status)).inc()
        if answer.status == 404:
            self.metrics.errors.labels("refused").inc()
        elif answer.status != 200:
            self.metrics.errors.labels(str(answer.body.get("error", "failed"))).inc()
        if invocation is not None:
            invocation["duration_ms"] = round(elapsed * 1000, 3)
            invocation["status"] = answer.status
            self.invocations.record(invocation)
            if log.isEnabledFor(logging.INFO):
                log.info(json.dumps({"event": "pivot", **_log_fields(invocation)}))
        return answer

    async def _answer(
        self, method: str, path: str, query: str, content_type: str, body: bytes
    ) -> tuple[PivotAnswer, dict[str, Any] | None]:
        start_by = asyncio.get_running_loop().time() + self.start_within
        where = parse_path(path)
        if where is None:
            return PivotAnswer(404, NOT_FOUND), None
        account_id, function_id, secret = where
        try:
            target = await self.source.find(account_id, function_id)
        except Unavailable as exc:
            message = f"the function's server cannot be reached and no copy is cached: {exc}"
            return PivotAnswer(503, {"error": "upstream_unavailable", "message": message}), None
        # Unknown function, another account's, no secret minted, revoked, or a wrong secret:
        # one answer, after the same comparison, so the URL tells nothing of what exists.
        if not matches(secret, target.secrets if target else ()) or target is None:
            return PivotAnswer(404, NOT_FOUND), None
        if target.stale:
            self.metrics.stale.inc()
        invocation = _invocation(target, method)
        try:
            call = pivot_call(method, query, content_type, body)
        except BadPivotRequest as exc:
            invocation.update(verdict="bad_request", error=str(exc))
            return PivotAnswer(400, {"error": "bad_request", "message": str(exc)}), invocation
        invocation["call"] = call
        invocation["call_id"] = call.get("Call-ID", "")
        if not target.enabled:
            message = f"the function {target.name or target.function_id} is disabled"
            invocation.update(verdict="disabled", error=message)
            return PivotAnswer(503, {"error": "disabled", "message": message}), invocation
        try:
            key = (target.account_id, target.function_id, target.revision)
            async with self.turns.turn(key) as turn:
                answer = await self._run(target.body, call, turn, start_by)
        except Busy as exc:
            return _refused(target, invocation, exc.kind, str(exc)), invocation
        except NoWorkerInTime:
            why = (f"no worker was free within {self.start_within:g} s of the call (more calls "
                   "than this server can run)")  # fmt: skip
            return _refused(target, invocation, "busy", why), invocation
        if answer.status == 200:
            invocation.update(verdict="valid", flow=answer.body)
        else:
            invocation.update(verdict=answer.body["error"], error=answer.body["message"])
            if "result" in answer.body:
                invocation["flow"] = answer.body["result"]
        return answer, invocation

    async def _run(
        self, body: str, call: dict[str, Any], turn: Turn, start_by: float
    ) -> PivotAnswer:
        """The run, in a fresh QuickJS context, then KAZOO's flow validation (imported on the
        first call: the schema validators stay out of the server's start)."""
        from backend.callflow.validate import validate_flow

        outcome = await self.sandbox.run(
            body, call, limits=self.limits, started=turn.started, start_by=start_by
        )
        turn.finished(timed_out=outcome.error is not None and outcome.error.kind == "timeout")
        if outcome.error is not None:
            error = outcome.error
            failure: dict[str, Any] = {"error": error.kind, "message": error.describe()}
            if error.stack:
                failure["stack"] = error.stack
            if outcome.logs:
                failure["logs"] = [text for _level, text in outcome.logs]
            return PivotAnswer(422, failure)
        verdict = validate_flow(outcome.result)
        if not verdict.valid:
            message = "; ".join(verdict.messages()) or "not a callflow"
            failure = {"error": "invalid_flow", "message": message, "result": outcome.result}
            return PivotAnswer(422, failure)
        return PivotAnswer(200, verdict.flow)


def _refused(target: PivotTarget, invocation: dict[str, Any], kind: str, why: str) -> PivotAnswer:
    """A call answered at once, not run (turns.py; no worker in time): a 503."""
    message = (f"{target.name or target.function_id}: {why}: answered at once so that KAZOO goes "
               "on to the pivot node's _ child")  # fmt: skip
    invocation.update(verdict=kind, error=message)
    return PivotAnswer(503, {"error": kind, "message": message})


def _invocation(target: PivotTarget, method: str) -> dict[str, Any]:
    return {
        "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
        "account_id": target.account_id,
        "function_id": target.function_id,
        "revision": target.revision,
        "method": method,
        "stale": target.stale,
    }


def _log_fields(invocation: dict[str, Any]) -> dict[str, Any]:
    """What a log line carries: never the call's contents (caller numbers), never the secret."""
    keep = ("time", "account_id", "function_id", "revision", "call_id", "status", "verdict",
            "duration_ms", "error", "stale")  # fmt: skip
    return {key: invocation[key] for key in keep if key in invocation}
