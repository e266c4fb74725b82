"""The JavaScript editor: TextArea with Pygments highlighting, diagnostics on their lines, a dirty
marker, find and go to line.

The editor never runs or saves anything. It posts `Paused` when typing stops (the screen checks the
body in a worker and hands back `set_diagnostics`) and `DirtyChanged` when the text leaves or
returns to the saved version.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.style import Style
from textual.binding import Binding
from textual.message import Message
from textual.timer import Timer
from textual.widgets import TextArea
from textual.widgets.text_area import TextAreaTheme

from widgets.inline_text_area import InlineBindingsTextArea
from widgets.js_highlight import IncrementalHighlighter, LineHighlights

PAUSE_S = 0.4
DIAGNOSTIC_STYLE = "kfn.diagnostic"


def kfn_theme() -> TextAreaTheme:
    """TextArea's `css` theme plus a style for lines with a diagnostic (works in 16 colours)."""
    base = TextAreaTheme.get_builtin_theme("css")
    assert base is not None
    styles = dict(base.syntax_styles)
    styles[DIAGNOSTIC_STYLE] = Style(underline=True, color="bright_red", bold=True)
    return TextAreaTheme(name="kfn", syntax_styles=styles)


# For the app's ansi-* themes (the terminal's own 16 colours): the same style names in ANSI
# colours, so the editor shows the terminal's palette instead of fixed 24-bit colours. The
# first prefix that matches a style name wins.
ANSI_COLOURS = (
    ("comment", Style(color="bright_black", italic=True)),
    ("string", Style(color="green")),
    ("inline_code", Style(color="green")),
    ("number", Style(color="yellow")),
    ("float", Style(color="yellow")),
    ("boolean", Style(color="cyan")),
    ("constant", Style(color="cyan")),
    ("json.null", Style(color="cyan")),
    ("keyword", Style(color="magenta")),
    ("conditional", Style(color="magenta")),
    ("repeat", Style(color="magenta")),
    ("exception", Style(color="magenta")),
    ("include", Style(color="magenta")),
    ("function", Style(color="blue")),
    ("method", Style(color="blue")),
    ("type", Style(color="cyan")),
    ("class", Style(color="cyan")),
    ("constructor", Style(color="cyan")),
)


def kfn_ansi_theme() -> TextAreaTheme:
    """kfn's theme in ANSI colours only: every style either an ANSI colour or none."""
    styles: dict[str, Style] = {}
    for name in kfn_theme().syntax_styles:
        style = next((s for prefix, s in ANSI_COLOURS if name.startswith(prefix)), Style())
        styles[name] = style
    styles[DIAGNOSTIC_STYLE] = Style(underline=True, color="bright_red", bold=True)
    return TextAreaTheme(name="kfn-ansi", syntax_styles=styles)


@dataclass(frozen=True)
class Diagnostic:
    line: int  # 1-based, as parsers report
    column: int  # 0-based
    message: str
    severity: str = "error"  # error (syntax) or warning (ES5)


class EditorHighlights(LineHighlights):
    """Pygments spans plus a diagnostic mark from the reported column to the end of the line."""

    def __init__(self, highlighter: IncrementalHighlighter, editor: JsEditor) -> None:
        super().__init__(highlighter)
        self.editor = editor

    def __getitem__(self, line_index: int) -> list[tuple[int, int | None, str]]:
        spans = super().__getitem__(line_index)
        column = self.editor.diagnostic_columns.get(line_index)
        if column is None:
            return spans
        line = (
            self.highlighter.lines[line_index] if line_index < len(self.highlighter.lines) else ""
        )
        start = len(line[:column].encode("utf-8"))
        return [*spans, (start, None, DIAGNOSTIC_STYLE)]


class JsEditor(InlineBindingsTextArea):
    """A JavaScript TextArea highlighted by Pygments."""

    HELP = """\
## Editor
Write the body of the function: KAZOO runs it as `new Function('call', body)(call)`,
so end with `return { module: ..., data: {...} };`.

- **ctrl+s** save · **ctrl+r** / **F5** run against the selected call
- **ctrl+f** find · **F3** find next · **F6** replace · **ctrl+g** go to line
- **ctrl+z** undo · **ctrl+y** redo · **tab** indents · **esc** leaves the editor
- Syntax errors and constructs KAZOO's ES5 engine rejects are underlined
  and listed under the editor a moment after you stop typing.
"""

    BINDINGS = [
        # ctrl+f find, ctrl+g go to line and F6 replace open dialogs: the screen binds them.
        Binding("f3", "find_next", "Next", id="editor.find_next", show=False),
    ]

    class Paused(Message):
        """Typing stopped; the body should be checked."""

        def __init__(self, editor: JsEditor, text: str) -> None:
            super().__init__()
            self.editor = editor
            self.text = text

    class DirtyChanged(Message):
        def __init__(self, editor: JsEditor, dirty: bool) -> None:
            super().__init__()
            self.editor = editor
            self.dirty = dirty

    def __init__(self, text: str = "", **kwargs: object) -> None:
        self.highlighter = IncrementalHighlighter()
        self.diagnostic_columns: dict[int, int] = {}
        self.saved_text = text
        self.last_search = ""
        self._dirty = False
        self._pause_timer: Timer | None = None
        super().__init__(
            text,
            language=None,
            theme="css",
            soft_wrap=False,
            tab_behavior="indent",
            show_line_numbers=True,
            **kwargs,  # type: ignore[arg-type]
        )
        self.register_theme(kfn_theme())
        self.register_theme(kfn_ansi_theme())
        self.theme = "kfn"
        self.indent_width = 2

    def on_mount(self) -> None:
        self.app.theme_changed_signal.subscribe(self, lambda _theme: self._follow_app_theme())
        self._follow_app_theme()

    def _follow_app_theme(self) -> None:
        """ANSI colours under the app's ansi-* themes, kfn's own otherwise."""
        self.theme = "kfn-ansi" if self.app.theme.startswith("ansi") else "kfn"

    # -- highlighting ---------------------------------------------------------------------------
    def _build_highlight_map(self) -> None:
        # Called by TextArea after every edit and load: relex only what changed.
        self._line_cache.clear()
        self.highlighter.update(list(self.document.lines))
        self._highlights = EditorHighlights(self.highlighter, self)  # type: ignore[assignment]

    # -- diagnostics ------------------------------------------------------------------------------
    def set_diagnostics(self, diagnostics: list[Diagnostic]) -> None:
        columns: dict[int, int] = {}
        for found in diagnostics:
            index = found.line - 1
            if 0 <= index < self.document.line_count:
                columns[index] = min(columns.get(index, found.column), found.column)
        if columns != self.diagnostic_columns:
            self.diagnostic_columns = columns
            self._line_cache.clear()
            self.refresh()

    # -- dirty state and pauses --------------------------------------------------------------------
    @property
    def dirty(self) -> bool:
        return self._dirty

    def load_body(self, text: str, saved_text: str | None = None) -> None:
        """Show a function's body; `saved_text` is the server's version when `text` is a draft."""
        self.saved_text = text if saved_text is None else saved_text
        self.diagnostic_columns = {}
        self.load_text(text)
        self._update_dirty()
        self.post_message(self.Paused(self, text))

    def mark_saved(self, text: str | None = None) -> None:
        self.saved_text = self.text if text is None else text
        self._update_dirty()

    def _update_dirty(self) -> None:
        dirty = self.text != self.saved_text
        if dirty != self._dirty:
            self._dirty = dirty
            self.set_class(dirty, "-dirty")
            self.post_message(self.DirtyChanged(self, dirty))

    def on_text_area_changed(self, event: TextArea.Changed) -> None:
        if event.text_area is not self:
            return
        self._update_dirty()
        if self._pause_timer is not None:
            self._pause_timer.stop()
        self._pause_timer = self.set_timer(PAUSE_S, self._paused)

    def _paused(self) -> None:
        self._pause_timer = None
        self.post_message(self.Paused(self, self.text))

    # -- find and go to line --------------------------------------------------------------------
    def replace_all(self, needle: str, replacement: str) -> int:
        """Replace every occurrence of `needle` in one edit (one ctrl+z undoes it all);
        returns how many there were."""
        count = self.text.count(needle) if needle else 0
        if count:
            self.replace(self.text.replace(needle, replacement), (0, 0), self.document.end)
        return count

    def action_find_next(self) -> None:
        if self.last_search:
            self.find_next(self.last_search)

    def find_next(self, needle: str) -> bool:
        """Select the next occurrence after the cursor (wrapping); False when there is none."""
        self.last_search = needle
        if not needle:
            return False
        lines = self.document.lines
        row, column = self.selection.end
        count = len(lines)
        for step in range(count + 1):
            index = (row + step) % count
            start = column if step == 0 else 0
            found = lines[index].find(needle, start)
            if step == count:
                found = lines[index].find(needle, 0)
                found = found if found < column else -1
            if found >= 0:
                self.select_range(index, found, found + len(needle))
                return True
        return False

    def select_range(self, row: int, start: int, end: int) -> None:
        from textual.widgets.text_area import Selection

        self.selection = Selection((row, start), (row, end))
        self.scroll_cursor_visible(center=True)

    def goto_line(self, line: int, column: int = 0) -> None:
        row = max(0, min(line - 1, self.document.line_count - 1))
        self.move_cursor((row, column), center=True)
