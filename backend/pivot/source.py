"""Where a Pivot request's function comes from: this server's own store (`kfn serve`, the
app); `upstream.py` reads it from another server (`kfn pivot --server`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from backend.errors import KazooError
from backend.functions import FunctionService
from backend.pivot.secrets import PivotSecrets


@dataclass(frozen=True)
class PivotTarget:
    account_id: str
    function_id: str
    revision: str
    name: str
    body: str
    enabled: bool
    # The secrets its URL may carry (several while a signing key is rotated); none: revoked,
    # or never minted (the URL was never handed out).
    secrets: tuple[str, ...]
    stale: bool = False  # served from the cache because the upstream could not be reached


class Unavailable(Exception):
    """The upstream cannot be reached and nothing is cached for this function."""


class PivotSource(Protocol):
    async def find(self, account_id: str, function_id: str) -> PivotTarget | None: ...


class LocalSource:
    def __init__(self, functions: FunctionService, secrets: PivotSecrets) -> None:
        self.functions = functions
        self.secrets = secrets

    async def find(self, account_id: str, function_id: str) -> PivotTarget | None:
        try:
            doc = self.functions.load(account_id, function_id)
        except KazooError:
            return None
        found = self.secrets.get(account_id, function_id)
        return PivotTarget(
            account_id, function_id, str(doc.get("_rev", "")), str(doc.get("name", "")),
            str(doc.get("function_js", "")), doc.get("enabled", True) is not False,
            (found.secret,) if found and found.secret else (),
        )  # fmt: skip
