"""An Input whose own key bindings run in key order (see `widgets/inline_bindings.py`)."""

from __future__ import annotations

from textual import events
from textual.widgets import Input

from widgets.inline_bindings import handled_inline


class InlineBindingsInput(Input):
    """An Input whose own bindings run in key order."""

    async def _on_key(self, event: events.Key) -> None:
        if not await handled_inline(self, event):
            await super()._on_key(event)
