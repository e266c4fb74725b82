"""The key footer: follows the focused widget's bindings, redraws only when they change, and a
click on a key presses it."""

from __future__ import annotations

from pathlib import Path

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.widget import Widget
from textual.widgets import Static

from widgets.key_footer import KeyFooter


class Pane(Widget, can_focus=True):
    def __init__(self, key: str, label: str, *, id: str) -> None:
        super().__init__(id=id)
        self._bindings.bind(key, "app.pressed('" + label + "')", label)


class FooterApp(App[None]):
    CSS_PATH = str(Path(__file__).parents[2] / "tui" / "styles" / "widgets.tcss")
    BINDINGS = [Binding("ctrl+q", "quit", "Quit")]

    def __init__(self) -> None:
        super().__init__()
        self.pressed: list[str] = []

    def compose(self) -> ComposeResult:
        yield Pane("f6", "Copy", id="copy-a")
        yield Pane("f6", "Copy", id="copy-b")
        yield Pane("f7", "Paste", id="paste")
        yield Static("no bindings")
        yield KeyFooter()

    def action_pressed(self, label: str) -> None:
        self.pressed.append(label)


def _line(app: FooterApp) -> str:
    return app.query_one(KeyFooter).render().plain


async def test_the_footer_follows_focus_and_redraws_only_on_a_change() -> None:
    app = FooterApp()
    async with app.run_test(size=(60, 10)) as pilot:
        footer = app.query_one(KeyFooter)
        redraws = 0
        original = footer.refresh

        def counting_refresh(*args, **kwargs):  # type: ignore[no-untyped-def]
            nonlocal redraws
            redraws += 1
            return original(*args, **kwargs)

        footer.refresh = counting_refresh  # type: ignore[method-assign]
        app.query_one("#copy-a").focus()
        await pilot.pause()
        assert "f6 Copy" in _line(app) and "^q Quit" in _line(app)
        assert _line(app).rstrip().endswith("▏^p palette")  # on the right edge
        before = redraws
        app.query_one("#copy-b").focus()  # the same keys: nothing to redraw
        await pilot.pause()
        assert redraws == before
        app.query_one("#paste").focus()  # other keys: redrawn, and shown
        await pilot.pause()
        assert redraws > before
        assert "f7 Paste" in _line(app) and "Copy" not in _line(app)


async def test_a_click_on_a_key_presses_it_and_a_narrow_footer_keeps_the_palette() -> None:
    app = FooterApp()
    async with app.run_test(size=(60, 10)) as pilot:
        app.query_one("#paste").focus()
        await pilot.pause()
        column = _line(app).index("Paste")
        await pilot.click(KeyFooter, offset=(column, 0))
        assert app.pressed == ["Paste"]
        await pilot.resize_terminal(20, 10)
        await pilot.pause()
        line = _line(app)
        assert line.endswith("▏^p palette") and "…" in line, line
        await pilot.click(KeyFooter, offset=(len(line) - 3, 0))
        await pilot.pause()
        from textual.command import CommandPalette

        assert isinstance(app.screen, CommandPalette)
