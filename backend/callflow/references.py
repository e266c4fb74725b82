"""The documents a callflow node refers to, and whether the walk has them: a menu, a match list,
a callflow or temporal rule it reads; a user, device or voicemail box it only names.

A reference the walk cannot find is shown, never invented: for the kinds it reads, what KAZOO
does without the document (its module's defaults); for the kinds it does not read, that the
scenario stands in for what the document would decide.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from backend.callflow.sources import Documents

# cf_menu.erl's #cf_menu_data{} defaults: what a menu node does when its menu is not there.
MENU_DEFAULTS = {"retries": 3, "timeout": 10000, "max_extension_length": 4, "hunt": False}
# The documents a walk reads: module -> (KAZOO's document type, the Documents field).
READ = {
    "menu": ("menu", "menus"),
    "callflow": ("callflow", "callflows"),
    "cidlistmatch": ("list", "lists"),
}
ANSWERS = "scenario.answer says whether it answers"
# Named only: module -> (document type, what stands in for what the document would decide).
NAMED = {
    "user": ("user", ANSWERS),
    "device": ("device", ANSWERS),
    "group": ("group", ANSWERS),
    "page_group": ("group", ANSWERS),
    "voicemail": ("vmbox", "scenario.voicemail says what the caller does"),
    "acdc_member": ("queue", "scenario.queue says whether an agent answers"),
    "conference": ("conference", "the call is handed to it"),
    "faxbox": ("faxbox", "the call is handed to it"),
    "directory": ("directory", "the caller's choice is not simulated"),
}
REFERRING = frozenset([*READ, *NAMED, "temporal_route", "ring_group", "page_group"])


@dataclass(frozen=True)
class Reference:
    kind: str  # KAZOO's document type: menu, list, callflow, temporal_rule, user, vmbox, ...
    id: str
    where: str
    found: bool | None  # None: a kind of document the walk does not read
    note: str

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "id": self.id,
            "where": self.where,
            "found": self.found,
            "note": self.note,
        }


def _read(kind: str, doc_id: str, where: str, found: bool) -> Reference:
    if found:
        return Reference(kind, doc_id, where, True, "read from the account (or the samples)")
    if kind == "menu":
        defaults = ", ".join(f"{key} {value}" for key, value in MENU_DEFAULTS.items())
        note = f"not here: cf_menu's defaults ({defaults}), no prompts"
    elif kind == "list":
        note = "not here: no entry matches, so nomatch"
    elif kind == "temporal_rule":
        note = "not here: KAZOO skips a rule it cannot open"
    elif kind == "temporal_rule_set":
        note = "not here: a set KAZOO cannot open has no rules"
    else:
        note = "not here: cf_callflow continues to '_'"
    return Reference(kind, doc_id, where, False, note)


def references(
    module: str, data: Mapping[str, Any], keys: list[str], where: str, documents: Documents
) -> list[Reference]:
    """What the node `module`/`data` (with child `keys`) at `where` refers to."""
    found: list[Reference] = []
    doc_id = data.get("id")
    if module in READ and isinstance(doc_id, str) and doc_id:
        kind, field_name = READ[module]
        held: Mapping[str, Any] = getattr(documents, field_name)
        found.append(_read(kind, doc_id, where, doc_id in held))
    elif module in NAMED and isinstance(doc_id, str) and doc_id:
        kind, stand_in = NAMED[module]
        found.append(Reference(kind, doc_id, where, None, f"not read here: {stand_in}"))
    if module == "temporal_route":
        # cf_temporal_route opens data.rules and each child key (rule or rule set ids).
        rules = data.get("rules")
        listed = [str(rule) for rule in rules] if isinstance(rules, list) else []
        for rule_id in dict.fromkeys([*listed, *(k for k in keys if k not in ("_", "rule_set"))]):
            if rule_id in documents.rule_sets:
                found.append(_read("temporal_rule_set", rule_id, where, True))
            else:
                have = rule_id in documents.temporal_rules
                found.append(_read("temporal_rule", rule_id, where, have))
        if isinstance(data.get("rule_set"), str):
            set_id = data["rule_set"]
            found.append(_read("temporal_rule_set", set_id, where, set_id in documents.rule_sets))
    endpoints = data.get("endpoints")
    if module in ("ring_group", "page_group") and isinstance(endpoints, list):
        for endpoint in endpoints:
            if isinstance(endpoint, Mapping) and isinstance(endpoint.get("id"), str):
                kind = str(endpoint.get("endpoint_type") or "device")
                note = f"not read here: {ANSWERS} (for the whole group)"
                found.append(Reference(kind, endpoint["id"], where, None, note))
    return found
