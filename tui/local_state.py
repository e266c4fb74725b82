"""What the app keeps on this machine between runs: unsaved drafts, saved test calls, the
account last opened on each server, the function last opened in each account, and each
function's last runs.

All are keyed by server, so the same function id on two servers never mixes. Files are
replaced atomically, so a crash mid-write leaves the previous version.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

from backend.paths import write_atomically


class LocalState:
    def __init__(self, directory: Path, scope: str) -> None:
        self.directory = directory
        self.scope = scope
        # Drafts and runs are also written from worker threads: one change-and-write at a time.
        self._lock = threading.RLock()
        self.drafts_path = directory / "drafts.json"
        self.calls_path = directory / "test_calls.json"
        self.accounts_path = directory / "accounts.json"
        self.opened_path = directory / "last_opened.json"
        self.runs_path = directory / "runs.json"
        self._drafts: dict[str, dict[str, Any]] = self._read(self.drafts_path)
        self._calls: dict[str, dict[str, Any]] = self._read(self.calls_path)
        self._accounts: dict[str, Any] = self._read(self.accounts_path)
        self._opened: dict[str, Any] = self._read(self.opened_path)
        self._runs: dict[str, list[dict[str, Any]]] = self._read(self.runs_path)

    @staticmethod
    def _read(path: Path) -> dict[str, Any]:
        try:
            value = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return value if isinstance(value, dict) else {}

    def _key(self, function_id: str) -> str:
        return f"{self.scope}|{function_id}"

    # -- drafts -----------------------------------------------------------------------------------
    def draft(self, function_id: str) -> dict[str, Any] | None:
        """`{"text", "saved_text", "revision"}` of an unsaved edit, or None."""
        return self._drafts.get(self._key(function_id))

    def keep_draft(
        self, function_id: str, text: str, saved_text: str, revision: str | None
    ) -> None:
        with self._lock:
            entry = {"text": text, "saved_text": saved_text, "revision": revision}
            key = self._key(function_id)
            if self._drafts.get(key) != entry:
                # Held in memory only once it is on disk: a write that failed is tried again,
                # and never taken for one that succeeded.
                drafts = {**self._drafts, key: entry}
                write_atomically(self.drafts_path, json.dumps(drafts))
                self._drafts = drafts

    def drop_draft(self, function_id: str) -> None:
        with self._lock:
            key = self._key(function_id)
            if key in self._drafts:
                drafts = {k: v for k, v in self._drafts.items() if k != key}
                write_atomically(self.drafts_path, json.dumps(drafts))
                self._drafts = drafts

    def drafted_ids(self) -> set[str]:
        prefix = f"{self.scope}|"
        return {key[len(prefix) :] for key in self._drafts if key.startswith(prefix)}

    # -- saved test calls -----------------------------------------------------------------------
    def calls(self, function_id: str) -> dict[str, dict[str, Any]]:
        return dict(self._calls.get(self._key(function_id), {}))

    def save_call(self, function_id: str, name: str, payload: dict[str, Any]) -> None:
        with self._lock:
            self._calls.setdefault(self._key(function_id), {})[name] = payload
            write_atomically(self.calls_path, json.dumps(self._calls, indent=1))

    def delete_call(self, function_id: str, name: str) -> None:
        with self._lock:
            calls = self._calls.get(self._key(function_id), {})
            if calls.pop(name, None) is not None:
                write_atomically(self.calls_path, json.dumps(self._calls, indent=1))

    # -- the account last opened on this server -------------------------------------------------
    def last_account(self) -> str | None:
        account_id = self._accounts.get(self.scope)
        return account_id if isinstance(account_id, str) and account_id else None

    def remember_account(self, account_id: str | None) -> None:
        """Remember `account_id` for this server (None forgets it)."""
        if self._accounts.get(self.scope) == account_id:
            return
        if account_id is None:
            self._accounts.pop(self.scope, None)
        else:
            self._accounts[self.scope] = account_id
        write_atomically(self.accounts_path, json.dumps(self._accounts, indent=1))

    # -- the function last opened in each account -----------------------------------------------
    def last_function(self, account_id: str) -> str | None:
        function_id = self._opened.get(f"{self.scope}|{account_id}")
        return function_id if isinstance(function_id, str) and function_id else None

    def remember_function(self, account_id: str, function_id: str) -> None:
        with self._lock:
            key = f"{self.scope}|{account_id}"
            if self._opened.get(key) != function_id:
                self._opened[key] = function_id
                write_atomically(self.opened_path, json.dumps(self._opened, indent=1))

    # -- each function's last runs --------------------------------------------------------------
    def runs(self, function_id: str) -> list[dict[str, Any]]:
        """The function's last runs, newest first."""
        return list(self._runs.get(self._key(function_id), []))

    def record_run(self, function_id: str, run: dict[str, Any]) -> None:
        """Keep `run` first, with at most RUNS_KEPT runs per function."""
        with self._lock:
            kept = [run, *self._runs.get(self._key(function_id), [])][:RUNS_KEPT]
            self._runs[self._key(function_id)] = kept
            write_atomically(self.runs_path, json.dumps(self._runs))


RUNS_KEPT = 50
