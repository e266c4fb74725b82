"""Keys that arrive in a burst are applied in order (Textual issue #6605), in the app's editors."""

from __future__ import annotations

from textual import events
from textual.app import App, ComposeResult
from textual.widgets import Input, TextArea

from widgets.inline_input import InlineBindingsInput
from widgets.inline_text_area import InlineBindingsTextArea
from widgets.js_editor import JsEditor


class Burst(App[None]):
    def __init__(self, editor: TextArea | Input) -> None:
        super().__init__()
        self.editor = editor

    def compose(self) -> ComposeResult:
        yield self.editor


def burst(app: App[None], keys: list[str]) -> None:
    """Post every key at once, as a terminal does with bursty input: no waiting in between."""
    for key in keys:
        character = key if len(key) == 1 else None
        app.post_message(events.Key(key, character))


async def _typed(editor: TextArea | Input, keys: list[str]) -> str:
    app = Burst(editor)
    async with app.run_test() as pilot:
        editor.focus()
        await pilot.pause()
        burst(app, keys)
        await pilot.pause()  # the screen, its widgets and the app have handled every key
        return editor.text if isinstance(editor, TextArea) else editor.value


async def test_a_burst_with_backspace_and_select_all_stays_in_order() -> None:
    keys = ["f7", *"abcdefghij", "backspace", "backspace", "X", "Y", "home", "Z"]
    assert await _typed(JsEditor("template"), keys) == "ZabcdefghXY"
    assert await _typed(InlineBindingsTextArea("template"), keys) == "ZabcdefghXY"


async def test_textual_alone_reorders_the_same_burst() -> None:
    # The reason for the fix: a stock TextArea applies the bindings late. If this starts to
    # pass, Textual has fixed #6605 and widgets/inline_bindings.py can go.
    keys = ["f7", *"abcdefghij", "backspace", "backspace", "X", "Y", "home", "Z"]
    # Every character lands first; select-all and backspace then run late and erase them all.
    assert await _typed(TextArea("template"), keys) == ""


async def test_inputs_keep_the_order_too() -> None:
    keys = [*"abc", "backspace", "d", "home", "X"]
    assert await _typed(InlineBindingsInput(), keys) == "Xabd"


async def test_ctrl_home_and_ctrl_end_go_to_the_ends_of_the_text() -> None:
    area = InlineBindingsTextArea("first\nsecond\nthird line")
    app = Burst(area)
    async with app.run_test() as pilot:
        area.focus()
        await pilot.press("ctrl+end")
        assert area.cursor_location == (2, 10)
        await pilot.press("ctrl+home")
        assert area.cursor_location == (0, 0)
