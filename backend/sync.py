"""Functions as files in a directory (for git): pull, push and diff through the one v2 client,
so they work against a kfn or a KAZOO alike.

A pulled directory holds each function's body as `NAME.js`, unchanged, and one manifest,
`functions.json`: per function id its file, name, enabled, language_pack, the other stored
keys, and the revision it was pulled at. Both are written only when their text changes, so a
re-pull of an unchanged account leaves git with nothing to show. A file keeps its name for as
long as its id is in the manifest (a rename on the server does not move it).

Push saves with PATCH and `If-Match` of the pulled revision: a function changed on the server
since the pull is refused (and named, with both texts) unless forced. The manifest is written
after every function pushed, so a push that fails half way leaves it telling the truth.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from backend.client import ApiError, ConflictError, KazooClient, NotFoundError, Revisioned
from backend.paths import write_atomically

MANIFEST = "functions.json"
FIELDS = ("name", "enabled", "language_pack")  # kept in the manifest; the body is in the file
SERVER_ONLY = ("id", "function_js")


class SyncError(Exception):
    """The directory cannot be used as it is (no manifest, a broken one); says why."""


@dataclass
class Entry:
    """One function of the manifest."""

    file: str
    revision: str | None
    fields: dict[str, Any]  # name, enabled, language_pack and every other stored key
    sha256: str = ""  # of the body as pulled (or pushed): tells an edit here from one there

    def to_json(self) -> dict[str, Any]:
        own = {"file": self.file, "revision": self.revision, "sha256": self.sha256}
        return {**own, "fields": dict(sorted(self.fields.items()))}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Entry:
        return cls(
            str(data["file"]), data.get("revision"), dict(data["fields"]), str(data["sha256"])
        )


@dataclass
class Manifest:
    account_id: str
    entries: dict[str, Entry] = field(default_factory=dict)

    def text(self) -> str:
        functions = {fid: self.entries[fid].to_json() for fid in sorted(self.entries)}
        body = {"account_id": self.account_id, "functions": functions}
        return json.dumps(body, indent=2, ensure_ascii=False) + "\n"

    @classmethod
    def read(cls, folder: Path) -> Manifest:
        path = folder / MANIFEST
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            entries = {fid: Entry.from_json(e) for fid, e in data["functions"].items()}
            return cls(str(data["account_id"]), entries)
        except FileNotFoundError:
            raise SyncError(f"{path} does not exist: `kfn pull {folder}` first") from None
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise SyncError(f"{path} is not a kfn manifest ({exc}); fix it or pull again") from None

    def write(self, folder: Path) -> None:
        write_if_changed(folder / MANIFEST, self.text())


def write_if_changed(path: Path, text: str) -> bool:
    try:
        if path.read_text(encoding="utf-8") == text:
            return False
    except FileNotFoundError:
        pass
    write_atomically(path, text)
    return True


def file_name(name: str, function_id: str, taken: set[str]) -> str:
    """A safe, readable file name for a function: its name in lower-case letters, digits and
    underscores (accents dropped); the id when that leaves nothing or is taken."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "_", plain.lower()).strip("_")[:60]
    for candidate in (slug, f"{slug}_{function_id[:8]}" if slug else "", function_id):
        if candidate and f"{candidate}.js" not in taken:
            return f"{candidate}.js"
    return f"{function_id}.js"


def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _fields(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k not in SERVER_ONLY}


# -- pull -----------------------------------------------------------------------------------------
@dataclass
class PullReport:
    written: list[str] = field(default_factory=list)  # files whose text changed
    kept: list[str] = field(default_factory=list)  # edited here and not pushed: left alone


async def pull(
    client: KazooClient, account_id: str, folder: Path, *, force: bool = False
) -> PullReport:
    """Every function of the account into `folder`. A file edited here since the last pull is
    kept as it is (push it, or pull with `force` to take the server's text)."""
    folder.mkdir(parents=True, exist_ok=True)
    old = Manifest(account_id)
    if (folder / MANIFEST).exists():
        try:
            old = Manifest.read(folder)
        except SyncError:
            if not force:  # without it, edited files could not be told from pulled ones
                raise
        if old.account_id != account_id:
            raise SyncError(
                f"{folder} holds the functions of account {old.account_id}, not {account_id}: "
                "pull into another directory"
            )
    manifest = Manifest(account_id)
    taken = {e.file for e in old.entries.values()}
    report = PullReport()
    for summary in await client.list_functions(account_id, page_size=1000):
        doc = await client.get_function(account_id, str(summary["id"]))
        known = old.entries.get(doc.id)
        name = known.file if known else file_name(str(doc.data.get("name", "")), doc.id, taken)
        taken.add(name)
        body = str(doc.data.get("function_js", ""))
        path = folder / name
        here = path.read_text(encoding="utf-8") if path.exists() else None
        if (
            known
            and here is not None
            and digest(here) != known.sha256
            and here != body
            and not force
        ):
            report.kept.append(name)
            manifest.entries[doc.id] = known  # still pulled at the old revision
            continue
        manifest.entries[doc.id] = Entry(name, doc.revision, _fields(doc.data), digest(body))
        if write_if_changed(path, body):
            report.written.append(name)
    if write_if_changed(folder / MANIFEST, manifest.text()):
        report.written.append(MANIFEST)
    return report


# -- diff and push --------------------------------------------------------------------------------
@dataclass
class Change:
    """What differs for one function, local against the server."""

    function_id: str | None  # None: a new file, not on the server yet
    file: str
    state: str  # same, local (edited here), server (changed there), both, new, gone, deleted
    local: str = ""
    remote: str = ""
    message: str = ""

    def diff(self) -> str:
        return "".join(
            difflib.unified_diff(
                self.remote.splitlines(keepends=True), self.local.splitlines(keepends=True),
                f"server/{self.file}", f"local/{self.file}",
            )
        )  # fmt: skip


def _desired(entry: Entry, body: str) -> dict[str, Any]:
    return {**entry.fields, "function_js": body}


def _same(server: Revisioned, desired: dict[str, Any]) -> bool:
    return _fields(server.data) == {k: v for k, v in desired.items() if k != "function_js"} and (
        server.data.get("function_js", "") == desired["function_js"]
    )


async def changes(client: KazooClient, folder: Path) -> tuple[Manifest, list[Change]]:
    manifest = Manifest.read(folder)
    found: list[Change] = []
    listed = set()
    for function_id, entry in sorted(manifest.entries.items()):
        listed.add(entry.file)
        path = folder / entry.file
        local = path.read_text(encoding="utf-8") if path.exists() else None
        try:
            server = await client.get_function(manifest.account_id, function_id)
        except NotFoundError:
            found.append(Change(function_id, entry.file, "gone", local or ""))
            continue
        remote = str(server.data.get("function_js", ""))
        if local is None:
            found.append(Change(function_id, entry.file, "deleted", "", remote))
            continue
        if server.revision == entry.revision:
            state = "same" if _same(server, _desired(entry, local)) else "local"
        else:  # changed on the server since the pull; here too, unless the body is as pulled
            state = "both" if digest(local) != entry.sha256 else "server"
        found.append(Change(function_id, entry.file, state, local, remote))
    for path in sorted(folder.glob("*.js")):
        if path.name not in listed and not path.name.endswith(".test.js"):
            found.append(Change(None, path.name, "new", path.read_text(encoding="utf-8")))
    return manifest, found


@dataclass
class PushReport:
    pushed: list[str] = field(default_factory=list)  # file names saved or created or deleted
    refused: list[Change] = field(default_factory=list)  # changed on the server since the pull
    failed: list[tuple[str, str]] = field(default_factory=list)  # (file, why)
    skipped: list[str] = field(default_factory=list)  # deleted here, kept there (no --prune)


async def push(
    client: KazooClient, folder: Path, *, force: bool = False, prune: bool = False,
    dry_run: bool = False,
) -> PushReport:  # fmt: skip
    manifest, found = await changes(client, folder)
    report = PushReport()
    account = manifest.account_id
    for change in found:
        if change.state in ("same", "server"):
            continue  # nothing of ours to push (pull picks up the server's change)
        if change.state == "both" and not force:
            report.refused.append(change)
            continue
        if change.state == "deleted" and not prune:
            report.skipped.append(change.file)
            continue
        if dry_run:
            report.pushed.append(change.file)
            continue
        try:
            await _push_one(client, account, manifest, change, force)
        except ConflictError:
            change.state = "both"
            report.refused.append(change)
            continue
        except ApiError as exc:
            report.failed.append((change.file, str(exc)))
            continue
        report.pushed.append(change.file)
        manifest.write(folder)  # after each one: a failure later leaves the truth on disk
    return report


async def _push_one(
    client: KazooClient, account: str, manifest: Manifest, change: Change, force: bool
) -> None:
    if change.state == "new":
        name = Path(change.file).stem
        made = await client.create_function(account, {"name": name, "function_js": change.local})
        manifest.entries[made.id] = Entry(
            change.file, made.revision, _fields(made.data), digest(change.local)
        )
        return
    assert change.function_id is not None
    entry = manifest.entries[change.function_id]
    if change.state == "gone":  # deleted on the server: recreate it under its id
        data = {"id": change.function_id, **_desired(entry, change.local)}
        made = await client.create_function(account, data)
        entry.revision, entry.fields = made.revision, _fields(made.data)
        entry.sha256 = digest(change.local)
        return
    if change.state == "deleted":
        await client.delete_function(account, change.function_id, entry.revision)
        del manifest.entries[change.function_id]
        return
    revision = entry.revision
    if force:  # over whatever the server has now
        revision = (await client.get_function(account, change.function_id)).revision
    saved = await client.save_function(
        account, change.function_id, _desired(entry, change.local), revision
    )
    entry.revision, entry.fields = saved.revision, _fields(saved.data)
    entry.sha256 = digest(change.local)
