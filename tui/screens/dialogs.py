"""Small modal dialogs: ask for a line of text, confirm a destructive action."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label

from widgets.inline_input import InlineBindingsInput

Result = TypeVar("Result")


class Dialog(ModalScreen[Result]):
    """A modal that closes with the keys typed right after its last key kept in order: the
    app's key gate (tui/key_gate.py) holds them until the screen below has taken the result."""

    def hold_keys(self) -> None:
        """From the closing key's own binding (priority: run as the key comes, before the keys
        after it are handed on): those keys now wait for the gate."""
        hold = getattr(self.app, "hold_keys", None)
        if hold is not None:
            hold()

    def close(self, result: Result) -> None:
        self.hold_keys()
        release = getattr(self.app, "release_keys", None)
        if release is None or not self._result_callbacks:
            self.dismiss(result)
            return
        requester = self._result_callbacks[-1].requester
        self.dismiss(result)  # the result goes to the requester's queue, then the keys follow
        requester.call_next(lambda: self.app.call_next(release))


class PromptScreen(Dialog[str | None]):
    """One line of input; Enter answers it, Esc cancels (None).

    Keys typed right after the key that opened it (ctrl+g, 3, Enter, as one burst) reach this
    screen before its input exists: the app sends a key to the screen itself while nothing in
    it has the focus. They are held and given to the input, in order, once it has the focus,
    instead of being lost."""

    # Priority: they close the dialog when the key comes, before the keys typed after it.
    BINDINGS = [
        Binding("enter", "submit", "OK", id="dialog.ok", priority=True, show=False),
        Binding("escape", "cancel", "Cancel", id="dialog.cancel", priority=True),
    ]

    def __init__(
        self, question: str, value: str = "", placeholder: str = "", *, password: bool = False
    ) -> None:
        super().__init__(classes="dialog")
        self.question = question
        self.value = value
        self.placeholder = placeholder
        self.password = password
        self._held: list[events.Key] | None = []  # None once the input has the focus
        # Enter or Esc that came before the input was there: done once it has the keys.
        self._close_when_mounted: Callable[[], None] | None = None
        self._answered = False

    def _forward_event(self, event: events.Event) -> None:
        # Textual's App hands a key to the screen's focused widget, else to the screen (this
        # method): only the latter are held. Keys that bubble up from the input never come here.
        if self._held is not None and isinstance(event, events.Key) and not event.is_forwarded:
            self._held.append(event)
            return
        super()._forward_event(event)

    def on_mount(self) -> None:
        found = self.query("#prompt-input").results(Input)
        field = next(found, None)
        if field is None:  # torn down while mounting (the app is quitting)
            return
        self.set_focus(field)  # now: from here on the app hands keys to the input itself
        held, self._held = self._held or [], None
        for key in held:
            field._forward_event(key)  # before any key the app hands it from now on
        if self._close_when_mounted is not None:
            field.call_later(self._close_when_mounted)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Label(self.question, classes="dialog-title")
            yield InlineBindingsInput(
                self.value, placeholder=self.placeholder, password=self.password, id="prompt-input"
            )
            yield Label("enter: OK · esc: cancel", classes="dialog-hint")

    def action_submit(self) -> None:
        self._close_after_typed(lambda: self.close(self.query_one("#prompt-input", Input).value))

    def action_cancel(self) -> None:
        self._close_after_typed(lambda: self.close(None))

    def _close_after_typed(self, closing: Callable[[], None]) -> None:
        """Close once the input has taken the keys typed before this one (its value is then
        what was typed); the keys typed after wait meanwhile. A second Enter or Esc on the way
        out changes nothing."""
        if self._answered:
            return
        self._answered = True
        self.hold_keys()
        if self._held is not None:
            self._close_when_mounted = (
                closing  # on_mount closes, once the held keys are in the input
            )
        else:
            self.query_one("#prompt-input", Input).call_later(closing)


class ConfirmScreen(Dialog[bool]):
    """A yes/no question; `y` / Enter on Yes confirms, `n` / Esc declines."""

    BINDINGS = [
        Binding("y", "answer(True)", "Yes", id="dialog.yes", priority=True),
        Binding("n,escape", "answer(False)", "No", id="dialog.no", priority=True),
    ]

    def __init__(self, question: str, yes: str = "Yes") -> None:
        super().__init__(classes="dialog")
        self.question = question
        self.yes = yes

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Label(self.question, classes="dialog-title")
            with Horizontal(classes="dialog-buttons"):
                yield Button(f"{self.yes} (y)", variant="error", id="yes")
                yield Button("No (n)", id="no")

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.close(event.button.id == "yes")

    def action_answer(self, answer: bool) -> None:
        self.close(answer)
