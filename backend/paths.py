"""Where kfn keeps its data: `--data-dir`, else `KFN_DATA_DIR`, else the user data dir."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from platformdirs import user_config_dir, user_data_dir


def data_dir(override: str | os.PathLike[str] | None = None) -> Path:
    if override:
        return Path(override).expanduser()
    env = os.environ.get("KFN_DATA_DIR")
    return Path(env).expanduser() if env else Path(user_data_dir("kfn", appauthor=False))


def config_dir(override: str | os.PathLike[str] | None = None) -> Path:
    """Where the app's TOML config lives: `KFN_CONFIG_DIR`, else the user config dir."""
    if override:
        return Path(override).expanduser()
    env = os.environ.get("KFN_CONFIG_DIR")
    return Path(env).expanduser() if env else Path(user_config_dir("kfn", appauthor=False))


def write_atomically(path: Path, text: str, mode: int | None = None) -> None:
    """Replace `path` with `text` so a crash leaves either the old file or the new one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    # A name of its own per call: two writers of one file (a thread and the event loop) must
    # not share, and remove, each other's temporary file.
    descriptor, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    temporary = Path(name)
    if mode is not None:
        os.fchmod(descriptor, mode)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
