"""The app's work on one server, without Textual: saving a function (every kind of save has the
same three outcomes besides a failure), keeping drafts off the event loop, and what a callflow
walk reads (the account's functions, with the editor's text for the open one, and its
callflows, rules, menus and lists over the samples).

The screen shows what these return; it never catches client errors itself for a save. Tests
drive this module with the real client and server, no Pilot.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from backend.client import ApiError, ConflictError, KazooClient, NotFoundError, Revisioned
from tui.local_state import LocalState
from tui.pivot_instances import PivotInstances, PivotView

if TYPE_CHECKING:  # the walk's modules load on the first walk, not at start-up
    from backend.callflow.evaluate import Evaluation
    from backend.callflow.sources import Documents, MappingSource
    from backend.cases import CaseResult

# Runs one client request; the screen's version asks for credentials when a session cannot be
# renewed on its own. The default just awaits it.
Caller = Callable[[Callable[[], Awaitable[Any]]], Awaitable[Any]]


async def _direct(request: Callable[[], Awaitable[Any]]) -> Any:
    return await request()


@dataclass(frozen=True)
class Saved:
    doc: Revisioned


@dataclass(frozen=True)
class Conflict:
    """The server moved on since `revision` was loaded; `theirs` is what it has now."""

    theirs: Revisioned


@dataclass(frozen=True)
class Gone:
    """The function was deleted on the server."""


@dataclass(frozen=True)
class SaveFailed:
    message: str  # one sentence a person can act on, from the client's error


SaveOutcome = Saved | Conflict | Gone | SaveFailed


class Workspace:
    def __init__(
        self, client: KazooClient, local: LocalState, call: Caller = _direct,
        cases_folder: Path | None = None, pivot_instances: Sequence[str] = (),
    ) -> None:  # fmt: skip
        self.client = client
        self.local = local
        self.call = call
        self.pivot_instances = PivotInstances(pivot_instances, client)
        self.account_id = ""
        # Where a directory `kfn pull` wrote may be (kfn started in it): the test cases of the
        # functions its manifest lists are there.
        self.cases_folder = cases_folder

    # -- test cases beside pulled functions (kfn test) -------------------------------------------
    def case_file(self, function_id: str) -> Path | None:
        from backend.cases import case_file_for

        return case_file_for(self.cases_folder, function_id) if self.cases_folder else None

    async def record_case(
        self, function_id: str, name: str, call: dict[str, Any], body: str, target: str
    ) -> Path | None:
        """Add the call as a case of the function's test file, expecting what the body does
        now (as `kfn test --update` would); None when the function was not pulled here."""
        test_file = self.case_file(function_id)
        if test_file is None:
            return None

        def record() -> None:
            from backend.callflow.evaluate import evaluate
            from backend.cases import actual_of, add_case

            add_case(test_file, name, call, actual_of(evaluate(body, call), target))

        await asyncio.to_thread(record)
        return test_file

    async def run_cases(self, function_id: str, body: str, target: str) -> list[CaseResult] | None:
        """The function's cases, run against `body` (the editor's text); None if it has none."""
        test_file = self.case_file(function_id)
        if test_file is None or not test_file.exists():
            return None
        from backend.cases import run_cases

        return await asyncio.to_thread(
            run_cases, [test_file], body_for=lambda _f: (body, target), target=target
        )

    async def save(
        self, function_id: str, data: dict[str, Any], revision: str | None
    ) -> SaveOutcome:
        """Save `data` over `revision`: the one save behind ctrl+s, "keep mine", rename and
        enable/disable."""
        account_id = self.account_id
        try:
            saved = await self.call(
                lambda: self.client.save_function(account_id, function_id, data, revision)
            )
        except ConflictError:
            return await self._theirs(function_id)
        except NotFoundError:
            return Gone()
        except ApiError as exc:
            return SaveFailed(str(exc))
        return Saved(saved)

    async def _theirs(self, function_id: str) -> SaveOutcome:
        account_id = self.account_id
        try:
            theirs = await self.call(lambda: self.client.get_function(account_id, function_id))
        except NotFoundError:
            return Gone()  # changed, then deleted
        except ApiError as exc:
            return SaveFailed(str(exc))
        return Conflict(theirs)

    # -- the other operations: each raises ApiError, one sentence a person can act on ----------
    async def list_functions(self) -> tuple[list[dict[str, Any]], set[str]]:
        """The account's function summaries, and the ids among them that have a draft here."""
        account_id = self.account_id
        items = await self.call(lambda: self.client.list_functions(account_id, page_size=1000))
        return items, self.local.drafted_ids()

    async def load(self, function_id: str) -> Revisioned:
        account_id = self.account_id
        loaded: Revisioned = await self.call(
            lambda: self.client.get_function(account_id, function_id)
        )
        return loaded

    async def create(self, data: dict[str, Any]) -> Revisioned:
        account_id = self.account_id
        created: Revisioned = await self.call(lambda: self.client.create_function(account_id, data))
        return created

    async def duplicate(self, loaded: Revisioned) -> Revisioned:
        """A new function with `loaded`'s fields, named "<name> copy"."""
        copy = {key: value for key, value in loaded.data.items() if key != "id"}
        copy["name"] = f"{loaded.data.get('name') or loaded.id} copy"
        return await self.create(copy)

    async def delete(self, function_id: str) -> None:
        """Delete it on the server, and its draft here (its test calls and runs stay: a function
        created again under the same id is rare, and they are small)."""
        account_id = self.account_id
        await self.call(lambda: self.client.delete_function(account_id, function_id))
        self.local.drop_draft(function_id)

    async def pivot(self, function_id: str) -> PivotView:
        """The function's Pivot URL and node and its recent production calls, newest first:
        from the `kfn pivot` instances when the app was given them, else from the server. A
        server without kfn's Pivot routes (a KAZOO) raises NotFoundError."""
        account_id = self.account_id
        if self.pivot_instances:
            return await self.pivot_instances.read(account_id, function_id)
        described = await self.call(lambda: self.client.pivot_description(account_id, function_id))
        calls = await self.call(lambda: self.client.pivot_invocations(account_id, function_id))
        return PivotView(described, calls)

    async def update_fields(self, loaded: Revisioned, changes: dict[str, Any]) -> SaveOutcome:
        """Change some fields (a rename, enable/disable) of the function as `loaded`. If it
        changed on the server since, but not in these fields, the change is made on the
        server's version instead: nobody's edit is lost and nobody need be asked. A conflict
        is returned only when the other edit touched the same fields."""
        outcome = await self.save(loaded.id, {**loaded.data, **changes}, loaded.revision)
        if not isinstance(outcome, Conflict):
            return outcome
        theirs = outcome.theirs
        if any(theirs.data.get(key) != loaded.data.get(key) for key in changes):
            return outcome
        return await self.save(theirs.id, {**theirs.data, **changes}, theirs.revision)

    async def function_source(self, open_id: str | None, editor_text: str) -> MappingSource:
        """The account's functions as a walk runs them; the open one (`open_id`) with the
        editor's text, saved or not. Raises ApiError when they cannot be listed."""
        from backend.callflow.sources import FunctionDoc, MappingSource

        account_id = self.account_id
        items = await self.call(lambda: self.client.list_functions(account_id, page_size=1000))
        docs = {
            str(item["id"]): FunctionDoc(
                str(item["id"]),
                editor_text if item["id"] == open_id else str(item.get("function_js", "")),
                str(item.get("name", "")),
                item.get("enabled", True) is not False,
                account_id=account_id,
            )
            for item in items
            if item.get("id")
        }
        return MappingSource(docs)

    async def walk_documents(self) -> tuple[Documents, dict[str, dict[str, Any]]]:
        """What callflow nodes, menus and lookups find: the account's own documents (so a real
        KAZOO's in remote mode) over the samples; and the account's callflows by id."""
        from backend.callflow.sources import Documents

        account_id = self.account_id
        try:
            found = await self.call(lambda: self.client.walk_documents(account_id))
        except ApiError:  # no access to any of them: the samples only
            found = {}
        samples = Documents.samples()
        server = found.get("callflows", {})
        documents = Documents(
            callflows={**samples.callflows, **server},
            menus={**samples.menus, **found.get("menus", {})},
            temporal_rules={**samples.temporal_rules, **found.get("temporal_rules", {})},
            rule_sets={**samples.rule_sets, **found.get("temporal_rules_sets", {})},
            lists={**samples.lists, **found.get("lists", {})},
        )
        return documents, server

    async def keep_draft(
        self, function_id: str, text: str, saved_text: str, revision: str | None
    ) -> str | None:
        """Write the draft in a thread (it is fsync'ed); None, or why it could not be kept."""
        try:
            await asyncio.to_thread(self.local.keep_draft, function_id, text, saved_text, revision)
        except OSError as exc:
            return draft_error(exc)
        return None


def run_record(
    evaluation: Evaluation, report: dict[str, Any], call: dict[str, Any], call_name: str | None
) -> dict[str, Any]:
    """One run as the history keeps it."""
    if evaluation.error is not None:
        verdict, summary = "failed", evaluation.error.describe()
    elif not evaluation.ok:
        verdict, summary = "invalid", "; ".join(evaluation.reasons())
    elif evaluation.rejections():
        verdict, summary = "rejected", "ES2015+: KAZOO's function module fails"
    else:
        module = evaluation.flow.get("module") if isinstance(evaluation.flow, dict) else None
        verdict, summary = "valid", f"→ {module}"
    return {
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "call_name": call_name,
        "call": call,
        "verdict": verdict,
        "duration_ms": report.get("duration_ms", 0.0),
        "flow": evaluation.flow if evaluation.ok else None,
        "summary": summary[:200],
    }


def draft_error(exc: OSError) -> str:
    reason = exc.strerror or str(exc)
    return (
        f"Your unsaved edits could not be kept on disk ({reason}). They are still in the "
        "editor: save them (ctrl+s) or free some space."
    )
