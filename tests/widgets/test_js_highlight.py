"""The incremental Pygments highlighter gives exactly what a full lex gives, after any edit."""

from __future__ import annotations

import random

import pytest

from backend.samples import sample_functions
from widgets.js_highlight import IncrementalHighlighter


def full(lines: list[str]) -> IncrementalHighlighter:
    fresh = IncrementalHighlighter()
    fresh.update(lines)
    return fresh


def spans(highlighter: IncrementalHighlighter) -> list[list[tuple]]:
    return [info.spans for info in highlighter.infos]


def test_multiline_comment_and_strings_come_out_right() -> None:
    lines = ["var a = 1; /* start", "still comment 'x'", "end */ return 'é' + a;"]
    lit = full(lines)
    assert lit.style_at(1, 0) == "comment" and lit.style_at(1, 15) == "comment"
    assert lit.style_at(2, 0) == "comment" and lit.style_at(2, 7) == "keyword"
    assert lit.style_at(2, 14) == "string"
    assert lit.style_at(0, 0) == "keyword.function"


def test_columns_are_utf8_bytes_for_non_ascii_lines() -> None:
    lit = full(["var s = 'héllo'; return 1;"])
    by_name = {name: (start, end) for start, end, name in lit.byte_spans(0)}
    # 'héllo' spans characters 8..15, bytes 8..16 (é is two bytes); `return` starts at byte 18.
    assert by_name["string"] == (8, 16)
    assert (18, 24, "keyword") in lit.byte_spans(0)


def test_opening_a_comment_recolours_the_lines_below_and_closing_restores() -> None:
    lines = ["var a = 1;", "var b = 2;", "return a;"]
    lit = full(lines)
    lit.update(["/* var a = 1;", "var b = 2; */", "return a;"])
    assert lit.style_at(1, 0) == "comment" and lit.style_at(2, 0) == "keyword"
    lit.update(["/* var a = 1;", "var b = 2;", "return a; */"])
    assert lit.style_at(2, 0) == "comment"
    lit.update(lines)
    assert spans(lit) == spans(full(lines))


def test_a_keystroke_in_a_long_function_lexes_a_few_lines() -> None:
    body = sample_functions()[0].function_js.splitlines()
    lines = (body * (1000 // len(body) + 1))[:1000]
    lit = full(lines)
    edited = list(lines)
    edited[500] = edited[500] + " x"
    lit.update(edited)
    assert lit.last_relexed_lines <= 5
    assert spans(lit) == spans(full(edited))


@pytest.mark.parametrize("seed", range(16))
def test_random_edits_agree_with_a_full_lex(seed: int) -> None:
    rng = random.Random(seed)
    pieces = ["/*", "*/", "'", '"', "`", "${", "}", "\\", "//", "\n", "é", "return ", "/re/g", " "]
    text = "\n".join(sample.function_js for sample in sample_functions()[:3])
    lit = full(text.split("\n"))
    for _ in range(16):
        at = rng.randrange(len(text) + 1)
        if rng.random() < 0.6:
            text = text[:at] + rng.choice(pieces) + text[at:]
        else:
            text = text[:at] + text[at + rng.randint(1, 6) :]
        lit.update(text.split("\n"))
        assert spans(lit) == spans(full(text.split("\n"))), text
