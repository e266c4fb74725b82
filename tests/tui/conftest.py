"""Drive the real app with Pilot: a real backend in a temp dir, served by the real API server in
the app's own loop, reached through the real client."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from textual.pilot import Pilot

from backend.api.server import Backend
from backend.client import KazooClient
from tui.app import KfnApp
from tui.config import Config
from tui.embedded import Embedded
from tui.screens.main import MainScreen


@dataclass
class Harness:
    backend: Backend
    state_dir: Path
    config_dir: Path

    def app(self, *, serve_tcp: bool = True) -> KfnApp:
        return KfnApp(
            config=Config.load(self.config_dir),
            state_dir=self.state_dir,
            embedded=Embedded(self.backend, port=0, serve_tcp=serve_tcp),
        )

    def remote_app(self, client: KazooClient, label: str) -> KfnApp:
        """The app in remote mode: on `client`'s server, no embedded backend."""
        return KfnApp(
            config=Config.load(self.config_dir),
            state_dir=self.state_dir,
            client=client,
            server_label=label,
        )

    def stored(self, function_id: str) -> dict | None:
        return self.backend.store.get("functions", function_id)

    def stored_by_name(self, name: str) -> tuple[str, dict] | None:
        for doc_id, doc in self.backend.store.all("functions"):
            if doc.get("name") == name and not doc.get("pvt_deleted"):
                return doc_id, doc
        return None


@pytest.fixture
def harness(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Harness:
    config_dir = tmp_path / "config"
    monkeypatch.setenv("KFN_CONFIG_DIR", str(config_dir))
    backend = Backend.open(tmp_path / "data", fsync=False)
    made = Harness(backend, tmp_path / "state", config_dir)
    yield made
    backend.close()


async def wait_for(
    pilot: Pilot, condition: Callable[[], object], timeout: float = 10.0, what: str = ""
) -> None:
    """Let the app work until `condition()` holds; fail with `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or condition}")
        await pilot.pause(0.05)


def main_screen(pilot: Pilot) -> MainScreen:
    for screen in pilot.app.screen_stack:
        if isinstance(screen, MainScreen):
            return screen
    raise AssertionError("the main screen is not up")


async def ready(pilot: Pilot) -> MainScreen:
    """Wait until the list is loaded and the first function is open."""
    await wait_for(pilot, lambda: any(isinstance(s, MainScreen) for s in pilot.app.screen_stack))
    screen = main_screen(pilot)
    await wait_for(
        pilot,
        lambda: (
            screen.current is not None
            and screen.work_area_ready
            and screen.editor.border_title != "no function open"
        ),
        what="the first function to open in the editor",
    )
    await pilot.pause()  # what opening it posted is handled
    return screen


async def drafted(pilot: Pilot, screen: MainScreen, function_id: str, text: str) -> None:
    """Wait until the unsaved edit of `function_id` is kept as a draft with `text` in it."""
    await wait_for(
        pilot,
        lambda: text in (screen.local.draft(function_id) or {}).get("text", ""),
        what=f"a draft of {function_id} with {text!r}",
    )
