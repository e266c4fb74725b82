"""The account's functions: fuzzy filter, enabled state, disable reason, unsaved-edit marks.

The list holds summaries and asks for everything else with messages; the screen does the I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content, Span
from textual.css.styles import RulesMap
from textual.fuzzy import Matcher
from textual.message import Message
from textual.widgets import Input, OptionList
from textual.widgets.option_list import Option, OptionDoesNotExist

from widgets.function_options import FunctionOptions
from widgets.inline_input import InlineBindingsInput

# A name is one row of the list: control characters (a newline...) show as spaces.
ONE_LINE = dict.fromkeys([*range(32), 127], " ")


class OneLine(Content):
    """A row's label, one line by construction (control characters made spaces).

    The option list measures every option's height before it paints, and measures them all
    again when its size changes (it does, once, as the scroll bar appears): Content measures by
    laying the text out, 2,000 layouts for 1,000 functions at start-up. A label that cannot wrap
    is one line high, so when the list does not wrap (its style), say so without laying out."""

    def get_height(self, rules: RulesMap, width: int) -> int:
        if rules.get("text_wrap", "wrap") == "nowrap":
            return 1
        return super().get_height(rules, width)


@dataclass
class FunctionEntry:
    id: str
    name: str
    enabled: bool = True
    disable_reason: str = ""
    dirty: bool = False

    @classmethod
    def from_summary(cls, item: dict[str, Any]) -> FunctionEntry:
        return cls(
            str(item.get("id", "")),
            str(item.get("name", "")),
            item.get("enabled", True) is not False,
            str(item.get("disable_reason", "") or ""),
        )

    def label(self) -> OneLine:
        # Content with spans, built directly: the list converts each of its (maybe 1,000)
        # prompts to Content before the first paint; rich Text's conversion was a third of it.
        text = ("● " if self.dirty else "  ") + (self.name or self.id).translate(ONE_LINE)
        spans = [Span(0, 2, "bold ansi_yellow")]
        if not self.enabled:
            spans.append(Span(2, len(text), "dim strike"))
            spans.append(Span(len(text), len(text) + 4, "bold ansi_red"))
            text += " off"
            if self.disable_reason:
                reason = f" ({self.disable_reason.translate(ONE_LINE)})"
                spans.append(Span(len(text), len(text) + len(reason), "dim"))
                text += reason
        return OneLine(text, spans)


class ListAction(StrEnum):
    """What a key in the list asks the screen to do with the highlighted function."""

    NEW = "new"
    RENAME = "rename"
    DUPLICATE = "duplicate"
    TOGGLE = "toggle"
    DELETE = "delete"


class FunctionList(Vertical):
    HELP = """\
## Functions
The functions of the account. **Enter** opens one in the editor.

- **/** filter (fuzzy; **down** goes back to the list, **esc** clears the filter)
- **n** new · **r** / **F2** rename · **c** duplicate · **e** enable or disable
- **x** / **delete** delete (asks first)
- ● marks a function with unsaved edits; *off* marks a disabled one.
"""

    class Opened(Message):
        def __init__(self, function_list: FunctionList, function_id: str) -> None:
            super().__init__()
            self.function_list = function_list
            self.function_id = function_id

    class ActionRequested(Message):
        def __init__(
            self, function_list: FunctionList, action: ListAction, function_id: str | None
        ) -> None:
            super().__init__()
            self.function_list = function_list
            self.action = action
            self.function_id = function_id

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.entries: dict[str, FunctionEntry] = {}
        self.current_id: str | None = None

    def compose(self) -> ComposeResult:
        yield InlineBindingsInput(placeholder="/ filter", id="function-filter")
        yield FunctionOptions(id="function-options")

    @property
    def options(self) -> FunctionOptions:
        return self.query_one(FunctionOptions)

    @property
    def filter_text(self) -> str:
        return self.query_one(Input).value

    @property
    def highlighted_id(self) -> str | None:
        options = self.options
        if options.highlighted is None or options.option_count == 0:
            return None
        return options.get_option_at_index(options.highlighted).id

    def visible_ids(self) -> list[str]:
        options = self.options
        found = (options.get_option_at_index(i).id for i in range(options.option_count))
        return [str(option_id) for option_id in found if option_id is not None]

    def set_entries(self, entries: list[FunctionEntry]) -> None:
        dirty = {key for key, entry in self.entries.items() if entry.dirty}
        self.entries = {entry.id: entry for entry in entries}
        for key in dirty & self.entries.keys():
            self.entries[key].dirty = True
        self.refresh_options()

    def upsert(self, entry: FunctionEntry) -> None:
        old = self.entries.get(entry.id)
        if old is not None:
            entry.dirty = old.dirty
        self.entries[entry.id] = entry
        if old is not None and old.name == entry.name:
            self._redraw(entry)  # same place in the order: only the row's text changes
        else:
            self.refresh_options()

    def drop(self, function_id: str) -> None:
        self.entries.pop(function_id, None)
        self.refresh_options()

    def set_dirty(self, function_id: str, dirty: bool) -> None:
        entry = self.entries.get(function_id)
        if entry is not None and entry.dirty != dirty:
            entry.dirty = dirty
            self._redraw(entry)

    def _redraw(self, entry: FunctionEntry) -> None:
        """Update one row in place: rebuilding 1,000 rows on every dirty mark is ~75 ms."""
        try:
            self.options.replace_option_prompt(entry.id, entry.label())
        except OptionDoesNotExist:  # filtered out: nothing on screen to update
            pass

    def select(self, function_id: str) -> None:
        self.current_id = function_id
        for index, key in enumerate(self.visible_ids()):
            if key == function_id:
                self.options.highlighted = index
                return

    def refresh_options(self) -> None:
        options = self.options
        keep = self.highlighted_id or self.current_id
        query = self.filter_text.strip()
        ordered = sorted(self.entries.values(), key=lambda e: ((e.name or e.id).lower(), e.id))
        if query:
            matcher = Matcher(query)
            scored = [(matcher.match(entry.name or entry.id), entry) for entry in ordered]
            ordered = [entry for score, entry in sorted(scored, key=lambda s: -s[0]) if score > 0]
        options.clear_options()
        options.add_options(Option(entry.label(), id=entry.id) for entry in ordered)
        if query and not ordered:
            hint = Content.styled(f"no function matches {query!r} (esc clears it)", "dim")
            options.add_option(Option(hint, disabled=True))
        if keep is not None:
            for index, entry in enumerate(ordered):
                if entry.id == keep:
                    options.highlighted = index
                    break
        if options.highlighted is None and ordered:
            options.highlighted = 0

    @on(Input.Changed, "#function-filter")
    def _filter_changed(self) -> None:
        self.refresh_options()

    @on(Input.Submitted, "#function-filter")
    def _filter_submitted(self) -> None:
        self.options.focus()
        if self.highlighted_id:
            self.post_message(self.Opened(self, self.highlighted_id))

    def on_key(self, event) -> None:  # type: ignore[no-untyped-def]
        field = self.query_one(Input)
        if field.has_focus and event.key in ("down", "escape"):
            if event.key == "escape":
                field.value = ""  # esc leaves the filter and shows every function again
            self.options.focus()
            event.stop()

    def on_function_options_requested(self, event: FunctionOptions.Requested) -> None:
        event.stop()
        if event.action == "filter":  # the list's own business: no message
            self.query_one(Input).focus()
            return
        self.post_message(self.ActionRequested(self, ListAction(event.action), self.highlighted_id))

    @on(OptionList.OptionSelected, "#function-options")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id:
            self.post_message(self.Opened(self, event.option.id))
