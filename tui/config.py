"""The app's TOML config in the user config dir: theme, keymap, default server and account.

```toml
theme = "textual-dark"          # any Textual theme; "ansi-dark" suits 16-colour terminals
server = "local"                # "local" (embedded) or a profile name
account = ""                    # account id to open (default: the login's own account)

[keymap]                        # binding id = keys, as in Textual's keymaps
"app.run" = "ctrl+r,f5"

[profiles.prod]                 # remote servers (see `kfn --help`)
url = "https://kazoo.example.com:8443"
account_name = "acme"
username = "admin"
pivot_instances = ["http://pivot-1:8010"]  # `kfn pivot` instances, for the Live tab
```
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from backend.paths import config_dir, write_atomically

CONFIG_FILE = "config.toml"


class ConfigError(Exception):
    pass


@dataclass
class Config:
    theme: str = "textual-dark"
    server: str = "local"
    account: str = ""
    keymap: dict[str, str] = field(default_factory=dict)
    profiles: dict[str, dict[str, Any]] = field(default_factory=dict)
    path: Path | None = None

    @classmethod
    def load(cls, directory: Path | None = None) -> Config:
        path = (directory or config_dir()) / CONFIG_FILE
        if not path.exists():
            return cls(path=path)
        import tomllib  # here and in save(): a first start has no file to read (~3 ms)

        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"cannot read {path}: {exc}; fix or delete it") from exc
        keymap = raw.get("keymap", {})
        profiles = raw.get("profiles", {})
        if not isinstance(keymap, dict) or not isinstance(profiles, dict):
            raise ConfigError(f"{path}: [keymap] and [profiles] must be tables")
        return cls(
            theme=str(raw.get("theme", cls.theme)),
            server=str(raw.get("server", cls.server)),
            account=str(raw.get("account", "")),
            keymap={str(key): str(value) for key, value in keymap.items()},
            profiles={str(key): dict(value) for key, value in profiles.items()},
            path=path,
        )

    def save(self) -> None:
        assert self.path is not None
        document: dict[str, Any] = {"theme": self.theme, "server": self.server}
        if self.account:
            document["account"] = self.account
        if self.keymap:
            document["keymap"] = self.keymap
        if self.profiles:
            document["profiles"] = self.profiles
        import tomli_w

        write_atomically(self.path, tomli_w.dumps(document))
