"""Accounts, users, API keys and tokens.

Secrets are never stored in clear:
- API keys (64 random hex chars, as KAZOO's) are stored as SHA-256: they are high-entropy, so a
  fast hash is safe and lets `api_auth` find the account in O(1).
- A user's KAZOO credentials (`md5(lower(user):password)`, and the sha1 variant) are stored only
  as salted PBKDF2 of those values, because `user_auth` sends exactly that hash.
- Tokens are random; only their SHA-256 is stored, with the expiry, so revocation is a delete.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from backend.credentials import kazoo_credentials
from backend.store import DocumentStore

ACCOUNTS = "accounts"
USERS = "users"
TOKENS = "tokens"
LOCAL_ACCOUNT_NAME = "local"
TOKEN_TTL_SECONDS = 3600
PBKDF2_ROUNDS = 60_000
TOKEN_PURGE_EVERY_S = 60.0
SESSION_CACHE_SIZE = 10_000  # how often a login sweeps out expired token records


# The `data` of KAZOO's api_auth and user_auth requests (cb_api_auth, cb_user_auth).
API_AUTH_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "required": ["api_key"],
    "properties": {"api_key": {"type": "string", "minLength": 64, "maxLength": 64}},
}
USER_AUTH_SCHEMA = {
    "type": "object",
    "required": ["credentials"],
    "properties": {
        "credentials": {"type": "string", "minLength": 1, "maxLength": 64},
        "method": {"type": "string", "enum": ["md5", "sha"], "default": "md5"},
        "account_name": {"type": "string", "minLength": 1, "maxLength": 128},
        "account_realm": {"type": "string", "minLength": 4, "maxLength": 253},
        "realm": {"type": "string"},
        "phone_number": {"type": "string"},
    },
}


def normalize_account_name(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _pbkdf2(secret: str, salt: str) -> str:
    return hashlib.pbkdf2_hmac("sha256", secret.encode(), salt.encode(), PBKDF2_ROUNDS).hex()


@dataclass(frozen=True)
class Session:
    """Who a token speaks for."""

    account_id: str
    owner_id: str | None
    method: str
    expires_at: float
    superduper_admin: bool = False


@dataclass(frozen=True)
class NewAccount:
    account_id: str
    name: str
    api_key: str
    username: str | None = None
    user_id: str | None = None


class TokenExpired(Exception):
    """The token is known to have existed but is expired, revoked or unknown."""


class AccountService:
    def __init__(
        self,
        store: DocumentStore,
        *,
        token_ttl: float = TOKEN_TTL_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.token_ttl = token_ttl
        self.clock = clock
        self._by_api_key: dict[str, str] = {}
        for account_id, account in store.all(ACCOUNTS):
            self._by_api_key[account["pvt_api_key_hash"]] = account_id
        self._ids = set(self._by_api_key.values())
        self._next_purge = 0.0
        # Sessions of tokens seen lately, by token: a request costs no hash and no lookup.
        # Revocation and expiry go through revoke_token, which forgets the token here too.
        self._sessions: dict[str, Session] = {}

    # -- accounts --------------------------------------------------------------------------------
    def create_account(
        self,
        name: str,
        *,
        username: str | None = None,
        password: str | None = None,
        superduper_admin: bool = False,
        parent_id: str | None = None,
        realm: str | None = None,
    ) -> NewAccount:
        if not name.strip():
            raise ValueError("an account needs a name")
        if (username is None) != (password is None):
            raise ValueError("give both --username and --password, or neither")
        tree: list[str] = []
        if parent_id is not None:
            parent = self.get_account(parent_id)
            if parent is None:
                raise ValueError(f"no account {parent_id}")
            tree = [*parent.get("pvt_tree", []), parent_id]
        account_id = secrets.token_hex(16)
        api_key = secrets.token_hex(32)
        self.store.put(
            ACCOUNTS,
            account_id,
            {
                "name": name,
                "pvt_normalized_name": normalize_account_name(name),
                "pvt_api_key_hash": _sha256(api_key),
                "pvt_superduper_admin": superduper_admin,
                "pvt_tree": tree,
                "pvt_created": self.clock(),
                **({"realm": realm} if realm else {}),
            },
            create=True,
        )
        self._by_api_key[_sha256(api_key)] = account_id
        self._ids.add(account_id)
        user_id = None
        if username is not None and password is not None:
            user_id = self.create_user(account_id, username, password)
        return NewAccount(
            account_id, name, api_key, username.lower() if username else None, user_id
        )

    def create_user(self, account_id: str, username: str, password: str) -> str:
        user_id = secrets.token_hex(16)
        salt = secrets.token_hex(16)
        self.store.put(
            USERS,
            user_id,
            {
                "account_id": account_id,
                "username": username.lower(),
                "enabled": True,
                "pvt_salt": salt,
                "pvt_md5_auth": _pbkdf2(kazoo_credentials(username, password, "md5"), salt),
                "pvt_sha1_auth": _pbkdf2(kazoo_credentials(username, password, "sha"), salt),
            },
            create=True,
        )
        return user_id

    def get_account(self, account_id: str) -> dict[str, Any] | None:
        return self.store.get(ACCOUNTS, account_id)

    def account_exists(self, account_id: str) -> bool:
        """Without reading the document: every request names an account (accounts are never
        deleted, so the ids known at start plus those created since are all of them)."""
        return account_id in self._ids

    def list_accounts(self) -> list[tuple[str, dict[str, Any]]]:
        return sorted(self.store.all(ACCOUNTS), key=lambda item: item[1].get("pvt_created", 0))

    def ensure_local_account(self) -> NewAccount | None:
        """On an empty data dir, create the account the app uses by default."""
        if self.store.count(ACCOUNTS):
            return None
        return self.create_account(LOCAL_ACCOUNT_NAME, superduper_admin=True)

    def default_account_id(self) -> str | None:
        accounts = self.list_accounts()
        for account_id, account in accounts:
            if account.get("name") == LOCAL_ACCOUNT_NAME:
                return account_id
        return accounts[0][0] if accounts else None

    def reachable_accounts(self, session: Session) -> list[tuple[str, dict[str, Any]]]:
        return [
            (account_id, account)
            for account_id, account in self.list_accounts()
            if self.can_access(session, account_id)
        ]

    def can_access(self, session: Session, account_id: str) -> bool:
        if session.superduper_admin or session.account_id == account_id:
            return True
        account = self.get_account(account_id)
        return bool(account and session.account_id in account.get("pvt_tree", []))

    # -- authentication ----------------------------------------------------------------------------
    def account_for_api_key(self, api_key: str) -> str | None:
        return self._by_api_key.get(_sha256(api_key))

    def authenticate_user(
        self, credentials: str, method: str, account_name: str | None
    ) -> tuple[str, str] | None:
        """Find (account_id, user_id) for KAZOO user_auth credentials, or None."""
        if not account_name:
            return None
        wanted = normalize_account_name(account_name)
        accounts = {
            account_id
            for account_id, account in self.store.all(ACCOUNTS)
            if account.get("pvt_normalized_name") == wanted
        }
        field = "pvt_sha1_auth" if method == "sha" else "pvt_md5_auth"
        for user_id, user in self.store.all(USERS):
            if user.get("account_id") in accounts and user.get("enabled", True):
                candidate = _pbkdf2(credentials.lower(), user["pvt_salt"])
                if hmac.compare_digest(candidate, user[field]):
                    return user["account_id"], user_id
        return None

    # -- tokens ------------------------------------------------------------------------------------
    def issue_token(
        self, account_id: str, owner_id: str | None, method: str
    ) -> tuple[str, Session]:
        now = self.clock()
        if now >= self._next_purge:
            self.purge_expired_tokens()
        token = secrets.token_urlsafe(32)
        expires_at = now + self.token_ttl
        self.store.put(
            TOKENS,
            _sha256(token),
            {"account_id": account_id, "owner_id": owner_id, "method": method, "exp": expires_at},
        )
        return token, self._session(account_id, owner_id, method, expires_at)

    def _session(self, account_id: str, owner_id: str | None, method: str, exp: float) -> Session:
        account = self.get_account(account_id) or {}
        return Session(account_id, owner_id, method, exp, bool(account.get("pvt_superduper_admin")))

    def session_for_token(self, token: str) -> Session:
        session = self._sessions.get(token)
        if session is None:
            record = self.store.get(TOKENS, _sha256(token))
            if record is None or self.get_account(record["account_id"]) is None:
                raise TokenExpired(token)
            session = self._session(
                record["account_id"], record["owner_id"], record["method"], record["exp"]
            )
            if len(self._sessions) >= SESSION_CACHE_SIZE:
                self._sessions.clear()
            self._sessions[token] = session
        if session.expires_at <= self.clock():
            self.revoke_token(token)
            raise TokenExpired(token)
        return session

    def purge_expired_tokens(self) -> int:
        """Delete the records of expired tokens (they can never log in again); how many."""
        now = self.clock()
        self._next_purge = now + TOKEN_PURGE_EVERY_S
        expired = [key for key, record in self.store.all(TOKENS) if record["exp"] <= now]
        for key in expired:
            self.store.delete(TOKENS, key)
        self._sessions = {t: s for t, s in self._sessions.items() if s.expires_at > now}
        return len(expired)

    def revoke_token(self, token: str) -> None:
        self._sessions.pop(token, None)
        self.store.delete(TOKENS, _sha256(token))

    def auth_data(self, session: Session) -> dict[str, Any]:
        """The `data` object of KAZOO's user_auth / api_auth / token_auth answers."""
        account = self.get_account(session.account_id) or {}
        data: dict[str, Any] = {
            "account_id": session.account_id,
            "apps": [],
            "language": "en-us",
            "account_name": account.get("name", ""),
            "is_reseller": False,
            "reseller_id": (account.get("pvt_tree") or [session.account_id])[0],
            "is_master_account": bool(account.get("pvt_superduper_admin")),
            "capabilities": {},
            "ui_config": {},
        }
        if session.owner_id:
            data["owner_id"] = session.owner_id
        return data
