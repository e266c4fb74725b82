"""A `kfn pivot` instance's invocations, sent on to its upstream kfn: the app's Live tab reads
the upstream's ring, so without this it would show none of the calls the instances answer.

Recording stays a deque append on the request path. A background task sends what gathered,
per function, every FORWARD_INTERVAL_S. While the upstream cannot be reached, the newest
PENDING_LIMIT calls per function wait and older ones are dropped (counted); a function deleted
upstream drops its own. Each call carries the instance that answered it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from typing import Any

from backend.client import ApiError, KazooClient, NotFoundError
from backend.pivot.invocations import RING_SIZE, InvocationLog

FORWARD_INTERVAL_S = 1.0
FINAL_SEND_S = 3.0
PENDING_LIMIT = RING_SIZE  # per function: the upstream keeps no more than that anyway
log = logging.getLogger("kfn.pivot")


class ForwardedInvocations(InvocationLog):
    """The instance's own ring (in memory), and the queue of calls not yet sent upstream."""

    def __init__(self, client: KazooClient, instance: str) -> None:
        super().__init__(None)
        self.client = client
        self.instance = instance
        self.sent = 0
        self.dropped = 0
        self._pending: dict[tuple[str, str], deque[dict[str, Any]]] = {}
        self._sender: asyncio.Task[None] | None = None
        self._failing = False

    def record(self, invocation: dict[str, Any]) -> None:
        invocation["instance"] = self.instance
        super().record(invocation)
        key = (invocation["account_id"], invocation["function_id"])
        queue = self._pending.get(key)
        if queue is None:
            queue = self._pending[key] = deque()
        if len(queue) >= PENDING_LIMIT:
            queue.popleft()
            self.dropped += 1
        queue.append(invocation)

    def start(self) -> None:
        if self._sender is None:
            self._sender = asyncio.get_running_loop().create_task(self._send_forever())

    async def stop(self) -> None:
        """Stop sending; what gathered since the last send goes now (once, best effort)."""
        if self._sender is not None:
            self._sender.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sender
            self._sender = None
        with contextlib.suppress(TimeoutError):  # an upstream that is down must not hold the exit
            await asyncio.wait_for(self.send(), FINAL_SEND_S)

    async def _send_forever(self) -> None:
        while True:
            await asyncio.sleep(FORWARD_INTERVAL_S)
            await self.send()

    async def send(self) -> None:
        succeeded = False
        for key in list(self._pending):
            queue = self._pending.pop(key)
            batch = list(queue)
            try:
                self.sent += await self.client.record_pivot_invocations(key[0], key[1], batch)
                succeeded = True
            except NotFoundError:
                continue  # the function is gone upstream: so is the point of its calls
            except asyncio.CancelledError:
                # Stopped mid-send: the final send tries again (the upstream may then get the
                # batch twice, if it had taken it; a lost call would be worse).
                self._back_in_line(key, batch)
                raise
            except ApiError as exc:
                self._back_in_line(key, batch)
                if not self._failing:
                    log.warning("kfn: the upstream did not take the Pivot calls (%s); "
                                "they wait, the newest %d per function", exc, PENDING_LIMIT)  # fmt: skip
                self._failing = True
                return
        if succeeded and self._failing:
            log.warning("kfn: the upstream takes the Pivot calls again")
            self._failing = False

    def _back_in_line(self, key: tuple[str, str], batch: list[dict[str, Any]]) -> None:
        """A batch not sent goes back before anything recorded while it was under way."""
        later = self._pending.pop(key, deque())
        kept = deque((*batch, *later)[-PENDING_LIMIT:])
        self.dropped += len(batch) + len(later) - len(kept)
        self._pending[key] = kept
