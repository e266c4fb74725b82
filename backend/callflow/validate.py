"""Validate a function's result as KAZOO does before branching (CONTRACT §6.5).

The result must be a `callflows.action` node: `module` (a known module), `data` (checked against
that module's schema, defaults filled in) and `children` (each one a node, recursively). Errors
use KAZOO's codes and messages, keyed by dotted path from the root of the returned flow.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from functools import cache
from typing import Any
from urllib.parse import urlparse

from jsonschema import FormatChecker

from backend.callflow.modules import URL_FIELDS, data_schema
from backend.schema import ErrorMap, SchemaValidator, dotted_path, error_messages, join_path

BLOCKED_HOSTS = ("localhost", "127.0.0.1", "0.0.0.0")
MAX_DEPTH = 64

NODE_SCHEMA = {
    "type": "object",
    "required": ["data", "module"],
    "properties": {
        "children": {"type": "object"},
        "data": {"type": "object", "default": {}},
        "module": {"type": "string", "minLength": 1, "maxLength": 64},
    },
}


@dataclass
class FlowVerdict:
    valid: bool
    flow: Any
    errors: ErrorMap = field(default_factory=dict)

    def messages(self) -> list[str]:
        """One readable line per error: `path: message`."""
        return [f"{path or '(root)'}: {message}" for path, message in error_messages(self.errors)]


@cache
def _node_validator_for(module: str | None) -> SchemaValidator | None:
    """One validator per module for a whole node (module, data and children in one pass).

    None means KAZOO has no such module; `_node_validator_for(None)` checks only the node shape.
    """
    if module is None:
        return SchemaValidator(NODE_SCHEMA)
    data = data_schema(module)
    if data is None:
        return None
    schema = copy.deepcopy(NODE_SCHEMA)
    schema["properties"]["data"] = {**data, "default": {}}
    return SchemaValidator(schema, format_checker=FormatChecker())


def _url_problem(url: Any) -> str | None:
    if not isinstance(url, str):
        return None
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        return "invalid client URL"
    if parsed.hostname in BLOCKED_HOSTS:
        return "invalid client URL"
    return None


def _validate_node(node: Any, path: list[Any], errors: ErrorMap, depth: int) -> Any:
    module = node.get("module") if isinstance(node, dict) else None
    known = isinstance(module, str) and module and _node_validator_for(module) is not None
    validator = _node_validator_for(module if known else None)
    assert validator is not None
    # Flows are validated strictly (KAZOO's flow check does not coerce), and in place:
    # validate_flow copied the tree once.
    checked, problems = validator.validate(node, coerce=False, copy=False)
    prefix = dotted_path(path)
    for key, detail in problems.items():
        errors[join_path(prefix, key)] = detail
    if not isinstance(checked, dict):
        return checked
    if isinstance(module, str) and module and not known:
        errors[join_path(prefix, "module")] = {
            "error": {
                "message": f"unable to find callflow schema for module {module}",
                "value": module,
            }
        }
    data = checked.get("data")
    if known and isinstance(data, dict):
        for url_field in URL_FIELDS.get(module, ()):
            problem = _url_problem(data.get(url_field))
            if problem:
                errors[dotted_path([*path, "data", url_field])] = {
                    "error": {"message": problem, "value": data.get(url_field)}
                }
    children = checked.get("children")
    if isinstance(children, dict):
        if depth >= MAX_DEPTH:
            errors[dotted_path([*path, "children"])] = {
                "error": {"message": f"flow is nested deeper than {MAX_DEPTH} levels"}
            }
        else:
            for key, child in children.items():
                if key:  # KAZOO's patternProperties ".+" leaves an empty key unchecked
                    children[key] = _validate_node(
                        child, [*path, "children", key], errors, depth + 1
                    )
    return checked


def validate_flow(flow: Any) -> FlowVerdict:
    """Check a returned flow; the verdict's `flow` has every schema default filled in."""
    errors: ErrorMap = {}
    # One copy of the whole tree; below it, every node is validated in place.
    checked = _validate_node(copy.deepcopy(flow), [], errors, 0)
    return FlowVerdict(not errors, checked, errors)
