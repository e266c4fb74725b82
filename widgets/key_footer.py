"""The footer of key bindings, rebuilt only when what it shows changes.

Textual's Footer recomposes all of its keys on every bindings update, and the screen sends one
on each focus change and each `refresh_bindings()`: at start-up alone that is half a dozen
rebuilds of a dozen widgets, a large part of the time before the first paint. This one compares
what it would show (key, label, action, enabled, tooltip) with what it shows and skips the
rebuild when nothing differs.
"""

from __future__ import annotations

from typing import Any

from textual.screen import Screen
from textual.widgets import Footer


def shown_bindings(screen: Screen[Any]) -> tuple[tuple[Any, ...], ...]:
    """What a footer on `screen` would show, in order."""
    return tuple(
        (binding.key, binding.description, binding.action, enabled, tooltip, binding.group)
        for (_, binding, enabled, tooltip) in screen.active_bindings.values()
        if binding.show
    )


class KeyFooter(Footer):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._shown: tuple[tuple[Any, ...], ...] | None = None

    def bindings_changed(self, screen: Screen[Any]) -> None:
        # The same conditions as Footer's own, under which it would recompose.
        if screen.app.app_focus and self.is_attached and screen is self.screen:
            shown = shown_bindings(screen)
            if shown == self._shown:
                return
            self._shown = shown
        super().bindings_changed(screen)
