"""A TextArea whose own key bindings run in key order (see `widgets/inline_bindings.py`)."""

from __future__ import annotations

from textual import events
from textual.binding import Binding
from textual.widgets import TextArea

from widgets.inline_bindings import handled_inline


class InlineBindingsTextArea(TextArea):
    """A TextArea whose own bindings run in key order, with keys to the text's two ends
    (Textual's TextArea has none: ctrl+home and ctrl+end did nothing)."""

    BINDINGS = [
        Binding("ctrl+home", "text_start", "Start of text", id="text.start", show=False),
        Binding("ctrl+end", "text_end", "End of text", id="text.end", show=False),
    ]

    def action_text_start(self) -> None:
        self.move_cursor((0, 0))

    def action_text_end(self) -> None:
        self.move_cursor(self.document.end)

    async def _on_key(self, event: events.Key) -> None:
        if not await handled_inline(self, event):
            await super()._on_key(event)
