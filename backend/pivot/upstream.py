"""Functions for `kfn pivot`: read from the upstream through the one v2 client, and cached.

The upstream is another kfn, whose Pivot secrets are read with its functions, or a KAZOO, which
keeps none: then the secrets are derived from a signing key (signing.py)."""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace

from backend.client import ApiError, KazooClient, NotFoundError
from backend.pivot.signing import SigningKeyFile, generation_of
from backend.pivot.source import PivotTarget, Unavailable


class UpstreamSource:
    """Function documents read through the v2 client, kept for `ttl` seconds, then revalidated
    (If-None-Match with the cached revision). Their Pivot secrets are read from the upstream
    kfn, or derived from `signing` (for a KAZOO). While the upstream is down, the last good copy
    is served (marked stale, counted by the metrics); a function deleted upstream stops at
    once."""

    def __init__(
        self, client: KazooClient, ttl: float = 2.0, signing: SigningKeyFile | None = None
    ) -> None:
        self.client = client
        self.ttl = ttl
        self.signing = signing
        # When read, what was read, and its URL generation (signing.py).
        self._cache: dict[tuple[str, str], tuple[float, PivotTarget, int]] = {}
        self._fetching: dict[tuple[str, str], asyncio.Task[PivotTarget | None]] = {}
        self.revalidated = 0  # reads answered 304: the cached function was still current

    def __len__(self) -> int:
        return len(self._cache)

    async def find(self, account_id: str, function_id: str) -> PivotTarget | None:
        key = (account_id, function_id)
        cached = self._cache.get(key)
        if cached is not None and time.monotonic() - cached[0] < self.ttl:
            return cached[1]
        # One upstream read per function at a time, however many calls arrive meanwhile.
        task = self._fetching.get(key)
        if task is None:
            task = asyncio.get_running_loop().create_task(self._fetch(account_id, function_id))
            self._fetching[key] = task
            task.add_done_callback(lambda _t: self._fetching.pop(key, None))
        try:
            return await asyncio.shield(task)
        except NotFoundError:
            self._cache.pop(key, None)
            return None
        except ApiError as exc:
            if cached is None:
                raise Unavailable(str(exc)) from exc
            return replace(cached[1], stale=True)

    async def _fetch(self, account_id: str, function_id: str) -> PivotTarget | None:
        cached = self._cache.get((account_id, function_id))
        known = cached[1] if cached else None
        # The function is revalidated by its revision (a 304 when unchanged); the secret is
        # read every time: rotating it does not change the function's revision.
        changed = self.client.get_function_if_changed(
            account_id, function_id, known.revision if known else None
        )
        generation = cached[2] if cached else 0
        if self.signing is not None:
            doc = await changed
            generation = generation_of(doc.data) if doc is not None else generation
            found = self.signing.current().secrets(account_id, function_id, generation)
        else:
            doc, described = await asyncio.gather(
                changed, self.client.pivot_description(account_id, function_id)
            )
            url = str(described.get("voice_url") or "")
            found = (url.rsplit("/", 1)[-1],) if described.get("enabled", True) and url else ()
        if doc is None and known is not None:
            made = replace(known, secrets=found, stale=False)
        else:
            assert doc is not None
            data = doc.data
            made = PivotTarget(
                account_id, function_id, str(doc.revision or ""), str(data.get("name", "")),
                str(data.get("function_js", "")), data.get("enabled", True) is not False, found,
            )  # fmt: skip
        self.revalidated += doc is None
        self._cache[(account_id, function_id)] = (time.monotonic(), made, generation)
        return made
