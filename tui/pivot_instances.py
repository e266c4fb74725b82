"""The Pivot side of a function, as the Live tab shows it: its URL and node, and its recent
production calls.

A kfn server answers both itself. A KAZOO keeps neither: the `kfn pivot --signing-key`
instances in front of it do, each for the calls it answered. Given their addresses (the
profile's `pivot_instances`, or `--pivot-instance`), the app asks every one, with its own KAZOO
session, and merges the calls, newest first. An instance that does not answer is named, and the
others still show.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from backend.client import ApiError, KazooClient, SharedLogin

CALLS_SHOWN = 100  # as many as one kfn server keeps per function
INSTANCE_TIMEOUT_S = 5.0  # a dead instance must not hold the others' calls back for long


@dataclass
class PivotView:
    described: dict[str, Any]
    calls: list[dict[str, Any]]
    problems: list[str] = field(default_factory=list)  # one line per instance that failed
    asked: int = 0  # `kfn pivot` instances asked (0: the server answered itself)
    answered: int = 0


def check_instance_url(url: str) -> str:
    """The URL, without a trailing slash; ValueError saying why if it cannot be one."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"a Pivot instance is an http:// or https:// URL, not {url!r}")
    return url.rstrip("/")


def instance_label(url: str) -> str:
    return urlsplit(url).netloc or url


def _problem(label: str, error: ApiError) -> str:
    """One short line: the client's sentence without what was being done, and the instance
    named unless the sentence names it already (a network error does)."""
    why = str(error).partition(" failed: ")[2] or str(error)
    return why if label in why else f"{label}: {why}"


class PivotInstances:
    def __init__(self, urls: Sequence[str], main: KazooClient) -> None:
        self.clients = [
            KazooClient(url, SharedLogin(main), timeout=INSTANCE_TIMEOUT_S, verify=main.verify)
            for url in urls
        ]

    def __bool__(self) -> bool:
        return bool(self.clients)

    async def read(self, account_id: str, function_id: str) -> PivotView:
        """Every instance's answer merged; ApiError when none answered."""
        answers = await asyncio.gather(
            *(self._one(client, account_id, function_id) for client in self.clients)
        )
        described: dict[str, Any] = {}
        calls: list[dict[str, Any]] = []
        problems = []
        answered = 0
        for client, answer in zip(self.clients, answers, strict=True):
            label = instance_label(client.base_url)
            if isinstance(answer, ApiError):
                problems.append(_problem(label, answer))
                continue
            answered += 1
            their_description, their_calls = answer
            if not described:
                described = their_description
            elif their_description.get("voice_url") != described.get("voice_url"):
                problems.append(f"{label} gives another URL: give every instance the same "
                                "--signing-key file and --public-url")  # fmt: skip
            calls.extend({"instance": label, **call} for call in their_calls)
        if not answered:
            raise ApiError("; ".join(problems))
        calls.sort(key=lambda call: str(call.get("time", "")), reverse=True)
        return PivotView(described, calls[:CALLS_SHOWN], problems, len(self.clients), answered)

    async def check(self) -> list[str]:
        """One line per instance that does not answer as a kfn (its /health); none: all do."""

        async def problem(client: KazooClient) -> str | None:
            label = instance_label(client.base_url)
            try:
                return None if await client.is_kfn() else f"{label} is not a kfn pivot"
            except ApiError as exc:
                return _problem(label, exc)

        found = await asyncio.gather(*(problem(client) for client in self.clients))
        return [line for line in found if line is not None]

    @staticmethod
    async def _one(
        client: KazooClient, account_id: str, function_id: str
    ) -> tuple[dict[str, Any], list[dict[str, Any]]] | ApiError:
        try:
            described, calls = await asyncio.gather(
                client.pivot_description(account_id, function_id),
                client.pivot_invocations(account_id, function_id),
            )
        except ApiError as exc:
            return exc
        return described, calls

    async def aclose(self) -> None:
        for client in self.clients:
            await client.aclose()
