"""The kfn running on this machine's data dir, reached over its API when a command finds the
data dir held by it (`kfn serve`, the app): it writes where it listens into the data dir."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from backend.client import KazooClient


def running_local_client(data_dir: str | None) -> KazooClient | None:
    """A client for the kfn that holds the data dir, if it serves the API on TCP (it says where
    in the data dir), with the local account's API key kept there."""
    from backend.api.server import LOCAL_API_KEY_FILE, SERVER_URL_FILE
    from backend.client import ApiKeyCredentials, KazooClient
    from backend.paths import data_dir as resolve

    folder = resolve(data_dir)
    try:
        url = (folder / SERVER_URL_FILE).read_text().strip()
        api_key = (folder / LOCAL_API_KEY_FILE).read_text().strip()
    except OSError:
        return None
    return KazooClient(url, ApiKeyCredentials(api_key)) if url and api_key else None
