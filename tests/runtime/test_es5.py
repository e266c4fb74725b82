"""The ES5 check names each construct KAZOO's engine would reject, with its position."""

from __future__ import annotations

import pytest

from backend.runtime.es5 import check


@pytest.mark.parametrize(
    ("body", "construct", "line", "column"),
    [
        ("var f = (a) => a;", "arrow function", 1, 9),
        ("let x = 1;", "'let' declaration", 1, 1),
        ("var ok = 1;\n  const y = 2;", "'const' declaration", 2, 3),
        ("var s = `hi`;", "template literal", 1, 9),
        ("class A {}", "class", 1, 1),
        ("var {a} = {a: 1};", "destructuring", 1, 5),
        ("var b = [].concat([...[1]]);", "spread (...)", 1, 20),
        ("function f(a = 1) {}", "default parameter value", 1, 12),
        ("for (var v of [1]) {}", "for..of loop", 1, 1),
        ("function* g() { yield 1; }", "generator function", 1, 1),
        ("async function g() {}", "async function", 1, 1),
        ("var o = {m() {}};", "method shorthand", 1, 10),
        ("var x = 1; var o = {x};", "shorthand property", 1, 21),
        ("var p = 2 ** 3;", "exponent operator (**)", 1, 9),
        ("var n = 0b101;", "binary or octal literal (0b/0o)", 1, 9),
        ("var r = /a/u;", "regular expression flag u, y or s", 1, 9),
    ],
)
def test_es2015_constructs_are_reported_with_positions(body, construct, line, column) -> None:
    report = check(body)
    assert report.syntax_error is None
    found = [(f.construct, f.line, f.column) for f in report.es5]
    assert (construct, line, column) in found


def test_es5_code_is_clean() -> None:
    report = check(
        "var a = [1, 2];\nfor (var i = 0; i < a.length; i++) { a[i] = a[i] * 2; }\nreturn {module: 'hangup', data: {}};"
    )
    assert report.syntax_error is None and report.es5 == []


def test_syntax_errors_are_positioned_before_anything_runs() -> None:
    report = check("var a = 1;\nvar b = ;\nreturn a;")
    assert report.syntax_error is not None and report.syntax_error.line == 2
    assert not report.runnable
    unfinished = check("return {a:")
    assert unfinished.syntax_error.line == 1 and "ends before" in unfinished.syntax_error.message


def test_newer_syntax_than_the_parser_knows_is_a_warning_not_an_error() -> None:
    report = check("var a = call?.x ?? 'd';\nreturn {module: 'hangup', data: {}};")
    assert report.syntax_error is None
    assert report.es5 and "newer than ES2017" in report.es5[0].message
