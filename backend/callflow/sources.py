"""Where a walk finds what a flow refers to: function documents and the account's callflows
and menus, from memory, files or the store."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from backend.samples import parse_function_file, samples_dir


@dataclass(frozen=True)
class FunctionDoc:
    id: str
    function_js: str
    name: str = ""
    enabled: bool = True
    deleted: bool = False
    account_id: str | None = None


class FunctionSource(Protocol):
    def get(self, function_id: str) -> FunctionDoc | None: ...


class MappingSource:
    """Functions held in memory (the app passes the documents it fetched)."""

    def __init__(self, docs: Mapping[str, FunctionDoc]) -> None:
        self.docs = dict(docs)

    def get(self, function_id: str) -> FunctionDoc | None:
        return self.docs.get(function_id)


class DirectorySource:
    """Functions from files: `<id>.js` (a body) or `<id>.json` (a function document)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def get(self, function_id: str) -> FunctionDoc | None:
        if "/" in function_id or function_id.startswith("."):
            return None
        script = self.directory / f"{function_id}.js"
        if script.is_file():
            sample = parse_function_file(script)
            return FunctionDoc(function_id, sample.function_js, sample.name)
        document = self.directory / f"{function_id}.json"
        if document.is_file():
            doc = json.loads(document.read_text(encoding="utf-8"))
            return FunctionDoc(
                function_id,
                str(doc.get("function_js", "")),
                str(doc.get("name", function_id)),
                doc.get("enabled", True) is not False,
            )
        return None


class StoreSource:
    """Functions from the store, as the embedded server sees them."""

    def __init__(self, functions: Any) -> None:
        self.functions = functions

    def get(self, function_id: str) -> FunctionDoc | None:
        doc = self.functions.store.get("functions", function_id)
        if doc is None:
            return None
        return FunctionDoc(
            function_id,
            str(doc.get("function_js", "")),
            str(doc.get("name", "")),
            doc.get("enabled", True) is not False,
            bool(doc.get("pvt_deleted")),
            doc.get("pvt_account_id"),
        )


@dataclass
class Documents:
    """The account's callflows (by id) and menus, as a walk needs them."""

    callflows: dict[str, dict[str, Any]] = field(default_factory=dict)
    menus: dict[str, dict[str, Any]] = field(default_factory=dict)
    temporal_rules: dict[str, dict[str, Any]] = field(default_factory=dict)
    rule_sets: dict[str, dict[str, Any]] = field(default_factory=dict)  # temporal_rules_sets
    # Each list's entries (KAZOO keeps them as list_entry documents with a list_id): the
    # `entries` of a list document here.
    lists: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    # The list documents themselves (name, description), when read from files.
    list_documents: dict[str, dict[str, Any]] = field(default_factory=dict)

    @classmethod
    def from_directory(cls, directory: Path) -> Documents:
        """`*.json` documents: a callflow has `flow`, a temporal rule has `cycle`, a rule set
        `temporal_rules`, a list has `entries`, anything else is taken as a menu. The id is the document's `id`, else the
        file's stem."""
        docs = cls()
        for path in sorted(directory.glob("*.json")):
            doc = json.loads(path.read_text(encoding="utf-8"))
            if not isinstance(doc, dict):
                continue
            doc_id = str(doc.get("id") or path.stem)
            if isinstance(doc.get("entries"), list):
                docs.lists[doc_id] = [e for e in doc["entries"] if isinstance(e, dict)]
                docs.list_documents[doc_id] = doc
                continue
            kind = (
                docs.callflows
                if "flow" in doc
                else docs.temporal_rules
                if "cycle" in doc
                else docs.rule_sets
                if "temporal_rules" in doc
                else docs.menus
            )
            kind[doc_id] = doc
        return docs

    @classmethod
    def samples(cls) -> Documents:
        return cls.from_directory(samples_dir() / "callflows")

    def list_matches(self, list_id: str, number: str) -> bool | None:
        """cf_cidlistmatch: does `number` match the list (an entry's `number` or `prefix`
        equal to a leading part of it with its `+` left out, so an entry written with a `+`
        never matches, as in KAZOO; or an entry's `regexp` or `pattern` found in it)? None
        when the list is not here."""
        entries = self.lists.get(list_id)
        if entries is None:
            return None
        digits = number.removeprefix("+")
        prefixes = {digits[:length] for length in range(1, len(digits) + 1)}
        for entry in entries:
            key = entry.get("number") or entry.get("prefix")
            if key is not None and str(key) in prefixes:
                return True
        for entry in entries:
            pattern = entry.get("regexp") or entry.get("pattern")
            if pattern is None:
                continue
            try:
                if re.search(str(pattern), number):
                    return True
            except re.error:
                return False  # KAZOO's re:run raises: the module crashes; treat as no match
        return False

    def lookup(self, number: str) -> tuple[str, dict[str, Any], str | None] | None:
        """KAZOO's number lookup (cf_flow:lookup/2): an exact number, else the pattern with
        the longest capture (its longest group, or the whole match); returns the callflow id,
        the document and the captured digits."""
        for doc_id, doc in self.callflows.items():
            if number in [str(n) for n in doc.get("numbers", [])]:
                return doc_id, doc, None
        best: tuple[str, dict[str, Any], str] | None = None
        for doc_id, doc in self.callflows.items():
            for pattern in doc.get("patterns", []):
                try:
                    found = re.search(str(pattern), number)
                except re.error:
                    continue  # KAZOO skips patterns that do not compile
                if found is None:
                    continue
                groups = [g for g in found.groups() if g is not None] or [found.group(0)]
                match = max(groups, key=len)
                if best is None or len(match) > len(best[2]):
                    best = (doc_id, doc, match)
        if best is not None:
            return best
        fallback = next(
            ((i, d) for i, d in self.callflows.items() if "no_match" in d.get("numbers", [])),
            None,
        )
        return (fallback[0], fallback[1], None) if fallback else None
