"""The OpenAPI 3 description of everything the kfn server answers (`GET /v2/openapi.json`)."""

from __future__ import annotations

from typing import Any

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
FUNCTION = {"$ref": "#/components/schemas/Function"}
SUMMARY = {"$ref": "#/components/schemas/FunctionSummary"}
BODY = {
    "required": True,
    "content": {
        "application/json": {
            "schema": {"type": "object", "required": ["data"], "properties": {"data": FUNCTION}}
        }
    },
}
ACCOUNT = {"name": "account_id", "in": "path", "required": True, "schema": {"type": "string"}}
FUNCTION_ID = {"name": "function_id", "in": "path", "required": True, "schema": {"type": "string"}}
IF_MATCH = {"name": "If-Match", "in": "header", "required": False, "schema": {"type": "string"}}
LIST_PARAMS = [
    {"name": name, "in": "query", "required": False, "schema": {"type": kind}}
    for name, kind in (
        ("page_size", "integer"),
        ("start_key", "string"),
        ("paginate", "boolean"),
        ("ascending", "boolean"),
        ("descending", "boolean"),
        ("has_key", "string"),
        ("key_missing", "string"),
        ("has_value", "string"),
        ("value_missing", "string"),
    )
]
ERRORS = {code: ERROR for code in ("400", "401", "403", "404", "405", "409")}


def _list_ok() -> dict[str, Any]:
    return _json(_envelope({"type": "array", "items": SUMMARY}), "the account's functions")


def _doc_ok(description: str) -> dict[str, Any]:
    return _json(_envelope(FUNCTION), description)


def openapi_document() -> dict[str, Any]:
    auth_body = {
        "required": True,
        "content": {"application/json": {"schema": {"type": "object", "required": ["data"]}}},
    }
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
        "paths": {
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
                    "responses": {"201": _doc_ok("created"), **ERRORS},
                },
            },
            "/v2/accounts/{account_id}/functions/samples": {
                "parameters": [ACCOUNT],
                "get": {"summary": "Sample functions", "responses": {"200": _list_ok(), **ERRORS}},
            },
            "/v2/accounts/{account_id}/functions/{function_id}": {
                "parameters": [ACCOUNT, FUNCTION_ID, IF_MATCH],
                "get": {
                    "summary": "Fetch a function",
                    "responses": {"200": _doc_ok("the function"), **ERRORS},
                },
                "post": {
                    "summary": "Replace a function (kfn saves; KAZOO does not)",
                    "requestBody": BODY,
                    "responses": {"200": _doc_ok("saved"), **ERRORS},
                },
                "patch": {
                    "summary": "Merge into a function; null removes a key",
                    "requestBody": BODY,
                    "responses": {"200": _doc_ok("saved"), **ERRORS},
                },
                "delete": {
                    "summary": "Delete a function",
                    "responses": {"200": _doc_ok("deleted"), **ERRORS},
                },
            },
            "/v2/accounts/{account_id}": {
                "parameters": [ACCOUNT],
                "get": {
                    "summary": "The account's id and name",
                    "responses": {"200": _json(_envelope({}), "the account"), **ERRORS},
                },
            },
            "/v2/accounts/{account_id}/descendants": {
                "parameters": [ACCOUNT],
                "get": {
                    "summary": "Accounts below this one",
                    "responses": {"200": _json(_envelope({"type": "array"}), "accounts"), **ERRORS},
                },
            },
            "/v2/functions": {
                "get": {
                    "summary": "Language packs this server runs (super admin)",
                    "responses": {"200": _json(_envelope({"type": "array"}), "packs"), **ERRORS},
                },
                "put": {
                    "summary": "Create an account-less function (super admin)",
                    "requestBody": BODY,
                    "responses": {"201": _doc_ok("created"), **ERRORS},
                },
            },
            "/v2/functions/samples": {
                "get": {
                    "summary": "Sample functions",
                    "security": [],
                    "responses": {"200": _list_ok()},
                },
            },
            "/v2/functions/{function_id}": {
                "parameters": [FUNCTION_ID, IF_MATCH],
                "get": {
                    "summary": "Fetch any function (super admin)",
                    "responses": {"200": _doc_ok("the function"), **ERRORS},
                },
                "post": {
                    "summary": "Replace any function (super admin)",
                    "requestBody": BODY,
                    "responses": {"200": _doc_ok("saved"), **ERRORS},
                },
                "patch": {
                    "summary": "Merge into any function (super admin)",
                    "requestBody": BODY,
                    "responses": {"200": _doc_ok("saved"), **ERRORS},
                },
                "delete": {
                    "summary": "Delete any function (super admin)",
                    "responses": {"200": _doc_ok("deleted"), **ERRORS},
                },
            },
            "/v2/api_auth": {
                "put": {
                    "summary": "Token from an API key",
                    "security": [],
                    "requestBody": auth_body,
                    "responses": {
                        "201": _json(_envelope({}), "token issued"),
                        "400": ERROR,
                        "404": ERROR,
                    },
                },
            },
            "/v2/user_auth": {
                "put": {
                    "summary": "Token from md5(user:password) and an account name",
                    "security": [],
                    "requestBody": auth_body,
                    "responses": {
                        "201": _json(_envelope({}), "token issued"),
                        "400": ERROR,
                        "401": ERROR,
                    },
                },
            },
            "/v2/token_auth": {
                "get": {
                    "summary": "The token's claims",
                    "responses": {"200": _json(_envelope({}), "claims"), "401": ERROR},
                },
                "delete": {
                    "summary": "Revoke the token",
                    "responses": {"200": _json(_envelope({}), "revoked"), "401": ERROR},
                },
            },
            "/v2/openapi.json": {
                "get": {
                    "summary": "This document",
                    "security": [],
                    "responses": {"200": {"description": "OpenAPI 3"}},
                }
            },
        },
    }
