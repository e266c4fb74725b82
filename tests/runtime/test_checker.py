"""The app's checks run in a process of their own: same reports, esprima never in the app, and a
checking process that dies is replaced."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from backend.runtime import es5
from backend.runtime.checker import Checker

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def checker() -> Iterator[Checker]:
    made = Checker()
    yield made
    made.close()


@pytest.mark.parametrize(
    "body",
    [
        "var a = 1;\nreturn {module: 'hangup', data: {}};",
        "let x = 1;\nvar f = (a) => a;",
        "return {module: 'tts', data: {text: 'hi'}",  # a syntax error
        "var r = /a/s; return r;",  # syntax newer than ES2017
    ],
)
def test_the_process_gives_the_same_report_as_checking_here(checker: Checker, body: str) -> None:
    assert checker.check(body) == es5.check(body)


def test_the_app_process_never_imports_esprima() -> None:
    code = (
        "import sys\n"
        "from backend.runtime.checker import Checker\n"
        "checker = Checker()\n"
        "report = checker.check('let x = 1;')\n"
        "checker.close()\n"
        "print(report.es5[0].construct, 'esprima' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60
    )
    assert out.stdout.split() == ["'let'", "declaration", "False"], out.stderr


def test_a_killed_checking_process_is_replaced(checker: Checker) -> None:
    first = checker.worker_pid()
    os.kill(first, signal.SIGKILL)
    report = checker.check("let y = 2;")
    assert [finding.construct for finding in report.es5] == ["'let' declaration"]
    assert checker.worker_pid() != first


def _fake_checker(monkeypatch: pytest.MonkeyPatch, script: str | None) -> Checker:
    """A Checker whose process runs `script` instead of `serve()` (None: it cannot start)."""
    import backend.runtime.checker as checker_module

    def start(self: Checker) -> subprocess.Popen[str]:
        if script is None:
            raise OSError("cannot fork: resource temporarily unavailable")
        return subprocess.Popen(
            [sys.executable, "-c", script],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    monkeypatch.setattr(checker_module, "CHECK_TIMEOUT_S", 0.5)
    monkeypatch.setattr(Checker, "_start", start)
    return Checker()


@pytest.mark.parametrize(
    "script",
    [
        "import time; time.sleep(60)",  # hangs
        "import sys; sys.stdin.readline(); print('{not json')",  # garbled
        "import sys; sys.stdin.readline(); print('{}')",  # JSON without a report
        "import sys; sys.exit(3)",  # dies at once
        None,  # cannot start at all
    ],
    ids=["hung", "garbled", "no-report", "dies", "cannot-start"],
)
def test_a_broken_checking_process_falls_back_to_checking_here(
    monkeypatch: pytest.MonkeyPatch, script: str | None
) -> None:
    checker = _fake_checker(monkeypatch, script)
    try:
        report = checker.check("let z = 3;")
        assert [finding.construct for finding in report.es5] == ["'let' declaration"]
        assert checker._process is None  # the broken one was killed, not left behind
    finally:
        checker.close()
