"""KAZOO's user credentials as a client sends them: shared by the client and the server, so
the client needs nothing of the server's modules."""

from __future__ import annotations

import hashlib


def kazoo_credentials(username: str, password: str, method: str = "md5") -> str:
    """What a KAZOO client sends as `credentials` for user_auth."""
    text = f"{username.lower()}:{password}".encode()
    return hashlib.sha1(text).hexdigest() if method == "sha" else hashlib.md5(text).hexdigest()
