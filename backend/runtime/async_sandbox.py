"""The sandbox for code on an event loop (the Pivot endpoint): the same worker processes, limits
and outcomes as `Sandbox`, awaited instead of blocking a thread.

Why not `Sandbox.run` in a thread pool: every run then paid a thread handoff, the wait for the
GIL behind the loop, and a select() per wait, and under load the queueing behind them set the
tail latency. Here the loop itself watches each worker's reply pipe.

On a machine with several CPUs every worker runs at once, taken first in, first out: the one
that rebuilt its context longest ago is the one most surely ready. On a single CPU (one in the
affinity, or a cgroup quota of one: cpus.py) they cannot run at once, and taking turns costs
each worker its memory in the caches: three workers in turn spend visibly more CPU per run
than one (bench/pivot.py shows it). There one worker runs, most recently used first; another
joins only while a run has lasted longer than SPILL_S (a runaway), so that the calls behind it
are not held until its time limit.
"""

from __future__ import annotations

import asyncio
import collections
import json
import os
from collections.abc import Callable
from typing import Any, TypeVar, cast

from backend.runtime import worker as worker_module
from backend.runtime.cpus import usable_cpus
from backend.runtime.sandbox import (
    DEFAULT_WORKERS,
    Limits,
    RunError,
    RunOutcome,
    WorkerProcess,
    crashed,
    finish,
    settings_for,
    timed_out,
)

STARTUP_S = 30.0  # a worker's first start (Python and quickjs imported), on a loaded machine
SPILL_S = 0.05  # a run this long is far past any normal one (about a millisecond)
T = TypeVar("T")
# The message at the start of a buffer, taken out of it; None while it is incomplete.
Parse = Callable[[bytearray], T | None]


def _ready(buffer: bytearray) -> bool | None:
    size = len(worker_module.READY)
    if len(buffer) < size:
        return None
    if bytes(buffer[:size]) != worker_module.READY:
        raise EOFError("the worker did not start")
    del buffer[:size]
    return True


def _reply(buffer: bytearray) -> tuple[bytes, float] | None:
    header = worker_module.REPLY
    if len(buffer) < header.size:
        return None
    size, duration_ms = header.unpack_from(buffer)
    if len(buffer) < header.size + size:
        return None
    message = bytes(buffer[header.size : header.size + size])
    del buffer[: header.size + size]
    return message, duration_ms


class NoWorkerInTime(Exception):
    """No worker became free by the run's `start_by`."""


class _Channel:
    """A worker's reply pipe, watched by the loop for the worker's whole life (not registered
    and unregistered around each run: two system calls fewer per request)."""

    def __init__(self, worker: WorkerProcess, loop: asyncio.AbstractEventLoop) -> None:
        self.fd = worker.reply_fd
        self.loop = loop
        self.buffer = bytearray()
        self.ended: str | None = None  # why the pipe gave no more, once it has ended
        self._parse: Parse[Any] | None = None
        self._done: asyncio.Future[Any] | None = None
        os.set_blocking(self.fd, False)
        loop.add_reader(self.fd, self._readable)

    async def receive(self, parse: Parse[T], timeout_s: float) -> T:
        """The next message `parse` finds, as data arrives; TimeoutError after `timeout_s`."""
        early = parse(self.buffer)  # whole already (the READY line arrives unasked)
        if early is not None:
            return early
        if self.ended is not None:
            raise EOFError(self.ended)
        self._parse, self._done = parse, self.loop.create_future()
        timer = self.loop.call_later(timeout_s, self._settle, None, TimeoutError())
        try:
            return cast(T, await self._done)
        finally:
            timer.cancel()
            self._parse = self._done = None

    def _readable(self) -> None:
        try:
            chunk = os.read(self.fd, 1 << 16)
        except BlockingIOError:
            return
        except OSError as exc:
            self._end(f"the worker's pipe failed: {exc.strerror}")
            return
        if not chunk:
            self._end("the worker exited")
            return
        self.buffer.extend(chunk)
        if self._parse is not None:
            try:
                self._settle(self._parse(self.buffer))
            except EOFError as exc:
                self._settle(None, exc)

    def _settle(self, value: Any, error: BaseException | None = None) -> None:
        if self._done is None or self._done.done():
            return
        if error is not None:
            self._done.set_exception(error)
        elif value is not None:
            self._done.set_result(value)

    def _end(self, why: str) -> None:
        self.close(why)
        self._settle(None, EOFError(why))

    def close(self, why: str = "the sandbox is closed") -> None:
        if self.ended is None:
            self.ended = why
            self.loop.remove_reader(self.fd)


class AsyncSandbox:
    def __init__(
        self,
        workers: int = DEFAULT_WORKERS,
        limits: Limits | None = None,
        *,
        single_cpu: bool | None = None,
    ) -> None:
        self.limits = limits or Limits()
        self.size = max(1, workers)
        if single_cpu is None:
            single_cpu = usable_cpus() == 1
        self.single_cpu = single_cpu
        self.replacements = 0
        self._busy = 0  # workers handed out
        self._slow = 0  # runs past SPILL_S (single CPU: each lets one more worker run)
        self._idle: collections.deque[WorkerProcess] = collections.deque()
        self._all: set[WorkerProcess] = set()
        self._channels: dict[WorkerProcess, _Channel] = {}
        self._waiters: collections.deque[asyncio.Future[WorkerProcess]] = collections.deque()
        self._closed = False

    async def run(
        self,
        body: str,
        call: dict[str, Any],
        *,
        limits: Limits | None = None,
        started: Callable[[], None] | None = None,
        start_by: float | None = None,
    ) -> RunOutcome:
        """The run's outcome; `started` is called as the run is handed to its worker (the
        time before it is spent waiting for one). NoWorkerInTime when no worker is free by
        `start_by` (the loop's clock)."""
        if self._closed:
            raise RuntimeError("the sandbox is closed")
        limits = limits or self.limits
        try:
            async with asyncio.timeout_at(start_by):
                worker = await self._acquire()
        except TimeoutError:
            raise NoWorkerInTime() from None
        slow: list[bool] = []
        spill = None
        if self.single_cpu and self.size > 1:
            spill = asyncio.get_running_loop().call_later(SPILL_S, self._spill, slow)
        try:
            if not worker.ready:
                await self._receive(worker, _ready, STARTUP_S)
                worker.ready = True
            request = worker_module.pack_request(
                settings_for(limits, None), body.encode(), json.dumps(call).encode()
            )
            # Blocking, but the worker is waiting in read(): the pipe drains as it fills.
            worker_module.write_all(worker.request_fd, request)
            if started is not None:
                started()
            reply, duration_ms = await self._receive(
                worker, _reply, limits.time_s + limits.kill_grace_s
            )
        except TimeoutError:
            self._replace(worker)
            return timed_out(limits)
        except (EOFError, OSError, ValueError) as exc:
            self._replace(worker)
            if self._closed:  # the server is stopping: not a crash of the function's
                return RunOutcome(error=RunError("cancelled", "the sandbox was closed"))
            return crashed(exc)
        except BaseException:
            # Cancelled mid-run: its reply would reach the next run. Start afresh.
            self._replace(worker)
            raise
        finally:
            if spill is not None:
                spill.cancel()
            self._slow -= len(slow)
        self._give_back(worker)
        return finish(reply, duration_ms, limits)

    def _spill(self, slow: list[bool]) -> None:
        slow.append(True)
        self._slow += 1
        self._wake()

    async def _receive(self, worker: WorkerProcess, parse: Parse[T], timeout_s: float) -> T:
        return await self._channels[worker].receive(parse, timeout_s)

    def _limit(self) -> int:
        """How many workers may run now."""
        return min(self.size, 1 + self._slow) if self.single_cpu else self.size

    def _take(self) -> WorkerProcess | None:
        """An idle (or new) worker, if one more may run now."""
        if self._busy >= self._limit():
            return None
        if self._idle:
            worker = self._idle.pop() if self.single_cpu else self._idle.popleft()
        elif len(self._all) < self.size:
            worker = self._start()
        else:
            return None
        self._busy += 1
        return worker

    async def _acquire(self) -> WorkerProcess:
        worker = None if self._waiters else self._take()  # no overtaking those who wait
        if worker is not None:
            return worker
        waiter: asyncio.Future[WorkerProcess] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            return await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self._give_back(waiter.result())
            raise

    def _wake(self) -> None:
        while self._waiters:
            if self._waiters[0].done():  # cancelled while it waited
                self._waiters.popleft()
                continue
            worker = self._take()
            if worker is None:
                return
            self._waiters.popleft().set_result(worker)

    def _give_back(self, worker: WorkerProcess) -> None:
        self._busy -= 1
        self._idle.append(worker)
        self._wake()

    def _start(self) -> WorkerProcess:
        worker = WorkerProcess()
        self._all.add(worker)
        self._channels[worker] = _Channel(worker, asyncio.get_running_loop())
        return worker

    def _replace(self, worker: WorkerProcess) -> None:
        channel = self._channels.pop(worker, None)  # gone already if the sandbox was closed
        if channel is not None:
            channel.close()
        worker.kill()
        self._all.discard(worker)
        self._busy -= 1
        self.replacements += 1
        if not self._closed:
            self._idle.append(self._start())  # started now, so ready by the next run
            self._wake()

    def close(self) -> None:
        self._closed = True
        for worker in list(self._all):
            self._channels.pop(worker)._end("the sandbox is closed")  # runs in flight end now
            worker.kill()
        self._all.clear()
        self._idle.clear()
        for waiter in self._waiters:
            if not waiter.done():
                waiter.cancel()
        self._waiters.clear()
