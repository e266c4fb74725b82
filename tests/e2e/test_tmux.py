"""The real `kfn` in a real terminal (tmux): create a function, type a body, run it against a
sample call, see the result, save, quit, and find the terminal restored."""

from __future__ import annotations

import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from backend.api.server import Backend
from backend.store import DataDirLocked
from tests.conftest import REPO, FakeServer, free_port, start_pivot, start_serve

pytestmark = pytest.mark.e2e


class Tmux:
    def __init__(self, socket_name: str) -> None:
        self.socket_name = socket_name

    def __call__(self, *args: str) -> str:
        done = subprocess.run(
            ["tmux", "-L", self.socket_name, "-f", "/dev/null", *args],
            capture_output=True,
            text=True,
            timeout=20,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    def screen(self) -> str:
        return self("capture-pane", "-p", "-t", "kfn")

    def wait_for(self, *needles: str, timeout: float = 30) -> str:
        deadline = time.monotonic() + timeout
        while True:
            text = self.screen()
            if all(needle in text for needle in needles):
                return text
            if time.monotonic() > deadline:
                raise AssertionError(f"never saw {needles!r} on screen:\n{text}")
            time.sleep(0.2)

    def wait_styled(self, holds: Callable[[str], bool], what: str, timeout: float = 30) -> None:
        """Wait until the screen with its colours (capture-pane -e) satisfies `holds`: where
        the text alone cannot tell, e.g. which field has the cursor."""
        deadline = time.monotonic() + timeout
        while not holds(self("capture-pane", "-e", "-p", "-t", "kfn")):
            if time.monotonic() > deadline:
                raise AssertionError(f"never saw {what} on screen:\n{self.screen()}")
            time.sleep(0.1)

    def wait_gone(self, needle: str, timeout: float = 30) -> str:
        deadline = time.monotonic() + timeout
        while needle in (text := self.screen()):
            if time.monotonic() > deadline:
                raise AssertionError(f"{needle!r} stayed on screen:\n{text}")
            time.sleep(0.2)
        return text

    def keys(self, *keys: str) -> None:
        self("send-keys", "-t", "kfn", *keys)

    def type(self, text: str) -> None:
        self("send-keys", "-t", "kfn", "-l", text)


@pytest.fixture
def tmux(tmp_path: Path) -> Iterator[Tmux]:
    assert shutil.which("tmux"), "tmux is required (.ci/run installs it)"
    session = Tmux(f"kfn-test-{os.getpid()}-{tmp_path.name}")
    session("new-session", "-d", "-s", "kfn", "-x", "100", "-y", "30", "sh")
    try:
        yield session
    finally:
        subprocess.run(["tmux", "-L", session.socket_name, "kill-server"], capture_output=True)


def launch(
    tmux: Tmux, tmp_path: Path, args: list[str], *expect: str, wrapper: tuple[str, ...] = (),
    **extra_env: str,
) -> None:  # fmt: skip
    """Type the `kfn` command (after `wrapper`, if given) into the tmux shell; after it exits,
    print its status and tty modes."""
    env = {
        "KFN_DATA_DIR": str(tmp_path / "data"),
        "KFN_CONFIG_DIR": str(tmp_path / "config"),
        "TERM": "xterm-256color",
        **extra_env,
    }
    assignments = " ".join(f"{key}={shlex.quote(value)}" for key, value in env.items())
    command = (
        f"cd {shlex.quote(str(REPO))} && env {assignments} {shlex.join(wrapper)} "
        f"{shlex.quote(sys.executable)} "
        f"-m tui.cli {shlex.join(args)}; echo KFN-EXIT=$?; "
        "stty -a | tr ' ;' '\\n\\n' | grep -x -e -icanon -e icanon -e -echo -e echo"
    )
    tmux.type(command)
    tmux.keys("Enter")
    tmux.wait_for("Functions", *expect)


def assert_restored(screen: str) -> None:
    assert "Functions" not in screen  # the alternate screen is gone
    modes = screen.rsplit("KFN-EXIT=", 1)[1].split()
    assert "icanon" in modes and "echo" in modes  # the terminal is back in cooked mode
    assert "-icanon" not in modes and "-echo" not in modes


def create_run_save_quit(tmux: Tmux) -> None:
    """The new user's first minutes: a function, a body, a run, a save, and out."""
    tmux.keys("C-n")
    tmux.wait_for("Name of the new function")
    tmux.type("tmux fn")
    tmux.keys("Enter")
    tmux.wait_for("tmux fn", "Created tmux fn")

    tmux.keys("F7")  # select the template body, then type over it
    tmux.type("return {module: 'tts', data: {text: 'hi from tmux'}};")
    tmux.wait_for("tmux fn ●")
    tmux.keys("F5")
    tmux.wait_for("valid flow · KAZOO would branch into it")  # the verdict, under the editor
    tmux.keys("M-r")  # the Result tab takes the focus and grows: the returned flow shows
    tmux.wait_for('"hi from tmux"')
    tmux.keys("M-e")

    tmux.keys("C-s")
    tmux.wait_for("Saved tmux fn")
    tmux.keys("C-q")
    assert_restored(tmux.wait_for("KFN-EXIT=0", "\necho"))


@pytest.mark.parametrize(
    "terminal",
    [
        {},
        # A 16-colour terminal: everything must still be there and readable.
        {"TERM": "xterm", "TEXTUAL_COLOR_SYSTEM": "standard"},
    ],
    ids=["256-colours", "16-colours"],
)
def test_kfn_in_a_real_terminal(tmux: Tmux, tmp_path: Path, terminal: dict[str, str]) -> None:
    port = free_port(start=18400)
    launch(
        tmux, tmp_path, ["--port", str(port)], "Blocklist hangup", f"127.0.0.1:{port}", **terminal
    )
    create_run_save_quit(tmux)
    backend = Backend.open(tmp_path / "data")  # the app released the data dir; the save is on disk
    try:
        saved = [doc for _, doc in backend.store.all("functions") if doc.get("name") == "tmux fn"]
        assert saved and "hi from tmux" in saved[0]["function_js"]
    finally:
        backend.close()


def test_kfn_in_a_real_terminal_against_a_remote_server(tmux: Tmux, tmp_path: Path) -> None:
    port = free_port(start=18500)
    server, lines = start_serve(tmp_path / "server", port, "--quiet")
    try:
        created = next(line for line in lines if "created the local account" in line)
        api_key = created.rsplit(" ", 1)[-1].strip(" )\n")
        url = f"http://127.0.0.1:{port}"
        token = httpx.put(f"{url}/v2/api_auth", json={"data": {"api_key": api_key}}).json()
        account_id = token["data"]["account_id"]
        headers = {"X-Auth-Token": token["auth_token"]}
        functions = f"{url}/v2/accounts/{account_id}/functions"
        seed = {
            "data": {"name": "Remote seed", "function_js": "return {module: 'hangup', data: {}};"}
        }
        assert httpx.put(functions, json=seed, headers=headers).status_code == 201
        launch(tmux, tmp_path, ["--server", url, "--api-key", api_key], "Remote seed", url)
        create_run_save_quit(tmux)
        listed = httpx.get(functions, headers=headers).json()["data"]
        saved = [item for item in listed if item["name"] == "tmux fn"]
        assert saved and "hi from tmux" in saved[0]["function_js"]
    finally:
        server.terminate()
        server.wait(10)


def test_the_live_tab_shows_a_kazoo_call_answered_by_a_kfn_pivot_instance(
    tmux: Tmux, tmp_path: Path, fake_kazoo: FakeServer
) -> None:
    """The production path as an engineer walks it: a `kfn pivot` in front of the KAZOO, the
    app on the KAZOO told of it, a call as KAZOO's pivot_call sends it, and the Live tab."""
    from backend.pivot.signing import SigningKeyFile
    from tests.pivot.instances import FUNCTION, key_file, with_function

    fake = fake_kazoo.fake
    with_function(fake)
    port = free_port(start=18520)
    keys = key_file(tmp_path)
    instance, _said = start_pivot(
        tmp_path / "pivot-data",
        "--server", fake_kazoo.url, "--api-key", fake.api_key, "--signing-key", str(keys),
        "--public-url", "https://pivot.example.net", "--calls-file", str(tmp_path / "calls.json"),
        "--port", str(port), "--quiet",
    )  # fmt: skip
    try:
        launch(tmux, tmp_path, ["--server", fake_kazoo.url, "--api-key", fake.api_key,
                                "--pivot-instance", f"http://127.0.0.1:{port}"], "hello")  # fmt: skip
        tmux.keys("M-v")
        tmux.wait_for("Pivot URL", "https://pivot.example.net/pivot/")
        secret = SigningKeyFile(keys).current().secret(fake.account_id, FUNCTION)
        answered = httpx.get(
            f"http://127.0.0.1:{port}/pivot/{fake.account_id}/{FUNCTION}/{secret}",
            params={"Caller-ID-Number": "+14155550123", "Request": "2000", "Call-ID": "e2e-1"},
        )  # fmt: skip
        assert answered.status_code == 200, answered.text
        tmux.wait_for("200 valid", "+14155550123→2000")
        tmux.keys("s")
        tmux.wait_for("Kept the call")
        tmux.keys("C-q")
        assert_restored(tmux.wait_for("KFN-EXIT=0", "\necho"))
    finally:
        instance.terminate()
        instance.wait(10)


@pytest.mark.parametrize("signal_name", ["TERM", "INT", "HUP"])
def test_a_signal_stops_the_server_and_restores_the_terminal(
    tmux: Tmux, tmp_path: Path, signal_name: str
) -> None:
    port = free_port(start=18450)
    launch(tmux, tmp_path, ["--port", str(port)], "Blocklist hangup", f"127.0.0.1:{port}")
    found = subprocess.run(
        ["pgrep", "-f", f"tui.cli --port {port}"], capture_output=True, text=True, check=True
    )
    for pid in found.stdout.split():
        os.kill(int(pid), getattr(signal, f"SIG{signal_name}"))
    assert_restored(tmux.wait_for("KFN-EXIT=0", "\necho"))
    with socket.socket() as probe:  # nothing listens on the API port any more
        assert probe.connect_ex(("127.0.0.1", port)) != 0


@pytest.mark.parametrize("wrapper", [(), ("setsid", "-w")], ids=["a-hangup-signal", "no-signal"])
def test_a_terminal_that_goes_away_ends_kfn_keeping_the_draft(
    tmux: Tmux, tmp_path: Path, wrapper: tuple[str, ...]
) -> None:
    """A closed SSH session or terminal window: kfn gets SIGHUP once the shell has gone, or,
    in a session of its own (or under `make run`, where make waits for it), nothing at all
    while Textual's input thread spins on the dead terminal. Either way kfn ends: the draft is
    on disk and the data dir is free (tui/terminal_watch.py)."""
    port = free_port(start=18470)
    launch(tmux, tmp_path, ["--port", str(port)], "// name: Blocklist hangup", wrapper=wrapper)
    tmux.keys("M-e")  # the editor has the keys
    tmux.type("// typed, never saved ")
    tmux.wait_for("// typed, never saved")
    tmux("kill-server")  # the terminal is gone

    def running() -> bool:
        found = subprocess.run(["pgrep", "-f", f"tui.cli --port {port}"], capture_output=True)
        return found.returncode == 0

    deadline = time.monotonic() + 20
    while running():
        assert time.monotonic() < deadline, "kfn outlived its terminal"
        time.sleep(0.2)
    drafts = (tmp_path / "data" / "app" / "drafts.json").read_text()
    assert "// typed, never saved" in drafts
    # The data dir is let go: an exiting process is gone from pgrep (its memory freed) a moment
    # before its files, and their lock, are closed.
    while True:
        try:
            Backend.open(tmp_path / "data").close()
            break
        except DataDirLocked:
            assert time.monotonic() < deadline, "the data dir stayed locked"
            time.sleep(0.1)


def test_direct_keys_through_tmux_at_80x24(tmux: Tmux, tmp_path: Path) -> None:
    """alt+digit and alt+letter as tmux sends them (ESC then the key): each reaches its pane,
    and dialling a number in the Callflow tab walks the callflow that answers it."""
    tmux("resize-window", "-t", "kfn", "-x", "80", "-y", "24")
    port = free_port(start=18450)
    launch(tmux, tmp_path, ["--port", str(port)], "Blocklist hangup")
    tmux.keys("M-w")
    tmux.wait_for("dial…")
    tmux.keys("Tab")  # from the picker to the dial field; type once the cursor is in it
    tmux.wait_styled(lambda styled: "ial…" in styled and "dial…" not in styled, "the cursor")
    tmux.type("2101")
    tmux.keys("Enter")
    tmux.wait_for("ring_group stopped", "after the bridge KAZOO stops")
    tmux.keys("M-x")  # the test pane fills the screen
    assert "ring_group stopped" in tmux.wait_gone("Functions")
    tmux.keys("M-x")  # and back
    tmux.wait_for("Functions", "Callflow")
    tmux.keys("M-r")
    tmux.wait_for("Functions", "See the Callflow tab for the simulated path")
    tmux.keys("M-e", "F5")  # back in the editor: F5 runs the function, the Result tab shows it
    tmux.wait_for("KAZOO would branch into it")
    tmux.keys("M-l")
    tmux.type("/")  # the list has the focus: / filters it
    tmux.wait_for("filter", "Blocklist hangup")
    tmux.keys("Escape", "C-q")
    assert_restored(tmux.wait_for("KFN-EXIT=0", "\necho"))


@pytest.fixture
def busy_machine() -> Iterator[None]:
    """Every core kept busy, as on a loaded build machine, for the length of a test."""
    spinners = [
        subprocess.Popen([sys.executable, "-c", "while True: pass"])
        for _ in range(os.cpu_count() or 2)
    ]
    try:
        yield
    finally:
        for spinner in spinners:
            spinner.kill()
            spinner.wait()


def test_keys_typed_right_after_dialogs_on_a_loaded_machine(
    tmux: Tmux, tmp_path: Path, busy_machine: None
) -> None:
    """Go to line and find, each followed at once by typing (one burst of keys, as a fast
    typist sends them): every key lands where it was meant to, and the save holds them all."""
    from tui.screens.function_actions import NEW_FUNCTION_BODY

    tmux("resize-window", "-t", "kfn", "-x", "80", "-y", "24")
    port = free_port(start=18460)
    launch(tmux, tmp_path, ["--port", str(port)], "Blocklist hangup")
    tmux.keys("C-n")
    tmux.wait_for("Name of the new function")
    tmux.type("burst")
    tmux.keys("Enter")
    tmux.wait_for("Created burst")
    tmux.keys("C-g", "3", "Enter", "A", "B", "C", "D", "E", "F")
    tmux.keys("C-f", "H", "e", "l", "l", "o", "Enter", "Right", "Space", "d", "e", "a", "r")
    tmux.keys("C-s")
    tmux.wait_for("Saved burst")
    tmux.keys("C-q")
    assert_restored(tmux.wait_for("KFN-EXIT=0", "\necho"))
    lines = NEW_FUNCTION_BODY.splitlines(keepends=True)
    lines[2] = "ABCDEF" + lines[2]
    expected = "".join(lines).replace("'Hello ", "'Hello dear ")
    backend = Backend.open(tmp_path / "data")
    try:
        saved = [doc for _, doc in backend.store.all("functions") if doc.get("name") == "burst"]
        assert saved and saved[0]["function_js"] == expected
    finally:
        backend.close()
