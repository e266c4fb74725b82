"""Syntax and ES5 checks of a function body, with a real JavaScript parser (esprima).

KAZOO runs function bodies under CouchDB's ES5 engine; QuickJS accepts far more. This module
reports, with line and column inside the body, every construct KAZOO's engine would reject, and
reports syntax errors before anything runs. Syntax newer than esprima knows (ES2018+, such as
`?.` or `??`) is told apart from a real syntax error by asking QuickJS to compile the body.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import quickjs

WRAP_PREFIX = "(function (call) {\n"  # the body is parsed as a function body, as KAZOO runs it
WRAP_SUFFIX = "\n})"


@dataclass(frozen=True)
class Finding:
    line: int
    column: int  # 1-based, inside the user's body
    message: str
    severity: str  # "error" (syntax: it cannot run) or "warning" (runs here, not under KAZOO)
    construct: str = ""


@dataclass
class CheckReport:
    syntax_error: Finding | None
    es5: list[Finding]

    @property
    def findings(self) -> list[Finding]:
        return ([self.syntax_error] if self.syntax_error else []) + self.es5

    @property
    def runnable(self) -> bool:
        return self.syntax_error is None


def _es2015_construct(node: Any) -> str | None:
    kind = node.type
    simple = {
        "ArrowFunctionExpression": "arrow function",
        "TemplateLiteral": "template literal",
        "TaggedTemplateExpression": "tagged template",
        "ClassDeclaration": "class",
        "ClassExpression": "class",
        "ObjectPattern": "destructuring",
        "ArrayPattern": "destructuring",
        "SpreadElement": "spread (...)",
        "RestElement": "rest parameter (...)",
        "AssignmentPattern": "default parameter value",
        "ForOfStatement": "for..of loop",
        "YieldExpression": "generator (yield)",
        "AwaitExpression": "await",
        "MetaProperty": "new.target",
        "Super": "super",
        "ImportDeclaration": "import",
        "ExportNamedDeclaration": "export",
        "ExportDefaultDeclaration": "export",
        "Import": "import()",
    }
    if kind in simple:
        return simple[kind]
    if kind == "VariableDeclaration" and node.kind in ("let", "const"):
        return f"'{node.kind}' declaration"
    if kind in ("FunctionDeclaration", "FunctionExpression"):
        if getattr(node, "isAsync", False) or getattr(node, "async", False):
            return "async function"
        if getattr(node, "generator", False):
            return "generator function"
    if kind == "Property":
        if getattr(node, "shorthand", False):
            return "shorthand property"
        if getattr(node, "method", False) and node.kind == "init":
            return "method shorthand"
        if getattr(node, "computed", False):
            return "computed property name"
    if kind in ("BinaryExpression", "AssignmentExpression") and node.operator in ("**", "**="):
        return "exponent operator (**)"
    if kind == "Literal":
        raw = getattr(node, "raw", "") or ""
        regex = getattr(node, "regex", None)
        if regex is not None and any(flag in (regex.flags or "") for flag in "uys"):
            return "regular expression flag u, y or s"
        if raw[:2].lower() in ("0b", "0o"):
            return "binary or octal literal (0b/0o)"
        if "\\u{" in raw:
            return "unicode code point escape (\\u{...})"
    return None


def _position(line: int, column: int) -> tuple[int, int]:
    """Map a position in the wrapped source back into the body (1-based line and column)."""
    body_line = line - 1
    return max(body_line, 1), column + 1


def _quickjs_compiles(body: str) -> bool:
    context = quickjs.Context()
    context.set_time_limit(1.0)
    context.set_memory_limit(32 * 1024 * 1024)
    try:
        # Compiles only: the function object is made, never called.
        context.eval(f"new Function('call', {json.dumps(body)}); 0")
    except quickjs.JSException:
        return False
    return True


@lru_cache(maxsize=512)
def check(body: str) -> CheckReport:
    """Parse `body` as a function body; report a syntax error and every ES2015+ construct.

    Cached by body (the report depends on nothing else): parsing in pure Python costs
    milliseconds, and test runs repeat the same body many times. Treat reports as read-only.
    """
    findings: list[Finding] = []

    def visit(node: Any, meta: Any) -> None:
        construct = _es2015_construct(node)
        if construct and meta is not None:
            line, column = _position(meta.start.line, meta.start.column)
            findings.append(
                Finding(
                    line,
                    column,
                    f"{construct} is not ES5: KAZOO's engine would reject it",
                    "warning",
                    construct,
                )
            )

    # esprima builds its Unicode tables at import (~0.6 s of CPU): import it on first use, so the
    # app and the CLI start without paying for it (the app's first check, in a thread, pays it).
    import esprima

    source = WRAP_PREFIX + body + WRAP_SUFFIX
    try:
        esprima.parseScript(source, {"loc": True}, visit)
    except esprima.Error as exc:
        line, column = _position(exc.lineNumber or 2, max((exc.column or 1) - 1, 0))
        message = str(exc.message).split(": ", 1)[-1]
        body_lines = body.split("\n")
        if line > len(body_lines):  # the parser ran into the wrapper: the body ended too early
            line, column = len(body_lines), len(body_lines[-1]) + 1
            message += " (the body ends before the code is complete)"
        if _quickjs_compiles(body):
            newer = Finding(
                line,
                column,
                f"syntax newer than ES2017 ({message}): KAZOO's engine would reject it",
                "warning",
                "ES2018+ syntax",
            )
            return CheckReport(None, [newer])
        return CheckReport(Finding(line, column, message, "error", "syntax"), [])
    findings.sort(key=lambda f: (f.line, f.column))
    return CheckReport(None, findings)
