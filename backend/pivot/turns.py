"""How many calls of one function may be in the Pivot workers at once, so that a function that
runs away cannot hold them all.

Pivot's workers are shared by every function an instance serves. A function that loops until
its time limit (2 s), called as often as calls arrive, would otherwise fill every worker and the
queue in front of them: the calls of every other function would wait behind it past Pivot's 5 s
timeout, and one bad function would send every caller of the instance to the `_` of their pivot
nodes. So each revision of a function gets at most:
- one fewer call in the workers than there are workers, until one of its runs has ended within
  SLOW_S (a normal run takes about a millisecond): a worker is left for the others;
- every worker, once it has shown a fast run;
- one, while it is *suspect*: one of its runs has lasted past SLOW_S, and none has been fast
  since. Its calls then take turns, and the others' find the other workers free.

A call over its function's share waits for a turn; one that would wait longer than WAIT_S, or
finds QUEUE_LIMIT calls waiting already, is refused at once (`Busy`), which the service answers
with a non-200 so that KAZOO goes on to `_` as it would after a time-out. A run's time is the
worker's (from `Turn.started`), not the time it spent queued behind other functions' runs, so a
busy server does not make a fast function suspect.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

SLOW_S = 0.05
# The wait, then the run's 2 s and its kill grace, stay inside Pivot's 5 s request timeout.
WAIT_S = 2.0
QUEUE_LIMIT = 32
KEPT = 4096  # revisions remembered as proven or suspect; the oldest idle ones go first

Key = tuple[str, str, str]  # account, function, revision


class Busy(Exception):
    """The call was refused a turn; the text says why, to follow "… and"."""


@dataclass
class _Share:
    workers: int
    suspect: bool = False
    proven: bool = False  # a run of it has ended within SLOW_S
    admitted: int = 0  # calls in the workers or in the queue in front of them
    queue: collections.deque[asyncio.Future[None]] = field(default_factory=collections.deque)

    @property
    def limit(self) -> int:
        if self.suspect:
            return 1
        return self.workers if self.proven else max(1, self.workers - 1)

    def waiting(self) -> int:
        return sum(not waiter.done() for waiter in self.queue)


class Turn:
    """One admitted call: `started()` when its run begins in a worker."""

    def __init__(self, share: _Share, slow_s: float) -> None:
        self._share = share
        self._slow_s = slow_s
        self._started: float | None = None
        self._timer: asyncio.TimerHandle | None = None

    def started(self) -> None:
        loop = asyncio.get_running_loop()
        self._started = loop.time()
        self._timer = loop.call_later(self._slow_s, self._turned_slow)

    def _turned_slow(self) -> None:
        self._share.suspect = True

    def ended(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        started = self._started
        if started is not None and asyncio.get_running_loop().time() - started < self._slow_s:
            self._share.suspect = False
            self._share.proven = True


class FunctionTurns:
    def __init__(
        self,
        workers: int,
        slow_s: float = SLOW_S,
        wait_s: float = WAIT_S,
        queue_limit: int = QUEUE_LIMIT,
    ) -> None:
        self.workers = workers
        self.slow_s = slow_s
        self.wait_s = wait_s
        self.queue_limit = queue_limit
        self._shares: dict[Key, _Share] = {}

    def suspect(self, key: Key) -> bool:
        share = self._shares.get(key)
        return share is not None and share.suspect

    def waiting(self, key: Key) -> int:
        share = self._shares.get(key)
        return share.waiting() if share is not None else 0

    def admitted(self, key: Key) -> int:
        share = self._shares.get(key)
        return share.admitted if share is not None else 0

    @contextlib.asynccontextmanager
    async def turn(self, key: Key) -> AsyncIterator[Turn]:
        """Enter for one call of `key`; Busy when its turn would come too late."""
        share = self._shares.get(key)
        if share is None:
            self._forget_idle(keep=KEPT - 1)
            share = self._shares[key] = _Share(self.workers)
        try:
            if share.admitted < share.limit and not share.waiting():
                share.admitted += 1
            else:
                await self._wait_for_turn(share)  # given a turn: counted as admitted
            turn = Turn(share, self.slow_s)
            try:
                yield turn
            finally:
                turn.ended()
                share.admitted -= 1
                self._hand_off(share)
        finally:
            # Kept while it has calls, and while it is known: suspect, or proven fast.
            unknown = not (share.admitted or share.queue or share.suspect or share.proven)
            if unknown and self._shares.get(key) is share:
                del self._shares[key]

    def _forget_idle(self, keep: int) -> None:
        for key in [key for key, share in self._shares.items() if not share.admitted][
            : max(0, len(self._shares) - keep)
        ]:
            del self._shares[key]

    def _hand_off(self, share: _Share) -> None:
        while share.queue and share.admitted < share.limit:
            waiter = share.queue.popleft()
            if not waiter.done():  # not given up meanwhile
                share.admitted += 1
                waiter.set_result(None)

    async def _wait_for_turn(self, share: _Share) -> None:
        waiting = share.waiting()
        if waiting >= self.queue_limit:
            raise Busy(f"{waiting} of its calls were waiting already")
        waiter = asyncio.get_running_loop().create_future()
        share.queue.append(waiter)
        try:
            async with asyncio.timeout(self.wait_s):
                await waiter
        except TimeoutError:
            if _given(waiter):
                return  # the turn came just as the time ran out: it is this call's
            raise Busy(f"this call waited {self.wait_s:g} s for its turn") from None
        except BaseException:
            if _given(waiter):  # the call is gone (its client hung up): the turn goes on
                share.admitted -= 1
                self._hand_off(share)
            raise
        finally:
            if waiter in share.queue and waiter.done():
                share.queue.remove(waiter)


def _given(waiter: asyncio.Future[None]) -> bool:
    return waiter.done() and not waiter.cancelled()
