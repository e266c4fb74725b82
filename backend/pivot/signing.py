"""Pivot URL secrets derived from a signing key, for `kfn pivot` in front of a real KAZOO.

KAZOO keeps no Pivot secrets (kfn's own server keeps them beside its functions, secrets.py), so
in front of a KAZOO each function's secret is derived from a key only the operator holds:
HMAC-SHA256(key, "ACCOUNT/FUNCTION"), URL-safe base64, 32 characters (192 bits). Every
`kfn pivot` instance given the same key file accepts the same URLs, with nothing stored.

The key file holds one key per line (`#` starts a comment). The first line signs: it makes the
URLs `--describe` prints. Every line verifies. To rotate every URL: put a new key on the first
line, move KAZOO's pivot nodes to the new URLs, then delete the old line. The file is read
again when it changes, so neither step needs a restart.

One function's URL is rotated (the old one refused) by raising its generation, a field of the
function document that KAZOO keeps as it keeps any unknown key: generation N > 0 signs
"ACCOUNT/FUNCTION/N".
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger("kfn.pivot")
MIN_KEY_CHARS = 32  # a key of token_urlsafe(32) has 43
SECRET_CHARS = 32
GENERATION_FIELD = "kfn_pivot_generation"


def generation_of(data: dict[str, Any]) -> int:
    """The function's URL generation: 0 until it is first rotated."""
    value = data.get(GENERATION_FIELD)
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


class SigningKeyError(Exception):
    """The key file is missing, unreadable or holds no usable key; the message says which."""


@dataclass(frozen=True)
class SigningKeys:
    keys: tuple[bytes, ...]  # the first signs; all verify

    @classmethod
    def parse(cls, text: str, where: str) -> SigningKeys:
        lines = [line.strip() for line in text.splitlines()]
        keys = [line for line in lines if line and not line.startswith("#")]
        if not keys:
            raise SigningKeyError(f"{where} holds no signing key (one key per line)")
        short = [n for n, key in enumerate(keys, 1) if len(key) < MIN_KEY_CHARS]
        if short:
            raise SigningKeyError(
                f"key {short[0]} in {where} is shorter than {MIN_KEY_CHARS} characters: make "
                "one with `python -c 'import secrets; print(secrets.token_urlsafe(32))'`"
            )
        return cls(tuple(key.encode() for key in keys))

    def secret(self, account_id: str, function_id: str, generation: int = 0) -> str:
        """The secret of the function's URL under the signing (first) key."""
        return _derive(self.keys[0], account_id, function_id, generation)

    def secrets(self, account_id: str, function_id: str, generation: int = 0) -> tuple[str, ...]:
        """Every secret the function's URL may carry: one per key."""
        return tuple(_derive(key, account_id, function_id, generation) for key in self.keys)


def _derive(key: bytes, account_id: str, function_id: str, generation: int) -> str:
    signed = f"{account_id}/{function_id}" + (f"/{generation}" if generation else "")
    digest = hmac.new(key, signed.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode()[:SECRET_CHARS]


def create_key_file(path: Path) -> SigningKeys:
    """A new file with one fresh key, readable by its owner only; never overwrites one."""
    key = secrets.token_urlsafe(32)
    text = f"# kfn Pivot signing keys: the first signs, every line verifies\n{key}\n"
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as exc:
        raise SigningKeyError(f"cannot create the signing key file {path}: {exc.strerror}") from exc
    with os.fdopen(descriptor, "w") as file:
        file.write(text)
        file.flush()
        os.fsync(file.fileno())
    return SigningKeys.parse(text, str(path))


class SigningKeyFile:
    """The keys of a file, read again whenever it changes. A change that breaks the file keeps
    the last good keys (and says so once), so a half-saved edit does not refuse every call."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._seen: tuple[int, int, int] | None = None
        self._keys = self._read()
        self._seen = self._stamp()

    def _stamp(self) -> tuple[int, int, int] | None:
        try:
            found = os.stat(self.path)
        except OSError:
            return None
        return (found.st_ino, found.st_mtime_ns, found.st_size)

    def _read(self) -> SigningKeys:
        try:
            text = self.path.read_text()
        except OSError as exc:
            raise SigningKeyError(
                f"cannot read the signing key file {self.path}: {exc.strerror}"
            ) from exc
        return SigningKeys.parse(text, str(self.path))

    def current(self) -> SigningKeys:
        stamp = self._stamp()
        if stamp is not None and stamp != self._seen:
            self._seen = stamp
            try:
                self._keys = self._read()
            except SigningKeyError as exc:
                log.warning("kfn: %s; the keys read before stay in use", exc)
        return self._keys

    def loosely_guarded(self) -> bool:
        """Readable or writable by others than its owner."""
        try:
            return bool(os.stat(self.path).st_mode & 0o077)
        except OSError:
            return False
