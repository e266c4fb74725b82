"""The main screen's requests: one way to run them (ask for credentials when a session cannot be
renewed on its own, tell the user when a request fails), and opening an account.

Nothing here touches a widget: `open_account` also runs before the screen is shown.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, TypeVar

from backend.client import (
    ApiError,
    ApiKeyCredentials,
    AuthError,
    IssuedCredentials,
    KazooClient,
    Login,
    TokenCredentials,
    UserCredentials,
)
from tui.local_state import LocalState
from tui.screens.dialogs import PromptScreen
from widgets.function_list import FunctionEntry

if TYPE_CHECKING:
    from textual.screen import Screen

T = TypeVar("T")


class Failed:
    """What `Connection.attempt` returns for a request that failed (the user was told why)."""


FAILED = Failed()


class CredentialsNeeded(Exception):
    """Refused credentials, met where no one can be asked yet (before the screen is shown).
    Not an ApiError: it passes the handlers that tell the user, up to the one that asks."""


@dataclass
class Opened:
    """An account opened: which one, its name, and its functions (FAILED: not listed)."""

    account_id: str
    name: str
    entries: list[FunctionEntry] | Failed


class Connection:
    def __init__(self, screen: Screen[None], client: KazooClient, local: LocalState) -> None:
        self.screen = screen  # whose app asks and tells
        self.client = client
        self.local = local

    async def attempt(
        self,
        request: Callable[[], Awaitable[T]],
        *,
        title: str = "",
        timeout: float = 10,
        ask: bool = True,
    ) -> T | Failed:
        """`api(request, ask=ask)`, or FAILED once the user has been told why it failed."""
        try:
            return await self.api(request, ask=ask)
        except ApiError as exc:
            self.screen.notify(str(exc), title=title, severity="error", timeout=timeout)
            return FAILED

    async def report(
        self, operation: Awaitable[T], *, title: str = "", timeout: float = 10
    ) -> T | Failed:
        """A workspace operation (which asks for credentials itself), or FAILED once the user
        has been told why it failed."""
        try:
            return await operation
        except ApiError as exc:
            self.screen.notify(str(exc), title=title, severity="error", timeout=timeout)
            return FAILED

    async def api(self, request: Callable[[], Awaitable[T]], *, ask: bool = True) -> T:
        """Run one client request; when the session cannot be renewed on its own (a given token
        expired, a password changed), ask the user for new credentials and try again; with
        `ask=False`, raise CredentialsNeeded. Edits are never touched: the editor keeps its
        text whatever happens here."""
        while True:
            try:
                return await request()
            except AuthError as exc:
                if not ask:
                    raise CredentialsNeeded(str(exc)) from exc
                if not await self.ask_credentials(str(exc)):
                    raise

    async def ask_credentials(self, reason: str) -> bool:
        credentials = self.client.credentials
        if isinstance(credentials, IssuedCredentials):
            return False  # the embedded server mints its own; nothing to ask
        kind = {
            TokenCredentials: "a new auth token",
            UserCredentials: "the password",
            ApiKeyCredentials: "a valid API key",
        }.get(type(credentials), "new credentials")
        answer = await self.screen.app.push_screen_wait(
            PromptScreen(
                f"{reason}\nEnter {kind} for {self.client.base_url} (your edits are kept):",
                password=True,
            )
        )
        if not answer:
            return False
        if isinstance(credentials, UserCredentials):
            self.client.credentials = replace(credentials, password=answer)
        elif isinstance(credentials, ApiKeyCredentials):
            self.client.credentials = ApiKeyCredentials(answer.strip())
        else:
            self.client.credentials = TokenCredentials(answer.strip())
        self.client.login_info = None
        return True

    async def open_account(
        self, account_id: str | None, *, default: str, current: str, ask: bool = True
    ) -> Opened | None:
        """Log in, choose the account and list its functions. The account is `account_id`
        (asked for), else `default` (the config's), else the one last opened on this server,
        else the login's own. None once the user has been told why not, or to stay in
        `current`, the account already open. With `ask=False`, refused credentials raise
        CredentialsNeeded instead of prompting."""
        login: Login | Failed | None = self.client.login_info
        if login is None:
            login = await self.attempt(
                self.client.login, title="Cannot connect", timeout=15, ask=ask
            )
        if isinstance(login, Failed):
            return None
        remembered = self.local.last_account()
        wanted = account_id or default or remembered or login.account_id
        name = login.account_name
        if wanted != login.account_id:
            try:
                name = (await self.api(lambda: self.client.account(wanted), ask=ask)).name
            except ApiError as exc:
                if wanted == remembered and not (account_id or default):
                    self.local.remember_account(None)  # gone, or no longer ours: quietly
                else:
                    self.screen.notify(
                        str(exc), title="Cannot open that account", severity="error", timeout=15
                    )
                if current:  # stay in the account we had
                    return None
                wanted, name = login.account_id, login.account_name
        return Opened(wanted, name, await self.list_entries(wanted, ask=ask))

    async def list_entries(
        self, account_id: str, *, ask: bool = True
    ) -> list[FunctionEntry] | Failed:
        """The account's functions as list entries, marked where a draft is kept; FAILED once
        the user has been told why not."""
        items = await self.attempt(
            lambda: self.client.list_functions(account_id, page_size=1000),
            title="Cannot list functions",
            timeout=15,
            ask=ask,
        )
        if isinstance(items, Failed):
            return FAILED
        entries = [FunctionEntry.from_summary(item) for item in items]
        drafted = self.local.drafted_ids()
        for entry in entries:
            entry.dirty = entry.id in drafted
        return entries
