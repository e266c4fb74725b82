"""Command palette (ctrl+p): open a function, run with a call, simulate a callflow, switch
account, and the actions of the footer. Textual adds its own (theme, quit, keys)."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, cast

from textual.command import DiscoveryHit, Hit, Hits, Provider

from backend.client import ApiError
from widgets.function_list import ListAction

if TYPE_CHECKING:
    from tui.app import KfnApp
    from tui.screens.main import MainScreen


class KfnCommands(Provider):
    async def startup(self) -> None:
        self.accounts: list[tuple[str, str]] = []
        screen = self.main_screen
        if screen is None:
            return
        try:
            self.accounts = [(a.id, a.name) for a in await screen.client.accounts()]
        except ApiError:
            self.accounts = []

    @property
    def kfn_app(self) -> KfnApp:
        return cast("KfnApp", self.app)

    @property
    def main_screen(self) -> MainScreen | None:
        from tui.screens.main import MainScreen

        for screen in self.app.screen_stack:
            # Until its work area is mounted (a moment after the list shows), it offers nothing.
            if isinstance(screen, MainScreen) and screen.work_area_ready:
                return screen
        return None

    def commands(self) -> list[tuple[str, object, str]]:
        screen = self.main_screen
        if screen is None:
            return []
        found: list[tuple[str, object, str]] = [
            ("New function", screen.action_new, "create a function in this account · ctrl+n"),
            ("Save", screen.action_save, "save the function in the editor · ctrl+s"),
            ("Run", screen.action_run, "run the function with the selected call · ctrl+r, F5"),
            (
                "Copy result",
                screen.work.result_view.action_copy_result,
                "copy the returned JSON to the clipboard (OSC 52) · c in Result",
            ),
            (
                "Revert to the server's version",
                screen.action_revert,
                "drop the unsaved edits of the open function · alt+u",
            ),
            (
                "Go to line",
                partial(screen.action_dialog, "goto_line"),
                "move the editor's cursor to a line · ctrl+g",
            ),
            (
                "Find",
                partial(screen.action_dialog, "find"),
                "find text in the editor · ctrl+f, F3 next",
            ),
            (
                "Find and replace",
                partial(screen.action_dialog, "replace"),
                "replace every occurrence · F6",
            ),
            (
                "Import sample functions",
                self.import_samples,
                "copy kfn's sample functions into this account",
            ),
            ("Reload functions", self.reload, "list the account's functions again"),
            (
                "Connect to a server…",
                self.kfn_app.open_connect,
                "a KAZOO or another kfn, saved as a profile",
            ),
        ]
        app = self.kfn_app
        if app.embedded is not None and not app.on_local:
            found.append(
                (
                    "Back to the local server",
                    app.back_to_local,
                    "the embedded kfn this app started with",
                )
            )
        for name in sorted(app.config.profiles):
            found.append(
                (
                    f"Connect to profile: {name}",
                    partial(app.open_connect, name),
                    "a server saved by the connect screen",
                )
            )
        current = screen.current
        if current is not None:
            pivot = screen.target == "pivot"
            found.append(
                (
                    "Meant for KAZOO's function module (ES5)"
                    if pivot
                    else "Meant for Pivot (ES2020)",
                    screen.toggle_target,
                    "where the open function runs: its checks and verdicts follow",
                )
            )
            found.append(
                (
                    "Run this function's test cases",
                    screen.run_cases,
                    "its NAME.test.json beside it (kfn test), against the editor's text",
                )
            )
            found.append(
                (
                    "Copy the Pivot URL",
                    partial(self.copy_pivot, "voice_url"),
                    "the open function's URL for a KAZOO pivot node (OSC 52) · u in Live",
                )
            )
            found.append(
                (
                    "Copy the Pivot callflow node",
                    partial(self.copy_pivot, "callflow_node"),
                    "the pivot node to paste into a KAZOO callflow (OSC 52) · n in Live",
                )
            )
            for label, action, keys in (
                (
                    "Rename",
                    ListAction.RENAME,
                    "give the open function a new name · r, F2 in the list",
                ),
                ("Duplicate", ListAction.DUPLICATE, "copy the open function · c in the list"),
                (
                    "Enable or disable",
                    ListAction.TOGGLE,
                    "turn the open function on or off · e in the list",
                ),
                (
                    "Delete",
                    ListAction.DELETE,
                    "delete the open function (asks first) · x in the list",
                ),
            ):
                found.append(
                    (
                        f"{label} the open function",
                        partial(screen.list_action, action, current.id),
                        keys,
                    )
                )
        for entry in screen.functions.entries.values():
            found.append(
                (
                    f"Open function: {entry.name or entry.id}",
                    partial(screen.open_function, entry.id),
                    f"open it in the editor · id {entry.id}",
                )
            )
        call_editor = screen.work.call_editor
        for name in sorted(call_editor.saved):
            found.append(
                (
                    f"Run with call: ★ {name}",
                    partial(self.run_with, f"saved:{name}"),
                    "run the function with this saved test call",
                )
            )
        for name in sorted(call_editor.samples):
            found.append(
                (
                    f"Run with call: {name}",
                    partial(self.run_with, f"sample:{name}"),
                    "run the function with this sample call",
                )
            )
        for name in sorted(screen.work.callflow_view.callflows):
            found.append(
                (
                    f"Simulate callflow: {name}",
                    partial(self.simulate, name),
                    "walk this callflow as KAZOO would, with the selected call",
                )
            )
        for account_id, name in self.accounts:
            found.append(
                (
                    f"Switch account: {name}",
                    partial(screen.connect, account_id),
                    f"list that account's functions · id {account_id}",
                )
            )
        return found

    async def run_with(self, key: str) -> None:
        screen = self.main_screen
        if screen is not None:
            screen.work.call_editor.choose(key)
            screen.work.test_pane.active = "result"
            await screen.action_run()

    async def simulate(self, name: str) -> None:
        screen = self.main_screen
        if screen is not None:
            screen.work.callflow_view.choose(name)
            screen.work.test_pane.active = "callflow"
            await screen.action_run()

    async def copy_pivot(self, part: str) -> None:
        screen = self.main_screen
        if screen is not None:
            await screen.live.refresh()
            screen.live.copy(part)

    def reload(self) -> None:
        screen = self.main_screen
        if screen is not None:
            screen.connect(screen.account_id)

    def import_samples(self) -> None:
        screen = self.main_screen
        if screen is not None:
            screen.import_samples()

    async def discover(self) -> Hits:
        for name, callback, help_text in self.commands()[:8]:
            yield DiscoveryHit(name, callback, help=help_text)  # type: ignore[arg-type]

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, callback, help_text in self.commands():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), callback, help=help_text)  # type: ignore[arg-type]
