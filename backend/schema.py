"""JSON Schema validation the KAZOO way, on the `jsonschema` library.

KAZOO validates with jesse (draft 4) and differs from a plain validator in three ways that
clients can see, all reproduced here:
- defaults are inserted into the validated document (and a required key that has a default
  therefore never fails);
- non-strict mode coerces strings to the boolean, integer or number a schema asks for;
- errors are reported as `{"<dotted.path>": {"<code>": {"message": ..., ...}}}` with KAZOO's texts.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from copy import deepcopy
from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from jsonschema.exceptions import ValidationError
    from referencing import Registry

# jsonschema (with referencing) takes ~60 ms to import; it is imported on the first validation,
# not at start-up, so that the app shows its list before anything has needed it.

ErrorMap = dict[str, dict[str, dict[str, Any]]]


def _fill_defaults(
    validator: Any, properties: Mapping[str, Any], instance: Any, schema: Any
) -> Iterator[Any]:
    if isinstance(instance, dict):
        for name, subschema in properties.items():
            if isinstance(subschema, Mapping) and "default" in subschema and name not in instance:
                instance[name] = deepcopy(subschema["default"])
    from jsonschema import Draft4Validator

    yield from Draft4Validator.VALIDATORS["properties"](validator, properties, instance, schema)


def _required_unless_defaulted(
    validator: Any, required: Any, instance: Any, schema: Any
) -> Iterator[Any]:
    # jesse inserts defaults while checking properties, before `required`: a defaulted key is there.
    defaults = {
        name
        for name, sub in schema.get("properties", {}).items()
        if isinstance(sub, Mapping) and "default" in sub
    }
    from jsonschema.exceptions import ValidationError

    if isinstance(instance, dict):
        for name in required:
            if name not in instance and name not in defaults:
                yield ValidationError(f"{name!r} is a required property", validator_value=name)


@cache
def kazoo_draft4() -> Any:
    """Draft 4 with KAZOO's default filling and `required` rule."""
    from jsonschema import Draft4Validator, validators

    return validators.extend(  # type: ignore[no-untyped-call]
        Draft4Validator, {"properties": _fill_defaults, "required": _required_unless_defaulted}
    )


def escape_key(key: Any) -> str:
    return str(key).replace(".", "%2E")


def dotted_path(parts: Iterable[Any]) -> str:
    return ".".join(escape_key(part) for part in parts)


def join_path(prefix: str, key: str) -> str:
    """Join an already-dotted prefix and an already-dotted key."""
    return f"{prefix}.{key}" if prefix and key else prefix or key


def _type_target(expected: Any) -> str:
    names = expected if isinstance(expected, list) else [expected]
    return ", ".join(str(name) for name in names)


def kazoo_error(error: ValidationError) -> tuple[list[Any], str, dict[str, Any]]:
    """Translate one jsonschema error into (path, KAZOO code, KAZOO detail object)."""
    path = list(error.absolute_path)
    kind = error.validator
    value = error.instance
    limit = error.validator_value
    if kind == "required":
        name = limit if isinstance(limit, str) else str(limit)
        return (
            [*path, name],
            "required",
            {"message": "Field is required but missing", "value": name},
        )
    if kind == "type":
        target = _type_target(limit)
        return (
            path,
            "type",
            {
                "message": f"Value did not match type(s): {target}",
                "target": target,
                "value": value,
            },
        )
    simple: dict[str, tuple[str, str]] = {
        "minLength": ("minLength", "String must be at least {} characters"),
        "maxLength": ("maxLength", "String must not be more than {} characters"),
        "minimum": ("minimum", "Value must be at least {}"),
        "maximum": ("maximum", "Value must be at most {}"),
        "minItems": ("minItems", "The list must have at least {} items"),
        "maxItems": ("maxItems", "The list is more than {} items"),
    }
    if kind in simple:
        code, text = simple[kind]
        return path, code, {"message": text.format(limit), "target": limit, "value": value}
    if kind == "enum":
        return (
            path,
            "enum",
            {
                "message": "Value not found in enumerated list of values",
                "target": limit,
                "value": value,
            },
        )
    if kind == "pattern":
        return (
            path,
            "pattern",
            {
                "message": f"Failed to match pattern '{limit}'",
                "target": limit,
                "value": value,
            },
        )
    if kind == "additionalProperties":
        return (
            path,
            "additionalProperties",
            {
                "message": "Strict checking of data is enabled; only include schema-defined properties",
                "value": value,
            },
        )
    if kind == "uniqueItems":
        return path, "uniqueItems", {"message": "List of items is not unique", "value": value}
    if kind == "format":
        return (
            path,
            "wrong_format",
            {
                "message": "Field is not in the correct format",
                "format": limit,
                "value": value,
            },
        )
    if kind in ("oneOf", "anyOf", "allOf", "not"):
        return path, kind, {"message": f"Value did not match the {kind} schemas", "value": value}
    return path, str(kind), {"message": error.message, "value": value}


def _coerced(value: Any, expected: Any) -> tuple[bool, Any]:
    """KAZOO's non-strict mode: strings become the boolean or number the schema wants."""
    if not isinstance(value, str):
        return False, value
    wanted = expected if isinstance(expected, list) else [expected]
    if "boolean" in wanted and value in ("true", "false"):
        return True, value == "true"
    if "integer" in wanted:
        try:
            return True, int(value)
        except ValueError:
            pass
    if "number" in wanted:
        try:
            return True, float(value)
        except ValueError:
            pass
    return False, value


def _set_at(document: Any, path: list[Any], value: Any) -> None:
    target = document
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value


class SchemaValidator:
    """Validate a document against a schema: fills defaults, optionally coerces, maps errors."""

    def __init__(
        self,
        schema: Mapping[str, Any],
        registry: Registry | None = None,
        format_checker: Any = None,
    ) -> None:
        self._schema = schema
        self._kwargs: dict[str, Any] = {"format_checker": format_checker}
        if registry is not None:
            self._kwargs["registry"] = registry
        self._compiled: Any = None

    @property
    def _validator(self) -> Any:
        if self._compiled is None:
            self._compiled = kazoo_draft4()(self._schema, **self._kwargs)
        return self._compiled

    def validate(
        self, document: Any, *, coerce: bool = True, copy: bool = True
    ) -> tuple[Any, ErrorMap]:
        """Return (document with defaults filled, errors).

        The input is left untouched unless `copy=False`, for callers that own it outright.
        """
        working = deepcopy(document) if copy else document
        for _ in range(32):  # each round fixes at least one value, so this terminates
            errors = list(self._validator.iter_errors(working))
            fixed = False
            if coerce:
                for error in errors:
                    if error.validator == "type" and error.absolute_path:
                        changed, value = _coerced(error.instance, error.validator_value)
                        if changed:
                            _set_at(working, list(error.absolute_path), value)
                            fixed = True
            if not fixed:
                return working, errors_to_map(errors)
        return working, errors_to_map(errors)


def error_messages(errors: Any) -> list[tuple[str, str]]:
    """`(path, message)` for each entry of a KAZOO validation-error map (from kfn's own
    validator or from a server's 400 body); tolerant of malformed input from the wire."""
    found: list[tuple[str, str]] = []
    if not isinstance(errors, Mapping):
        return found
    for path, codes in errors.items():
        if isinstance(codes, Mapping):
            for code, info in codes.items():
                text = info.get("message", code) if isinstance(info, Mapping) else info
                found.append((str(path), str(text)))
    return found


def errors_to_map(errors: Iterable[ValidationError], prefix: Iterable[Any] = ()) -> ErrorMap:
    result: ErrorMap = {}
    for error in errors:
        path, code, detail = kazoo_error(error)
        # Two errors on the same path keep only the last one, as KAZOO's merge does.
        result[dotted_path([*prefix, *path])] = {code: detail}
    return result
