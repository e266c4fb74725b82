"""The connect screen and saved profiles: test before saving, no secrets in clear."""

from __future__ import annotations

from pathlib import Path

from backend.client import ApiKeyCredentials
from tests.conftest import FakeServer, free_port
from tests.pivot.instances import running_instance, with_function
from tests.tui.conftest import Harness, drafted, main_screen, ready, wait_for
from tui.app import KfnApp
from tui.config import Config
from tui.profiles import Profile, client_for, credentials_for, key_file
from tui.screens.connect import ConnectScreen
from tui.screens.dialogs import PromptScreen


def with_one_function(fake_kazoo: FakeServer):
    """The fake KAZOO behind `fake_kazoo`, holding one function, `f1`."""
    fake = fake_kazoo.fake
    fake.functions["f1"] = {"name": "on kazoo", "function_js": "return 1;", "_rev": "1-a"}
    return fake


def all_text(directory: Path) -> str:
    return "\n".join(p.read_text() for p in directory.rglob("*") if p.is_file())


async def test_connect_tests_saves_a_profile_and_switches(
    harness: Harness, fake_kazoo: FakeServer
) -> None:
    fake = with_one_function(fake_kazoo)
    dead, also_dead = (f"http://127.0.0.1:{free_port(start=port)}" for port in (21100, 21150))
    app = harness.app()
    async with app.run_test(size=(100, 34)) as pilot:
        await ready(pilot)
        app.open_connect()
        await wait_for(pilot, lambda: isinstance(app.screen, ConnectScreen))
        dialog = app.screen
        await wait_for(pilot, lambda: bool(dialog.query("#connect-status")), what="the form")
        dialog.query_one("#connect-name").value = "prod"
        dialog.query_one("#connect-url").value = f"http://127.0.0.1:{free_port(start=21000)}"
        dialog.query_one("#connect-api-key").value = fake.api_key
        dialog.query_one("#connect-pivot").value = "pv-1:8010"
        dialog.test(save=False)
        status = dialog.query_one("#connect-status")
        await wait_for(pilot, lambda: "✗" in str(status.render()), what="not a URL")
        assert "a Pivot instance is an http:// or https:// URL" in str(status.render())
        dialog.query_one("#connect-pivot").value = f"{dead}/  {also_dead}"
        dialog.test(save=False)
        await wait_for(pilot, lambda: "connection refused" in str(status.render()), what="refused")
        dialog.query_one("#connect-url").value = fake_kazoo.url
        dialog.test(save=False)
        await wait_for(pilot, lambda: "✓ connected" in str(status.render()), what="connected")
        said = str(status.render())
        assert said.count("! Pivot instances: cannot connect to http://127.0.0.1:") == 2
        dialog.test(save=True)
        await wait_for(pilot, lambda: main_screen(pilot).server_label == fake_kazoo.url)
        screen = main_screen(pilot)
        await wait_for(pilot, lambda: bool(screen.query("#functions")), what="the new screen")
        await wait_for(pilot, lambda: "f1" in screen.functions.entries)
        assert screen.status.account == "acme"
        # End with the new screen complete: Pilot's teardown does not go through the app's
        # quit, and Textual's Select fails if it is torn down while it mounts.
        await wait_for(pilot, lambda: screen.current is not None, what="the function opened")
    config = Config.load(harness.config_dir)
    assert config.profiles["prod"] == {
        "url": fake_kazoo.url, "auth": "api_key",
        "pivot_instances": [dead, also_dead],
    }  # fmt: skip
    saved_key = key_file(harness.config_dir, "prod")
    assert saved_key.read_text().strip() == fake.api_key
    assert saved_key.stat().st_mode & 0o777 == 0o600
    assert fake.api_key not in (harness.config_dir / "config.toml").read_text()


async def test_a_user_profile_asks_for_the_password_and_never_stores_it(
    harness: Harness, fake_kazoo: FakeServer
) -> None:
    fake = with_one_function(fake_kazoo)
    profile = Profile("ops", fake_kazoo.url, "user", fake.account_name, fake.username)
    config = Config.load(harness.config_dir)
    config.profiles["ops"] = profile.to_config()
    config.save()
    client = client_for(profile, credentials_for(profile, harness.config_dir))
    app = harness.remote_app(client, profile.url)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(
            pilot, lambda: isinstance(app.screen, PromptScreen), what="password question"
        )
        assert "the password" in app.screen.question
        app.screen.query_one("Input").value = fake.password
        await pilot.press("enter")
        screen = await ready(pilot)
        assert screen.current.id == "f1"
    assert fake.password not in all_text(harness.config_dir)
    assert fake.password not in all_text(harness.state_dir)


def on_the_fake(harness: Harness, fake_kazoo: FakeServer) -> KfnApp:
    """The app against the fake KAZOO (holding `f1`), with its API key."""
    from backend.client import KazooClient

    fake = with_one_function(fake_kazoo)
    client = KazooClient(fake_kazoo.url, ApiKeyCredentials(fake.api_key))
    return harness.remote_app(client, fake_kazoo.url)


async def test_the_app_saves_on_a_kazoo_whose_post_does_not_persist(
    harness: Harness, fake_kazoo: FakeServer
) -> None:
    fake = fake_kazoo.fake
    app = on_the_fake(harness, fake_kazoo)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await ready(pilot)
        screen.editor.text = "return {module: 'hangup', data: {}};"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: not screen.editor.dirty)
    assert fake.functions["f1"]["function_js"] == "return {module: 'hangup', data: {}};"
    assert [m for m, *_ in fake.requests if m in ("POST", "PATCH")] == ["PATCH"]


async def test_connect_says_when_every_pivot_instance_answers(
    harness: Harness, fake_kazoo: FakeServer, tmp_path: Path
) -> None:
    fake = with_one_function(fake_kazoo)
    with_function(fake)
    app = harness.app()
    async with (
        running_instance(fake_kazoo, tmp_path) as one,
        running_instance(fake_kazoo, tmp_path) as two,
        app.run_test(size=(100, 34)) as pilot,
    ):
        await ready(pilot)
        app.open_connect()
        await wait_for(pilot, lambda: isinstance(app.screen, ConnectScreen))
        dialog = app.screen
        await wait_for(pilot, lambda: bool(dialog.query("#connect-status")), what="the form")
        dialog.query_one("#connect-url").value = fake_kazoo.url
        dialog.query_one("#connect-api-key").value = fake.api_key
        status = dialog.query_one("#connect-status")
        dialog.query_one("#connect-pivot").value = one.url
        dialog.test(save=False)
        await wait_for(pilot, lambda: "✓ connected" in str(status.render()), what="connected")
        assert "✓ the Pivot instance answers" in str(status.render())
        dialog.query_one("#connect-pivot").value = f"{one.url} {two.url}"
        dialog.test(save=False)
        await wait_for(pilot, lambda: "all 2" in str(status.render()), what="both instances")
        assert "✓ all 2 Pivot instances answer" in str(status.render())
        assert "!" not in str(status.render())


async def test_the_live_tab_on_a_kazoo_says_how_to_serve_its_pivot_urls(
    harness: Harness, fake_kazoo: FakeServer
) -> None:
    from widgets.live_calls import LiveCalls

    app = on_the_fake(harness, fake_kazoo)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await ready(pilot)
        await pilot.press("alt+v")
        live = screen.query_one(LiveCalls)
        await wait_for(pilot, lambda: "kfn pivot --signing-key" in live.note, what="the note")
        assert live.invocations == []


async def test_a_slow_server_shows_loading_and_keys_wait_for_the_editor(
    harness: Harness, fake_kazoo: FakeServer
) -> None:
    from backend.client import ApiKeyCredentials, KazooClient
    from tui.app import FIRST_LIST_PATIENCE_S
    from tui.screens.main import WORK_AREA_PATIENCE_S, MainScreen

    fake = with_one_function(fake_kazoo)
    # The login, then the list, each take 1.5 s: the screen does not wait for them (it comes
    # after FIRST_LIST_PATIENCE_S), shows a spinner, and mounts the work area anyway after
    # WORK_AREA_PATIENCE_S; the margins leave room for a loaded machine.
    fake.latency_s = 1.5
    assert 2 * fake.latency_s > FIRST_LIST_PATIENCE_S + WORK_AREA_PATIENCE_S + 1.0
    app = harness.remote_app(
        KazooClient(fake_kazoo.url, ApiKeyCredentials(fake.api_key)), fake_kazoo.url
    )
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, MainScreen), what="the main screen")
        screen = main_screen(pilot)
        assert not screen.work_area_ready
        assert screen.status.activity == "connecting…"
        await pilot.press("ctrl+o")  # next pane: waits for the editor instead of being lost
        await wait_for(pilot, lambda: screen.functions.loading, what="the list's spinner")
        # The list is still on its way: the work area came up anyway, with the focus moved.
        await wait_for(pilot, lambda: screen.work_area_ready, what="the work area")
        await wait_for(pilot, lambda: screen.editor.has_focus, what="ctrl+o to take effect")
        assert screen.functions.loading
        await wait_for(pilot, lambda: screen.editor.loading, what="the editor's spinner")
        await wait_for(pilot, lambda: screen.current is not None, what="the function")
        assert not screen.functions.loading and not screen.editor.loading
        assert screen.editor.text == "return 1;"


async def test_a_quick_server_is_listed_in_the_first_paint(
    harness: Harness, fake_kazoo: FakeServer
) -> None:
    from backend.client import ApiKeyCredentials, KazooClient
    from tui.screens.main import MainScreen

    with_one_function(fake_kazoo)
    app = harness.remote_app(
        KazooClient(fake_kazoo.url, ApiKeyCredentials(fake_kazoo.fake.api_key)), fake_kazoo.url
    )
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, MainScreen), what="the main screen")
        # Listed before the screen was shown: the list is there from its first frame.
        screen = main_screen(pilot)
        assert "f1" in screen.functions.entries and screen.status.account == "acme"
        await wait_for(pilot, lambda: screen.current is not None, what="the function")


async def test_quitting_while_the_first_list_is_fetched_exits_cleanly(
    harness: Harness, fake_kazoo: FakeServer
) -> None:
    from backend.client import ApiKeyCredentials, KazooClient
    from tui.screens.main import MainScreen

    fake = with_one_function(fake_kazoo)
    fake.latency_s = 1.0  # the screen comes before the login's answer, which the quit cuts off
    app = harness.remote_app(
        KazooClient(fake_kazoo.url, ApiKeyCredentials(fake.api_key)), fake_kazoo.url
    )
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, MainScreen), what="the main screen")
        screen = main_screen(pilot)
        assert screen.status.activity == "connecting…" and not screen.functions.entries
        await app.action_quit()  # what ctrl+q, SIGINT and SIGTERM run
    assert app.return_code == 0


def test_a_key_file_others_can_read_is_refused(tmp_path: Path) -> None:
    import pytest

    from tui.profiles import ProfileError, load_api_key, save_api_key

    path = save_api_key(tmp_path, "prod", "k" * 64)
    assert load_api_key(tmp_path, "prod") == "k" * 64
    path.chmod(0o644)
    with pytest.raises(ProfileError, match="chmod 600"):
        load_api_key(tmp_path, "prod")


async def test_back_to_the_local_server_with_its_drafts(
    harness: Harness, fake_kazoo: FakeServer
) -> None:
    fake = with_one_function(fake_kazoo)
    app = harness.app()
    async with app.run_test(size=(100, 34)) as pilot:
        screen = await ready(pilot)
        local_label, local_id = screen.server_label, screen.current.id
        assert app.on_local and "Back to the local server" not in await _command_names(app)
        screen.editor.insert("// unsaved, local\n")
        await drafted(pilot, screen, local_id, "// unsaved, local")
        remote = client_for(
            Profile("prod", fake_kazoo.url, "api_key"), ApiKeyCredentials(fake.api_key)
        )
        await app.use_client(remote, fake_kazoo.url)
        screen = await ready(pilot)
        assert screen.current.id == "f1" and not app.on_local
        assert "Back to the local server" in await _command_names(app)
        await app.back_to_local()
        screen = await ready(pilot)
        assert app.on_local and screen.server_label == local_label
        assert local_id in screen.functions.entries and "f1" not in screen.functions.entries
        if screen.current.id != local_id:
            screen.open_function(local_id)
            await wait_for(pilot, lambda: screen.current.id == local_id)
        await wait_for(pilot, lambda: "// unsaved, local" in screen.editor.text, what="draft")
        assert screen.editor.dirty


async def _command_names(app: KfnApp) -> list[str]:
    """What the command palette offers, as its provider builds it."""
    from tui.commands import KfnCommands

    provider = KfnCommands(app.screen)
    await provider.startup()
    return [name for name, _callback, _help in provider.commands()]
