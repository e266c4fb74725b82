"""`kfn run`, `kfn check`, `kfn simulate` (filled in with the runtime)."""

from __future__ import annotations

import argparse
from collections.abc import Callable


def add_subcommands(sub: argparse._SubParsersAction, add_data_dir: Callable) -> None:
    return None
