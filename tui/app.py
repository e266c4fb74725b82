"""The Textual app: owns the API client (embedded server or remote), the config and the screens.

Start-up order: the CLI opens the embedded backend (so a locked data dir fails before the
terminal is taken over), the app starts its API server inside Textual's own event loop, seeds the
samples into a fresh local account, lets the main screen fetch its first list (up to
FIRST_LIST_PATIENCE_S), then shows it, list and all. Quitting, SIGINT, SIGTERM and SIGHUP all
go through `action_quit`, which stops the server before Textual restores the terminal; a
terminal that is gone ends the app at once, drafts kept (tui/terminal_watch.py).
"""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from textual import events
from textual.app import App
from textual.binding import Binding

from backend.api.server import PortInUse
from backend.client import ApiError, ApiKeyCredentials, IssuedCredentials, KazooClient
from tui import gc_pause
from tui.commands import KfnCommands
from tui.config import Config
from tui.embedded import Embedded, seed_sample_callflows, seed_samples
from tui.key_gate import GATE_LIMIT_S, KeyGate
from tui.local_state import LocalState
from tui.pivot_instances import PivotInstances
from tui.profiles import Profile, ProfileError, save_api_key
from tui.screens.main import MainScreen
from tui.terminal_watch import CHECK_S as TERMINAL_CHECK_S
from tui.terminal_watch import EXIT_HANGUP, TerminalWatch, terminal_fd

if TYPE_CHECKING:
    from tui.screens.connect import Connection

STYLES = Path(__file__).parent / "styles"
GC_RESUME_LATEST_S = 5.0
# Start-up waits this long for the first list before showing the main screen without it.
FIRST_LIST_PATIENCE_S = 0.5


class KfnApp(App[int]):
    TITLE = "kfn"
    CSS_PATH = [STYLES / "app.tcss", STYLES / "widgets.tcss"]
    COMMANDS = App.COMMANDS | {KfnCommands}
    BINDINGS = [Binding("ctrl+q", "quit", "Quit", id="app.quit", priority=True)]

    def __init__(
        self,
        *,
        config: Config,
        state_dir: Path,
        embedded: Embedded | None = None,
        client: KazooClient | None = None,
        server_label: str = "",
        pivot_instances: Sequence[str] = (),
    ) -> None:
        super().__init__()
        assert (embedded is None) != (client is None), "either the embedded backend or a client"
        self.config = config
        self.state_dir = state_dir
        self.embedded = embedded
        self.client = client
        self.server_label = server_label
        self.pivot_instances = tuple(pivot_instances)  # `kfn pivot` instances of the server
        # The clients of `kfn pivot` instances of the main screens not yet left.
        self.opened_instances: list[PivotInstances] = []
        self.startup_error = ""
        fd = terminal_fd()  # None: no terminal (tests), nothing to watch
        self.terminal = (
            None
            if fd is None
            else TerminalWatch(fd, lost=self.lose_terminal, hangup=self.quit_soon)
        )
        self.key_gate = KeyGate(super().on_event)

    def quit_soon(self) -> None:
        self.call_later(self.action_quit)

    def lose_terminal(self) -> None:
        """The terminal is gone (tui/terminal_watch.py): keep every draft and end now."""
        for screen in self.screen_stack:
            if isinstance(screen, MainScreen) and screen.work.is_ready:
                screen.editing.keep_draft()
        os._exit(EXIT_HANGUP)

    async def on_event(self, event: events.Event) -> None:
        if not self.key_gate.take(event):
            await super().on_event(event)

    def hold_keys(self) -> None:
        """A dialog is closing: keys wait until `release_keys` (see tui/key_gate.py)."""
        self.key_gate.hold(self.set_timer(GATE_LIMIT_S, self.release_keys))

    async def release_keys(self) -> None:
        await self.key_gate.release()

    async def on_mount(self) -> None:
        # The main screen resumes the collector once its work area is up; a start that never
        # gets there (a credentials prompt left open, a server that never answers) still does.
        self.set_timer(GC_RESUME_LATEST_S, gc_pause.resume)
        if self.config.keymap:
            self.set_keymap(self.config.keymap)
        if self.config.theme in self.available_themes:
            self.theme = self.config.theme
        else:
            self.notify(
                f"Unknown theme {self.config.theme!r} in {self.config.path}; "
                f"try one of: {', '.join(sorted(self.available_themes))}",
                severity="warning",
            )
        loop = asyncio.get_running_loop()
        if self.terminal is not None:
            try:
                self.terminal.install(loop)
            except ValueError:  # not the main thread (tests): the check below still runs
                pass
            self.set_interval(TERMINAL_CHECK_S, self.terminal.check)
        for signum in (signal.SIGINT, signal.SIGTERM):
            try:
                loop.add_signal_handler(signum, lambda: self.call_later(self.action_quit))
            except (NotImplementedError, RuntimeError):  # not the main thread (tests)
                pass
        fresh = False
        if self.embedded is not None:
            try:
                self.client = await self.embedded.start()
            except (PortInUse, OSError) as exc:
                self.startup_error = f"cannot start the embedded API: {exc}"
                self.exit(1, message=self.startup_error)
                return
            fresh = self.embedded.backend.created_local is not None
            self.server_label = self.embedded.label
        assert self.client is not None
        if fresh and self.embedded is not None:
            key_file = self.embedded.backend.remember_local_api_key()
            if key_file is not None:
                self.notify(
                    f"Its API key, for curl and scripts, is in {key_file} (readable by you only).",
                    title="Created the local account",
                    timeout=8,
                )
            try:
                account_id = await self.client.account_id()
                await seed_samples(self.client, account_id)
                await seed_sample_callflows(self.client, account_id)
            except ApiError as exc:
                self.notify(f"Could not add the samples: {exc}", severity="warning")
        # Keys and signals wait in the app's queue meanwhile: a quit comes after the push.
        screen = await self._main_screen(
            self.client, self.server_label, self.config.account, self.pivot_instances
        )
        await self.push_screen(screen)

    async def _main_screen(
        self, client: KazooClient, label: str, default_account: str | None = None,
        pivot_instances: Sequence[str] = (),
    ) -> MainScreen:  # fmt: skip
        """A main screen for `client`, its first list fetched if that takes less than
        FIRST_LIST_PATIENCE_S (meanwhile the previous screen stays)."""
        local = LocalState(self.state_dir, self._scope(client))
        screen = MainScreen(
            client, local, label, default_account=default_account or "",
            pivot_instances=pivot_instances,
        )  # fmt: skip
        self.opened_instances.append(screen.workspace.pivot_instances)
        await screen.prepare(FIRST_LIST_PATIENCE_S)
        return screen

    @staticmethod
    def _scope(client: KazooClient) -> str:
        """Which drafts and saved calls go with a server: the embedded one's are "local" (its
        URL changes with the port; only its clients have tokens minted in-process), a remote
        one's are keyed by its URL."""
        return "local" if isinstance(client.credentials, IssuedCredentials) else client.base_url

    @property
    def on_local(self) -> bool:
        return self.client is not None and self._scope(self.client) == "local"

    async def back_to_local(self) -> None:
        """Leave a remote server for the embedded one, which kept serving meanwhile."""
        if self.embedded is None or self.embedded.server is None:
            self.notify("This kfn was started on a remote server; there is no local one.")
            return
        if self.on_local:
            return
        await self.use_client(self.embedded.client(), self.embedded.label)
        self.notify("Back on the local server")

    def watch_theme(self, theme: str) -> None:
        if theme != self.config.theme and self.config.path is not None:
            self.config.theme = theme
            try:
                self.config.save()
            except OSError as exc:
                self.notify(
                    f"Could not save the theme to {self.config.path}: {exc}", severity="warning"
                )

    # -- switching servers --------------------------------------------------------------------------
    @property
    def config_dir(self) -> Path:
        return self.config.path.parent if self.config.path else self.state_dir

    def open_connect(self, profile_name: str | None = None) -> None:
        profile = None
        if profile_name:
            try:
                profile = Profile.from_config(profile_name, self.config.profiles[profile_name])
            except (KeyError, ProfileError) as exc:
                self.notify(f"Profile {profile_name!r}: {exc}", severity="error")
                return
        from tui.screens.connect import ConnectScreen  # on first use: not needed at start-up

        self.push_screen(ConnectScreen(self.config_dir, profile), self._connected)

    async def _connected(self, connection: Connection | None) -> None:
        if connection is None:
            return
        profile, client = connection.profile, connection.client
        self.config.profiles[profile.name] = profile.to_config()
        try:
            if isinstance(client.credentials, ApiKeyCredentials):
                save_api_key(self.config_dir, profile.name, client.credentials.api_key)
            self.config.save()
        except OSError as exc:
            self.notify(f"Connected, but the profile was not saved: {exc}", severity="warning")
        await self.use_client(client, profile.url, profile.pivot_instances)
        self.notify(f"Connected to {profile.url} (profile {profile.name!r})")

    async def use_client(
        self, client: KazooClient, label: str, pivot_instances: Sequence[str] = ()
    ) -> None:
        """Point the app at another server: a new main screen over the new client."""
        screen = await self._main_screen(client, label, pivot_instances=pivot_instances)
        if self.return_code is not None:  # quit while the new screen fetched its list
            await client.aclose()
            return
        old = self.client
        self.client = client
        self.server_label = label
        await self.leave_main_screens()
        await self.switch_screen(screen)
        gc_pause.thaw()  # the first screen, frozen with start-up, can be collected now
        if old is not None and old is not client:
            await old.aclose()

    async def leave_main_screens(self) -> None:
        """Before a main screen goes: its waiting workers stop before its widgets do."""
        for screen in self.screen_stack:
            if isinstance(screen, MainScreen):
                await screen.leave()
                await self._close_instances(screen.workspace.pivot_instances)

    async def _close_instances(self, instances: PivotInstances) -> None:
        if instances in self.opened_instances:
            self.opened_instances.remove(instances)
        await instances.aclose()

    async def action_quit(self) -> None:
        await self.leave_main_screens()
        await self.shutdown_backend()
        self.exit(0)

    async def on_unmount(self) -> None:
        # Every other way out (an error, a test's exit): the server stops and the client's
        # connections close before the loop does.
        await self.shutdown_backend()

    async def shutdown_backend(self) -> None:
        # Those of screens still open, and of one made as the app quit (use_client).
        for instances in list(self.opened_instances):
            await self._close_instances(instances)
        if self.client is not None:
            await self.client.aclose()
        if self.embedded is not None:
            await self.embedded.stop()
