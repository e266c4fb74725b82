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


def test_widgets_never_do_io() -> None:
    # Widgets post messages; the screen talks to the server and runs functions, in workers.
    forbidden = ("httpx", "aiohttp", "backend.client", "backend.api", "backend.runtime", "tui")
    offenders = [
        f"{path.relative_to(REPO)}: {name}"
        for path in (REPO / "widgets").rglob("*.py")
        for name in _imported_modules(path)
        if any(name == bad or name.startswith(f"{bad}.") for bad in forbidden)
    ]
    assert offenders == []


def test_the_app_reaches_its_data_only_through_the_client() -> None:
    # Both modes use backend/client.py; only the embedded starter may touch the services.
    direct = ("backend.functions", "backend.accounts", "backend.store")
    offenders = [
        f"{path.relative_to(REPO)}: {name}"
        for path in (REPO / "tui").rglob("*.py")
        if path.name not in ("cli.py", "runtime_cli.py")
        for name in _imported_modules(path)
        if name in direct
    ]
    assert offenders == []


def test_styles_live_in_tcss_files() -> None:
    offenders = [
        str(path.relative_to(REPO))
        for folder in ("widgets", "tui")
        for path in (REPO / folder).rglob("*.py")
        if "DEFAULT_CSS" in path.read_text(encoding="utf-8")
        or "\n    CSS =" in path.read_text(encoding="utf-8")
    ]
    assert offenders == []
