"""Validate a function's result as KAZOO does before branching (docs/kazoo-compatibility.md §6).

The result must be a `callflows.action` node: `module` (a known module), `data` (checked against
that module's schema, defaults filled in) and `children` (each one a node, recursively). Errors
use KAZOO's codes and messages, keyed by dotted path from the root of the returned flow.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Any
from urllib.parse import urlparse

import fastjsonschema
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
    schema: dict[str, Any] = copy.deepcopy(NODE_SCHEMA)
    schema["properties"]["data"] = {**data, "default": {}}
    return SchemaValidator(schema, format_checker=kazoo_formats())


COMBINATORS = ("oneOf", "anyOf", "allOf", "not")


def _contains_default(schema: Any) -> bool:
    if isinstance(schema, dict):
        return "default" in schema or any(_contains_default(v) for v in schema.values())
    if isinstance(schema, list):
        return any(_contains_default(item) for item in schema)
    return False


def _compiles_alike(schema: Any, under_combinator: bool = False) -> bool:
    """True when fastjsonschema accepts and fills exactly as the jsonschema path would.

    Conservative, read off the schema: no default below a combinator (jsonschema fills those
    in while trying each branch), no default that itself gets defaults (jsonschema descends
    into an inserted default, fastjsonschema inserts the literal), enums of strings only and
    uniqueItems on strings only (fastjsonschema compares with `in` and `str()`, where 1 == True
    and "1" == str(1))."""
    if isinstance(schema, list):
        return all(_compiles_alike(item, under_combinator) for item in schema)
    if not isinstance(schema, dict):
        return True
    if under_combinator and "default" in schema:
        return False
    if "enum" in schema and not all(isinstance(v, str) for v in schema["enum"]):
        return False
    if schema.get("uniqueItems") and (schema.get("items") or {}).get("type") != "string":
        return False
    required = set(schema.get("required", []))
    for name, sub in (schema.get("properties") or {}).items():
        # fastjsonschema checks `required` before it fills: a required key's default is
        # never inserted by it, so only optional ones must be literal.
        literal = {k: v for k, v in sub.items() if k != "default"} if isinstance(sub, dict) else {}
        if literal != sub and name not in required and _contains_default(literal):
            return False
    for key, value in schema.items():
        if key in COMBINATORS:
            if not _compiles_alike(value, True):
                return False
        elif key in ("properties", "patternProperties"):
            if not all(_compiles_alike(sub, under_combinator) for sub in value.values()):
                return False
        elif key in ("items", "additionalProperties") and not _compiles_alike(
            value, under_combinator
        ):
            return False
    return True


@cache
def _fast_check_for(module: str) -> Callable[[Any], Any] | None:
    """A compiled check of a whole `module` node that fills defaults in place, or None when
    it could disagree with the jsonschema path (see `_compiles_alike`).

    It is only ever trusted to accept: a node it rejects goes to the jsonschema path, which
    explains the errors KAZOO's way. It is ~20x faster, and most returned flows are valid."""
    data = data_schema(module)
    if data is None:
        return None
    schema: dict[str, Any] = copy.deepcopy(NODE_SCHEMA)
    schema["properties"]["data"] = {**data, "default": {}}
    if not _compiles_alike(schema):
        return None
    schema["$schema"] = "http://json-schema.org/draft-04/schema#"
    checker = kazoo_formats()  # the same format checks as the jsonschema path
    formats = {
        name: (lambda value, name=name: checker.conforms(value, name)) for name in checker.checkers
    }
    return fastjsonschema.compile(schema, formats=formats, use_default=True)


_JESSE_EMAIL = re.compile(r"^[^@]+@[^@]+$")


def kazoo_formats() -> FormatChecker:
    """jsonschema's format checks, with `email` as KAZOO's jesse checks it
    (jesse_validator_draft4:check_format/3: `^[^@]+@[^@]+$`); jsonschema's own only wants an @."""
    checker = FormatChecker()

    @checker.checks("email")
    def _email(value: object) -> bool:
        return not isinstance(value, str) or _JESSE_EMAIL.match(value) is not None

    return checker


def _check_node(node: Any, module: str | None, fast_path: bool) -> tuple[Any, ErrorMap]:
    """(node with defaults filled, errors), validated in place."""
    fast = _fast_check_for(module) if fast_path and module else None
    if fast is not None:
        try:
            # Below the node's own keys fastjsonschema fills only what the jsonschema path
            # would also fill, so a partial fill before a rejection changes nothing.
            return fast(node), {}
        except fastjsonschema.JsonSchemaException:
            pass
    validator = _node_validator_for(module)
    assert validator is not None
    # Flows are validated strictly (KAZOO's flow check does not coerce).
    return validator.validate(node, coerce=False, copy=False)


def _url_problem(url: Any) -> str | None:
    if not isinstance(url, str):
        return None
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        return "invalid client URL"
    if parsed.hostname in BLOCKED_HOSTS:
        return "invalid client URL"
    return None


def _validate_node(
    node: Any, path: list[Any], errors: ErrorMap, depth: int, fast_path: bool = True
) -> Any:
    module = node.get("module") if isinstance(node, dict) else None
    known = isinstance(module, str) and module and _node_validator_for(module) is not None
    checked, problems = _check_node(node, module if known else None, fast_path)
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
        for url_field in URL_FIELDS.get(str(module), ()):
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
                        child, [*path, "children", key], errors, depth + 1, fast_path
                    )
    return checked


def _json_copy(value: Any) -> Any:
    """A deep copy of parsed JSON, several times faster than copy.deepcopy (results are
    refused deeper than 200 levels, so the recursion is bounded)."""
    if isinstance(value, dict):
        return {key: _json_copy(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_json_copy(item) for item in value]
    return value


def validate_flow(flow: Any, *, fast_path: bool = True) -> FlowVerdict:
    """Check a returned flow; the verdict's `flow` has every schema default filled in.

    `fast_path=False` uses only the jsonschema path (tests compare the two)."""
    errors: ErrorMap = {}
    # One copy of the whole tree; below it, every node is validated in place.
    checked = _validate_node(_json_copy(flow), [], errors, 0, fast_path)
    return FlowVerdict(not errors, checked, errors)
