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

A revision whose last TRIP_AFTER runs all ran out of time is *tripped*: for TRIP_S its calls
are refused at once, not run, so that it stops burning a worker's CPU in a loop and its callers
are not kept in silence for the time limit before KAZOO goes on; then one call tries it again,
and a run that does not time out ends the trip.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

SLOW_S = 0.05
# The wait, then the run's 2 s and its kill grace, stay inside Pivot's 5 s request timeout.
WAIT_S = 2.0
QUEUE_LIMIT = 32
TRIP_AFTER = 3
TRIP_S = 10.0
KEPT = 4096  # revisions remembered as proven or suspect; the oldest idle ones go first

Key = tuple[str, str, str]  # account, function, revision


class Busy(Exception):
    """The call was refused a turn, for `kind` ("busy": over its share; "tripped"); the text
    says why, of the function ("it …")."""

    def __init__(self, kind: str, why: str) -> None:
        super().__init__(why)
        self.kind = kind


@dataclass
class _Share:
    suspect: bool = False
    proven: bool = False  # a run of it has ended within SLOW_S
    admitted: int = 0  # calls in the workers or in the queue in front of them
    queue: collections.deque[asyncio.Future[None]] = field(default_factory=collections.deque)
    timeouts: int = 0  # its last runs that ran out of time, in a row
    tripped_until: float | None = None  # clock time; None: not tripped
    probing: bool = False  # one call is trying it again after a trip

    def limit(self, workers: int) -> int:
        """How many of its calls may be in the workers now."""
        if self.suspect:
            return 1
        return workers if self.proven else max(1, workers - 1)

    def waiting(self) -> int:
        return sum(not waiter.done() for waiter in self.queue)


class Turn:
    """One admitted call: `started()` when its run is handed to a worker, `finished()` when the
    worker's answer is back. Only a run that finished tells anything of the function: one
    cancelled on the way (its caller hung up) changes nothing."""

    def __init__(self, turns: FunctionTurns, share: _Share, probe: bool) -> None:
        self._turns = turns
        self._share = share
        self._probe = probe
        self._started: float | None = None
        self._timer: asyncio.TimerHandle | None = None

    def started(self) -> None:
        loop = asyncio.get_running_loop()
        self._started = loop.time()
        self._timer = loop.call_later(self._turns.slow_s, self._turned_slow)

    def _turned_slow(self) -> None:
        self._share.suspect = True

    def finished(self, *, timed_out: bool) -> None:
        """The run is back from its worker (before its flow is validated, which is not the
        function's time)."""
        started = self._started
        self._stop_timer()
        if started is None:
            return
        share, turns = self._share, self._turns
        if asyncio.get_running_loop().time() - started < turns.slow_s:
            share.suspect = False
            share.proven = True
        if timed_out:
            share.timeouts += 1
            if share.timeouts >= turns.trip_after:
                share.tripped_until = turns.clock() + turns.trip_s
        else:
            share.timeouts = 0
            share.tripped_until = None

    def ended(self) -> None:
        self._stop_timer()
        if self._probe:
            self._share.probing = False

    def _stop_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None


class FunctionTurns:
    def __init__(
        self,
        workers: int,
        slow_s: float = SLOW_S,
        wait_s: float = WAIT_S,
        queue_limit: int = QUEUE_LIMIT,
        trip_after: int = TRIP_AFTER,
        trip_s: float = TRIP_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.workers = workers
        self.slow_s = slow_s
        self.wait_s = wait_s
        self.queue_limit = queue_limit
        self.trip_after = trip_after
        self.trip_s = trip_s
        self.clock = clock
        self._shares: dict[Key, _Share] = {}

    def tripped(self, key: Key) -> bool:
        share = self._shares.get(key)
        return share is not None and share.tripped_until is not None

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
            share = self._shares[key] = _Share()
        try:
            probe = self._check_trip(share)
            # The one call trying a tripped function again never waits (it could be refused
            # in the queue, and the function would stay tripped): one over its share at most.
            if probe or (share.admitted < share.limit(self.workers) and not share.waiting()):
                share.admitted += 1
            else:
                await self._wait_for_turn(share)  # given a turn: counted as admitted
            turn = Turn(self, share, probe)
            try:
                yield turn
            finally:
                turn.ended()
                share.admitted -= 1
                self._hand_off(share)
        finally:
            # Kept while it has calls, and while it is known: suspect, tripped or proven fast.
            known = share.suspect or share.proven or share.tripped_until is not None
            unknown = not (share.admitted or share.queue or known)
            if unknown and self._shares.get(key) is share:
                del self._shares[key]

    def _forget_idle(self, keep: int) -> None:
        if len(self._shares) <= keep:
            return
        for key in [key for key, share in self._shares.items() if not share.admitted][
            : max(0, len(self._shares) - keep)
        ]:
            del self._shares[key]

    def _check_trip(self, share: _Share) -> bool:
        """Busy while `share` is tripped; True when this call is the one trying it again."""
        if share.tripped_until is None:
            return False
        if share.probing or self.clock() < share.tripped_until:
            raise Busy("tripped", self._trip_reason())
        share.probing = True
        return True

    def _trip_reason(self) -> str:
        return (f"its last {self.trip_after} runs ran out of time, so it is not run for "
                f"{self.trip_s:g} s (then one call tries it again)")  # fmt: skip

    def _hand_off(self, share: _Share) -> None:
        while share.queue and (
            share.tripped_until is not None or share.admitted < share.limit(self.workers)
        ):
            waiter = share.queue.popleft()
            if waiter.done():  # given up meanwhile
                continue
            if share.tripped_until is not None:  # tripped meanwhile: none of them runs
                waiter.set_exception(Busy("tripped", self._trip_reason()))
                continue
            share.admitted += 1
            waiter.set_result(None)

    def _share_reason(self) -> str:
        return (f"it has its share of the workers (its runs are slow, or none has ended within "
                f"{self.slow_s * 1000:g} ms yet)")  # fmt: skip

    async def _wait_for_turn(self, share: _Share) -> None:
        waiting = share.waiting()
        if waiting >= self.queue_limit:
            raise Busy("busy", f"{self._share_reason()}, and {waiting} of its calls were "
                       "waiting already")  # fmt: skip
        waiter = asyncio.get_running_loop().create_future()
        share.queue.append(waiter)
        try:
            async with asyncio.timeout(self.wait_s):
                await waiter
        except TimeoutError:
            if _given(waiter):
                return  # the turn came just as the time ran out: it is this call's
            raise Busy("busy", f"{self._share_reason()}, and this call waited "
                       f"{self.wait_s:g} s for its turn") from None  # fmt: skip
        except BaseException:
            if _given(waiter):  # the call is gone (its client hung up): the turn goes on
                share.admitted -= 1
                self._hand_off(share)
            raise
        finally:
            if waiter in share.queue and waiter.done():
                share.queue.remove(waiter)


def _given(waiter: asyncio.Future[None]) -> bool:
    """The waiter was given a turn (not given up, nor refused)."""
    return waiter.done() and not waiter.cancelled() and waiter.exception() is None
