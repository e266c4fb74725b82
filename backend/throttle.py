"""A limit on failed logins: per account name and per client address, in a sliding window.

A password guess costs the server a PBKDF2 per user of the named account; without a limit, a
script can try passwords as fast as the server hashes them. Only failures count, so any number
of good logins goes through; a success resets nothing (one known password must not clear the
count of an address that is guessing at other accounts). The API checks the limit again right
before hashing, after waiting for a hashing slot, so a burst of parallel guesses gets no
further than the number of slots.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass

MAX_TRACKED_KEYS = 100_000  # memory bound: the least recently failed keys are forgotten first


@dataclass(frozen=True)
class Limit:
    """At most `failures` failed attempts per `window_s` seconds for one key."""

    failures: int
    window_s: float


class LoginThrottle:
    def __init__(
        self,
        limits: dict[str, Limit],
        *,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = MAX_TRACKED_KEYS,
    ) -> None:
        self.limits = limits
        self.clock = clock
        self.max_keys = max_keys
        self._failures: OrderedDict[tuple[str, str], deque[float]] = OrderedDict()

    def retry_after(self, keys: Sequence[tuple[str, str]]) -> int | None:
        """None when an attempt for `keys` ((kind, value) pairs, kind naming a limit) may go
        ahead, else the whole seconds until it may."""
        now = self.clock()
        wait = 0.0
        for key in keys:
            limit = self.limits[key[0]]
            times = self._recent(key, now, limit)
            if times is not None and len(times) >= limit.failures:
                wait = max(wait, times[0] + limit.window_s - now)
        return max(1, math.ceil(wait)) if wait > 0 else None

    def failed(self, keys: Sequence[tuple[str, str]]) -> None:
        now = self.clock()
        for key in keys:
            times = self._failures.pop(key, None) or deque()
            times.append(now)
            self._failures[key] = times  # most recently failed last
        while len(self._failures) > self.max_keys:
            self._failures.popitem(last=False)

    def _recent(self, key: tuple[str, str], now: float, limit: Limit) -> deque[float] | None:
        times = self._failures.get(key)
        if times is None:
            return None
        while times and times[0] <= now - limit.window_s:
            times.popleft()
        if not times:
            del self._failures[key]
            return None
        return times
