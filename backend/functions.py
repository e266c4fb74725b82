"""The functions service the API calls (docs/kazoo-compatibility.md §4, with its
§8 differences).

It owns the document rules: coercion and defaults through the functions schema, `_`/`pvt_` keys
dropped, private fields kept across updates, revisions, soft deletes, account isolation, listing
order, page keys and `filter_*` filters. It knows nothing of HTTP.
"""

from __future__ import annotations

import base64
import binascii
import bisect
import copy
import json
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from tinydb.queries import Query, QueryInstance

from backend import errors
from backend.schema import SchemaValidator
from backend.store import DocumentStore, RevisionConflict, StoreError

FUNCTIONS = "functions"
DEFAULT_PAGE_SIZE = 50
GREGORIAN_OFFSET = 62_167_219_200  # KAZOO timestamps are Gregorian seconds

# The functions schema, from the facts of docs/kazoo-compatibility.md §4 (draft 4, no additionalProperties).
FUNCTION_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["name", "function_js"],
    "properties": {
        "name": {"type": "string", "description": "A descriptive name for the function."},
        "function_js": {"type": "string", "description": "The JavaScript function body."},
        "enabled": {"type": "boolean", "default": True},
        "language_pack": {"type": "string", "default": "javascript"},
    },
}
LANGUAGE_PACKS = ["javascript"]
JSON_CACHE_SIZE = 8192
_validator = SchemaValidator(FUNCTION_SCHEMA)


def gregorian_now() -> int:
    return int(time.time()) + GREGORIAN_OFFSET


def is_private_key(key: str) -> bool:
    return key.startswith("_") or key.startswith("pvt_")


def public_fields(doc: Mapping[str, Any], doc_id: str | None = None) -> dict[str, Any]:
    """KAZOO's public view: every non-private top-level key, plus `id` (and `_read_only`)."""
    public = {k: v for k, v in doc.items() if not is_private_key(k)}
    if "_read_only" in doc:
        public["_read_only"] = doc["_read_only"]
    if doc_id is not None:
        public["id"] = doc_id
    return public


def private_fields(doc: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if is_private_key(k)}


def merge_left(patch: Any, base: Any) -> Any:
    """KAZOO's PATCH merge: request wins, objects merge deeply, `{}` replaces, null removes."""
    if not isinstance(patch, dict) or not isinstance(base, dict) or not patch:
        return copy.deepcopy(patch)
    merged = copy.deepcopy(base)
    for key, value in patch.items():
        if value is None:
            merged.pop(key, None)
        elif isinstance(value, dict) and value and isinstance(merged.get(key), dict):
            merged[key] = merge_left(value, merged[key])
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def _without_nulls(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if v is not None}


def encode_page_key(account_id: str | None, doc_id: str | None = None) -> str:
    key = [account_id or ""] if doc_id is None else [account_id or "", doc_id]
    raw = json.dumps(key, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def decode_page_key(value: str) -> list[Any] | None:
    try:
        padded = value + "=" * (-len(value) % 4)
        key = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return None
    return key if isinstance(key, list) else None


def _filter_text(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, str):
        return value
    return ""


_MISSING = object()


def _lookup(doc: Mapping[str, Any], dotted: str) -> Any:
    current: Any = doc
    for part in dotted.split("."):
        if not isinstance(current, Mapping) or part not in current:
            return _MISSING
        current = current[part]
    return current


def _is_empty(value: Any) -> bool:
    return value is _MISSING or value in (None, "", [], {}, 0, 0.0, "0", "NULL", "undefined")


def _filter_matches(value: Any, wanted: str) -> bool:
    text = "" if value is _MISSING else _filter_text(value)
    if text == wanted:
        return True
    try:
        decoded = json.loads(wanted)
    except ValueError:
        return False
    if isinstance(decoded, list):
        return text in [_filter_text(item) for item in decoded]
    return bool(decoded == text)


def _field(dotted: str) -> Query:
    """A TinyDB query path for a dotted KAZOO key (`a.b` is the key `b` inside `a`)."""
    path = Query()
    for part in dotted.split("."):
        path = path[part]
    return path


_ALWAYS = Query().noop()
_NEVER = ~Query().noop()


def _when_missing(path: Query, holds: bool) -> QueryInstance:
    """TinyDB's paths do not match a missing key; where KAZOO's test holds for a missing key
    too, the query must say so."""
    return ~path.exists() if holds else _NEVER


def make_filter(params: Mapping[str, str]) -> QueryInstance:
    """crossbar_filter as a TinyDB query: the AND of every filter parameter, tested against
    the full stored document."""
    query = _ALWAYS
    for name, wanted in params.items():
        if name.startswith(("filter_not_", "filter_")):
            negated = name.startswith("filter_not_")
            path = _field(name.removeprefix("filter_not_" if negated else "filter_"))
            matches = path.test(_filter_matches, wanted) | _when_missing(  # type: ignore[arg-type]
                path, _filter_matches(_MISSING, wanted)
            )
            query &= ~matches if negated else matches
        elif name in ("has_key", "key_missing"):
            exists = _field(wanted).exists()
            query &= exists if name == "has_key" else ~exists
        elif name in ("has_value", "value_missing"):
            filled = _field(wanted).test(_has_value)
            query &= filled if name == "has_value" else ~filled
        elif name in ("created_from", "created_to", "modified_from", "modified_to"):
            path = Query()["pvt_created" if name.startswith("created") else "pvt_modified"]
            try:
                bound = int(wanted)
            except ValueError:
                query &= _NEVER
                continue
            compare = _at_least if name.endswith("_from") else _at_most
            query &= path.test(compare, bound) | _when_missing(path, compare(0, bound))
    return query


def _has_value(value: Any) -> bool:
    return not _is_empty(value)


def _at_least(value: Any, bound: int) -> bool:
    return int(value) >= bound


def _at_most(value: Any, bound: int) -> bool:
    return int(value) <= bound


def keeps(query: QueryInstance, doc: Mapping[str, Any]) -> bool:
    """Whether the filter keeps `doc`; a filter that throws excludes the document, as in KAZOO."""
    try:
        return query(doc)
    except (TypeError, ValueError):
        return False


@dataclass
class Page:
    items: list[dict[str, Any]]
    page_size: int | None = None
    start_key: str | None = None
    next_start_key: str | None = None
    # Each item as compact JSON, encoded once per revision (see FunctionService.list).
    item_json: list[str] = field(default_factory=list)

    @property
    def items_json(self) -> str:
        """`items` as compact JSON: the same bytes `json.dumps(items, separators=(",", ":"))`
        gives, so its md5 is the listing's revision either way."""
        return f"[{','.join(self.item_json)}]"


def summary(doc_id: str, doc: Mapping[str, Any]) -> dict[str, Any]:
    item: dict[str, Any] = {"id": doc_id}
    for key in ("name", "function_js"):
        if key in doc:
            item[key] = doc[key]
    item["enabled"] = doc.get("enabled", True)
    if doc.get("pvt_disabled_message"):
        item["disable_reason"] = doc["pvt_disabled_message"]
    return item


def _alphanum(public: Mapping[str, Any]) -> str:
    return "".join(c for c in str(public.get("name", "")).lower() if c.isalnum())


def parse_page_size(raw: str | None) -> int:
    if raw is None:
        return DEFAULT_PAGE_SIZE
    try:
        size = int(raw)
    except ValueError:
        raise errors.KazooError(404, "faulty_request", {"message": "invalid page size"}) from None
    if size < 1:
        raise errors.KazooError(404, "faulty_request", {"message": "page size must be at least 1"})
    return size


@dataclass(frozen=True)
class DocKind:
    """One kind of account document the API serves (functions, callflows, temporal rules)."""

    table: str  # the store's table, and the module name in the URL
    pvt_type: str
    validator: SchemaValidator
    summary: Callable[[str, Mapping[str, Any]], dict[str, Any]]
    # Checks beyond the schema (KAZOO's cb_<module>:validate): given the service, the account,
    # the document's id (None on create) and the validated data; raise a KazooError.
    check: Callable[[DocumentService, str | None, str | None, dict[str, Any]], None] | None = None


class DocumentService:
    """CRUD, revisions, soft deletes, listing and filters for one `DocKind`, as KAZOO's
    crossbar_doc does them for every module."""

    def __init__(self, store: DocumentStore, kind: DocKind | None = None) -> None:
        self.store = store
        self.kind = kind or FUNCTION_KIND
        self.table = self.kind.table
        # Live (not deleted) ids per account, kept sorted: listing never scans other accounts.
        self._index: dict[str | None, list[str]] = {}
        for doc_id, doc in store.all(self.table):
            if not doc.get("pvt_deleted"):
                self._index.setdefault(doc.get("pvt_account_id"), []).append(doc_id)
        for ids in self._index.values():
            ids.sort()
        self._json: dict[tuple[str, str, str], str] = {}

    def public_json(self, doc: Mapping[str, Any], doc_id: str) -> str:
        """`public_fields(doc, doc_id)` as compact JSON."""
        return self._encoded(("public", doc_id, doc["_rev"]), lambda: public_fields(doc, doc_id))

    def _encoded(self, key: tuple[str, str, str], value: Callable[[], Any]) -> str:
        """`value` as compact JSON, encoded once per (view, id, revision): a revision names one
        content, and reads (GET, listing) are what clients repeat most."""
        text = self._json.get(key)
        if text is None:
            text = json.dumps(value(), separators=(",", ":"))
            if len(self._json) >= JSON_CACHE_SIZE:
                self._json.clear()
            self._json[key] = text
        return text

    # -- validation -----------------------------------------------------------------------------
    def validate(
        self, data: Any, account_id: str | None = None, doc_id: str | None = None
    ) -> dict[str, Any]:
        """Check request data against the kind's schema and checks; return it coerced, with
        defaults."""
        if not isinstance(data, dict):
            kind = "array" if isinstance(data, list) else type(data).__name__
            raise errors.validation_error(
                {
                    "": {
                        "type": {
                            "message": "Value did not match type(s): object",
                            "target": "object",
                            "value": data if kind == "array" else str(data),
                        }
                    }
                }
            )
        public = {k: v for k, v in data.items() if not is_private_key(k)}
        validated, problems = self.kind.validator.validate(_without_nulls(public))
        if problems:
            raise errors.validation_error(problems)
        if self.kind.check is not None:
            self.kind.check(self, account_id, doc_id, validated)
        return dict(validated)

    # -- reads ------------------------------------------------------------------------------------
    def load(self, account_id: str | None, doc_id: str) -> dict[str, Any]:
        doc = self.store.get(self.table, doc_id)
        if (
            doc is None
            or doc.get("pvt_deleted")
            or doc.get("pvt_type") != self.kind.pvt_type
            or (account_id is not None and doc.get("pvt_account_id") != account_id)
        ):
            raise errors.bad_identifier(doc_id)
        return doc

    def list(self, account_id: str | None, params: Mapping[str, str]) -> Page:
        query = make_filter(params)
        descending = params.get("descending") == "true" or params.get("ascending") == "false"
        paginate = params.get("paginate", "true") == "true"
        ids = self._index.get(account_id, [])
        start_id: str | None = None
        if paginate and params.get("start_key"):
            decoded = decode_page_key(params["start_key"])
            if decoded is None:
                start_id = params["start_key"]  # a raw function id, as KAZOO falls back to
            elif decoded[:1] == [account_id or ""] and len(decoded) > 1:
                start_id = str(decoded[1])  # keys of other accounts are clamped away
        if descending:
            end = len(ids) if start_id is None else bisect.bisect_right(ids, start_id)
            ordered = (ids[i] for i in range(end - 1, -1, -1))
        else:
            begin = 0 if start_id is None else bisect.bisect_left(ids, start_id)
            ordered = (ids[i] for i in range(begin, len(ids)))
        limit = parse_page_size(params.get("page_size")) if paginate else None
        items: list[dict[str, Any]] = []
        texts: list[str] = []
        next_key = None
        for doc_id in ordered:
            doc = self.store.get(self.table, doc_id)
            if doc is None or not keeps(query, doc):
                continue
            if limit is not None and len(items) == limit:
                next_key = encode_page_key(account_id, doc_id)
                break
            item = self.kind.summary(doc_id, doc)
            items.append(item)
            texts.append(self._encoded(("summary", doc_id, doc["_rev"]), partial(dict, item)))
        if not paginate:
            return Page(items, item_json=texts)
        used = encode_page_key(account_id, start_id) if start_id else encode_page_key(account_id)
        return Page(items, len(items), used, next_key, texts)

    # -- writes -----------------------------------------------------------------------------------
    def _save(
        self, doc_id: str, doc: dict[str, Any], *, create: bool = False, if_rev: str | None = None
    ) -> dict[str, Any]:
        try:
            return self.store.put(self.table, doc_id, doc, create=create, if_rev=if_rev)
        except RevisionConflict:
            raise errors.conflict() from None
        except StoreError as exc:
            raise errors.datastore_fault(str(exc)) from None

    def create(self, account_id: str | None, data: Any) -> tuple[str, dict[str, Any]]:
        validated = self.validate(data, account_id)
        requested = data.get("id") or data.get("_id")
        validated.pop("id", None)
        doc_id = str(requested) if requested else secrets.token_hex(16)
        if self.store.get(self.table, doc_id) is not None:
            raise errors.conflict()  # also for the id of a soft-deleted document, as KAZOO
        now = gregorian_now()
        doc = {
            **validated,
            "pvt_type": self.kind.pvt_type,
            "pvt_vsn": "1",
            "pvt_account_db": self.table,
            "pvt_created": now,
            "pvt_modified": now,
            "pvt_alphanum_name": _alphanum(validated),
        }
        if account_id is not None:
            doc["pvt_account_id"] = account_id
        saved = self._save(doc_id, doc, create=True)
        bisect.insort(self._index.setdefault(account_id, []), doc_id)
        return doc_id, saved

    def _replace(
        self, current: dict[str, Any], doc_id: str, public: dict[str, Any], if_rev: str
    ) -> dict[str, Any]:
        public.pop("id", None)
        doc = {
            **private_fields(current),
            **public,
            "pvt_modified": gregorian_now(),
            "pvt_alphanum_name": _alphanum(public),
        }
        return self._save(doc_id, doc, if_rev=if_rev)

    def load_matching(
        self, account_id: str | None, doc_id: str, if_match: str | None
    ) -> dict[str, Any]:
        """Load for a write; a stale `If-Match` revision is cowboy's 412 with an empty body."""
        current = self.load(account_id, doc_id)
        wanted = (if_match or "").strip()
        if wanted and wanted != "*" and wanted.strip('"') != current["_rev"]:
            raise errors.EmptyBodyError(412)
        return current

    def update(
        self, account_id: str | None, doc_id: str, data: Any, if_match: str | None = None
    ) -> dict[str, Any]:
        """POST: the whole public document is replaced (and, unlike KAZOO, saved)."""
        # KAZOO validates before loading: 400 wins over 404.
        validated = self.validate(data, account_id, doc_id)
        current = self.load_matching(account_id, doc_id, if_match)
        return self._replace(current, doc_id, validated, current["_rev"])

    def patch(
        self, account_id: str | None, doc_id: str, data: Any, if_match: str | None = None
    ) -> dict[str, Any]:
        current = self.load_matching(account_id, doc_id, if_match)
        if not isinstance(data, dict):
            self.validate(data)  # raises KAZOO's type error
        patch = {k: v for k, v in data.items() if not is_private_key(k)}
        merged = merge_left(patch, public_fields(current))
        validated = self.validate(merged, account_id, doc_id)
        return self._replace(current, doc_id, validated, current["_rev"])

    def delete(
        self, account_id: str | None, doc_id: str, *, soft: bool = True, if_match: str | None = None
    ) -> dict[str, Any]:
        current = self.load_matching(account_id, doc_id, if_match)
        if soft:
            tombstone = {**current, "pvt_deleted": True, "pvt_modified": gregorian_now()}
            self._save(doc_id, tombstone, if_rev=current["_rev"])
        else:
            try:
                self.store.delete(self.table, doc_id, if_rev=current["_rev"])
            except RevisionConflict:
                raise errors.conflict() from None
            except StoreError as exc:
                raise errors.datastore_fault(str(exc)) from None
        ids = self._index.get(current.get("pvt_account_id"), [])
        position = bisect.bisect_left(ids, doc_id)
        if position < len(ids) and ids[position] == doc_id:
            ids.pop(position)
        return current


FUNCTION_KIND = DocKind(FUNCTIONS, "function", _validator, summary)
FunctionService = DocumentService  # the functions are the default kind
