"""The account documents a callflow walk reads besides functions: callflows, temporal rules,
menus, match lists and their entries, served by the API so a simulation walks the account's real
documents (docs/kazoo-compatibility.md §4b).

Written from KAZOO's `callflows`, `temporal_rules`, `menus`, `lists` and `list_entries` document
schemas, `cb_callflows.erl` (`validate_request/2`, `validate_uniqueness/2`), `cb_lists.erl` and
the `crossbar_listing` views of `core/kazoo_apps/priv/couchdb/account/{callflows,temporal_rules,
menus,lists}.json`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from backend import errors
from backend.functions import DocKind, DocumentService
from backend.schema import ErrorMap, SchemaValidator

CALLFLOWS = "callflows"
TEMPORAL_RULES = "temporal_rules"
RULE_SETS = "temporal_rules_sets"
MENUS = "menus"
LISTS = "lists"
LIST_ENTRIES = "list_entries"  # served under /lists/{LIST_ID}/entries

_TEXT = {"type": "string"}
CALLFLOW_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "name": _TEXT,
        "numbers": {
            "type": "array",
            "default": [],
            "uniqueItems": True,
            "items": {"type": "string", "minLength": 1, "maxLength": 36},
        },
        "patterns": {"type": "array", "default": [], "items": {"type": "string", "minLength": 1}},
        "flow": {"type": "object"},
        "featurecode": {
            "type": "object",
            "properties": {
                "name": {"type": "string", "minLength": 1, "maxLength": 128},
                "number": {"type": "string", "minLength": 1, "maxLength": 30},
            },
        },
        "flags": {"type": "array", "items": _TEXT},
        "ringback": {"type": "object", "properties": {"early": _TEXT, "transfer": _TEXT}},
    },
}
WEEKDAYS = ["monday", "tuesday", "wednesday", "wensday", "thursday", "friday", "saturday"]
TEMPORAL_RULE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["cycle", "name"],
    "properties": {
        "name": {"type": "string", "minLength": 1, "maxLength": 128},
        "cycle": {"type": "string", "enum": ["date", "daily", "weekly", "monthly", "yearly"]},
        "interval": {"type": "integer", "minimum": 1, "default": 1},
        "days": {"type": "array", "items": {"type": "integer", "minimum": 1, "maximum": 31}},
        "wdays": {"type": "array", "items": {"type": "string", "enum": [*WEEKDAYS, "sunday"]}},
        "ordinal": {
            "type": "string",
            "enum": ["every", "first", "second", "third", "fourth", "fifth", "last"],
        },
        "month": {"type": "integer", "minimum": 1, "maximum": 12},
        "start_date": {"type": "integer", "default": 62586115200},
        "time_window_start": {"type": "integer", "minimum": 0, "maximum": 86400},
        "time_window_stop": {"type": "integer", "minimum": 0, "maximum": 86400},
        "enabled": {"type": "boolean"},
        "flags": {"type": "array", "items": _TEXT},
    },
}


def _name(max_length: int = 128) -> dict[str, Any]:
    return {"type": "string", "minLength": 1, "maxLength": max_length}


_MEDIA_CHOICE = {
    "oneOf": [{"type": "boolean"}, {"type": "string", "minLength": 3, "maxLength": 2048}]
}
# cf_menu reads retries, timeout, hunt and the rest from this document; the defaults are the
# schema's, which crossbar stores (so a menu made through the API hunts, one cf_menu finds
# without `hunt` does not: its own default is false).
MENU_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["name"],
    "properties": {
        "name": _name(),
        "retries": {"type": "integer", "minimum": 1, "maximum": 10, "default": 3},
        "timeout": {"type": "integer", "minimum": 1, "maximum": 60000},
        "interdigit_timeout": {"type": "integer", "minimum": 1, "maximum": 10000},
        "max_extension_length": {"type": "integer", "minimum": 1, "maximum": 6, "default": 4},
        "hunt": {"type": "boolean", "default": True},
        "hunt_allow": _name(256),
        "hunt_deny": _name(256),
        "record_pin": {"type": "string", "minLength": 3, "maxLength": 6},
        "allow_record_from_offnet": {"type": "boolean", "default": False},
        "suppress_media": {"type": "boolean", "default": False},
        "media": {
            "type": "object",
            "default": {},
            "properties": {
                "greeting": {"type": "string", "minLength": 3, "maxLength": 2048},
                "exit_media": _MEDIA_CHOICE,
                "invalid_media": _MEDIA_CHOICE,
                "transfer_media": _MEDIA_CHOICE,
            },
        },
        "flags": {"type": "array", "items": _TEXT},
    },
}
RULE_SET_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["name"],
    "properties": {
        "name": _name(),
        "temporal_rules": {"type": "array", "minItems": 1, "items": _TEXT},
        "flags": {"type": "array", "items": _TEXT},
    },
}
LIST_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["name"],
    "properties": {"name": _name(), "description": _name(), "org": _TEXT},
}
# cf_cidlistmatch matches an entry's `number` (else `prefix`) as a leading part of the caller's
# number, and its `regexp` (else `pattern`) anywhere in it (the lists/match_prefix_in_list and
# lists/regexps_in_list views).
LIST_ENTRY_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["list_id"],
    "properties": {
        "list_id": _TEXT,
        "number": _TEXT,
        "prefix": _TEXT,
        "pattern": _TEXT,
        "regexp": _TEXT,
        "name": _TEXT,
        "displayname": _name(),
        "firstname": _name(),
        "lastname": _name(),
        "type": _name(),
        "capture_group_key": _TEXT,
        "capture_group_length": {"type": "integer"},
        "profile": {"type": "object", "default": {}},
    },
}


def _modules(flow: Any, found: list[str]) -> list[str]:
    """The modules a flow uses, each once, as the listing view walks it."""
    if isinstance(flow, Mapping):
        module = flow.get("module")
        data = flow.get("data")
        skipped = isinstance(data, Mapping) and data.get("skip_module") is True
        if isinstance(module, str) and not skipped and module not in found:
            found.append(module)
        children = flow.get("children")
        if isinstance(children, Mapping):
            for child in children.values():
                _modules(child, found)
    return found


def callflow_summary(doc_id: str, doc: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "id": doc_id,
        "name": doc.get("name"),
        "type": doc.get("type"),
        "numbers": doc.get("numbers"),
        "patterns": doc.get("patterns"),
        "featurecode": doc.get("featurecode") or False,
        "owner_id": doc.get("owner_id"),
        "group_id": doc.get("group_id"),
        "modules": _modules(doc.get("flow"), []),
        "flags": doc.get("flags") or [],
    }


def temporal_rule_summary(doc_id: str, doc: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "id": doc_id,
        "name": doc.get("name"),
        "type": doc.get("type"),
        "flags": doc.get("flags") or [],
    }


def menu_summary(doc_id: str, doc: Mapping[str, Any]) -> dict[str, Any]:
    return {"id": doc_id, "name": doc.get("name"), "flags": doc.get("flags") or []}


def rule_set_summary(doc_id: str, doc: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "id": doc_id,
        "name": doc.get("name"),
        "rules": doc.get("temporal_rules"),
        "flags": doc.get("flags") or [],
    }


def list_summary(doc_id: str, doc: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "id": doc_id,
        "name": doc.get("name"),
        "description": doc.get("description"),
        "list_type": doc.get("list_type"),
    }


ENTRY_FIELDS = (
    "capture_group_key",
    "capture_group_length",
    "name",
    "number",
    "pattern",
    "prefix",
    "regexp",
    "type",
)


def list_entry_summary(doc_id: str, doc: Mapping[str, Any]) -> dict[str, Any]:
    """The lists/entries view's value, with the entry's id (KAZOO's view leaves it out, so a
    client could not address an entry it listed: docs/kazoo-compatibility.md §8)."""
    return {"id": doc_id, **{key: doc[key] for key in ENTRY_FIELDS if key in doc}}


def _check_callflow(
    service: DocumentService, account_id: str | None, doc_id: str | None, data: dict[str, Any]
) -> None:
    """cb_callflows: at least one number or pattern; the flow valid as a callflow node; no
    number or pattern another callflow of the account already has."""
    # Imported here: jsonschema and the compiled validators stay out of the app's start-up.
    from backend.callflow.validate import validate_flow

    problems: ErrorMap = {}
    if not data.get("numbers") and not data.get("patterns"):
        message = "Callflows must be assigned at least one number or pattern"
        problems["numbers"] = {"required": {"message": message}}
    if isinstance(data.get("flow"), dict):
        verdict = validate_flow(data["flow"])
        for path, error in verdict.errors.items():
            problems[f"flow.{path}" if path else "flow"] = error
        if verdict.valid:
            data["flow"] = verdict.flow  # with the modules' defaults, as KAZOO stores them
    taken = _taken(service, account_id, doc_id)
    for key, word in (("numbers", "Number"), ("patterns", "Pattern")):
        for value in data.get(key) or []:
            if (key, value) in taken:
                other_id, other_name = taken[key, value]
                message = f"{word} {value} exists in callflow {other_id} {other_name}".rstrip()
                problems.setdefault(key, {})["unique"] = {"message": message, "cause": value}
    if problems:
        raise errors.validation_error(problems)


def _taken(
    service: DocumentService, account_id: str | None, doc_id: str | None
) -> dict[tuple[str, str], tuple[str, str]]:
    """("numbers" or "patterns", value) -> (id, name) of the account's other live callflow
    that has it: one listing for both checks."""
    taken: dict[tuple[str, str], tuple[str, str]] = {}
    for item in service.list(account_id, {"paginate": "false"}).items:
        if item["id"] != doc_id:
            for key in ("numbers", "patterns"):
                for value in item.get(key) or []:
                    taken[key, value] = (item["id"], str(item.get("name") or ""))
    return taken


CALLFLOW_KIND = DocKind(
    CALLFLOWS, "callflow", SchemaValidator(CALLFLOW_SCHEMA), callflow_summary, _check_callflow
)
TEMPORAL_RULE_KIND = DocKind(
    TEMPORAL_RULES,
    "temporal_rule",
    SchemaValidator(TEMPORAL_RULE_SCHEMA),
    temporal_rule_summary,
)
RULE_SET_KIND = DocKind(
    RULE_SETS, "temporal_rule_set", SchemaValidator(RULE_SET_SCHEMA), rule_set_summary
)
MENU_KIND = DocKind(MENUS, "menu", SchemaValidator(MENU_SCHEMA), menu_summary)
LIST_KIND = DocKind(LISTS, "list", SchemaValidator(LIST_SCHEMA), list_summary)
LIST_ENTRY_KIND = DocKind(
    LIST_ENTRIES, "list_entry", SchemaValidator(LIST_ENTRY_SCHEMA), list_entry_summary
)
# Every kind a callflow walk reads, by module name, as the API serves them.
CALLFLOW_DOCUMENT_KINDS = (
    CALLFLOW_KIND,
    TEMPORAL_RULE_KIND,
    RULE_SET_KIND,
    MENU_KIND,
    LIST_KIND,
    LIST_ENTRY_KIND,
)
