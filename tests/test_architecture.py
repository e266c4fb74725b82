"""What import-linter (the contracts in pyproject.toml, run by `make test`) cannot see: what is
loaded at run time, and where styles live."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def test_cli_subcommands_do_not_load_textual() -> None:
    code = (
        "import sys; from tui import cli; cli.build_parser(); "
        "import backend.api.server, backend.callflow.evaluate, backend.callflow.simulate; "
        "print('textual' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"


def test_styles_live_in_tcss_files() -> None:
    offenders = [
        str(path.relative_to(REPO))
        for folder in ("widgets", "tui")
        for path in (REPO / folder).rglob("*.py")
        if "DEFAULT_CSS" in path.read_text(encoding="utf-8")
        or "\n    CSS =" in path.read_text(encoding="utf-8")
    ]
    assert offenders == []


def test_the_server_starts_without_the_schema_validators() -> None:
    # jsonschema, fastjsonschema and esprima cost start-up time the app's first paint pays:
    # they are imported on the first validation, not when the server module loads.
    code = (
        "import sys; import backend.api.server, tui.embedded; "
        "print(sorted(m for m in ('jsonschema', 'fastjsonschema', 'esprima') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_screens_stay_thin_and_widgets_one_per_file() -> None:
    """Screens are glue (their jobs live in modules beside them); each widget module defines
    one widget, plus its own messages and small data classes."""
    long_screens = [
        f"{path.name}: {lines} lines"
        for path in (REPO / "tui" / "screens").glob("*.py")
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > 400
    ]
    assert long_screens == []
    import importlib
    import inspect

    from textual.widget import Widget

    crowded = {}
    for path in sorted((REPO / "widgets").glob("*.py")):
        module = importlib.import_module(f"widgets.{path.stem}")
        widgets = [
            name
            for name, value in vars(module).items()  # top level: a widget's messages nest in it
            if inspect.isclass(value) and issubclass(value, Widget)
            and value.__module__ == module.__name__
        ]  # fmt: skip
        if len(widgets) > 1:
            crowded[path.name] = widgets
    assert crowded == {}
