"""The direction of dependencies: backend/ never imports textual; CLI commands never load it."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_backend_never_imports_textual() -> None:
    offenders = [
        str(path.relative_to(REPO))
        for path in (REPO / "backend").rglob("*.py")
        if any(name == "textual" or name.startswith("textual.") for name in _imported_modules(path))
    ]
    assert offenders == []


def test_backend_never_imports_the_ui_packages() -> None:
    offenders = [
        str(path.relative_to(REPO))
        for path in (REPO / "backend").rglob("*.py")
        if any(name.split(".")[0] in ("tui", "widgets") for name in _imported_modules(path))
    ]
    assert offenders == []


def test_cli_subcommands_do_not_load_textual() -> None:
    code = (
        "import sys; from tui import cli; cli.build_parser(); "
        "import backend.api.server, backend.runtime.evaluate, backend.callflow.simulate; "
        "print('textual' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"
