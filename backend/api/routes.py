"""KAZOO's v2 routing for functions and auth, in cowboy_rest's order of checks (docs/kazoo-compatibility.md §1).

aiohttp parses HTTP; this module maps KAZOO paths to handlers: path grouping into modules,
verb tunnelling, allowed verbs, account id checks, authentication, authorization, content type,
Accept, validation, conditional headers, execution.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import secrets
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple
from urllib.parse import unquote

from aiohttp import web

from backend import errors
from backend.accounts import (
    API_AUTH_SCHEMA,
    USER_AUTH_SCHEMA,
    AccountService,
    Session,
    TokenExpired,
    normalize_account_name,
)
from backend.api import envelope as env
from backend.api.access_log import redact_path
from backend.api.openapi import openapi_document
from backend.errors import EmptyBodyError, KazooError
from backend.functions import (
    LANGUAGE_PACKS,
    DocumentService,
    FunctionService,
    keeps,
    make_filter,
    public_fields,
)
from backend.pivot.describe import PivotRecords, describe
from backend.pivot.invocations import RING_SIZE
from backend.samples import sample_functions
from backend.schema import SchemaValidator
from backend.throttle import Limit, LoginThrottle

log = logging.getLogger("kfn.api")
KNOWN_METHODS = ("GET", "POST", "PUT", "DELETE", "HEAD", "PATCH", "OPTIONS")
MODULES = (
    "accounts",
    "functions",
    "callflows",
    "temporal_rules",
    "temporal_rules_sets",
    "menus",
    "lists",
    "user_auth",
    "api_auth",
    "token_auth",
)
# The document modules, each served by a DocumentService; only functions exist account-less.
DOCUMENT_MODULES = (
    *("functions", "callflows", "temporal_rules", "temporal_rules_sets", "menus", "lists"),
)
ENTRIES = "list_entries"  # the service of /lists/{LIST_ID}/entries[/{ENTRY_ID}]

_api_auth_validator = SchemaValidator(API_AUTH_SCHEMA)
_user_auth_validator = SchemaValidator(USER_AUTH_SCHEMA)


class Handling(NamedTuple):
    """What a handler gets: the request, its parsed context, its route and its session."""

    request: web.BaseRequest
    ctx: env.RequestContext
    route: Route
    session: Session | None


@dataclass
class Route:
    """A resolved path: which module handles it, with which parameters and rules."""

    module: str
    params: list[str]
    account_id: str | None
    allowed: list[str]
    needs_auth: bool
    handler: Callable[[Handling], Awaitable[web.Response]]


def _authenticated(session: Session | None) -> Session:
    """The session of a route that needs one (the pipeline refused the request without)."""
    if session is None:
        raise errors.invalid_credentials()
    return session


def group_modules(segments: list[str]) -> list[tuple[str, list[str]]]:
    """A segment starts a new (module, params) pair only when it names a known module."""
    pairs: list[tuple[str, list[str]]] = []
    for segment in segments:
        if segment in MODULES or not pairs:
            pairs.append((segment, []))
        else:
            pairs[-1][1].append(segment)
    return pairs


# Failed logins allowed per minute for one account name, and from one client address.
LOGIN_LIMITS = {"account": Limit(10, 60.0), "address": Limit(30, 60.0)}
ROUTE_CACHE_SIZE = 4096
HASHING_SLOTS = 4  # user_auth hashes at once, in threads; the rest wait their turn


class ApiHandlers:
    def __init__(
        self,
        accounts: AccountService,
        functions: FunctionService,
        throttle: LoginThrottle | None = None,
        documents: Mapping[str, DocumentService] | None = None,
        pivot: PivotRecords | None = None,
    ) -> None:
        self.pivot = pivot
        self.accounts = accounts
        self.functions = functions
        self.documents: dict[str, DocumentService] = {"functions": functions, **(documents or {})}
        self.throttle = throttle or LoginThrottle(LOGIN_LIMITS)
        self._hashing = asyncio.Semaphore(HASHING_SLOTS)
        self._routes: dict[str, Route] = {}

    # -- the pipeline ----------------------------------------------------------------------------
    async def dispatch(self, request: web.BaseRequest) -> web.StreamResponse:
        ctx = env.RequestContext(env.new_request_id(request), request.method.upper(), {})
        try:
            response = await self._pipeline(request, ctx)
        except EmptyBodyError as exc:
            response = web.Response(status=exc.status)
        except KazooError as exc:
            response = self._error_response(ctx, request, exc)
        except RecursionError:
            # Input nested past what the code can walk: bad input, never a 500.
            response = self._error_response(ctx, request, env.too_deep())
        except Exception:  # a bug must still answer in KAZOO's shape, and be logged
            log.exception(
                "unhandled error in %s %s (request %s)",
                request.method,
                redact_path(request.path_qs),
                ctx.request_id,
            )
            response = env.failure(ctx, request, errors.internal_error(ctx.request_id))
        response.headers["X-Request-ID"] = ctx.request_id
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response

    @staticmethod
    def _error_response(
        ctx: env.RequestContext, request: web.BaseRequest, exc: KazooError
    ) -> web.Response:
        response = env.failure(ctx, request, exc)
        response.headers.update(env.cors_headers(request, True, []))
        response.headers.update(exc.headers)
        if exc.close:
            response.force_close()
        return response

    async def _pipeline(self, request: web.BaseRequest, ctx: env.RequestContext) -> web.Response:
        if ctx.method not in KNOWN_METHODS:
            # kfn differs: cowboy answers 501 with an empty body. A method no route takes is
            # the client's mistake, so it is KAZOO's 405 invalid_method, in the envelope.
            raise errors.invalid_method(self._resolve(request, ctx).allowed)
        await env.parse_request(request, ctx)
        env.check_output_options(ctx, request)
        token = self._token(request, ctx)
        session: Session | None = None
        if token:
            ctx.auth_token = token
            try:
                session = self.accounts.session_for_token(token)
            except TokenExpired:
                raise errors.expired_token() from None
        route = self._resolve(request, ctx)
        verb = self._verb(ctx)
        if ctx.method == "OPTIONS":
            cors = env.cors_headers(request, False, route.allowed)
            if cors:
                return web.Response(status=200, headers=cors)
            raise errors.invalid_method(route.allowed)
        if verb not in route.allowed:
            raise errors.invalid_method(route.allowed)
        ctx.method = verb
        if route.account_id is not None:
            self._check_account_id(route.account_id)
        if route.needs_auth and session is None:
            raise errors.invalid_credentials()
        ctx.authenticated = session is not None
        if route.needs_auth and session is not None:
            self._authorize(session, route)
        env.check_content_type(ctx)
        # Negotiated once, before any work, so a 406 never follows a write.
        ctx.csv = verb == "GET" and env.wants_csv(ctx, request.headers.get("Accept"))
        response = await route.handler(Handling(request, ctx, route, session))
        cors = env.cors_headers(request, False, route.allowed)
        if cors:
            response.headers.update(cors)
        return response

    @staticmethod
    def _token(request: web.BaseRequest, ctx: env.RequestContext) -> str | None:
        header = request.headers.get("X-Auth-Token")
        if header:
            return header.strip()
        value = ctx.req_value("auth_token")
        if isinstance(value, str) and value:
            return value
        authorization = request.headers.get("Authorization") or ctx.req_value("authorization")
        if isinstance(authorization, str) and authorization.lower().startswith("bearer "):
            return authorization[7:].strip() or None
        return None

    @staticmethod
    def _verb(ctx: env.RequestContext) -> str:
        tunnelled = ctx.req_value("verb")
        # Only an HTTP POST executes a tunnelled verb; on a GET it changes nothing we act on.
        if (
            ctx.method == "POST"
            and isinstance(tunnelled, str)
            and tunnelled.upper() in ("PUT", "DELETE", "PATCH", "GET")
        ):
            return tunnelled.upper()
        return ctx.method

    def _check_account_id(self, account_id: str) -> None:
        if account_id == "":
            raise KazooError(404, "bad identifier", {"message": "missing account_id"})
        if len(account_id.encode()) != 32:
            raise KazooError(
                404, "bad identifier", {"message": f"invalid account_id '{account_id}'"}
            )
        if not self.accounts.account_exists(account_id):
            raise KazooError(
                404, "bad_identifier", {"cause": account_id, "message": "bad identifier"}
            )

    def _authorize(self, session: Session, route: Route) -> None:
        if route.module in ("token_auth",):
            return
        if route.account_id is not None:
            if not self.accounts.can_access(session, route.account_id):
                raise errors.forbidden()
        elif not session.superduper_admin:
            raise errors.forbidden()

    def _resolve(self, request: web.BaseRequest, ctx: env.RequestContext) -> Route:
        """The route for the request's path; paths that resolve are remembered (a client
        asks for the same few paths again and again), paths that fail are not."""
        raw = request.raw_path.split("?", 1)[0]
        route = self._routes.get(raw)
        if route is None:
            route = self._resolve_path(raw, ctx)
            if len(self._routes) >= ROUTE_CACHE_SIZE:
                self._routes.clear()
            self._routes[raw] = route
        return route

    def _resolve_path(self, raw: str, ctx: env.RequestContext) -> Route:
        segments = [unquote(s) for s in raw.split("/")[1:]]
        while segments and segments[-1] == "":
            segments.pop()
        if not segments or segments[0] != "v2":
            if segments and segments[0] == "v1":
                raise KazooError(
                    410,
                    "gone",
                    {
                        "message": "API version 1 is not supported. "
                        "Please upgrade your code to use version 2."
                    },
                )
            raise errors.not_found()
        pairs = group_modules(segments[1:])
        if pairs == [("openapi.json", [])]:
            return Route("openapi", [], None, ["GET"], False, self.openapi)
        account_id: str | None = None
        if pairs and pairs[0][0] == "accounts":
            if not pairs[0][1]:
                raise errors.not_found()
            account_id = pairs[0][1][0]
            if len(pairs) == 1:
                rest = pairs[0][1][1:]
                if not rest:
                    verbs = ["GET", "PUT"]  # PUT: a child account (cb_accounts:put/2)
                    return Route("accounts", [], account_id, verbs, True, self.get_account)
                if rest in (["descendants"], ["children"]):
                    return Route("accounts", rest, account_id, ["GET"], True, self.descendants)
                raise errors.not_found()
            pairs = pairs[1:]
        if len(pairs) != 1:
            raise errors.not_found()
        module, params = pairs[0]
        if (
            module in DOCUMENT_MODULES
            and module in self.documents
            and (account_id is not None or module == "functions")
        ):
            return self._documents_route(module, account_id, params)
        if account_id is None and not params:
            if module == "user_auth":
                return Route(module, [], None, ["PUT"], False, self.user_auth)
            if module == "api_auth":
                return Route(module, [], None, ["PUT"], False, self.api_auth)
            if module == "token_auth":
                return Route(module, [], None, ["GET", "DELETE"], True, self.token_auth)
        if module not in MODULES and ctx.auth_token is None:
            raise errors.invalid_credentials()
        raise errors.not_found()

    def _documents_route(self, module: str, account_id: str | None, params: list[str]) -> Route:
        if not params:
            return Route(module, [], account_id, ["GET", "PUT"], True, self.collection)
        if params == ["samples"] and module == "functions":
            return Route(module, params, account_id, ["GET"], account_id is not None, self.samples)
        allowed = ["GET", "POST", "PATCH", "DELETE"]
        if len(params) == 1:
            return Route(module, params, account_id, allowed, True, self.document)
        if module == "functions" and self.pivot is not None and account_id is not None:
            # kfn's own: the function's Pivot URL (GET describes, PUT rotates, DELETE revokes)
            # and its recent Pivot invocations.
            if params[1:] == ["pivot"]:
                verbs = ["GET", "PUT", "DELETE"]
                return Route("pivot", params[:1], account_id, verbs, True, self.pivot_url)
            if params[1:] == ["pivot", "invocations"]:  # PUT: a `kfn pivot` instance's calls
                verbs = ["GET", "PUT"]
                return Route("pivot", params[:1], account_id, verbs, True, self.invocations)
        if module == "lists" and params[1:2] == ["entries"] and ENTRIES in self.documents:
            # cb_lists: a list's entries are documents of their own, keyed to it by list_id.
            if len(params) == 2:
                collection = ["GET", "PUT", "DELETE"]
                return Route(ENTRIES, params[:1], account_id, collection, True, self.entries)
            if len(params) == 3:
                entry = [params[0], params[2]]
                return Route(ENTRIES, entry, account_id, allowed, True, self.document)
        raise errors.not_found()

    # -- handlers ----------------------------------------------------------------------------------
    async def openapi(self, call: Handling) -> web.Response:
        return web.json_response(openapi_document())

    async def get_account(self, call: Handling) -> web.Response:
        request, ctx, route, _session = call
        if ctx.method == "PUT":
            return self._create_child(call)
        account = self.accounts.get_account(route.account_id or "") or {}
        data = {"id": route.account_id, "name": account.get("name", "")}
        return env.success(ctx, request, data)

    def _create_child(self, call: Handling) -> web.Response:
        """A child of the path's account, as cb_accounts:put/2 makes one after
        kzd_accounts:validate/3: a name (unique once normalized), a realm (given, else random
        under sip.2600hz.com; unique too). kfn differs: the 201 carries the child's API key,
        once (kfn keeps only its hash, so this is the one time it can be read)."""
        request, ctx, route, _session = call
        parent_id = route.account_id or ""
        data = ctx.data if isinstance(ctx.data, dict) else {}
        name = data.get("name")
        problems: dict[str, Any] = {}
        if not isinstance(name, str) or not name.strip():
            problems["name"] = {"required": {"message": "Field is required but missing"}}
        realm = str(data.get("realm") or f"{secrets.token_hex(3)}.sip.2600hz.com").replace(" ", "")
        existing = self.accounts.list_accounts()
        if isinstance(name, str) and any(
            doc.get("pvt_normalized_name") == normalize_account_name(name) for _i, doc in existing
        ):
            problems["name"] = {"unique": {"message": "Account name already in use", "cause": name}}
        if any(str(doc.get("realm", "")).lower() == realm.lower() for _i, doc in existing):
            problems["realm"] = {
                "unique": {"message": "Account realm already in use", "cause": realm}
            }
        if problems:
            raise errors.validation_error(problems)
        assert isinstance(name, str)
        made = self.accounts.create_account(name.strip(), parent_id=parent_id, realm=realm)
        child = {"id": made.account_id, "name": made.name, "realm": realm, "api_key": made.api_key}
        location = f"/v2/accounts/{made.account_id}"
        return env.success(ctx, request, child, status=201, headers={"Location": location})

    async def descendants(self, call: Handling) -> web.Response:
        request, ctx, route, session = call
        session = _authenticated(session)
        data = [
            {"id": account_id, "name": account.get("name", "")}
            for account_id, account in self.accounts.reachable_accounts(session)
            if account_id != route.account_id
            and (route.account_id in account.get("pvt_tree", []) or session.superduper_admin)
        ]
        return env.success(ctx, request, data)

    async def collection(self, call: Handling) -> web.Response:
        request, ctx, route, _session = call
        if ctx.method == "PUT":
            if request.headers.get("If-Match"):
                raise EmptyBodyError(412)
            doc_id, saved = self.documents[route.module].create(route.account_id, ctx.data)
            location = (
                f"/v2/accounts/{route.account_id}/{route.module}/{doc_id}"
                if route.account_id
                else f"/v2/{route.module}/{doc_id}"
            )
            return env.success(
                ctx,
                request,
                public_fields(saved, doc_id),
                status=201,
                revision=saved["_rev"],
                headers={"Location": location},
            )
        if route.account_id is None:
            # docs/kazoo-compatibility.md §8.4: KAZOO's view is broken (503); kfn lists the language packs it runs.
            packs = [{"language_pack": pack, "engine": "quickjs"} for pack in LANGUAGE_PACKS]
            return env.success(ctx, request, packs)
        return self._listing(call, self.documents[route.module], ctx.query)

    def _listing(
        self, call: Handling, service: DocumentService, query: Mapping[str, str]
    ) -> web.Response:
        """One page of a listing, with KAZOO's paging keys and an ETag of the page."""
        request, ctx, route, _session = call
        page = service.list(route.account_id, query)
        extra: dict[str, Any] = {}
        if page.page_size is not None:
            extra["page_size"] = page.page_size
            extra["start_key"] = page.start_key
            if page.next_start_key:
                extra["next_start_key"] = page.next_start_key
        items_json = page.items_json
        revision = hashlib.md5(items_json.encode()).hexdigest() if page.items else None
        headers = {"ETag": f'"{revision}"'} if revision else {}
        return env.success(
            ctx,
            request,
            page.items,
            data_json=items_json,
            revision=revision,
            extra=extra,
            headers=headers,
        )

    async def entries(self, call: Handling) -> web.Response:
        """A list's entries: PUT adds one (its list_id the path's), GET lists them, DELETE
        removes them all, as cb_lists does."""
        request, ctx, route, _session = call
        service = self.documents[ENTRIES]
        list_id = route.params[0]
        self.documents["lists"].load_matching(route.account_id, list_id, None)
        if ctx.method == "PUT":
            data = {**ctx.data, "list_id": list_id} if isinstance(ctx.data, dict) else ctx.data
            doc_id, saved = service.create(route.account_id, data)
            return env.success(
                ctx, request, public_fields(saved, doc_id), status=201, revision=saved["_rev"]
            )
        if ctx.method == "DELETE":
            deleted = self._delete_entries(route.account_id, list_id, soft=True)
            return env.success(ctx, request, deleted)
        return self._listing(call, service, {**ctx.query, "filter_list_id": list_id})

    async def samples(self, call: Handling) -> web.Response:
        request, ctx, _route, _session = call
        query = make_filter(ctx.query)
        items = [doc for doc in (s.as_document() for s in sample_functions()) if keeps(query, doc)]
        return env.success(
            ctx,
            request,
            items,
            revision=env.body_md5(items) if items else None,
            extra={"page_size": len(items)},
        )

    async def document(self, call: Handling) -> web.Response:
        request, ctx, route, _session = call
        service = self.documents[route.module]
        doc_id = route.params[-1]
        account_id = route.account_id
        if route.module == ENTRIES:
            self._check_entry(account_id, route.params[0], doc_id)
        if_match = request.headers.get("If-Match")
        if ctx.method == "GET":
            current = service.load_matching(account_id, doc_id, if_match)
            if_none = request.headers.get("If-None-Match")
            if if_none and if_none.strip().strip('"') == current["_rev"]:
                return web.Response(status=304)
            return env.success(
                ctx,
                request,
                None,
                data_json=service.public_json(current, doc_id),
                revision=current["_rev"],
                headers={"ETag": f'"{current["_rev"]}"'},
            )
        if ctx.method == "POST":
            saved = service.update(account_id, doc_id, ctx.data, if_match)
        elif ctx.method == "PATCH":
            saved = service.patch(account_id, doc_id, ctx.data, if_match)
        else:
            soft = str(ctx.req_value("should_soft_delete")).lower() != "false"
            deleted = service.delete(account_id, doc_id, soft=soft, if_match=if_match)
            if route.module == "lists" and ENTRIES in self.documents:
                self._delete_entries(account_id, doc_id, soft)
            data = {**public_fields(deleted, doc_id), "_read_only": {"deleted": True}}
            return env.success(ctx, request, data, revision=deleted["_rev"])
        return env.success(ctx, request, public_fields(saved, doc_id), revision=saved["_rev"])

    def _check_entry(self, account_id: str | None, list_id: str, entry_id: str) -> None:
        """The entry must belong to the list the path names: cb_lists loads it by id alone, so
        any list id reached it (docs/kazoo-compatibility.md §8)."""
        entry = self.documents[ENTRIES].load_matching(account_id, entry_id, None)
        if entry.get("list_id") != list_id:
            raise errors.bad_identifier(entry_id)

    def _delete_entries(
        self, account_id: str | None, list_id: str, soft: bool
    ) -> list[dict[str, Any]]:
        """Delete a list's entries (cb_lists does when it deletes the list); returns them."""
        service = self.documents[ENTRIES]
        listing = {"paginate": "false", "filter_list_id": list_id}
        items = service.list(account_id, listing).items
        for item in items:
            service.delete(account_id, item["id"], soft=soft)
        return items

    async def pivot_url(self, call: Handling) -> web.Response:
        request, ctx, route, _session = call
        assert self.pivot is not None and route.account_id is not None
        account_id, function_id = route.account_id, route.params[0]
        self.functions.load(account_id, function_id)  # 404 bad_identifier unless it is ours
        secrets = self.pivot.secrets
        if ctx.method == "PUT":
            secret = secrets.rotate(account_id, function_id)
        elif ctx.method == "DELETE":
            secret = secrets.revoke(account_id, function_id)
        else:
            secret = secrets.get_or_mint(account_id, function_id)
        public_url = self.pivot.public_url or f"{request.scheme}://{request.host}"
        return env.success(ctx, request, describe(public_url, secret))

    async def invocations(self, call: Handling) -> web.Response:
        request, ctx, route, _session = call
        assert self.pivot is not None and route.account_id is not None
        account_id, function_id = route.account_id, route.params[0]
        self.functions.load(account_id, function_id)
        if ctx.method == "PUT":
            recorded = _forwarded_invocations(ctx.data, account_id, function_id)
            for invocation in recorded:
                self.pivot.invocations.record(invocation)
            return env.success(ctx, request, {"recorded": len(recorded)}, status=201)
        found = self.pivot.invocations.recent(account_id, function_id)
        return env.success(ctx, request, found)

    async def api_auth(self, call: Handling) -> web.Response:
        request, ctx, _route, _session = call
        data, problems = _api_auth_validator.validate(
            ctx.data if isinstance(ctx.data, dict) else {}
        )
        if problems:
            raise errors.validation_error(problems)
        keys = [("address", request.remote or "")]
        self._check_throttle(keys)
        account_id = self.accounts.account_for_api_key(data["api_key"])
        if account_id is None:
            self.throttle.failed(keys)
            raise KazooError(404, "bad identifier", [data["api_key"]])
        return self._issue(request, ctx, account_id, None, "cb_api_auth")

    async def user_auth(self, call: Handling) -> web.Response:
        request, ctx, _route, _session = call
        data, problems = _user_auth_validator.validate(
            ctx.data if isinstance(ctx.data, dict) else {}
        )
        if problems:
            raise errors.validation_error(problems)
        account_name = data.get("account_name") or data.get("account_realm")
        keys = [("address", request.remote or "")]
        if account_name:
            keys.append(("account", normalize_account_name(account_name)))
        self._check_throttle(keys)
        async with self._hashing:
            self._check_throttle(keys)  # failures may have come in while this one waited
            # PBKDF2 takes milliseconds of CPU per user; hashlib releases the GIL meanwhile,
            # so in a thread it never holds up the event loop.
            found = await asyncio.to_thread(
                self.accounts.authenticate_user, data["credentials"], data["method"], account_name
            )
        if found is None:
            self.throttle.failed(keys)
            raise errors.invalid_credentials()
        return self._issue(request, ctx, found[0], found[1], "cb_user_auth")

    def _check_throttle(self, keys: list[tuple[str, str]]) -> None:
        wait = self.throttle.retry_after(keys)
        if wait is not None:
            raise errors.too_many_requests(wait, "failed logins for this account or address")

    def _issue(
        self,
        request: web.BaseRequest,
        ctx: env.RequestContext,
        account_id: str,
        owner_id: str | None,
        method: str,
    ) -> web.Response:
        token, session = self.accounts.issue_token(account_id, owner_id, method)
        ctx.auth_token = token
        ctx.authenticated = True
        return env.success(ctx, request, self.accounts.auth_data(session), status=201)

    async def token_auth(self, call: Handling) -> web.Response:
        request, ctx, _route, session = call
        if ctx.method == "DELETE":
            self.accounts.revoke_token(ctx.auth_token or "")
            return env.success(ctx, request, None, include_data=False)
        session = _authenticated(session)
        claims = {
            "account_id": session.account_id,
            "owner_id": session.owner_id,
            "method": session.method,
            "exp": int(session.expires_at),
            "iss": "kfn",
        }
        claims = {k: v for k, v in claims.items() if v is not None}
        return env.success(ctx, request, {**claims, **self.accounts.auth_data(session)})


def _forwarded_invocations(data: Any, account_id: str, function_id: str) -> list[dict[str, Any]]:
    """The invocations a `kfn pivot` instance sends (a list of at most RING_SIZE objects, each
    with its `time`), filed under the path's function whatever they say."""
    if not isinstance(data, list) or len(data) > RING_SIZE:
        message = f"a list of at most {RING_SIZE} invocations"
        raise errors.validation_error({"data": {"type": {"message": message, "value": data}}})
    for index, item in enumerate(data):
        if not isinstance(item, dict) or not isinstance(item.get("time"), str):
            detail = {"required": {"message": "an object with its time"}}
            raise errors.validation_error({f"data.{index}": detail})
    return [{**item, "account_id": account_id, "function_id": function_id} for item in data]
