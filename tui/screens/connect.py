"""Connect to a KAZOO or another kfn: fill in a profile, test it, save it (without secrets in
clear), and switch the app to that server."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Label, Select

from backend.client import ApiError, KazooClient
from tui.pivot_instances import PivotInstances, check_instance_url
from tui.profiles import AUTH_METHODS, Profile, client_for, credentials_for
from widgets.inline_input import InlineBindingsInput

AUTH_LABELS = {"api_key": "API key", "user": "Username and password", "token": "Auth token"}
SECRET_FIELDS = {
    "api_key": "#connect-api-key",
    "user": "#connect-password",
    "token": "#connect-token",
}


@dataclass
class Connection:
    profile: Profile
    client: KazooClient
    account_name: str


class ConnectScreen(ModalScreen[Connection | None]):
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="connect.cancel")]

    def __init__(self, config_dir: Path, profile: Profile | None = None) -> None:
        super().__init__(classes="dialog")
        self.config_dir = config_dir
        self.profile = profile or Profile("", "https://", "api_key")

    def compose(self) -> ComposeResult:
        profile = self.profile
        with Vertical(classes="dialog-box wide", id="connect-box"):
            yield Label("Connect to a KAZOO (or kfn) v2 API", classes="dialog-title")
            with VerticalScroll(id="connect-form"):
                yield Label("Profile name")
                yield InlineBindingsInput(
                    profile.name, placeholder="e.g. prod", id="connect-name", compact=True
                )
                yield Label("Server URL")
                yield InlineBindingsInput(
                    profile.url,
                    placeholder="https://kazoo.example.com:8443",
                    id="connect-url",
                    compact=True,
                )
                yield Label("Sign in with")
                yield Select(
                    [(AUTH_LABELS[m], m) for m in AUTH_METHODS],
                    value=profile.auth,
                    allow_blank=False,
                    compact=True,
                    id="connect-auth",
                )
                for field_id, value, placeholder, secret in (
                    ("connect-api-key", "", "API key (saved owner-only)", True),
                    ("connect-username", profile.username, "username", False),
                    ("connect-password", "", "password (never saved)", True),
                    ("connect-account", profile.account_name, "account name", False),
                    ("connect-token", "", "auth token (never saved)", True),
                ):
                    yield InlineBindingsInput(
                        value, placeholder=placeholder, password=secret, id=field_id, compact=True
                    )
                yield Checkbox(
                    "Skip TLS certificate checks (only for a server you trust)",
                    profile.insecure,
                    id="connect-insecure",
                    compact=True,
                )
                yield Label("Pivot instances, for the Live tab on a KAZOO (optional)")
                yield InlineBindingsInput(
                    " ".join(profile.pivot_instances),
                    placeholder="kfn pivot URLs, space-separated: http://pivot-1:8010 …",
                    id="connect-pivot",
                    compact=True,
                )
            yield Label("", id="connect-status")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Test", id="connect-test", compact=True)
                yield Button("Save and connect", variant="primary", id="connect-save", compact=True)
                yield Button("Cancel (esc)", id="connect-cancel", compact=True)

    def on_mount(self) -> None:
        self._show_fields(self.profile.auth)
        self.query_one("#connect-name", Input).focus()

    @on(Select.Changed, "#connect-auth")
    def _auth_changed(self, event: Select.Changed) -> None:
        self._show_fields(str(event.value))

    def _show_fields(self, auth: str) -> None:
        shown = {
            "api_key": {"#connect-api-key"},
            "user": {"#connect-username", "#connect-password", "#connect-account"},
            "token": {"#connect-token"},
        }[auth]
        for selector in (
            "#connect-api-key",
            "#connect-username",
            "#connect-password",
            "#connect-account",
            "#connect-token",
        ):
            self.query_one(selector).display = selector in shown

    def _value(self, selector: str) -> str:
        return self.query_one(selector, Input).value.strip()

    def current(self) -> tuple[Profile, KazooClient]:
        """The profile and client the form describes; ValueError when an instance URL is not
        one."""
        auth = str(self.query_one("#connect-auth", Select).value)
        profile = Profile(
            self._value("#connect-name") or "default",
            self._value("#connect-url"),
            auth,
            self._value("#connect-account"),
            self._value("#connect-username"),
            self.query_one("#connect-insecure", Checkbox).value,
            tuple(check_instance_url(url) for url in self._value("#connect-pivot").split()),
        )
        secret = self._value(SECRET_FIELDS[auth]) or None
        return profile, client_for(
            profile, credentials_for(profile, self.config_dir, secret=secret)
        )

    def _status(self, text: str, ok: bool | None = None) -> None:
        label = self.query_one("#connect-status", Label)
        label.update(text)
        label.set_class(ok is False, "-invalid")
        label.set_class(ok is True, "-valid")

    @on(Button.Pressed, "#connect-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#connect-test")
    def _test_pressed(self) -> None:
        self.test(save=False)

    @on(Button.Pressed, "#connect-save")
    def _save_pressed(self) -> None:
        self.test(save=True)

    @work(exclusive=True)
    async def test(self, save: bool) -> None:
        try:
            profile, client = self.current()
        except ValueError as exc:
            self._status(f"✗ {exc}", False)
            return
        if not profile.url.startswith(("http://", "https://")):
            self._status("✗ the URL must start with http:// or https://", False)
            return
        self._status(f"connecting to {profile.url}…")
        try:
            login = await client.login()
            accounts = await client.accounts()
        except ApiError as exc:
            await client.aclose()
            self._status(f"✗ {exc}", False)
            return
        names = ", ".join(account.name for account in accounts[:5])
        said = f"✓ connected as {login.account_name or login.account_id}; accounts: {names}"
        if profile.pivot_instances:
            instances = PivotInstances(profile.pivot_instances, client)
            try:
                problems = await instances.check()
            finally:
                await instances.aclose()
            count = len(profile.pivot_instances)
            all_answer = (
                "the Pivot instance answers"
                if count == 1
                else f"all {count} Pivot instances answer"
            )
            said += (
                "".join(f"\n! Pivot instances: {line}" for line in problems) or f"\n✓ {all_answer}"
            )
        self._status(said, True)
        if not save:
            await client.aclose()
            return
        self.dismiss(Connection(profile, client, login.account_name))
