"""Where kfn keeps its data: `--data-dir`, else `KFN_DATA_DIR`, else the user data dir."""

from __future__ import annotations

import os
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
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
    descriptor = os.open(temporary, flags, 0o600 if mode is None else mode)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
