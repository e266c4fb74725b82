"""The key footer: follows the focused widget's bindings, without rebuilding when they are equal."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.widget import Widget
from textual.widgets import Static

from widgets.key_footer import KeyFooter


class Pane(Widget, can_focus=True):
    def __init__(self, key: str, label: str, *, id: str) -> None:
        super().__init__(id=id)
        self._bindings.bind(key, "app.bell", label)


class FooterApp(App[None]):
    BINDINGS = [Binding("ctrl+q", "quit", "Quit")]

    def compose(self) -> ComposeResult:
        yield Pane("f6", "Copy", id="copy-a")
        yield Pane("f6", "Copy", id="copy-b")
        yield Pane("f7", "Paste", id="paste")
        yield Static("no bindings")
        yield KeyFooter(compact=True)


def _labels(app: App[None]) -> list[str]:
    return [str(key.description) for key in app.query("FooterKey")]


async def test_the_footer_follows_focus_and_skips_rebuilds_that_change_nothing() -> None:
    app = FooterApp()
    async with app.run_test() as pilot:
        footer = app.query_one(KeyFooter)
        recomposes = 0
        original = footer.recompose

        async def counting_recompose() -> None:
            nonlocal recomposes
            recomposes += 1
            await original()

        footer.recompose = counting_recompose  # type: ignore[method-assign]
        app.query_one("#copy-a").focus()
        await pilot.pause()
        await pilot.pause()
        assert "Copy" in _labels(app) and "Quit" in _labels(app)
        before = recomposes
        app.query_one("#copy-b").focus()  # the same bindings: nothing to rebuild
        await pilot.pause()
        await pilot.pause()
        assert recomposes == before
        app.query_one("#paste").focus()  # different bindings: rebuilt, and shown
        await pilot.pause()
        await pilot.pause()
        assert recomposes == before + 1
        assert "Paste" in _labels(app) and "Copy" not in _labels(app)
