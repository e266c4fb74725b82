"""Remote mode: the app (Pilot) against a separately started `kfn serve` process."""

from __future__ import annotations

import json
import os
import signal
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from textual.pilot import Pilot

from backend.client import (
    ApiKeyCredentials,
    Credentials,
    KazooClient,
    TokenCredentials,
    UserCredentials,
)
from tests.conftest import ServerAccess, free_port, kfn, start_serve
from tests.tui.conftest import ready, wait_for
from tui.app import KfnApp
from tui.config import Config
from tui.screens.conflict import ConflictScreen
from tui.screens.dialogs import PromptScreen
from widgets.call_editor import CallEditor
from widgets.callflow_view import CallflowView

pytestmark = pytest.mark.e2e


@dataclass
class Remote(ServerAccess):
    data_dir: Path
    port: int
    child_id: str
    process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process, lines = start_serve(self.data_dir, self.port, "--quiet")
        assert any("serving" in line for line in lines), lines

    def stop(self, signum: int = signal.SIGTERM) -> None:
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signum)
            self.process.wait(10)
        self.process = None

    def create(self, name: str, body: str, account_id: str | None = None) -> str:
        reply = httpx.put(
            self.functions_url(account_id),
            json={"data": {"name": name, "function_js": body}},
            headers={"X-Auth-Token": self.token()},
        )
        assert reply.status_code == 201, reply.text
        return reply.json()["data"]["id"]

    def end_session(self, token: str) -> None:
        """The token stops working now: to its holder, the same 401 as an expired one."""
        reply = httpx.delete(f"{self.url}/v2/token_auth", headers={"X-Auth-Token": token})
        assert reply.status_code == 200, reply.text

    def get(self, function_id: str) -> dict:
        reply = httpx.get(
            f"{self.functions_url()}/{function_id}", headers={"X-Auth-Token": self.token()}
        )
        return reply.json()["data"]


@pytest.fixture
def remote(tmp_path: Path) -> Iterator[Remote]:
    data_dir = tmp_path / "server"
    made = kfn(
        "accounts",
        "create",
        "Acme",
        "--username",
        "alice",
        "--password",
        "s3cret",
        "--json",
        "--data-dir",
        str(data_dir),
    )
    assert made.returncode == 0, made.stderr
    acme = json.loads(made.stdout)
    child = kfn(
        "accounts",
        "create",
        "Acme Child",
        "--parent",
        acme["account_id"],
        "--json",
        "--data-dir",
        str(data_dir),
    )
    assert child.returncode == 0, child.stderr
    port = free_port(start=18600)
    server = Remote(
        url=f"http://127.0.0.1:{port}",
        account_id=acme["account_id"],
        api_key=acme["api_key"],
        data_dir=data_dir,
        port=port,
        child_id=json.loads(child.stdout)["account_id"],
    )
    server.start()
    try:
        yield server
    finally:
        server.stop()


def remote_app(tmp_path: Path, remote: Remote, credentials: Credentials) -> KfnApp:
    return KfnApp(
        config=Config.load(tmp_path / "config"),
        state_dir=tmp_path / "state",
        client=KazooClient(remote.url, credentials, timeout=3),
        server_label=remote.url,
    )


@pytest.mark.parametrize("method", ["api_key", "user", "token"])
async def test_each_auth_method_lists_and_saves(
    tmp_path: Path, remote: Remote, method: str
) -> None:
    function_id = remote.create("remote one", "return {module: 'hangup', data: {}};")
    credentials: Credentials = {
        "api_key": lambda: ApiKeyCredentials(remote.api_key),
        "user": lambda: UserCredentials("alice", "s3cret", "acme"),
        "token": lambda: TokenCredentials(remote.token()),
    }[method]()
    async with remote_app(tmp_path, remote, credentials).run_test(size=(100, 30)) as pilot:
        screen = await ready(pilot)
        assert screen.current.id == function_id and screen.status.server == remote.url
        assert screen.status.account == "Acme"
        screen.editor.text = "return {module: 'hangup', data: {}}; // edited remotely"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: not screen.editor.dirty, what="save")
    assert remote.get(function_id)["function_js"].endswith("// edited remotely")


async def test_expired_token_is_renewed_with_the_api_key(tmp_path: Path, remote: Remote) -> None:
    function_id = remote.create("renew", "return {module: 'hangup', data: {}};")
    app = remote_app(tmp_path, remote, ApiKeyCredentials(remote.api_key))
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await ready(pilot)
        first = app.client.login_info.token
        remote.end_session(first)  # the server's token has expired
        screen.editor.text = "return {module: 'hangup', data: {}}; // after expiry"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: not screen.editor.dirty, what="save after renewal")
        assert app.client.login_info.token != first
        assert not isinstance(app.screen, PromptScreen)  # nobody was asked
    assert remote.get(function_id)["function_js"].endswith("// after expiry")


async def test_an_expired_given_token_asks_and_keeps_the_edit(
    tmp_path: Path, remote: Remote
) -> None:
    function_id = remote.create("ask", "return {module: 'hangup', data: {}};")
    given = remote.token()
    app = remote_app(tmp_path, remote, TokenCredentials(given))
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await ready(pilot)
        remote.end_session(given)
        screen.editor.text = "return {module: 'hangup', data: {}}; // kept"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, PromptScreen), what="the question")
        assert "new auth token" in app.screen.question
        assert screen.editor.text.endswith("// kept")
        app.screen.query_one("Input").value = remote.token()
        await pilot.press("enter")
        await wait_for(pilot, lambda: not screen.editor.dirty, what="save with the new token")
    assert remote.get(function_id)["function_js"].endswith("// kept")


async def test_a_refused_token_at_start_is_asked_for_on_the_screen(
    tmp_path: Path, remote: Remote
) -> None:
    # The first list is fetched before the screen is shown, where no one can be asked: the
    # refusal waits for the screen, which asks, then lists.
    remote.create("after asking", "return {module: 'hangup', data: {}};")
    app = remote_app(tmp_path, remote, TokenCredentials("0" * 32))
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, PromptScreen), what="the question")
        assert "new auth token" in app.screen.question
        app.screen.query_one("Input").value = remote.token()
        await pilot.press("enter")
        screen = await ready(pilot)
        assert any(e.name == "after asking" for e in screen.functions.entries.values())


async def test_a_malformed_api_key_at_start_is_asked_for_again(
    tmp_path: Path, remote: Remote
) -> None:
    # A key cut short in a paste is refused by KAZOO's schema (400), not as unknown (404):
    # the app asks for the key instead of only saying so.
    remote.create("after asking", "return {module: 'hangup', data: {}};")
    app = remote_app(tmp_path, remote, ApiKeyCredentials(remote.api_key[:40]))
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(
            pilot,
            lambda: isinstance(app.screen, PromptScreen) and app.screen.query("Input"),
            what="the question, with its input",
        )
        assert "not an API key" in app.screen.question and "64 characters" in app.screen.question
        app.screen.query_one("Input").value = remote.api_key
        await pilot.press("enter")
        screen = await ready(pilot)
        assert any(e.name == "after asking" for e in screen.functions.entries.values())


async def test_switching_account(tmp_path: Path, remote: Remote) -> None:
    remote.create("parent fn", "return {module: 'hangup', data: {}};")
    child_fn = remote.create("child fn", "return {module: 'hangup', data: {}};", remote.child_id)
    app = remote_app(tmp_path, remote, ApiKeyCredentials(remote.api_key))
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await ready(pilot)
        accounts = await app.client.accounts()
        assert [account.name for account in accounts] == ["Acme", "Acme Child"]
        screen.connect(remote.child_id)
        await wait_for(pilot, lambda: screen.account_id == remote.child_id)
        await wait_for(pilot, lambda: set(screen.functions.entries) == {child_fn})
        assert screen.status.account == "Acme Child"


async def test_conflict_against_a_remote_server(tmp_path: Path, remote: Remote) -> None:
    function_id = remote.create("shared", "return {module: 'hangup', data: {}};")
    app = remote_app(tmp_path, remote, ApiKeyCredentials(remote.api_key))
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await ready(pilot)
        screen.editor.text = "return {module: 'hangup', data: {}}; // mine"
        reply = httpx.patch(
            f"{remote.functions_url()}/{function_id}",
            json={"data": {"function_js": "return {module: 'hangup', data: {}}; // theirs"}},
            headers={"X-Auth-Token": remote.token()},
        )
        assert reply.status_code == 200
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, ConflictScreen))
        await pilot.press("M")  # keep all mine
        await wait_for(pilot, lambda: not screen.editor.dirty)
    assert remote.get(function_id)["function_js"].endswith("// mine")


async def test_server_killed_mid_save_then_restarted(tmp_path: Path, remote: Remote) -> None:
    function_id = remote.create("fragile", "return {module: 'hangup', data: {}};")
    app = remote_app(tmp_path, remote, ApiKeyCredentials(remote.api_key))
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await ready(pilot)
        screen.editor.text = "return {module: 'hangup', data: {}}; // survives"
        assert remote.process is not None
        os.kill(remote.process.pid, signal.SIGSTOP)  # the save will hang on a frozen server...
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: screen.status.activity == "saving…")
        remote.stop(signal.SIGKILL)  # ...which then dies under it
        await wait_for(
            pilot,
            lambda: any("Not saved" in (n.title or "") for n in app._notifications),
            what="the failure notice",
        )
        assert screen.editor.dirty and screen.editor.text.endswith("// survives")
        assert screen.local.draft(function_id)["text"].endswith("// survives")
        remote.start()  # same port, same data dir
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: not screen.editor.dirty, timeout=15, what="the retried save")
    assert remote.get(function_id)["function_js"].endswith("// survives")


async def test_toggle_and_delete_remotely(tmp_path: Path, remote: Remote) -> None:
    keep = remote.create("keep", "return {module: 'hangup', data: {}};")
    gone = remote.create("gone", "return {module: 'hangup', data: {}};")
    app = remote_app(tmp_path, remote, ApiKeyCredentials(remote.api_key))
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await ready(pilot)
        screen.functions.select(keep)
        screen.functions.options.focus()
        await pilot.press("e")
        await wait_for(pilot, lambda: not screen.functions.entries[keep].enabled)
        screen.functions.select(gone)
        await pilot.press("x")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "ConfirmScreen")
        await pilot.press("y")
        await wait_for(pilot, lambda: gone not in screen.functions.entries)
    assert remote.get(keep)["enabled"] is False
    reply = httpx.get(f"{remote.functions_url()}/{gone}", headers={"X-Auth-Token": remote.token()})
    assert reply.status_code == 404


async def test_callflow_simulation_uses_the_servers_functions(
    tmp_path: Path, remote: Remote
) -> None:
    # The sample callflow "main_number" starts with the function "business_hours".
    reply = httpx.put(
        remote.functions_url(),
        json={
            "data": {
                "id": "business_hours",
                "name": "remote hours",
                "function_js": "return {module: 'play', data: {id: 'from-remote'}};",
            }
        },
        headers={"X-Auth-Token": remote.token()},
    )
    assert reply.status_code == 201, reply.text
    app = remote_app(tmp_path, remote, ApiKeyCredentials(remote.api_key))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await ready(pilot)
        screen.work.test_pane.active = "callflow"
        view = screen.query_one(CallflowView)
        await wait_for(pilot, lambda: "main_number" in view.callflows)
        view.choose("main_number")
        await pilot.press("f5")
        await wait_for(pilot, lambda: bool(view.steps), what="the simulation")
        assert view.steps[0]["outcome"] == "branched"
        assert view.steps[1]["module"] == "play" and view.steps[1]["data"]["id"] == "from-remote"


async def walk(pilot: Pilot, call: str, callflow: str) -> CallflowView:
    """In the app on the remote server: pick `call`, walk `callflow` on the Callflow tab."""
    screen = await ready(pilot)
    screen.query_one(CallEditor).choose(call)
    screen.work.test_pane.active = "callflow"
    view = screen.query_one(CallflowView)
    await wait_for(pilot, lambda: callflow in view.callflows)
    view.choose(callflow)
    await pilot.press("f5")
    await wait_for(pilot, lambda: screen.runner.last_simulation is not None, what="the walk")
    return view


async def test_callflow_simulation_walks_the_servers_callflows(
    tmp_path: Path, remote: Remote
) -> None:
    # "screening" sends a local caller to the callflow c0ffee…; the server has its own.
    remote.create("something to open", "return {module: 'hangup', data: {}};")
    reply = httpx.put(
        remote.functions_url().replace("/functions", "/callflows"),
        json={
            "data": {
                "id": "c0ffee00c0ffee00c0ffee00c0ffee00",
                "name": "Front desk on the server",
                "numbers": ["7000"],
                "flow": {"module": "tts", "data": {"text": "served by the server"}},
            }
        },
        headers={"X-Auth-Token": remote.token()},
    )
    assert reply.status_code == 201, reply.text
    app = remote_app(tmp_path, remote, ApiKeyCredentials(remote.api_key))
    async with app.run_test(size=(120, 40)) as pilot:
        view = await walk(pilot, "sample:known_caller", "screening")
        assert [step["module"] for step in view.steps] == ["check_cid", "callflow", "tts"]
        assert view.steps[2]["data"]["text"] == "served by the server"
        # The picker now offers the server's callflow too.
        assert "Front desk on the server" in view.callflows


async def test_callflow_simulation_reads_the_servers_match_lists(
    tmp_path: Path, remote: Remote
) -> None:
    # The sample "vip_line" checks the caller against the list vip_numbers; on this server the
    # list holds the unknown caller's area code, which the sample list does not.
    remote.create("something to open", "return {module: 'hangup', data: {}};")
    lists = remote.functions_url().replace("/functions", "/lists")
    headers = {"X-Auth-Token": remote.token()}
    made = httpx.put(lists, json={"data": {"id": "vip_numbers", "name": "VIP"}}, headers=headers)
    assert made.status_code == 201, made.text
    entry = {"data": {"prefix": "1312"}}
    assert httpx.put(f"{lists}/vip_numbers/entries", json=entry, headers=headers).is_success
    app = remote_app(tmp_path, remote, ApiKeyCredentials(remote.api_key))
    async with app.run_test(size=(120, 40)) as pilot:
        view = await walk(pilot, "sample:unknown_caller", "vip_line")
        assert view.steps[0]["module"] == "cidlistmatch" and view.steps[0]["child"] == "match"
        assert view.steps[1]["module"] == "ring_group"
