"""Pygments highlighting for TextArea, incremental so a keystroke in a long function stays fast.

TextArea highlights with tree-sitter; kfn drives its highlight map from Pygments' JavaScript lexer
instead. The text is lexed as a whole (so a `/* ... */` over many lines or a string with a line
continuation comes out right), but after an edit only the changed region is lexed again:

- Pygments' `RegexLexer` is a state machine. While lexing, kfn records, for each line, where the
  first token starting on it begins and the lexer's state stack there (a *checkpoint*).
- After an edit, lexing resumes at the checkpoint of a line before the first changed line, with
  that state, over the new text; it stops at the first line after the change whose checkpoint
  equals the old one (same column, same state): from there on the old tokens are still right.

The driver below is `RegexLexer.get_tokens_unprocessed` with one addition, the state stack at each
match; the lexer's own rule tables do the lexing. TextArea's highlight columns are UTF-8 byte
offsets, so spans are kept in characters and converted per line when a line is drawn.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from pygments.lexer import RegexLexer
from pygments.lexers.javascript import JavascriptLexer
from pygments.token import (
    Comment,
    Error,
    Keyword,
    Name,
    Number,
    Operator,
    Punctuation,
    String,
    Text,
    Whitespace,
    _TokenType,
)

Stack = tuple[str, ...]
Span = tuple[int, int | None, str]  # start column, end column (None: to the end), style name

# Pygments token type -> TextArea theme style name; the most specific type wins.
STYLE_NAMES: dict[_TokenType, str] = {
    Comment: "comment",
    String: "string",
    String.Regex: "string.documentation",
    Number: "number",
    Keyword: "keyword",
    Keyword.Constant: "boolean",
    Keyword.Declaration: "keyword.function",
    Operator: "operator",
    Operator.Word: "keyword.operator",
    Punctuation: "punctuation.bracket",
    Name.Builtin: "type.builtin",
    Name.Function: "function",
    Name.Exception: "exception",
    Error: "exception",
}


def style_name(token_type: _TokenType) -> str | None:
    current: _TokenType | None = token_type
    while current is not None:
        if current in STYLE_NAMES:
            return STYLE_NAMES[current]
        if current in (Text, Whitespace, Name):
            return None
        current = current.parent
    return None


def lex_with_states(
    lexer: RegexLexer, text: str, pos: int, stack: Stack
) -> Iterator[tuple[int, _TokenType, str, Stack]]:
    """`RegexLexer.get_tokens_unprocessed` from `pos` with `stack`; each token also carries the
    state stack that was in effect when its match started."""
    tokendefs = lexer._tokens  # type: ignore[attr-defined]  # the compiled states (private)
    statestack = list(stack)
    statetokens = tokendefs[statestack[-1]]
    while True:
        for rexmatch, action, new_state in statetokens:
            match = rexmatch(text, pos)
            if not match:
                continue
            before = tuple(statestack)
            if action is not None:
                if type(action) is _TokenType:
                    yield pos, action, match.group(), before
                else:
                    for start, token_type, value in action(lexer, match):
                        yield start, token_type, value, before
            pos = match.end()
            if new_state is not None:
                if isinstance(new_state, tuple):
                    for state in new_state:
                        if state == "#pop":
                            if len(statestack) > 1:
                                statestack.pop()
                        elif state == "#push":
                            statestack.append(statestack[-1])
                        else:
                            statestack.append(state)
                elif isinstance(new_state, int):
                    if abs(new_state) >= len(statestack):
                        del statestack[1:]
                    else:
                        del statestack[new_state:]
                elif new_state == "#push":
                    statestack.append(statestack[-1])
                statetokens = tokendefs[statestack[-1]]
            break
        else:
            if pos >= len(text):
                return
            if text[pos] == "\n":
                statestack = ["root"]
                statetokens = tokendefs["root"]
                yield pos, Whitespace, "\n", ("root",)
            else:
                yield pos, Error, text[pos], tuple(statestack)
            pos += 1


@dataclass
class LineInfo:
    checkpoint: tuple[int, Stack] | None = None  # (column of the first token starting here, stack)
    spans: list[Span] = field(default_factory=list)
    # An unterminated `/*`, `'` or `"` starts here. Pygments' rules for those scan the rest of the
    # text for a closer, so any later edit can turn this line's tokens into a comment or string.
    open_construct: bool = False


class LineHighlights(Mapping[int, list[tuple[int, int | None, str]]]):
    """The `_highlights` TextArea reads: per line, (start byte, end byte or None, style name),
    computed only for the lines actually drawn."""

    def __init__(self, highlighter: IncrementalHighlighter) -> None:
        self.highlighter = highlighter

    def __getitem__(self, line_index: int) -> list[tuple[int, int | None, str]]:
        return self.highlighter.byte_spans(line_index)

    def __len__(self) -> int:
        return len(self.highlighter.infos)

    def __iter__(self) -> Iterator[int]:
        return iter(range(len(self.highlighter.infos)))


class IncrementalHighlighter:
    """Keeps per-line spans for a JavaScript text; `update(lines)` after every change."""

    def __init__(self) -> None:
        self.lexer = JavascriptLexer()
        self.lines: list[str] = []
        self.infos: list[LineInfo] = []
        self.last_relexed_lines = 0  # how many lines the last update lexed (for tests and bench)

    def update(self, lines: list[str]) -> None:
        old_lines, old_infos = self.lines, self.infos
        if lines == old_lines and old_infos:
            self.last_relexed_lines = 0
            return
        limit = min(len(old_lines), len(lines))
        prefix = 0
        while prefix < limit and old_lines[prefix] == lines[prefix]:
            prefix += 1
        suffix = 0
        while suffix < limit - prefix and old_lines[-1 - suffix] == lines[-1 - suffix]:
            suffix += 1
        # Resume before the first changed line (and before any unterminated construct that the
        # change might close), at a line that has a checkpoint.
        resume = min(prefix - 1, len(old_infos) - 1)
        for index in range(resume + 1):
            if old_infos[index].open_construct:
                resume = index
                break
        while resume >= 0 and old_infos[resume].checkpoint is None:
            resume -= 1
        stack: Stack
        if resume < 0:
            start_line, column, stack = 0, 0, ("root",)
        else:
            start_line = resume
            column, stack = old_infos[resume].checkpoint  # type: ignore[misc]
        infos = [*old_infos[:start_line]]
        infos.extend(LineInfo() for _ in range(len(lines) - start_line))
        if resume >= 0:
            # The part of the resume line before its checkpoint belongs to a token that started
            # on an earlier, unchanged line (the tail of a multi-line comment): keep it.
            infos[start_line].spans = [s for s in old_infos[start_line].spans if s[0] < column]
        reusable_from = len(lines) - suffix  # first new line of the unchanged tail
        shift = len(old_lines) - len(lines)
        self.lines = lines
        self.infos = infos
        self.last_relexed_lines = self._lex(
            start_line, column, stack, old_infos, reusable_from, shift
        )

    def _lex(
        self,
        start_line: int,
        column: int,
        stack: Stack,
        old_infos: list[LineInfo],
        reusable_from: int,
        shift: int,
    ) -> int:
        lines, infos = self.lines, self.infos
        starts = [0] * (len(lines) + 1)
        offset = 0
        for index, text_line in enumerate(lines):
            starts[index] = offset
            offset += len(text_line) + 1
        starts[len(lines)] = offset
        text = "\n".join(lines)
        line = start_line
        for pos, token_type, value, before in lex_with_states(
            self.lexer, text, starts[start_line] + column, stack
        ):
            while pos >= starts[line + 1]:
                line += 1
            info = infos[line]
            if info.checkpoint is None:
                info.checkpoint = (pos - starts[line], before)
                old_index = line + shift
                if line >= reusable_from and line > start_line and 0 <= old_index < len(old_infos):
                    old = old_infos[old_index]
                    if old.checkpoint == info.checkpoint:
                        col = info.checkpoint[0]
                        info.spans.extend(span for span in old.spans if span[0] >= col)
                        infos[line + 1 :] = old_infos[old_index + 1 :]
                        return line - start_line + 1
            if (token_type is Error and value in "'\"") or (
                value == "/" and text.startswith("*", pos + 1)
            ):
                info.open_construct = True
            name = style_name(token_type)
            if name is None or not value:
                continue
            end = pos + len(value)
            row = line
            while True:
                row_start, row_end = starts[row], starts[row + 1] - 1
                span_end = None if end > row_end else end - row_start
                infos[row].spans.append((max(pos, row_start) - row_start, span_end, name))
                if end <= row_end + 1 or row + 1 >= len(lines):
                    break
                row += 1
        return len(lines) - start_line

    def byte_spans(self, line_index: int) -> list[tuple[int, int | None, str]]:
        if not 0 <= line_index < len(self.infos):
            return []
        spans = self.infos[line_index].spans
        line = self.lines[line_index]
        if line.isascii():
            return spans
        widths = [0]
        for char in line:
            widths.append(widths[-1] + len(char.encode("utf-8")))
        return [
            (widths[start], None if end is None else widths[min(end, len(line))], name)
            for start, end, name in spans
        ]

    def style_at(self, line_index: int, column: int) -> str | None:
        """The style of the character at (line, column), for tests."""
        for start, end, name in reversed(self.infos[line_index].spans):
            if start <= column and (end is None or column < end):
                return name
        return None
