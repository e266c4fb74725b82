"""Loads `samples/`: sample calls, functions and callflows, for the API, the CLI and the app.

Sample functions are plain `.js` files (a function body, as stored in KAZOO) whose first
comment lines carry `// name:` and `// description:`; the comments stay in the body, where
they document the function wherever it is pasted.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

_HEADER = re.compile(r"^//\s*(name|description):\s*(.+?)\s*$")


def samples_dir() -> Path:
    override = os.environ.get("KFN_SAMPLES_DIR")
    return Path(override) if override else Path(__file__).resolve().parent.parent / "samples"


@dataclass(frozen=True)
class SampleFunction:
    slug: str
    name: str
    description: str
    function_js: str

    def as_document(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": self.description,
            "function_js": self.function_js,
            "enabled": True,
        }


def parse_function_file(path: Path) -> SampleFunction:
    body = path.read_text(encoding="utf-8")
    meta = {"name": path.stem.replace("_", " "), "description": ""}
    for line in body.splitlines():
        match = _HEADER.match(line)
        if match:
            meta[match.group(1)] = match.group(2)
        elif not line.startswith("//"):
            break
    return SampleFunction(path.stem, meta["name"], meta["description"], body)


@lru_cache(maxsize=4)
def _functions(directory: Path) -> tuple[SampleFunction, ...]:
    return tuple(parse_function_file(p) for p in sorted(directory.glob("*.js")))


def sample_functions(directory: Path | None = None) -> tuple[SampleFunction, ...]:
    return _functions(directory or samples_dir() / "functions")


def _json_files(kind: str, directory: Path | None) -> dict[str, Any]:
    folder = directory or samples_dir() / kind
    return {
        p.stem: json.loads(p.read_text(encoding="utf-8")) for p in sorted(folder.glob("*.json"))
    }


def sample_calls(directory: Path | None = None) -> dict[str, dict[str, Any]]:
    return _json_files("calls", directory)


def sample_callflows(directory: Path | None = None) -> dict[str, dict[str, Any]]:
    """The sample callflows (documents with a `flow`), by file stem; the folder also holds the
    documents they refer to, such as menus."""
    docs = _json_files("callflows", directory)
    return {name: doc for name, doc in docs.items() if "flow" in doc}
