"""The main screen's keys, each with an id (a user's keymap can rebind it by that id). F1's
list of them is GLOBAL_HELP in tui/screens/help.py."""

from __future__ import annotations

from textual.binding import Binding

# Direct keys: (key, action, description, binding id). A terminal sends alt+key as ESC then the
# key, which tmux and SSH pass through. Only letters: Textual reads ESC+digit as the character
# macOS's Option+digit types (ESC 2 is "™", ESC 3 "£", which UK keyboards type on their own),
# and ESC f / ESC b as word moves. The footer shows them as one entry.
DIRECT_KEYS = [
    ("alt+c", "show_tab('call')", "Tabs", "app.tab_call"),
    ("alt+r", "show_tab('result')", "Result", "app.tab_result"),
    ("alt+t", "show_tab('flow')", "Flow", "app.tab_flow"),
    ("alt+w", "show_tab('callflow')", "Callflow", "app.tab_callflow"),
    ("alt+h", "show_tab('history')", "History", "app.tab_history"),
    ("alt+v", "show_tab('live')", "Live", "app.tab_live"),
    ("alt+l", "focus_pane('functions')", "Functions", "app.go_functions"),
    ("alt+e", "focus_pane('editor')", "Editor", "app.go_editor"),
    ("alt+p", "focus_pane('problems')", "Problems", "app.go_problems"),
    ("alt+z", "zoom('editor')", "Zoom editor", "app.zoom_editor"),
    ("alt+x", "zoom('test')", "Zoom tests", "app.zoom_tests"),
    ("alt+u", "revert", "Revert", "app.revert"),
]
DIRECT_KEYS_SHOWN = {"app.tab_call": "M-c/r/t/w/h/v"}


def _direct(key: str, action: str, description: str, binding_id: str) -> Binding:
    """A priority binding, so it works from inside the editor and inputs."""
    shown = DIRECT_KEYS_SHOWN.get(binding_id)
    return Binding(key, action, description, id=binding_id, priority=True, show=bool(shown),
                   key_display=shown)  # fmt: skip


MAIN_SCREEN_KEYS: list[Binding | tuple[str, str] | tuple[str, str, str]] = [
    # The editor's dialogs, here and with priority so that they open before the next key.
    Binding("ctrl+f", "dialog('find')", "Find", id="editor.find", priority=True),
    Binding("ctrl+g", "dialog('goto_line')", "Go to line", id="editor.goto_line", priority=True),
    # Not ctrl+h: terminals send it as the byte backspace sends (^H), read as backspace.
    Binding("f6", "dialog('replace')", "Replace", id="editor.replace", show=False, priority=True),
    Binding("ctrl+s", "save", "Save", id="app.save", priority=True),
    Binding("ctrl+r,f5", "run", "Run", id="app.run", priority=True),
    Binding("escape", "cancel_run", "Cancel run", id="app.cancel", priority=True),
    Binding("ctrl+n", "new", "New", id="app.new", priority=True),
    Binding("ctrl+o", "next_pane", "Pane", id="app.next_pane", priority=True),
    Binding("f1", "help", "Help", id="app.help"),
    *(_direct(*key) for key in DIRECT_KEYS),
]
