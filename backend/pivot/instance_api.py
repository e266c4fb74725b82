"""What a `kfn pivot` instance in front of a KAZOO tells the app: a function's Pivot URL and
node, and the calls this instance answered. These are the two v2 paths `kfn serve` answers
(`GET /v2/accounts/{A}/functions/{F}/pivot` and `.../pivot/invocations`), so the app reads
them through the one client, from every instance it is told of.

The instance keeps no accounts. A reader sends the token it holds for the KAZOO
(X-Auth-Token); the instance asks the KAZOO, with that token and never with its own
credentials, whether it may read the function, and remembers a yes for GRANT_TTL_S. So whoever
may read a function in KAZOO may see its URL and its calls, as `kfn serve` lets every reader of
a function do.

The instance's port faces KAZOO, maybe more: a stream of made-up tokens must not become a
stream of requests to the KAZOO (which would throttle the instance itself). Refused tokens are
counted per client address (REFUSALS), and at most CHECKS_AT_ONCE questions are in flight.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from backend.client import ApiError, AuthError, KazooClient, NetworkError, NotFoundError
from backend.errors import KazooError, too_many_requests
from backend.pivot.describe import describe
from backend.pivot.invocations import InvocationLog
from backend.pivot.secrets import PivotSecret
from backend.pivot.source import PivotSource, Unavailable
from backend.throttle import Limit, LoginThrottle

GRANT_TTL_S = 60.0  # a token KAZOO revoked still reads a function's calls here this long
GRANTS_KEPT = 4096
REFUSALS = Limit(failures=20, window_s=60.0)  # refused tokens per client address
CHECKS_AT_ONCE = 8
_PATH = re.compile(r"/v2/accounts/([^/]+)/functions/([^/]+)/pivot(/invocations)?")


@dataclass(frozen=True)
class InstanceAnswer:
    status: int
    body: dict[str, Any]  # KAZOO's envelope: {"status": "success", "data": ...} or an error
    headers: dict[str, str] = field(default_factory=dict)


def _error(status: int, message: str, detail: str) -> InstanceAnswer:
    return _from(KazooError(status, message, {"message": detail}))


def _from(error: KazooError) -> InstanceAnswer:
    # KAZOO's error shape, so the client's error_from_response reads the sentence.
    body = {"status": "error", "error": str(error.status), "message": error.message,
            "data": error.data}  # fmt: skip
    return InstanceAnswer(error.status, body, error.headers)


class InstanceApi:
    def __init__(
        self,
        client: KazooClient,
        source: PivotSource,
        invocations: InvocationLog,
        public_url: str,
        *,
        grant_ttl: float = GRANT_TTL_S,
    ) -> None:
        self.client = client
        self.source = source
        self.invocations = invocations
        self.public_url = public_url
        self.grant_ttl = grant_ttl
        self.throttle = LoginThrottle({"address": REFUSALS})
        self._checking = asyncio.Semaphore(CHECKS_AT_ONCE)
        # (sha256 of the token, account, function) -> when the KAZOO said yes. Digests, not
        # tokens: nothing here would let a memory dump act as anyone.
        self._grants: OrderedDict[tuple[str, str, str], float] = OrderedDict()
        self.checks = 0  # questions asked of the upstream

    async def answer(
        self, method: str, path: str, token: str | None, remote: str = ""
    ) -> InstanceAnswer:
        found = _PATH.fullmatch(path)
        if found is None:
            return _error(404, "not_found", "a kfn pivot instance answers only GET "
                          "/v2/accounts/{A}/functions/{F}/pivot and .../pivot/invocations")  # fmt: skip
        if method != "GET":
            return _error(405, "method_not_allowed", "an instance only reads; rotate a URL "
                          "with `kfn pivot --signing-key FILE --rotate FUNCTION_ID`")  # fmt: skip
        if not token:
            return _error(401, "invalid_credentials", "send your KAZOO token as X-Auth-Token")
        account_id, function_id, calls = found.group(1), found.group(2), bool(found.group(3))
        refused = await self._check(token, account_id, function_id, remote)
        if refused is not None:
            return refused
        if calls:
            data: Any = self.invocations.recent(account_id, function_id)
        else:
            try:
                target = await self.source.find(account_id, function_id)
            except Unavailable as exc:
                message = (
                    f"the KAZOO cannot be reached and this instance has no copy of the function: "
                    f"{exc}"
                )
                return _error(503, "upstream_unavailable", message)
            if target is None or not target.secrets:
                return _error(404, "bad_identifier", "bad identifier")
            secret = PivotSecret(account_id, function_id, target.secrets[0], created="")
            data = describe(self.public_url, secret)
        return InstanceAnswer(200, {"status": "success", "data": data})

    async def _check(
        self, token: str, account_id: str, function_id: str, remote: str
    ) -> InstanceAnswer | None:
        """None when the token may read the function upstream, else the refusal."""
        key = (hashlib.sha256(token.encode()).hexdigest(), account_id, function_id)
        granted = self._grants.get(key)
        if granted is not None and time.monotonic() - granted < self.grant_ttl:
            return None
        address = [("address", remote)]
        try:
            async with self._checking:
                # Asked after the wait for a slot: others from there may have failed meanwhile.
                wait = self.throttle.retry_after(address)
                if wait is not None:
                    return _from(too_many_requests(wait, "refused tokens from this address"))
                self.checks += 1
                await self.client.check_function_access(token, account_id, function_id)
        except AuthError:
            self.throttle.failed(address)
            return _error(401, "invalid_credentials", "the KAZOO refused this token")
        except NotFoundError:
            return _error(404, "bad_identifier", "bad identifier")
        except NetworkError as exc:
            return _error(
                503, "upstream_unavailable", f"cannot check the token with the KAZOO: {exc}"
            )
        except ApiError as exc:
            if exc.status == 403:  # another account's function: as if it did not exist
                return _error(404, "bad_identifier", "bad identifier")
            return _error(502, "upstream_error", f"cannot check the token with the KAZOO: {exc}")
        self._grants[key] = time.monotonic()
        self._grants.move_to_end(key)
        while len(self._grants) > GRANTS_KEPT:
            self._grants.popitem(last=False)
        return None
