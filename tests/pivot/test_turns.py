"""One function that runs away cannot take the Pivot workers from the others: a function has at
most its share of them, one once a run of it is slow, and the calls that would wait too long for
a turn are answered at once (503, so KAZOO goes on to `_`). The real service with real QuickJS
workers (no HTTP: the Pivot HTTP front is test_pivot_api.py's), and the turns on their own."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from backend.pivot.invocations import InvocationLog
from backend.pivot.service import PivotAnswer, PivotService
from backend.pivot.source import PivotTarget
from backend.pivot.turns import Busy, FunctionTurns
from backend.runtime.async_sandbox import AsyncSandbox
from backend.runtime.sandbox import Limits

RUNAWAY = PivotTarget("a", "runaway", "1-r", "Loops", "while (true) {}", True, ("s1",))
FINE = PivotTarget("a", "fine", "1-f", "Fine", "return {module: 'hangup', data: {}};", True,
                   ("s2",))  # fmt: skip
RUNAWAY_KEY = (RUNAWAY.account_id, RUNAWAY.function_id, RUNAWAY.revision)
LIMITS = Limits(time_s=0.3, kill_grace_s=0.3)
KEY = ("a", "f", "1-x")


class Targets:
    def __init__(self, *targets: PivotTarget) -> None:
        self.by_id = {target.function_id: target for target in targets}

    async def find(self, account_id: str, function_id: str) -> PivotTarget | None:
        return self.by_id.get(function_id)


async def until(condition: Callable[[], bool], what: str) -> None:
    for _ in range(1000):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
async def service() -> AsyncIterator[PivotService]:
    made = PivotService(
        Targets(RUNAWAY, FINE), InvocationLog(None), sandbox=AsyncSandbox(3, LIMITS),
        limits=LIMITS, turns=FunctionTurns(3, wait_s=30, queue_limit=4, trip_after=100),
    )  # fmt: skip
    yield made
    made.close()


async def ran(turns: FunctionTurns, key: tuple[str, str, str] = KEY, *, timed_out: bool = False
              ) -> None:  # fmt: skip
    """One call of `key` whose run is handed to a worker and comes back at once."""
    async with turns.turn(key) as turn:
        turn.started()
        turn.finished(timed_out=timed_out)


def calling(service: PivotService, target: PivotTarget) -> Awaitable[PivotAnswer]:
    path = f"/pivot/{target.account_id}/{target.function_id}/{target.secrets[0]}"
    return service.answer("GET", path, "Caller-ID-Number=%2B1555", "", b"")


async def test_a_burst_of_a_runaway_leaves_a_worker_to_the_others(service: PivotService) -> None:
    # Seven calls at once, before any run has shown what the function does: two get workers
    # (one fewer than there are), four wait their turn, the seventh finds the queue full.
    calls = [asyncio.ensure_future(calling(service, RUNAWAY)) for _ in range(6)]
    await until(lambda: service.turns.waiting(RUNAWAY_KEY) == 4, "four calls waiting")
    refused = await calling(service, RUNAWAY)
    assert service.turns.admitted(RUNAWAY_KEY) == 2
    fine = await calling(service, FINE)  # the third worker is free for it
    assert fine.status == 200 and fine.body == {"module": "hangup", "data": {}}
    assert not calls[-1].done()  # it waits behind runs of at least 0.3 s each
    await until(lambda: service.turns.suspect(RUNAWAY_KEY), "a run to last past 50 ms")
    answers = await asyncio.gather(*calls)
    assert refused.status == 503 and refused.body["error"] == "busy"
    assert "its share of the workers" in refused.body["message"]
    assert "4 of its calls were waiting already" in refused.body["message"]
    assert "KAZOO goes on to the pivot node's _ child" in refused.body["message"]
    assert [answer.body["error"] for answer in answers] == ["timeout"] * 6  # each had a turn
    verdicts = [call["verdict"] for call in service.invocations.recent("a", "runaway")]
    assert sorted(verdicts) == ["busy"] + ["timeout"] * 6
    assert service.metrics.errors.labels("busy")._value.get() == 1


async def test_a_suspect_function_runs_one_at_a_time_and_a_long_wait_is_refused() -> None:
    turns = FunctionTurns(3, slow_s=0.05, wait_s=0.1)
    release = asyncio.Event()

    async def slow_run() -> None:
        async with turns.turn(KEY) as turn:
            turn.started()
            await release.wait()

    holder = asyncio.ensure_future(slow_run())
    await until(lambda: turns.suspect(KEY), "the run to turn slow")
    with pytest.raises(Busy, match=r"waited 0\.1 s for its turn"):
        async with turns.turn(KEY):
            pass  # pragma: no cover - never entered
    release.set()
    await holder
    assert turns.suspect(KEY)  # the slow run ended; nothing fast has run since
    await ran(turns)  # at once: fast, which clears the suspicion
    assert not turns.suspect(KEY)
    assert turns.admitted(KEY) == 0 and turns.waiting(KEY) == 0
    # Another revision is another function: not suspect because of this one.
    assert not turns.suspect(("a", "f", "2-y"))


async def test_time_queued_before_the_run_does_not_make_a_function_suspect() -> None:
    turns = FunctionTurns(3, slow_s=0.05)
    async with turns.turn(KEY) as turn:
        await asyncio.sleep(0.1)  # waiting for a worker behind other functions' runs
        turn.started()
        turn.finished(timed_out=False)
    assert not turns.suspect(KEY)


async def test_a_function_shown_fast_may_use_every_worker() -> None:
    turns = FunctionTurns(3)
    async with contextlib.AsyncExitStack() as calls:
        for _ in range(2):
            await calls.enter_async_context(turns.turn(KEY))
        third = asyncio.ensure_future(calls.enter_async_context(turns.turn(KEY)))
        await until(lambda: turns.waiting(KEY) == 1, "the third call to wait: one worker left")
        third.cancel()
    await ran(turns)  # a fast run
    async with contextlib.AsyncExitStack() as calls:
        for _ in range(3):
            await calls.enter_async_context(turns.turn(KEY))
        assert turns.admitted(KEY) == 3 and turns.waiting(KEY) == 0


async def test_a_call_gone_as_its_turn_comes_passes_the_turn_on() -> None:
    turns = FunctionTurns(1, slow_s=0.01, wait_s=30)
    async with contextlib.AsyncExitStack() as holding:
        await holding.enter_async_context(turns.turn(KEY))

        async def queued() -> None:
            async with turns.turn(KEY):
                pass  # pragma: no cover - cancelled before its turn starts

        gone = asyncio.ensure_future(queued())
        await until(lambda: turns.waiting(KEY) == 1, "the call to wait")
    # The holder's exit gave the waiting call the turn; its client hangs up before it starts.
    gone.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await gone
    assert turns.admitted(KEY) == 0 and turns.waiting(KEY) == 0
    async with asyncio.timeout(5):  # not queued behind a turn nobody holds
        async with turns.turn(KEY):
            assert turns.admitted(KEY) == 1


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_a_function_that_keeps_timing_out_is_not_run_until_one_call_tries_it_again() -> None:
    clock = Clock()
    service = PivotService(
        Targets(RUNAWAY, FINE), InvocationLog(None), sandbox=AsyncSandbox(2, LIMITS),
        limits=LIMITS, turns=FunctionTurns(2, trip_after=2, trip_s=60, clock=clock),
    )  # fmt: skip
    try:
        first, second = [await calling(service, RUNAWAY) for _ in range(2)]
        replaced = service.sandbox.replacements  # a worker that timed out is replaced
        refused = await calling(service, RUNAWAY)
        assert [first.body["error"], second.body["error"]] == ["timeout", "timeout"]
        assert refused.status == 503 and refused.body["error"] == "tripped"
        assert "its last 2 runs ran out of time" in refused.body["message"]
        assert "not run for 60 s" in refused.body["message"]
        assert service.sandbox.replacements == replaced  # it did not run
        assert (await calling(service, FINE)).status == 200  # others are not affected
        clock.now += 61
        retried = await calling(service, RUNAWAY)  # one call tries it again: still loops
        assert retried.body["error"] == "timeout"
        assert (await calling(service, RUNAWAY)).body["error"] == "tripped"
        fixed = dataclasses.replace(RUNAWAY, revision="2-r", body=FINE.body)
        service.source.by_id["runaway"] = fixed  # type: ignore[attr-defined]
        assert (await calling(service, fixed)).status == 200  # a new revision starts clear
        assert service.metrics.errors.labels("tripped")._value.get() == 2
    finally:
        service.close()


async def test_while_one_call_tries_a_tripped_function_again_the_others_are_refused() -> None:
    clock = Clock()
    turns = FunctionTurns(3, trip_after=1, trip_s=5, clock=clock)
    await ran(turns, timed_out=True)
    assert turns.tripped(KEY)
    clock.now += 6
    async with turns.turn(KEY) as probe:
        with pytest.raises(Busy, match="ran out of time") as refused:
            async with turns.turn(KEY):
                pass  # pragma: no cover - refused
        assert refused.value.kind == "tripped"
        probe.started()
        probe.finished(timed_out=False)
    assert not turns.tripped(KEY)
    async with turns.turn(KEY):
        pass  # runs again


async def test_the_calls_waiting_when_a_function_trips_are_refused_not_run() -> None:
    turns = FunctionTurns(1, trip_after=1, wait_s=30)
    async with contextlib.AsyncExitStack() as holding:
        turn = await holding.enter_async_context(turns.turn(KEY))
        turn.started()
        waiting = asyncio.ensure_future(holding_turn(turns))
        await until(lambda: turns.waiting(KEY) == 1, "the call to wait")
        turn.finished(timed_out=True)
    with pytest.raises(Busy) as refused:
        await waiting
    assert refused.value.kind == "tripped"
    assert turns.admitted(KEY) == 0 and turns.waiting(KEY) == 0


async def holding_turn(turns: FunctionTurns) -> None:
    async with turns.turn(KEY):
        pass  # pragma: no cover - refused before its turn


async def test_the_call_trying_a_tripped_function_again_does_not_wait_behind_its_share() -> None:
    clock = Clock()
    turns = FunctionTurns(2, trip_after=1, trip_s=5, clock=clock, wait_s=30)
    async with contextlib.AsyncExitStack() as holding:
        # A run still in flight holds the function's whole share (one of two workers, until
        # a run has been fast) when it runs out of time and trips the function.
        running = await holding.enter_async_context(turns.turn(KEY))
        running.started()
        running.finished(timed_out=True)
        assert turns.tripped(KEY) and turns.admitted(KEY) == 1
        clock.now += 6
        async with asyncio.timeout(5):  # admitted at once, not queued behind the share
            async with turns.turn(KEY) as probe:
                assert turns.admitted(KEY) == 2
                probe.started()
                probe.finished(timed_out=False)
        assert not turns.tripped(KEY)


async def test_only_so_many_revisions_are_remembered_the_idle_ones_go_first(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from backend.pivot import turns as turns_module

    monkeypatch.setattr(turns_module, "KEPT", 3)
    turns = FunctionTurns(3)
    for revision in ("1", "2", "3", "4"):
        await ran(turns, ("a", "f", revision))  # fast: remembered as proven
    # The oldest went when the fourth came.
    assert [revision for _account, _function, revision in turns._shares] == ["2", "3", "4"]


async def test_a_call_no_worker_can_start_in_time_is_answered_at_once() -> None:
    # One worker, held by another function's long run: a call that could not start within
    # its time would end after KAZOO gave up on it.
    service = PivotService(
        Targets(RUNAWAY, FINE), InvocationLog(None),
        sandbox=AsyncSandbox(1, Limits(time_s=30), single_cpu=False),
        limits=Limits(time_s=30), start_within=0.2,
    )  # fmt: skip
    try:
        holding = asyncio.ensure_future(calling(service, RUNAWAY))
        await until(lambda: service.turns.admitted(RUNAWAY_KEY) == 1, "the runaway's run")
        late = await calling(service, FINE)
        assert late.status == 503 and late.body["error"] == "busy"
        assert "no worker was free within 0.2 s of the call" in late.body["message"]
        [recorded] = service.invocations.recent("a", "fine")
        assert recorded["verdict"] == "busy"
    finally:
        service.close()
    assert (await holding).body["error"] == "cancelled"


async def test_a_run_cancelled_on_the_way_tells_nothing_of_the_function() -> None:
    clock = Clock()
    turns = FunctionTurns(3, trip_after=1, trip_s=5, clock=clock)
    await ran(turns, timed_out=True)
    assert turns.tripped(KEY)
    clock.now += 6  # its time is up: the next call tries it again
    async with turns.turn(KEY) as probe:
        probe.started()  # and its caller hangs up before the worker answers
    assert turns.tripped(KEY) and turns.admitted(KEY) == 0
    await ran(turns)  # the next call may try it again, and it does not time out
    assert not turns.tripped(KEY) and not turns.suspect(KEY)
