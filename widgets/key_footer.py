"""The footer of key bindings: one widget drawing one line, redrawn only when its keys change.

Textual's Footer is a container of one widget per key, and recomposes all of them on every
bindings update (each focus change, each `refresh_bindings()`): at start-up that was about a
tenth of the time to the first paint of the list. This one shows the same keys (the focused
widget's, then its ancestors', the first key of each action, the command palette's on the
right edge) as one line of text. A click on a key presses that key, as with Textual's Footer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from textual import events
from textual.content import Content
from textual.screen import Screen
from textual.style import Style
from textual.widget import Widget


@dataclass(frozen=True)
class ShownKey:
    key: str  # what a click presses
    display: str  # how the app names it, after keymaps ("^s", "f1")
    description: str
    enabled: bool


def shown_keys(screen: Screen[Any]) -> tuple[ShownKey, ...]:
    """What a footer on `screen` shows, in order: one key per action, as Textual's Footer."""
    app = screen.app
    seen: set[str] = set()
    shown: list[ShownKey] = []
    for _node, binding, enabled, _tooltip in screen.active_bindings.values():
        if not binding.show or binding.action in seen:
            continue
        seen.add(binding.action)
        shown.append(
            ShownKey(binding.key, app.get_key_display(binding), binding.description, enabled)
        )
    return tuple(shown)


def palette_key(screen: Screen[Any]) -> ShownKey | None:
    app = screen.app
    if not app.ENABLE_COMMAND_PALETTE:
        return None
    try:
        _node, binding, enabled, _tooltip = screen.active_bindings[app.COMMAND_PALETTE_BINDING]
    except KeyError:
        return None
    return ShownKey(binding.key, app.get_key_display(binding), binding.description, enabled)


class KeyFooter(Widget, can_focus=False):
    ALLOW_SELECT = False
    COMPONENT_CLASSES = {"key-footer--key", "key-footer--description"}  # see widgets.tcss

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.keys: tuple[ShownKey, ...] = ()
        self.palette: ShownKey | None = None
        self._targets: list[tuple[int, int, str]] = []  # (first column, end column, key)

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self.bindings_changed)
        self.bindings_changed(self.screen)

    def bindings_changed(self, screen: Screen[Any]) -> None:
        # As Textual's Footer: not while the terminal has lost focus (its bindings are stale).
        if not screen.app.app_focus or not self.is_attached or screen is not self.screen:
            return
        keys, palette = shown_keys(screen), palette_key(screen)
        if (keys, palette) != (self.keys, self.palette):
            self.keys, self.palette = keys, palette
            self.refresh()

    def on_click(self, event: events.Click) -> None:
        for start, end, key in self._targets:
            if start <= event.x < end:
                self.app.simulate_key(key)
                return

    def _entry(self, shown: ShownKey) -> Content:
        entry = Content.assemble(
            (shown.display, self.get_visual_style("key-footer--key")),
            (f" {shown.description}", self.get_visual_style("key-footer--description")),
        )
        return entry if shown.enabled else entry.stylize(Style(dim=True))

    def render(self) -> Content:
        entries = [(shown, self._entry(shown)) for shown in self.keys]
        targets, column = [], 0
        for shown, entry in entries:
            targets.append((column, column + entry.cell_length, shown.key))
            column += entry.cell_length + 1
        line = Content(" ").join(entry for _, entry in entries)
        if self.palette is not None:
            # The palette's key stays on the right edge, as in Textual's Footer; the others are
            # cut short before it when the terminal is narrow.
            palette = self._entry(self.palette)
            room = max(0, self.size.width - palette.cell_length - 2)
            targets = [(start, min(end, room), key) for start, end, key in targets]
            targets.append((room, self.size.width, self.palette.key))
            bar = Content(" ▏").stylize(Style(dim=True))
            line = Content.assemble(line.truncate(room, ellipsis=True, pad=True), bar, palette)
        self._targets = targets  # where each key landed in this drawing, for on_click
        return line
