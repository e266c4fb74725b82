"""The OpenAPI 3 description of everything the kfn server answers (`GET /v2/openapi.json`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from backend.accounts import API_AUTH_SCHEMA, USER_AUTH_SCHEMA
from backend.callflows import (
    CALLFLOW_SCHEMA,
    LIST_ENTRY_SCHEMA,
    LIST_SCHEMA,
    MENU_SCHEMA,
    RULE_SET_SCHEMA,
    TEMPORAL_RULE_SCHEMA,
)
from backend.functions import FUNCTION_SCHEMA


def _envelope(data: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["status", "request_id"],
        "properties": {
            "status": {"type": "string", "enum": ["success", "error"]},
            "data": data,
            "revision": {"type": "string"},
            "request_id": {"type": "string"},
            "auth_token": {"type": "string"},
            "node": {"type": "string"},
            "timestamp": {"type": "string"},
            "version": {"type": "string"},
            "page_size": {"type": "integer"},
            "start_key": {"type": "string"},
            "next_start_key": {"type": "string"},
        },
    }


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


ERROR = {"$ref": "#/components/responses/Error"}
FORWARDED_INVOCATIONS = {
    "type": "array",
    "maxItems": 100,
    "items": {"type": "object", "required": ["time"], "properties": {"time": {"type": "string"}}},
}
FUNCTION = {"$ref": "#/components/schemas/Function"}
SUMMARY = {"$ref": "#/components/schemas/FunctionSummary"}


def _request(schema: dict[str, Any], deep: bool = False) -> dict[str, Any]:
    """A document schema as a request may send it: kfn drops top-level keys sent as null (a
    default, if any, applies), so every key that is not required may be null. `deep`: at any
    depth, as a PATCH merge removes a nested key sent as null."""
    required = set(schema.get("required", []))

    def nullable(prop: dict[str, Any]) -> dict[str, Any]:
        # OpenAPI 3.0: an enum must list null itself for `nullable` to admit it.
        enum = {"enum": [*prop["enum"], None]} if None not in prop.get("enum", [None]) else {}
        inner = _request(prop, deep=True) if deep and "properties" in prop else prop
        return {**inner, **enum, "nullable": True}

    return {
        **schema,
        "properties": {
            key: prop if key in required else nullable(prop)
            for key, prop in schema["properties"].items()
        },
    }


REQUEST_FUNCTION = _request(FUNCTION_SCHEMA)
# PATCH merges: any field may be left out and null removes a key (its default comes back); an
# empty `data` replaces the whole document, as KAZOO's merge does, so it must name something.
PATCH_FUNCTION = {
    "type": "object",
    "minProperties": 1,
    "properties": REQUEST_FUNCTION["properties"],
}


def _body(schema: dict[str, Any]) -> dict[str, Any]:
    envelope = {"type": "object", "required": ["data"], "properties": {"data": schema}}
    return {"required": True, "content": {"application/json": {"schema": envelope}}}


BODY = _body(REQUEST_FUNCTION)
PATCH_BODY = _body(PATCH_FUNCTION)
ACCOUNT = {"name": "account_id", "in": "path", "required": True, "schema": {"type": "string"}}
DOCUMENT_ID = {"name": "document_id", "in": "path", "required": True, "schema": {"type": "string"}}
FUNCTION_ID = {"name": "function_id", "in": "path", "required": True, "schema": {"type": "string"}}
LIST_ID = {"name": "list_id", "in": "path", "required": True, "schema": {"type": "string"}}
IF_MATCH = {"name": "If-Match", "in": "header", "required": False, "schema": {"type": "string"}}
# KAZOO reads its flags as text: "true" turns one on, any other value leaves it off.
LIST_PARAMS = [
    {"name": name, "in": "query", "required": False, "schema": {"type": kind}}
    for name, kind in (
        ("page_size", "integer"),
        ("start_key", "string"),
        ("paginate", "string"),
        ("ascending", "string"),
        ("descending", "string"),
        ("has_key", "string"),
        ("key_missing", "string"),
        ("has_value", "string"),
        ("value_missing", "string"),
    )
]
ERRORS: dict[str, Any] = {
    **{code: ERROR for code in ("400", "401", "403", "404", "405", "409", "500")},
    # cowboy's answers, with an empty body (kfn answers them the same way).
    "406": {"description": "the Accept header matches neither JSON nor CSV (empty body)"},
}
READ_ERRORS: dict[str, Any] = {
    **ERRORS,
    "304": {"description": "If-None-Match: not modified"},
    "412": {"description": "If-Match names another revision (empty body)"},
}
WRITE_ERRORS: dict[str, Any] = {
    **ERRORS,
    "408": ERROR,
    "412": {"description": "If-Match names another revision (empty body)"},
    "415": {"description": "a Content-Type KAZOO does not take (empty body)"},
}
AUTH_ERRORS: dict[str, Any] = {
    code: ERROR for code in ("400", "401", "404", "405", "408", "429", "500")
}


def _list_ok() -> dict[str, Any]:
    return _json(_envelope({"type": "array", "items": SUMMARY}), "the account's functions")


def _doc_ok(description: str) -> dict[str, Any]:
    return _json(_envelope(FUNCTION), description)


# cb_callflows:validate_request/2: a callflow is reachable by a number or by a pattern.
CALLFLOW_REQUEST = {
    **_request(CALLFLOW_SCHEMA),
    "anyOf": [
        {"required": ["numbers"], "properties": {"numbers": {"minItems": 1}}},
        {"required": ["patterns"], "properties": {"patterns": {"minItems": 1}}},
    ],
}


def _document_item(
    noun: str,
    parameters: list[dict[str, Any]],
    body: dict[str, Any],
    patch: dict[str, Any],
    ok: Callable[[str], dict[str, Any]],
) -> dict[str, Any]:
    """GET, POST, PATCH and DELETE of one document: the same for every module and scope."""
    return {
        "parameters": parameters,
        "get": {"summary": f"Fetch {noun}", "responses": {"200": ok(noun), **READ_ERRORS}},
        "post": {
            "summary": f"Replace {noun} (kfn saves; KAZOO's functions do not)",
            "requestBody": body,
            "responses": {"200": ok("saved"), **WRITE_ERRORS},
        },
        "patch": {
            "summary": f"Merge into {noun}; null removes a key",
            "requestBody": patch,
            "responses": {"200": ok("saved"), **WRITE_ERRORS},
        },
        "delete": {
            "summary": f"Delete {noun}",
            "responses": {"200": ok("deleted"), **WRITE_ERRORS},
        },
    }


def _document_paths(module: str, schema: dict[str, Any], summary: str) -> dict[str, Any]:
    """The account-scoped collection and document paths of one document module."""
    body = _body(schema)
    merged = _request(schema, deep=True)["properties"]
    patch = _body({"type": "object", "minProperties": 1, "properties": merged})
    doc = _json(_envelope({"type": "object"}), summary)

    def ok(description: str) -> dict[str, Any]:
        return _json(_envelope({"type": "object"}), description)

    listing = _json(_envelope({"type": "array", "items": {"type": "object"}}), f"the {summary}s")
    return {
        f"/v2/accounts/{{account_id}}/{module}": {
            "parameters": [ACCOUNT],
            "get": {"summary": f"List {module}", "parameters": LIST_PARAMS,
                    "responses": {"200": listing, **ERRORS}},
            "put": {"summary": f"Create a {summary}", "requestBody": body,
                    "responses": {"201": doc, **WRITE_ERRORS}},
        },
        f"/v2/accounts/{{account_id}}/{module}/{{document_id}}": _document_item(
            f"a {summary}", [ACCOUNT, DOCUMENT_ID, IF_MATCH], body, patch, ok
        ),
    }  # fmt: skip


def _entries_paths() -> dict[str, Any]:
    """cb_lists' entries of one list: the path names the list, so the body need not."""
    # PUT sets list_id from the path, whatever the body says.
    properties = {k: v for k, v in LIST_ENTRY_SCHEMA["properties"].items() if k != "list_id"}
    schema = _request({**LIST_ENTRY_SCHEMA, "required": [], "properties": properties})
    paths = _document_paths("lists/{list_id}/entries", schema, "list entry")
    listing = _json(_envelope({"type": "array", "items": {"type": "object"}}), "the entries")
    collection = paths["/v2/accounts/{account_id}/lists/{list_id}/entries"]
    collection["parameters"] = [ACCOUNT, LIST_ID]
    collection["put"]["requestBody"]["required"] = False  # an entry may be empty, as in KAZOO
    collection["delete"] = {"summary": "Delete every entry of the list",
                            "responses": {"200": listing, **WRITE_ERRORS}}  # fmt: skip
    item = paths["/v2/accounts/{account_id}/lists/{list_id}/entries/{document_id}"]
    item["parameters"] = [ACCOUNT, LIST_ID, DOCUMENT_ID, IF_MATCH]
    # Only PUT takes list_id from the path; a replacement must name it (cb_lists:validate_req).
    item["post"]["requestBody"] = _body(_request(LIST_ENTRY_SCHEMA))
    return paths


CHILD_ACCOUNT = {
    "type": "object",
    "properties": {"name": {"type": "string", "minLength": 1}, "realm": {"type": "string"}},
    "required": ["name"],
}

PIVOT_DESCRIPTION = {
    "type": "object",
    "properties": {
        "enabled": {"type": "boolean"},
        "voice_url": {"type": "string"},
        "method": {"type": "string"},
        "req_format": {"type": "string"},
        "callflow_node": {"type": "object"},
        "warning": {"type": "string"},
        "message": {"type": "string"},
    },
    "required": ["enabled"],
}


def _pivot_paths() -> dict[str, Any]:
    """kfn's own (docs/kazoo-compatibility.md §10): a function's Pivot URL and its calls."""
    described = _json(_envelope(PIVOT_DESCRIPTION), "the function's Pivot URL and callflow node")
    base = "/v2/accounts/{account_id}/functions/{function_id}/pivot"
    parameters = [ACCOUNT, FUNCTION_ID]
    return {
        base: {
            "parameters": parameters,
            "get": {
                "summary": "The function's Pivot URL (minted on first use) and the pivot "
                "node to paste into a KAZOO callflow",
                "responses": {"200": described, **ERRORS},
            },
            "put": {
                "summary": "A new secret: the old Pivot URL stops working",
                "responses": {"200": described, **ERRORS},
            },
            "delete": {
                "summary": "Revoke the Pivot URL",
                "responses": {"200": described, **ERRORS},
            },
        },
        f"{base}/invocations": {
            "parameters": parameters,
            "get": {
                "summary": "The function's last 100 Pivot calls, newest first",
                "responses": {
                    "200": _json(_envelope({"type": "array"}), "the calls"),
                    **ERRORS,
                },
            },
            "put": {
                "summary": "Record calls a `kfn pivot` instance answered (at most 100)",
                "requestBody": _body(FORWARDED_INVOCATIONS),
                "responses": {
                    "201": _json(_envelope({"type": "object"}), "how many were recorded"),
                    **ERRORS,
                },
            },
        },
    }


def _with_operation_ids(paths: dict[str, Any]) -> dict[str, Any]:
    """Every operation gets an id from its method and path (delete_v2_token_auth, ...)."""
    for path, item in paths.items():
        for method, operation in item.items():
            if isinstance(operation, dict) and "responses" in operation:
                words = path.replace("{", "").replace("}", "").replace(".", "_").split("/")
                operation["operationId"] = "_".join([method, *filter(None, words)])
    return paths


def openapi_document() -> dict[str, Any]:
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "kfn — KAZOO v2 functions API",
            "version": "0.1.0",
            "description": "KAZOO Crossbar v2 behaviour for functions and auth, as served by kfn.",
        },
        "components": {
            "securitySchemes": {
                "token": {"type": "apiKey", "in": "header", "name": "X-Auth-Token"},
                "bearer": {"type": "http", "scheme": "bearer"},
            },
            "schemas": {
                "Function": FUNCTION_SCHEMA,
                "FunctionSummary": {
                    "type": "object",
                    "properties": {
                        "id": {"type": "string"},
                        "name": {"type": "string"},
                        "function_js": {"type": "string"},
                        "enabled": {"type": "boolean"},
                        "disable_reason": {"type": "string"},
                    },
                },
            },
            "responses": {
                "Error": _json(
                    {
                        "type": "object",
                        "required": ["status", "error", "message", "data"],
                        "properties": {
                            "status": {"type": "string", "enum": ["error"]},
                            "error": {"type": "string"},
                            "message": {"type": "string"},
                            "data": {},
                        },
                    },
                    "a KAZOO error envelope",
                )
            },
        },
        "security": [{"token": []}, {"bearer": []}],
        "paths": _with_operation_ids(
            {
                "/v2/accounts/{account_id}/functions": {
                    "parameters": [ACCOUNT],
                    "get": {
                        "summary": "List functions",
                        "parameters": LIST_PARAMS,
                        "responses": {"200": _list_ok(), **ERRORS},
                    },
                    "put": {
                        "summary": "Create a function",
                        "requestBody": BODY,
                        "responses": {"201": _doc_ok("created"), **WRITE_ERRORS},
                    },
                },
                "/v2/accounts/{account_id}/functions/samples": {
                    "parameters": [ACCOUNT],
                    "get": {
                        "summary": "Sample functions",
                        "responses": {"200": _list_ok(), **ERRORS},
                    },
                },
                "/v2/accounts/{account_id}/functions/{function_id}": _document_item(
                    "a function", [ACCOUNT, FUNCTION_ID, IF_MATCH], BODY, PATCH_BODY, _doc_ok
                ),
                **_pivot_paths(),
                "/v2/accounts/{account_id}": {
                    "parameters": [ACCOUNT],
                    "get": {
                        "summary": "The account's id and name",
                        "responses": {"200": _json(_envelope({}), "the account"), **ERRORS},
                    },
                    "put": {
                        "summary": "A child account (its API key is in this answer, once)",
                        "requestBody": _body(CHILD_ACCOUNT),
                        "responses": {
                            "201": _json(_envelope({"type": "object"}), "the child"),
                            **ERRORS,
                        },
                    },
                },
                "/v2/accounts/{account_id}/descendants": {
                    "parameters": [ACCOUNT],
                    "get": {
                        "summary": "Accounts below this one",
                        "responses": {
                            "200": _json(_envelope({"type": "array"}), "accounts"),
                            **ERRORS,
                        },
                    },
                },
                "/v2/accounts/{account_id}/children": {
                    "parameters": [ACCOUNT],
                    "get": {
                        "summary": "Accounts below this one",
                        "responses": {
                            "200": _json(_envelope({"type": "array"}), "accounts"),
                            **ERRORS,
                        },
                    },
                },
                "/v2/functions": {
                    "get": {
                        "summary": "Language packs this server runs (super admin)",
                        "responses": {
                            "200": _json(_envelope({"type": "array"}), "packs"),
                            **ERRORS,
                        },
                    },
                    "put": {
                        "summary": "Create an account-less function (super admin)",
                        "requestBody": BODY,
                        "responses": {"201": _doc_ok("created"), **WRITE_ERRORS},
                    },
                },
                "/v2/functions/samples": {
                    "get": {
                        "summary": "Sample functions",
                        "security": [],
                        # A token that is sent must be valid, even here, as in KAZOO.
                        "responses": {
                            "200": _list_ok(),
                            "401": ERROR,
                            "405": ERROR,
                            "406": ERRORS["406"],
                        },
                    },
                },
                "/v2/functions/{function_id}": _document_item(
                    "any function (super admin)", [FUNCTION_ID, IF_MATCH], BODY, PATCH_BODY, _doc_ok
                ),
                "/v2/api_auth": {
                    "put": {
                        "summary": "Token from an API key",
                        "security": [],
                        "requestBody": _body(API_AUTH_SCHEMA),
                        "responses": {"201": _json(_envelope({}), "token issued"), **AUTH_ERRORS},
                    },
                },
                "/v2/user_auth": {
                    "put": {
                        "summary": "Token from md5(user:password) and an account name",
                        "security": [],
                        "requestBody": _body(USER_AUTH_SCHEMA),
                        "responses": {"201": _json(_envelope({}), "token issued"), **AUTH_ERRORS},
                    },
                },
                "/v2/token_auth": {
                    "get": {
                        "summary": "The token's claims",
                        "responses": {"200": _json(_envelope({}), "claims"), **ERRORS},
                    },
                    "delete": {
                        "summary": "Revoke the token",
                        "responses": {"200": _json(_envelope({}), "revoked"), **ERRORS},
                    },
                },
                **_document_paths("callflows", CALLFLOW_REQUEST, "callflow"),
                **_document_paths(
                    "temporal_rules", _request(TEMPORAL_RULE_SCHEMA), "temporal rule"
                ),
                **_document_paths(
                    "temporal_rules_sets", _request(RULE_SET_SCHEMA), "temporal rule set"
                ),
                **_document_paths("menus", _request(MENU_SCHEMA), "menu"),
                **_document_paths("lists", _request(LIST_SCHEMA), "match list"),
                **_entries_paths(),
                "/v2/openapi.json": {
                    "get": {
                        "summary": "This document",
                        "security": [],
                        "responses": {"200": {"description": "OpenAPI 3"}, "401": ERROR},
                    }
                },
            }
        ),
    }
