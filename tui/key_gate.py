"""Keys typed while a dialog closes wait for it to close.

Textual hands each key to the focused widget's own message queue and goes on to the next key at
once. When a key closes a dialog (Enter in go-to-line), the keys typed right after it are handed
to the dialog's input too, before the dialog is gone and before the screen below has moved the
cursor: they are lost, or land in the wrong place. On a loaded machine that is most of a fast
typist's keys. So the dialog holds the gate while it closes (`hold`), and opens it (`release`)
once the screen below has run the dialog's result; the keys held meanwhile are then handled in
the order they were typed. A gate left closed opens by itself after GATE_LIMIT_S.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from textual import events
from textual.timer import Timer

GATE_LIMIT_S = 2.0  # a dialog whose result never came back must not swallow the keyboard


class KeyGate:
    def __init__(self, handle: Callable[[events.Event], Awaitable[None]]) -> None:
        self._handle = handle  # the app's own handling of an input event
        self._held: list[events.Key] | None = None  # None: the gate is open
        self._limit: Timer | None = None

    @property
    def closed(self) -> bool:
        return self._held is not None

    def hold(self, limit: Timer | None = None) -> None:
        if self._held is None:
            self._held = []
        if self._limit is not None:
            self._limit.stop()
        self._limit = limit

    def take(self, event: events.Event) -> bool:
        """Keep `event` for later if the gate is closed and it is a key; True if kept."""
        if self._held is None or not isinstance(event, events.Key) or event.is_forwarded:
            return False
        self._held.append(event)
        return True

    async def release(self) -> None:
        """Open the gate and handle the held keys in order; a held key that closes the gate
        again (Enter in the next dialog) leaves the rest held behind it."""
        if self._limit is not None:
            self._limit.stop()
            self._limit = None
        held, self._held = self._held or [], None
        while held:
            key = held.pop(0)
            await self._handle(key)
            if self._held is not None:
                self._held[:0] = held
                return
