"""Pick a test call (a sample or one saved for this function) and edit it as JSON.

The JSON is checked as you type; `payload` is the parsed object, or None with `error` saying why.
"""

from __future__ import annotations

import json
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Label, Select, TextArea

from widgets.inline_text_area import InlineBindingsTextArea

SAMPLE_PREFIX = "sample:"
SAVED_PREFIX = "saved:"


def parse_call(text: str) -> tuple[dict[str, Any] | None, str]:
    """The call payload, or None and a message that says where the JSON is wrong."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        return None, f"line {exc.lineno}, column {exc.colno}: {exc.msg}"
    if not isinstance(value, dict):
        return None, f"a call is a JSON object, not {type(value).__name__}"
    return value, ""


class CallEditor(Vertical):
    HELP = """\
## Test call
The call the function runs against: KAZOO's request parameters as JSON.
KAZOO turns them into strings (`call['Caller-ID-Name']`); `kfn.now` pins the
clock for time-of-day functions.

- Pick a sample or a call you saved for this function from the list.
- **F4** saves the call under a name for this function; **F8** deletes a saved one.
"""

    BINDINGS = [
        Binding("f4", "save_call", "Save call", id="call.save"),
        Binding("f8", "delete_call", "Delete call", id="call.delete"),
    ]

    class SaveRequested(Message):
        def __init__(self, editor: CallEditor, payload: dict[str, Any], name: str) -> None:
            super().__init__()
            self.editor = editor
            self.payload = payload
            self.name = name

    class DeleteRequested(Message):
        def __init__(self, editor: CallEditor, name: str) -> None:
            super().__init__()
            self.editor = editor
            self.name = name

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.samples: dict[str, dict[str, Any]] = {}
        self.saved: dict[str, dict[str, Any]] = {}
        self.payload: dict[str, Any] | None = None
        self.error = ""

    def compose(self) -> ComposeResult:
        with Horizontal(id="call-picker-row"):
            yield Select[str]([], prompt="call", allow_blank=True, compact=True, id="call-picker")
        yield InlineBindingsTextArea("{}", soft_wrap=False, tab_behavior="indent", id="call-json")
        yield Label("", id="call-status")

    @property
    def picker(self) -> Select[str]:
        return self.query_one("#call-picker", Select)

    @property
    def text_area(self) -> TextArea:
        return self.query_one("#call-json", TextArea)

    @property
    def selected_key(self) -> str | None:
        value = self.picker.value
        return value if isinstance(value, str) else None

    def set_calls(
        self,
        samples: dict[str, dict[str, Any]],
        saved: dict[str, dict[str, Any]],
        select: str | None = None,
    ) -> None:
        self.samples, self.saved = dict(samples), dict(saved)
        options = [(f"★ {name}", f"{SAVED_PREFIX}{name}") for name in sorted(saved)]
        options += [(name, f"{SAMPLE_PREFIX}{name}") for name in sorted(samples)]
        keep = select or self.selected_key
        with self.prevent(Select.Changed):
            self.picker.set_options(options)
            values = [value for _, value in options]
            if keep in values:
                self.picker.value = keep
        if keep in values and keep is not None:
            self._load(keep)
        elif values and self.payload is None:
            self.choose(values[0])

    def choose(self, key: str) -> None:
        self.picker.value = key
        self._load(key)

    def _load(self, key: str) -> None:
        kind, _, name = key.partition(":")
        source = self.saved if f"{kind}:" == SAVED_PREFIX else self.samples
        payload = source.get(name)
        if payload is not None:
            self.text_area.load_text(json.dumps(payload, indent=2, ensure_ascii=False))
            self._check()

    def _check(self) -> None:
        self.payload, self.error = parse_call(self.text_area.text)
        status = self.query_one("#call-status", Label)
        if self.payload is None:
            status.update(f"✗ {self.error}")
            status.set_classes("-invalid")
        else:
            settings = self.payload.get("kfn")
            description = settings.get("description", "") if isinstance(settings, dict) else ""
            status.update(f"✓ valid JSON{' · ' + description if description else ''}")
            status.set_classes("-valid")

    @on(Select.Changed, "#call-picker")
    def _picked(self, event: Select.Changed) -> None:
        event.stop()
        if isinstance(event.value, str):
            self._load(event.value)

    @on(TextArea.Changed, "#call-json")
    def _edited(self, event: TextArea.Changed) -> None:
        event.stop()
        self._check()

    def action_save_call(self) -> None:
        if self.payload is None:
            self.app.notify(f"The call is not valid JSON ({self.error})", severity="error")
            return
        key = self.selected_key or ""
        name = key.partition(":")[2] if key.startswith(SAVED_PREFIX) else ""
        self.post_message(self.SaveRequested(self, self.payload, name))

    def action_delete_call(self) -> None:
        key = self.selected_key or ""
        if not key.startswith(SAVED_PREFIX):
            self.app.notify(
                "Only calls you saved can be deleted; pick one marked ★", severity="warning"
            )
            return
        self.post_message(self.DeleteRequested(self, key.partition(":")[2]))
