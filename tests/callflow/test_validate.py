"""Flow validation: shapes, defaults, KAZOO codes, and agreement with KAZOO's own schema files."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

from backend.callflow.modules import data_schema, module_names
from backend.callflow.validate import _fast_check_for, validate_flow
from backend.schema import SchemaValidator
from tests.conftest import kazoo_schemas_dir, needs_kazoo_schemas

SCHEMAS = kazoo_schemas_dir()


def test_defaults_are_filled_recursively_and_errors_have_paths() -> None:
    verdict = validate_flow(
        {
            "module": "tts",
            "data": {"text": "hi"},
            "children": {
                "_": {"module": "ring_group", "data": {"endpoints": []}},
                "1": {"module": "nope", "data": {}},
            },
        }
    )
    assert not verdict.valid
    assert verdict.flow["data"]["voice"] == "female"
    assert verdict.errors["children._.data.endpoints"]["minItems"]["target"] == 1
    assert (
        verdict.errors["children.1.module"]["error"]["message"]
        == "unable to find callflow schema for module nope"
    )


def test_data_defaults_to_an_empty_object_and_urls_are_checked() -> None:
    assert validate_flow({"module": "hangup"}).valid
    bad = validate_flow({"module": "pivot", "data": {"voice_url": "http://localhost/x"}})
    assert bad.errors["data.voice_url"]["error"]["message"] == "invalid client URL"
    assert validate_flow({"module": "pivot", "data": {"voice_url": "https://example.com/x"}}).valid


def test_non_objects_fail() -> None:
    for value in ("x", [1], None, 3):
        assert not validate_flow(value).valid


# -- agreement with KAZOO's schema files ----------------------------------------------------------
def _jesse_style(schema: Any) -> Any:
    """jesse applies keywords beside a $ref; draft 4 validators ignore them. Emulate jesse."""
    if isinstance(schema, dict):
        schema = {k: _jesse_style(v) for k, v in schema.items()}
        if "$ref" in schema and len(schema) > 1:
            ref = schema.pop("$ref")
            schema.setdefault("allOf", []).append({"$ref": ref})
        return schema
    if isinstance(schema, list):
        return [_jesse_style(item) for item in schema]
    return schema


def _kazoo_validator(module: str) -> SchemaValidator:
    assert SCHEMAS is not None
    resources = []
    for path in SCHEMAS.glob("*.json"):
        doc = _jesse_style(json.loads(path.read_text()))
        resources.append((path.stem, Resource.from_contents(doc, default_specification=DRAFT4)))
    for missing in ("conferences", "custom_sip_headers"):  # not part of the reference set
        resources.append((missing, Resource.from_contents({}, default_specification=DRAFT4)))
    registry = Registry().with_resources(resources)
    schema = _jesse_style(json.loads((SCHEMAS / f"callflows.{module}.json").read_text()))
    return SchemaValidator(schema, registry=registry, format_checker=FormatChecker())


def _sample(schema: dict[str, Any]) -> Any:
    if "enum" in schema:
        return schema["enum"][0]
    if "oneOf" in schema:
        return _sample(schema["oneOf"][0])
    kind = schema.get("type")
    if kind == "string":
        if schema.get("format") == "email":
            return "a@example.com"
        if "pattern" in schema:
            return "https://example.com/x" if "http" in schema["pattern"] else "en-us"
        return "x" * max(1, schema.get("minLength", 1))
    if kind == "integer":
        return max(schema.get("minimum", 1), 1) if "maximum" not in schema else schema["maximum"]
    if kind == "boolean":
        return True
    if kind == "array":
        items = schema.get("items", {"type": "string"})
        return (
            [_sample(items)] * max(1, schema.get("minItems", 1)) if not items.get("oneOf") else []
        )
    if kind == "object":
        props = schema.get("properties", {})
        return {k: _sample(props[k]) for k in schema.get("required", [])}
    return "x"


def _wrong(schema: dict[str, Any]) -> list[Any]:
    kind = schema.get("type")
    wrongs: list[Any] = [{"an": "object"}] if kind != "object" else ["not an object"]
    if "enum" in schema:
        wrongs.append("not-in-the-enum")
    if "minimum" in schema:
        wrongs.append(schema["minimum"] - 1)
    if "maximum" in schema:
        wrongs.append(schema["maximum"] + 1)
    if "minLength" in schema:
        wrongs.append("")
    if "maxLength" in schema:
        wrongs.append("y" * (schema["maxLength"] + 1))
    if "minItems" in schema:
        wrongs.append([])
    if "pattern" in schema:
        wrongs.append("no match here")
    return wrongs


def _kazoo_schema(module: str) -> dict[str, Any]:
    assert SCHEMAS is not None
    return json.loads((SCHEMAS / f"callflows.{module}.json").read_text())


def _cases(schema: dict[str, Any]) -> list[dict[str, Any]]:
    """Data for one module's schema: valid, each property varied, each wrong, each required
    property missing."""
    props = schema.get("properties", {})
    valid = {k: _sample(props[k]) for k in schema.get("required", []) if k in props}
    cases = [{}, copy.deepcopy(valid)]
    for name, prop in props.items():
        cases.append({**valid, name: _sample(prop)})
        cases.extend({**valid, name: wrong} for wrong in _wrong(prop))
    cases.extend(
        {k: v for k, v in valid.items() if k != name} for name in schema.get("required", [])
    )
    return cases


@needs_kazoo_schemas
@pytest.mark.parametrize("module", module_names())
def test_catalog_agrees_with_kazoos_schema(module: str) -> None:
    assert SCHEMAS is not None
    assert (SCHEMAS / f"callflows.{module}.json").exists(), f"{module} is not a KAZOO module"
    ours = SchemaValidator(data_schema(module), format_checker=FormatChecker())
    theirs = _kazoo_validator(module)
    for case in _cases(_kazoo_schema(module)):
        our_doc, our_errors = ours.validate(case, coerce=False)
        their_doc, their_errors = theirs.validate(case, coerce=False)
        assert sorted(our_errors) == sorted(their_errors), (module, case, our_errors, their_errors)
        assert our_doc == their_doc, (module, case)


@needs_kazoo_schemas
def test_catalog_covers_every_kazoo_module() -> None:
    assert SCHEMAS is not None
    files = {p.stem.removeprefix("callflows.") for p in SCHEMAS.glob("callflows.*.json")}
    assert files - set(module_names()) == {"action"}


# -- the compiled fast path agrees with the jsonschema path ---------------------------------------
# Generated from kfn's own catalog, so these run anywhere (no KAZOO files needed).
def _flows(module: str) -> list[Any]:
    """Nodes of `module` with valid and invalid data, alone and under a parent and a child."""
    flows: list[Any] = []
    for case in _cases(data_schema(module)):
        node = {"module": module, "data": case}
        flows.append(node)
        flows.append({"module": module, "data": case, "children": {"_": {"module": "hangup"}}})
        flows.append({"module": "tts", "data": {"text": "hi"}, "children": {"1": node}})
    flows.append({"module": module})
    flows.append({"module": module, "data": {}, "children": []})
    return flows


@pytest.mark.parametrize("module", module_names())
def test_the_fast_path_gives_the_jsonschema_verdict(module: str) -> None:
    for flow in _flows(module):
        fast, slow = validate_flow(flow), validate_flow(flow, fast_path=False)
        assert (fast.valid, fast.errors, fast.flow) == (slow.valid, slow.errors, slow.flow), flow


def _strategy(schema: Any) -> st.SearchStrategy[Any]:
    """Values for a catalog schema (the subset of draft 4 the catalog uses), mostly valid:
    enums, bounds, lengths and required keys are honoured, patterns and formats are not (so
    those draws exercise the error paths)."""
    if not isinstance(schema, dict) or not schema:
        return st.none() | st.booleans() | st.integers() | st.text(max_size=5)
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    if "oneOf" in schema:
        return st.one_of([_strategy(branch) for branch in schema["oneOf"]])
    kind = schema.get("type")
    if isinstance(kind, list):
        return st.one_of([_strategy({**schema, "type": one}) for one in kind])
    if kind == "string":
        low = schema.get("minLength", 0)
        return st.text(min_size=low, max_size=max(low, min(schema.get("maxLength", 12), 12)))
    if kind == "integer":
        return st.integers(schema.get("minimum"), schema.get("maximum"))
    if kind == "number":
        return st.floats(schema.get("minimum"), schema.get("maximum"), allow_nan=False)
    if kind == "boolean":
        return st.booleans()
    if kind == "array":
        return st.lists(
            _strategy(schema.get("items", {})), min_size=schema.get("minItems", 0), max_size=3
        )
    if kind == "object":
        props = schema.get("properties", {})
        required = [key for key in schema.get("required", []) if key in props]
        optional = {k: _strategy(v) for k, v in props.items() if k not in required}
        return st.fixed_dictionaries(
            {key: _strategy(props[key]) for key in required}, optional=optional
        )
    return st.none()


@pytest.mark.parametrize("module", module_names())
@settings(max_examples=15, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_the_fast_path_agrees_on_generated_data(module: str, data: st.DataObject) -> None:
    """Data drawn from the catalog's schema, sometimes with one key set to another type: the
    two paths must give one verdict, one flow, one error map."""
    value = data.draw(_strategy(data_schema(module)), label="data")
    if isinstance(value, dict) and value and data.draw(st.booleans(), label="mutate"):
        key = data.draw(st.sampled_from(sorted(value)), label="key")
        value = {**value, key: data.draw(st.sampled_from([None, [], {}, "x", -1, True]))}
    for flow in (
        {"module": module, "data": value},
        {
            "module": "tts",
            "data": {"text": "t"},
            "children": {"_": {"module": module, "data": value}},
        },
    ):
        fast, slow = validate_flow(flow), validate_flow(flow, fast_path=False)
        assert (fast.valid, fast.errors, fast.flow) == (slow.valid, slow.errors, slow.flow), flow


def test_the_fast_path_covers_the_modules_it_can_judge_exactly() -> None:
    covered = {module for module in module_names() if _fast_check_for(module) is not None}
    # audio_macro's macro items have defaults inside oneOf branches, which jsonschema fills
    # while it tries each branch; let through, the test above fails on it.
    assert set(module_names()) - covered == {"audio_macro"}


@pytest.mark.parametrize(("address", "valid"), [("@x", False), ("a@", False), ("a@b@c", False),
                                                ("a@b", True), ("first last@example.com", True)])  # fmt: skip
def test_email_is_checked_as_jesse_does(address: str, valid: bool) -> None:
    """jesse's `email` format is `^[^@]+@[^@]+$` (jsonschema's own only wants an @)."""
    flow = {"module": "notification", "data": {"recipients": [{"id": address, "type": "email"}]}}
    for fast in (True, False):
        assert validate_flow(flow, fast_path=fast).valid is valid, (address, fast)
