"""Every Pivot invocation, kept in a bounded ring per function: what the app's Live tab shows
and what turns a real call into a test call.

Recording is a deque append on the request path; a flusher writes the rings to one file in a
thread at most every FLUSH_INTERVAL_S, so the request never waits for the disk and a restart
(even `kill -9`) loses at most that last moment.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import deque
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from backend.paths import write_atomically

RING_SIZE = 100  # per function
FLUSH_INTERVAL_S = 1.0
log = logging.getLogger("kfn.pivot")


class InvocationLog:
    def __init__(self, path: Path | None = None, ring_size: int = RING_SIZE) -> None:
        self.path = path  # None: kept in memory only (a stateless `kfn pivot` instance)
        self.ring_size = ring_size
        self._rings: dict[str, deque[dict[str, Any]]] = {}
        self._dirty = False
        self._failing = False  # a write failed: said once, until one succeeds again
        self._flusher: asyncio.Task[None] | None = None
        if path is not None:
            self._load(path)

    def _load(self, path: Path) -> None:
        try:
            stored = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return
        except (OSError, ValueError) as exc:
            log.warning("the Pivot invocation log %s is unreadable (%s); starting empty", path, exc)
            return
        for key, items in stored.items() if isinstance(stored, dict) else ():
            if isinstance(items, list):
                ring = self._ring(key)
                ring.extend(item for item in items[-self.ring_size :] if isinstance(item, dict))

    def _ring(self, key: str) -> deque[dict[str, Any]]:
        ring = self._rings.get(key)
        if ring is None:
            ring = self._rings[key] = deque(maxlen=self.ring_size)
        return ring

    @staticmethod
    def _key(account_id: str, function_id: str) -> str:
        return f"{account_id}/{function_id}"

    def record(self, invocation: dict[str, Any]) -> None:
        self._ring(self._key(invocation["account_id"], invocation["function_id"])).append(
            invocation
        )
        self._dirty = True

    def recent(
        self, account_id: str, function_id: str, limit: int | None = None
    ) -> list[dict[str, Any]]:
        """Newest first, by their time: calls forwarded by `kfn pivot` instances arrive up to
        a second late, after calls answered here since."""
        ring = self._rings.get(self._key(account_id, function_id), deque())
        # Arrival order (newest first) among calls of the same millisecond.
        items = sorted(reversed(ring), key=lambda item: str(item.get("time", "")), reverse=True)
        return items[:limit] if limit is not None else items

    def __iter__(self) -> Iterator[dict[str, Any]]:
        for ring in self._rings.values():
            yield from ring

    # -- persistence ----------------------------------------------------------------------------
    def start(self) -> None:
        if self.path is not None and self._flusher is None:
            self._flusher = asyncio.get_running_loop().create_task(self._flush_forever())

    async def stop(self) -> None:
        if self._flusher is not None:
            self._flusher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._flusher
            self._flusher = None
        await self.flush()

    async def _flush_forever(self) -> None:
        while True:
            await asyncio.sleep(FLUSH_INTERVAL_S)
            await self.flush()

    async def flush(self) -> None:
        if self.path is None or not self._dirty:
            return
        self._dirty = False
        snapshot = {key: list(ring) for key, ring in self._rings.items()}  # cheap, on the loop
        path = self.path
        try:  # the encoding (~100 KB for many busy functions) too goes off the loop
            await asyncio.to_thread(lambda: write_atomically(path, json.dumps(snapshot)))
        except OSError as exc:
            self._dirty = True  # try again next time; the rings are still in memory
            if not self._failing:
                log.error("the Pivot invocation log could not be written to %s: %s (the calls "
                          "stay in memory; trying again each second)", self.path, exc)  # fmt: skip
            self._failing = True
            return
        if self._failing:
            self._failing = False
            log.warning("the Pivot invocation log is written to %s again", self.path)
