"""Pivot URL secrets, one per function, kept beside the functions (not in them: minting or
rotating one must not change the function's revision, or the editor's next save would conflict).

KAZOO's Pivot sends no credentials, so the URL is the credential: /pivot/ACCOUNT/FUNCTION/SECRET.
A secret is compared in constant time, never logged, rotated with PUT and revoked with DELETE on
/v2/accounts/{A}/functions/{F}/pivot.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from backend.store import DocumentStore

TABLE = "pivot_secrets"
SECRET_BYTES = 24  # 192 bits, 32 URL-safe characters


@dataclass(frozen=True)
class PivotSecret:
    account_id: str
    function_id: str
    secret: str | None  # None: revoked
    created: str


def matches(given: str, expected: tuple[str, ...]) -> bool:
    """Constant-time comparison with each expected secret (none: revoked, matches nothing)."""
    found = False
    for secret in expected or (given,):  # the same work either way
        found |= hmac.compare_digest(given.encode(), secret.encode())
    return found and bool(expected)


class PivotSecrets:
    def __init__(self, store: DocumentStore) -> None:
        self.store = store

    def get(self, account_id: str, function_id: str) -> PivotSecret | None:
        doc = self.store.get(TABLE, function_id)
        if doc is None or doc.get("account_id") != account_id:
            return None
        return PivotSecret(account_id, function_id, doc.get("secret"), str(doc.get("created")))

    def get_or_mint(self, account_id: str, function_id: str) -> PivotSecret:
        """The function's secret, minted on first use; a revoked one stays revoked."""
        found = self.get(account_id, function_id)
        return found if found is not None else self.rotate(account_id, function_id)

    def rotate(self, account_id: str, function_id: str) -> PivotSecret:
        """A new secret: the old URL stops working at once."""
        made = PivotSecret(
            account_id, function_id, secrets.token_urlsafe(SECRET_BYTES),
            datetime.now(UTC).isoformat(timespec="seconds"),
        )  # fmt: skip
        self.store.put(TABLE, function_id, self._doc(made))
        return made

    def revoke(self, account_id: str, function_id: str) -> PivotSecret:
        made = PivotSecret(
            account_id, function_id, None, datetime.now(UTC).isoformat(timespec="seconds")
        )
        self.store.put(TABLE, function_id, self._doc(made))
        return made

    def forget(self, function_id: str) -> None:
        """The function was deleted: so is its URL."""
        self.store.delete(TABLE, function_id)

    @staticmethod
    def _doc(made: PivotSecret) -> dict[str, object]:
        return {"account_id": made.account_id, "secret": made.secret, "created": made.created}
