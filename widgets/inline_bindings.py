"""Run a text widget's own key bindings in order with the characters typed around them.

Textual inserts printable characters in the focused widget's `_on_key`, but runs the widget's
bindings (backspace, arrows, select all, undo, ...) only when the key event has bubbled up to
the app. When keys arrive in a burst (SSH delivers them that way, and so does a loaded machine)
a binding can then run after characters typed *later*: "ab<backspace>c" may end as "ac"... or
"ba". This is Textual issue #6605 (fix proposed in PR #6631); until it lands, the editors here
run their own bindings inline, exactly as the app would, and stop the event so it runs once.

The two widgets that do so live beside this module, one per file (`inline_input.py`,
`inline_text_area.py`), so that importing the Input does not import TextArea.
"""

from __future__ import annotations

from textual import events
from textual.widget import Widget


async def run_own_binding(widget: Widget, key: str) -> bool:
    """Run `widget`'s own non-priority binding for `key`, as the app would; True if one ran."""
    # The screen's binding chain starts with the focused widget and carries the keymap.
    for namespace, bindings in widget.screen._modal_binding_chain:
        if namespace is not widget:
            continue
        for binding in bindings.key_to_bindings.get(key, ()):
            if not binding.priority and await widget.app.run_action(binding.action, widget):
                return True
    return False


async def handled_inline(widget: Widget, event: events.Key) -> bool:
    """Run the widget's own binding for this key now; stop the event so it runs only once."""
    if getattr(widget, "read_only", False) or not await run_own_binding(widget, event.key):
        return False
    event.stop()
    event.prevent_default()
    return True
