"""A small stand-in for a real KAZOO that reproduces the quirks of a real KAZOO (docs/kazoo-compatibility.md), so the
client is tested against them (kfn's own server deliberately fixes most of them):

- POST to a function validates and merges but does not save, and returns the old revision (§0.1);
- page keys are base64url Erlang external terms, `page_size` is the number of items returned (§4.7);
- tokens are JWTs with an `exp` claim; an expired one gets `{"data":{},"message":"invalid
  credentials"}`, a missing one the system-error shape (§3.2, §5.4);
- an unknown API key is 404 `bad identifier` with a list as `data` (§5.3);
- envelopes carry `tokens`, `version`, `node`, `timestamp`, `request_id` (§2.3);
- `GET /v2/functions` is 503 `datastore missing view` (§0.10);
- a stale `If-Match` is 412 with an empty body, a current `If-None-Match` 304 (§4.8);
- callflows, temporal rules and match lists are read-only here; a list's entries come from the
  lists/entries view without their ids, and a module crossbar does not load (menus, unless
  given) is aiohttp's plain-text 404, not a KAZOO envelope.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import secrets
import struct
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def etf_encode(key: list[str]) -> str:
    """`erlang:term_to_binary([<<"a">>, <<"b">>])`, base64url without padding."""
    body = b"\x83l" + struct.pack(">I", len(key))
    for item in key:
        raw = item.encode()
        body += b"m" + struct.pack(">I", len(raw)) + raw
    return _b64(body + b"j")


def etf_decode(text: str) -> list[str]:
    data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    assert data[:2] == b"\x83l", "not an Erlang list term"
    (count,) = struct.unpack(">I", data[2:6])
    items, pos = [], 6
    for _ in range(count):
        assert data[pos : pos + 1] == b"m"
        (length,) = struct.unpack(">I", data[pos + 1 : pos + 5])
        items.append(data[pos + 5 : pos + 5 + length].decode())
        pos += 5 + length
    return items


def md5_credentials(username: str, password: str) -> str:
    return hashlib.md5(f"{username.lower()}:{password}".encode()).hexdigest()


@dataclass
class FakeKazoo:
    account_id: str = "a" * 32
    account_name: str = "acme"
    api_key: str = "k" * 64
    username: str = "admin"
    password: str = "secret"
    token_ttl: float = 3600.0
    functions: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Other account documents by module ("callflows", "temporal_rules", "lists", ...) and id;
    # only the modules present are routed.
    documents: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    entries: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # by list id
    requests: list[tuple[str, str, dict[str, str], dict[str, str]]] = field(default_factory=list)
    issued_start_keys: set[str] = field(default_factory=set)
    logins: int = 0
    # Tokens of an older generation than this are refused: a counter, not a clock, so a token
    # issued a microsecond after expire_tokens() is never mistaken for an old one.
    token_generation: int = 0
    oldest_valid_generation: int = 0
    latency_s: float = 0.0  # added to every answer: a slow, far away server
    fault: int = 0  # when set, every answer is this status: KAZOO with its datastore down

    # -- helpers ----------------------------------------------------------------------------------
    def _envelope(
        self, status: int, body: dict[str, Any], token: str | None = None
    ) -> web.Response:
        body = {
            **body,
            "request_id": secrets.token_hex(16),
            "node": _b64(hashlib.md5(b"kazoo@node1").digest()),
            "timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "tokens": {"consumed": 1, "remaining": 99},
        }
        if token:
            body["auth_token"] = token
            body["version"] = "5.0.0"
        return web.json_response(body, status=status)

    def _error(self, status: int, message: str, data: Any) -> web.Response:
        return self._envelope(
            status, {"status": "error", "error": str(status), "message": message, "data": data}
        )

    def _jwt(self) -> str:
        header = _b64(json.dumps({"alg": "RS256", "typ": "JWT", "kid": "k1"}).encode())
        claims = {
            "account_id": self.account_id,
            "method": "cb_api_auth",
            "exp": time.time() + self.token_ttl,
            "iat": time.time(),
            "iss": "kazoo",
            "kfn_generation": self.token_generation,
        }
        payload = _b64(json.dumps(claims).encode())
        return f"{header}.{payload}.{_b64(secrets.token_bytes(32))}"

    def expire_tokens(self, also_new_ones: bool = False) -> None:
        """Every token issued so far is expired from now on (and new ones too, if asked)."""
        self.token_generation += 1
        self.oldest_valid_generation = self.token_generation
        if also_new_ones:
            self.token_ttl = -1.0

    def _auth(self, request: web.Request) -> tuple[str | None, web.Response | None]:
        token = request.headers.get("X-Auth-Token")
        if not token:
            return None, self._error(401, "invalid_credentials", {"message": "invalid credentials"})
        try:
            claims = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
        except (ValueError, IndexError):
            return None, self._error(401, "invalid_credentials", {"message": "invalid credentials"})
        if claims["exp"] <= time.time() or claims["kfn_generation"] < self.oldest_valid_generation:
            return None, self._error(401, "invalid credentials", {})
        return token, None

    def _rev(self, generation: int) -> str:
        return f"{generation}-{secrets.token_hex(16)}"

    # -- handlers ---------------------------------------------------------------------------------
    async def record(self, request: web.Request) -> None:
        self.requests.append(
            (request.method, request.path, dict(request.headers), dict(request.query))
        )

    async def api_auth(self, request: web.Request) -> web.Response:
        data = (await request.json())["data"]
        if data.get("api_key") != self.api_key:
            return self._error(404, "bad identifier", [data.get("api_key")])
        self.logins += 1
        return self._envelope(
            201,
            {
                "status": "success",
                "data": {"account_id": self.account_id, "account_name": self.account_name},
            },
            self._jwt(),
        )

    async def user_auth(self, request: web.Request) -> web.Response:
        data = (await request.json())["data"]
        expected = md5_credentials(self.username, self.password)
        if data.get("credentials") != expected or data.get("account_name") != self.account_name:
            return self._error(401, "invalid_credentials", {"message": "invalid credentials"})
        self.logins += 1
        return self._envelope(
            201,
            {
                "status": "success",
                "data": {
                    "account_id": self.account_id,
                    "owner_id": "u" * 32,
                    "account_name": self.account_name,
                },
                "page_size": 1,
                "revision": "automatic",
            },
            self._jwt(),
        )

    async def functions_collection(self, request: web.Request) -> web.Response:
        token, denied = self._auth(request)
        if denied:
            return denied
        if request.method == "PUT":
            data = (await request.json())["data"]
            if "name" not in data or "function_js" not in data:
                missing = [key for key in ("name", "function_js") if key not in data]
                return self._error(
                    400,
                    "validation error",
                    {
                        key: {
                            "required": {"message": "Field is required but missing", "value": key}
                        }
                        for key in missing
                    },
                )
            doc_id = str(data.pop("id", "")) or secrets.token_hex(16)
            doc = {"enabled": True, "language_pack": "javascript", **data, "_rev": self._rev(1)}
            self.functions[doc_id] = doc
            return self._envelope(
                201,
                {"status": "success", "data": self._public(doc_id), "revision": doc["_rev"]},
                token,
            )
        page_size = int(request.query.get("page_size", "50"))
        start = request.query.get("start_key")
        ids = sorted(self.functions)
        if start:
            key = etf_decode(start)
            ids = [doc_id for doc_id in ids if len(key) < 2 or doc_id >= key[1]]
        page, rest = ids[:page_size], ids[page_size:]
        body: dict[str, Any] = {
            "status": "success",
            "data": [
                {
                    "id": doc_id,
                    "name": self.functions[doc_id]["name"],
                    "function_js": self.functions[doc_id]["function_js"],
                    "enabled": self.functions[doc_id].get("enabled", True),
                }
                for doc_id in page
            ],
            "page_size": len(page),
            "start_key": start or etf_encode([self.account_id]),
        }
        if rest:
            body["next_start_key"] = etf_encode([self.account_id, rest[0]])
            self.issued_start_keys.add(body["next_start_key"])
        return self._envelope(200, body, token)

    def _public(self, doc_id: str) -> dict[str, Any]:
        doc = self.functions[doc_id]
        return {
            "id": doc_id,
            **{key: value for key, value in doc.items() if not key.startswith("_")},
        }

    async def function(self, request: web.Request) -> web.Response:
        token, denied = self._auth(request)
        if denied:
            return denied
        doc_id = request.match_info["function_id"]
        if doc_id not in self.functions:
            return self._error(
                404, "bad_identifier", {"cause": doc_id, "message": "bad identifier"}
            )
        doc = self.functions[doc_id]
        if_match = request.headers.get("If-Match", "").strip('"')
        if if_match and if_match != doc["_rev"]:
            return web.Response(status=412)
        if_none_match = request.headers.get("If-None-Match", "").strip('"')
        if request.method == "GET" and if_none_match == doc["_rev"]:
            return web.Response(status=304)  # cowboy: no body, no envelope (§4.8)
        if request.method == "GET":
            response = self._envelope(
                200,
                {"status": "success", "data": self._public(doc_id), "revision": doc["_rev"]},
                token,
            )
            response.headers["ETag"] = f'"{doc["_rev"]}"'
            return response
        if request.method == "DELETE":
            deleted = self._public(doc_id)  # KAZOO answers the document it deleted
            del self.functions[doc_id]
            return self._envelope(200, {"status": "success", "data": deleted}, token)
        data = (await request.json())["data"]
        if request.method == "POST":
            # KAZOO validates and merges, answers 200 with the merged document and the OLD
            # revision, and saves nothing.
            merged = {"id": doc_id, **{k: v for k, v in data.items() if not k.startswith("_")}}
            return self._envelope(
                200, {"status": "success", "data": merged, "revision": doc["_rev"]}, token
            )
        generation = int(doc["_rev"].split("-")[0]) + 1
        for key, value in data.items():
            if value is None:
                doc.pop(key, None)
            elif not key.startswith("_") and key != "id":
                doc[key] = value
        doc["_rev"] = self._rev(generation)
        return self._envelope(
            200, {"status": "success", "data": self._public(doc_id), "revision": doc["_rev"]}, token
        )

    async def all_functions(self, request: web.Request) -> web.Response:
        return self._error(503, "datastore missing view", {})

    async def account(self, request: web.Request) -> web.Response:
        token, denied = self._auth(request)
        if denied:
            return denied
        return self._envelope(
            200,
            {"status": "success", "data": {"id": self.account_id, "name": self.account_name}},
            token,
        )

    async def descendants(self, request: web.Request) -> web.Response:
        token, denied = self._auth(request)
        if denied:
            return denied
        child = {"id": "c" * 32, "name": "acme child"}
        return self._envelope(200, {"status": "success", "data": [child]}, token)

    async def document_collection(self, request: web.Request) -> web.Response:
        token, denied = self._auth(request)
        if denied:
            return denied
        docs = self.documents[request.match_info["module"]]
        listed = [{"id": doc_id, "name": doc.get("name")} for doc_id, doc in sorted(docs.items())]
        body = {"status": "success", "data": listed, "page_size": len(listed)}
        return self._envelope(200, body, token)

    async def document(self, request: web.Request) -> web.Response:
        token, denied = self._auth(request)
        if denied:
            return denied
        doc_id = request.match_info["doc_id"]
        doc = self.documents[request.match_info["module"]].get(doc_id)
        if doc is None:
            return self._error(
                404, "bad_identifier", {"cause": doc_id, "message": "bad identifier"}
            )
        body = {"status": "success", "data": {"id": doc_id, **doc}, "revision": "1-abc"}
        return self._envelope(200, body, token)

    async def list_entries(self, request: web.Request) -> web.Response:
        token, denied = self._auth(request)
        if denied:
            return denied
        entries = self.entries.get(request.match_info["list_id"], [])
        return self._envelope(200, {"status": "success", "data": entries}, token)

    def app(self) -> web.Application:
        @web.middleware
        async def log(request: web.Request, handler: Any) -> web.StreamResponse:
            await self.record(request)
            await asyncio.sleep(self.latency_s)
            if self.fault:
                return self._error(self.fault, "datastore_fault", {})
            return await handler(request)

        app = web.Application(middlewares=[log])
        base = f"/v2/accounts/{self.account_id}"
        app.router.add_put("/v2/api_auth", self.api_auth)
        app.router.add_put("/v2/user_auth", self.user_auth)
        app.router.add_get("/v2/functions", self.all_functions)
        app.router.add_get(base, self.account)
        app.router.add_get(f"{base}/descendants", self.descendants)
        app.router.add_route("*", f"{base}/functions", self.functions_collection)
        app.router.add_route("*", f"{base}/functions/{{function_id}}", self.function)
        for module in self.documents:
            app.router.add_get(f"{base}/{{module:{module}}}", self.document_collection)
            app.router.add_get(f"{base}/{{module:{module}}}/{{doc_id}}", self.document)
        if "lists" in self.documents:
            app.router.add_get(f"{base}/lists/{{list_id}}/entries", self.list_entries)
        app.router.add_route("*", "/v2/accounts/{account_id}/{tail:.*}", self.elsewhere)
        return app

    async def elsewhere(self, request: web.Request) -> web.Response:
        """Another account's documents are forbidden to this account's tokens
        (cb_simple_authz:authorize/3, api_util:is_permitted_nouns/4: 403 forbidden); an
        unknown path of its own is a 404."""
        if request.match_info["account_id"] == self.account_id:
            raise web.HTTPNotFound()
        _token, denied = self._auth(request)
        return denied or self._error(403, "forbidden", {"message": "forbidden"})
