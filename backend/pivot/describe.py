"""What an authenticated client is told about a function's Pivot URL: the URL, and the exact
`pivot` callflow node to paste into a KAZOO callflow."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from backend.pivot.invocations import InvocationLog
from backend.pivot.secrets import PivotSecret, PivotSecrets

# KAZOO's kazoo-validation refuses these voice URL hosts by default (PIVOT.md: the blacklist).
REFUSED_HOSTS = ("localhost", "127.0.0.1", "0.0.0.0", "::1", "[::1]")
PIVOT_TIMEOUT_MS = 5000  # the most the callflows.pivot schema allows, and Pivot's default


def loopback_warning(public_url: str) -> str | None:
    host = (urlsplit(public_url).hostname or "").lower()
    if host in REFUSED_HOSTS or host.startswith("127."):
        return (
            f"KAZOO refuses Pivot voice URLs on {host}: start kfn with --public-url set to an "
            "address KAZOO can reach (behind a proxy or NAT, the outside one)"
        )
    return None


def pivot_url(public_url: str, secret: PivotSecret) -> str:
    return (
        f"{public_url.rstrip('/')}/pivot/{secret.account_id}/{secret.function_id}/{secret.secret}"
    )


def describe(public_url: str, secret: PivotSecret) -> dict[str, Any]:
    if secret.secret is None:
        return {
            "enabled": False,
            "message": "this function's Pivot URL was revoked; PUT here to make a new one",
        }
    url = pivot_url(public_url, secret)
    described: dict[str, Any] = {
        "enabled": True,
        "voice_url": url,
        "method": "GET",
        "req_format": "kazoo",
        "callflow_node": {
            "module": "pivot",
            "data": {
                "voice_url": url,
                "method": "get",
                "req_format": "kazoo",
                "req_timeout_ms": PIVOT_TIMEOUT_MS,
            },
            "children": {},
        },
    }
    if secret.created:  # a derived secret (signing.py) has no date
        described["created"] = secret.created
    warning = loopback_warning(public_url)
    if warning:
        described["warning"] = warning
    return described


@dataclass
class PivotRecords:
    """What the v2 API serves about Pivot: the secrets (describe, rotate, revoke) and the
    invocations; `public_url` is where KAZOO reaches this server (None: the request's host)."""

    secrets: PivotSecrets
    invocations: InvocationLog
    public_url: str | None = None
