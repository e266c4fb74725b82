"""Where kfn keeps its data: `--data-dir`, else `KFN_DATA_DIR`, else the user data dir."""

from __future__ import annotations

import os
from pathlib import Path

from platformdirs import user_data_dir


def data_dir(override: str | os.PathLike[str] | None = None) -> Path:
    if override:
        return Path(override).expanduser()
    env = os.environ.get("KFN_DATA_DIR")
    return Path(env).expanduser() if env else Path(user_data_dir("kfn", appauthor=False))
