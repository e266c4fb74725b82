"""Run a text widget's own key bindings in order with the characters typed around them.

Textual inserts printable characters in the focused widget's `_on_key`, but runs the widget's
bindings (backspace, arrows, select all, undo, ...) only when the key event has bubbled up to
the app. When keys arrive in a burst (SSH delivers them that way, and so does a loaded machine)
a binding can then run after characters typed *later*: "ab<backspace>c" may end as "ac"... or
"ba". This is Textual issue #6605 (fix proposed in PR #6631); until it lands, the editors here
run their own bindings inline, exactly as the app would, and stop the event so it runs once.
"""

from __future__ import annotations

from textual import events
from textual.widgets import TextArea


class InlineBindingsTextArea(TextArea):
    """A TextArea whose own bindings run in key order (see the module docstring)."""

    async def _on_key(self, event: events.Key) -> None:
        if not self.read_only and await self._run_own_binding(event.key):
            event.stop()
            event.prevent_default()
            return
        await super()._on_key(event)

    async def _run_own_binding(self, key: str) -> bool:
        # The screen's binding chain starts with the focused widget and carries the keymap.
        for namespace, bindings in self.screen._modal_binding_chain:
            if namespace is not self:
                continue
            for binding in bindings.key_to_bindings.get(key, ()):
                if not binding.priority and await self.app.run_action(binding.action, self):
                    return True
        return False
