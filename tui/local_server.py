"""The kfn running on this machine's data dir, reached over its API when a command finds the
data dir held by it (`kfn serve`, the app): it writes where it listens into the data dir."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from backend.client import KazooClient

T = TypeVar("T")


class NotReached(Exception):
    """The running kfn could not answer (none serves this data dir, or it refused); says why."""


def through_running(
    data_dir: str | None, held: Exception, request: Callable[[KazooClient], Awaitable[T]]
) -> tuple[T, str]:
    """`request` answered by the kfn that holds the data dir (`held` says which), and its URL."""
    from backend.client import ApiError

    client = running_local_client(data_dir)
    if client is None:
        raise NotReached(f"{held} (it serves no API here)")

    async def ask() -> T:
        try:
            return await request(client)
        finally:
            await client.aclose()

    try:
        return asyncio.run(ask()), client.base_url
    except ApiError as exc:
        raise NotReached(str(exc)) from exc


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
