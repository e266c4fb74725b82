"""Named remote servers from the config, and the rule for their secrets.

A profile in `config.toml` holds the URL, the auth method and the non-secret parts (account
name, username, whether to skip TLS checks). A saved API key lives in its own file under
`<config dir>/keys/`, readable only by its owner. Passwords and tokens are never written: the app
asks for them when it connects.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from backend.client import (
    ApiKeyCredentials,
    Credentials,
    KazooClient,
    TokenCredentials,
    UserCredentials,
)
from backend.paths import write_atomically
from tui.pivot_instances import check_instance_url

AUTH_METHODS = ("api_key", "user", "token")


class ProfileError(Exception):
    pass


@dataclass
class Profile:
    name: str
    url: str
    auth: str = "api_key"
    account_name: str = ""
    username: str = ""
    insecure: bool = False
    # `kfn pivot --signing-key` instances in front of this KAZOO, each by the URL the app
    # reaches it at (not the load balancer's): the Live tab reads them.
    pivot_instances: tuple[str, ...] = ()

    @classmethod
    def from_config(cls, name: str, raw: dict[str, Any]) -> Profile:
        if not raw.get("url"):
            raise ProfileError(f"profile {name!r} has no url")
        auth = str(raw.get("auth", "api_key"))
        if auth not in AUTH_METHODS:
            raise ProfileError(f"profile {name!r}: auth must be one of {', '.join(AUTH_METHODS)}")
        instances = raw.get("pivot_instances", [])
        if not isinstance(instances, list):
            raise ProfileError(f"profile {name!r}: pivot_instances must be a list of URLs")
        try:
            pivot_instances = tuple(check_instance_url(str(url)) for url in instances)
        except ValueError as exc:
            raise ProfileError(f"profile {name!r}: {exc}") from None
        return cls(
            name,
            str(raw["url"]),
            auth,
            str(raw.get("account_name", "")),
            str(raw.get("username", "")),
            bool(raw.get("insecure", False)),
            pivot_instances,
        )

    def to_config(self) -> dict[str, Any]:
        raw: dict[str, Any] = {"url": self.url, "auth": self.auth}
        if self.account_name:
            raw["account_name"] = self.account_name
        if self.username:
            raw["username"] = self.username
        if self.insecure:
            raw["insecure"] = True
        if self.pivot_instances:
            raw["pivot_instances"] = list(self.pivot_instances)
        return raw


def key_file(config_dir: Path, profile_name: str) -> Path:
    safe = "".join(char if char.isalnum() or char in "-_." else "_" for char in profile_name)
    return config_dir / "keys" / f"{safe}.key"


def save_api_key(config_dir: Path, profile_name: str, api_key: str) -> Path:
    path = key_file(config_dir, profile_name)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    write_atomically(path, api_key + "\n", mode=0o600)
    return path


def forget_api_key(config_dir: Path, profile_name: str) -> None:
    key_file(config_dir, profile_name).unlink(missing_ok=True)


def load_api_key(config_dir: Path, profile_name: str) -> str | None:
    path = key_file(config_dir, profile_name)
    try:
        if path.stat().st_mode & 0o077:
            raise ProfileError(
                f"{path} can be read by other users; run `chmod 600 {path}` (kfn will not use it)"
            )
        return path.read_text(encoding="utf-8").strip() or None
    except FileNotFoundError:
        return None


def credentials_for(
    profile: Profile, config_dir: Path, *, secret: str | None = None
) -> Credentials:
    """Credentials for a profile; `secret` is the password, token or key the user just typed.
    A password or token that is not given yet is left empty: the app asks before logging in."""
    if profile.auth == "api_key":
        api_key = secret or load_api_key(config_dir, profile.name) or os.environ.get("KFN_API_KEY")
        return ApiKeyCredentials(api_key or "")
    if profile.auth == "user":
        return UserCredentials(profile.username, secret or "", profile.account_name)
    return TokenCredentials(secret or "")


def client_for(profile: Profile, credentials: Credentials) -> KazooClient:
    return KazooClient(profile.url, credentials, verify=not profile.insecure)


def missing_secret(credentials: Credentials) -> bool:
    if isinstance(credentials, ApiKeyCredentials):
        return not credentials.api_key
    if isinstance(credentials, UserCredentials):
        return not credentials.password
    if isinstance(credentials, TokenCredentials):
        return not credentials.token
    return False
