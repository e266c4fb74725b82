"""The event-loop sandbox (Pivot's): the same isolation and errors as `Sandbox`, awaited; on a
single CPU one worker runs, and a runaway lets another take the calls behind it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from backend.runtime.async_sandbox import AsyncSandbox, NoWorkerInTime
from backend.runtime.sandbox import Limits

HEALTHY = "return {module:'hangup', data:{}};"
RUNAWAY = "while (true) {}"


@pytest.fixture
async def pool() -> AsyncIterator[AsyncSandbox]:
    sandbox = AsyncSandbox(2, Limits(time_s=0.5), single_cpu=False)
    yield sandbox
    sandbox.close()


async def _assert_healthy(sandbox: AsyncSandbox) -> None:
    outcome = await sandbox.run(HEALTHY, {})
    assert outcome.ok and outcome.result == {"module": "hangup", "data": {}}


async def test_runs_are_isolated_and_see_their_call(pool: AsyncSandbox) -> None:
    poison = "globalThis.leaked = 42; Object.prototype.polluted = 1; return {module: 'hangup'};"
    assert (await pool.run(poison, {})).ok
    probe = "return {module: 'tts', data: {text: typeof leaked + typeof ({}).polluted + call.To}};"
    for _ in range(4):  # whichever worker takes it, its context is new
        outcome = await pool.run(probe, {"To": "2000"})
        assert outcome.ok and outcome.result["data"]["text"] == "undefinedundefined2000"


@pytest.mark.parametrize(
    ("body", "kind"),
    [
        (RUNAWAY, "timeout"),
        ("return /^(a+)+$/.test('aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab');", "timeout"),
        ("var s = 'x'; while (true) { s = s + s; }", "out_of_memory"),
        ("throw new Error('boom');", "thrown"),
        ("return {a:", "syntax"),
        ("return 'a string';", "bad_return"),
    ],
)
async def test_hostile_code_is_stopped_and_the_next_run_works(
    pool: AsyncSandbox, body: str, kind: str
) -> None:
    outcome = await pool.run(body, {})
    assert outcome.error is not None and outcome.error.kind == kind, outcome.error
    await _assert_healthy(pool)


async def test_a_reply_larger_than_a_pipe_read_arrives_whole(pool: AsyncSandbox) -> None:
    big = "y" * 300_000 + "tail!"
    outcome = await pool.run("return {module: 'tts', data: {text: call.big}};", {"big": big})
    assert outcome.ok and outcome.result["data"]["text"] == big


async def test_a_killed_worker_is_reported_and_replaced(pool: AsyncSandbox) -> None:
    run = asyncio.ensure_future(pool.run(RUNAWAY, {}, limits=Limits(time_s=10)))
    while pool._busy == 0:
        await asyncio.sleep(0.01)
    busy = next(w for w in pool._all if w not in pool._idle)
    busy.process.kill()  # as if the kernel's OOM killer took it (starting, or mid-run)
    outcome = await run
    assert outcome.error is not None and outcome.error.kind == "crashed"
    assert pool.replacements == 1
    await _assert_healthy(pool)


async def test_a_cancelled_run_leaves_no_reply_for_the_next(pool: AsyncSandbox) -> None:
    run = asyncio.ensure_future(pool.run(RUNAWAY, {}, limits=Limits(time_s=10)))
    while pool._busy == 0:
        await asyncio.sleep(0.01)
    run.cancel()
    with pytest.raises(asyncio.CancelledError):
        await run
    assert pool.replacements == 1 and pool._busy == 0
    await _assert_healthy(pool)


async def test_more_calls_than_workers_all_get_their_own_answer(pool: AsyncSandbox) -> None:
    body = "return {module: 'tts', data: {text: call.n}};"
    outcomes = await asyncio.gather(*(pool.run(body, {"n": str(n)}) for n in range(20)))
    assert [o.result["data"]["text"] for o in outcomes] == [str(n) for n in range(20)]
    assert len(pool._all) == 2 and pool._busy == 0


async def _finished_while_a_runaway_ran(sandbox: AsyncSandbox) -> bool:
    """Start a runaway, then a healthy call: did the healthy one end first?"""
    runaway = asyncio.ensure_future(sandbox.run(RUNAWAY, {}, limits=Limits(time_s=2.0)))
    while sandbox._busy == 0:
        await asyncio.sleep(0)
    healthy = await sandbox.run(HEALTHY, {})
    done_first = not runaway.done()
    assert healthy.ok and (await runaway).error.kind == "timeout"  # type: ignore[union-attr]
    return done_first


async def test_on_a_single_cpu_a_runaway_lets_a_second_worker_take_the_calls_behind_it() -> None:
    sandbox = AsyncSandbox(2, single_cpu=True)
    try:
        await _assert_healthy(sandbox)
        assert len(sandbox._all) == 1  # one worker serves while runs are short
        await _assert_healthy(sandbox)
        assert len(sandbox._all) == 1
        assert await _finished_while_a_runaway_ran(sandbox)
        assert sandbox._slow == 0 and sandbox._busy == 0
    finally:
        sandbox.close()


async def test_with_one_worker_the_calls_behind_a_runaway_wait_for_its_limit() -> None:
    # The counterpart of the test above: what the second worker is there for.
    sandbox = AsyncSandbox(1, single_cpu=True)
    try:
        assert not await _finished_while_a_runaway_ran(sandbox)
    finally:
        sandbox.close()


async def test_a_worker_that_cannot_start_is_reported(tmp_path, monkeypatch) -> None:
    from backend.runtime import sandbox as sandbox_module

    broken = tmp_path / "broken_worker.py"
    broken.write_text("import sys\nsys.stdout.write('not the ready line')\n")
    monkeypatch.setattr(sandbox_module, "WORKER_SCRIPT", broken)
    sandbox = AsyncSandbox(1)
    try:
        outcome = await sandbox.run(HEALTHY, {})
        assert outcome.error is not None and outcome.error.kind == "crashed"
        assert "did not start" in outcome.error.message and sandbox.replacements == 1
    finally:
        sandbox.close()


async def test_closing_ends_the_runs_in_flight_as_cancelled() -> None:
    sandbox = AsyncSandbox(2, Limits(time_s=30), single_cpu=False)
    await _assert_healthy(sandbox)  # the workers are up
    running = asyncio.ensure_future(sandbox.run(RUNAWAY, {}))
    while not sandbox._busy:
        await asyncio.sleep(0.01)
    sandbox.close()  # as `kfn serve` does when it stops
    outcome = await running
    # Not a 30 s wait for the time limit, nor a crash blamed on the function.
    assert outcome.error is not None and outcome.error.kind == "cancelled"
    assert "closed" in outcome.error.message


async def test_a_run_no_worker_takes_by_its_start_by_is_refused_and_leaves_no_waiter() -> None:
    sandbox = AsyncSandbox(1, Limits(time_s=30), single_cpu=False)
    try:
        await _assert_healthy(sandbox)
        holding = asyncio.ensure_future(sandbox.run(RUNAWAY, {}))
        while not sandbox._busy:
            await asyncio.sleep(0.01)
        loop = asyncio.get_running_loop()
        with pytest.raises(NoWorkerInTime):
            await sandbox.run(HEALTHY, {}, start_by=loop.time() + 0.1)
        assert not sandbox._waiters or all(w.done() for w in sandbox._waiters)
    finally:
        sandbox.close()
    assert (await holding).error is not None
