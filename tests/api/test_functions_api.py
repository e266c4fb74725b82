"""The functions API against docs/kazoo-compatibility.md §1-§4 and §8, over real HTTP."""

from __future__ import annotations

import base64
import json

import httpx
import pytest

from tests.conftest import LiveServer

BODY = "return {module:'tts', data:{text:'hi'}};"


@pytest.fixture
def api(live_server: LiveServer) -> tuple[LiveServer, httpx.Client]:
    client = httpx.Client(headers={"X-Auth-Token": live_server.token()}, timeout=10)
    yield live_server, client
    client.close()


def create(client: httpx.Client, url: str, **fields) -> dict:
    reply = client.put(url, json={"data": {"name": "f", "function_js": BODY, **fields}})
    assert reply.status_code == 201, reply.text
    return reply.json()


def test_create_answers_201_with_location_defaults_and_filtered_keys(api) -> None:
    server, client = api
    reply = client.put(
        server.functions_url(),
        json={
            "data": {
                "name": "say hi",
                "function_js": BODY,
                "enabled": "false",
                "pvt_x": 1,
                "_y": 2,
                "custom": "kept",
            }
        },
    )
    assert reply.status_code == 201
    body = reply.json()
    doc_id = body["data"]["id"]
    assert len(doc_id) == 32 and int(doc_id, 16) >= 0
    assert reply.headers["Location"] == f"/v2/accounts/{server.account_id}/functions/{doc_id}"
    assert body["data"] == {
        "name": "say hi",
        "function_js": BODY,
        "enabled": False,
        "language_pack": "javascript",
        "custom": "kept",
        "id": doc_id,
    }
    assert body["status"] == "success" and body["revision"].startswith("1-")
    assert (
        body["version"]
        and body["auth_token"]
        and body["request_id"] == reply.headers["X-Request-ID"]
    )


def test_client_id_becomes_the_document_id_and_a_taken_id_is_409(api) -> None:
    server, client = api
    assert create(client, server.functions_url(), id="my-function")["data"]["id"] == "my-function"
    again = client.put(
        server.functions_url(), json={"data": {"id": "my-function", "name": "x", "function_js": ""}}
    )
    assert again.status_code == 409
    assert again.json()["message"] == "datastore_conflict"
    assert again.json()["data"] == {"message": "conflicting documents"}


def test_validation_errors_have_kazoo_shapes(api) -> None:
    server, client = api
    missing = client.put(server.functions_url(), json={"data": {}}).json()
    assert missing["error"] == "400" and missing["message"] == "validation error"
    assert missing["data"] == {
        "name": {"required": {"message": "Field is required but missing", "value": "name"}},
        "function_js": {
            "required": {"message": "Field is required but missing", "value": "function_js"}
        },
    }
    wrong = client.put(
        server.functions_url(), json={"data": {"name": 123, "function_js": ""}}
    ).json()
    assert wrong["data"] == {
        "name": {
            "type": {
                "message": "Value did not match type(s): string",
                "target": "string",
                "value": 123,
            }
        }
    }
    listed = client.put(server.functions_url(), json={"data": [{"name": "x"}]}).json()
    assert listed["data"][""]["type"]["target"] == "object"


@pytest.mark.parametrize(
    ("body", "content_type", "expected"),
    [
        (b"{bad", "application/json", {"json"}),
        (b"[1]", "application/json", {"json"}),
        (b'{"nodata": 1}', "application/json", {"data"}),
        (b'{"data": 5}', "application/json", {"data"}),
    ],
)
def test_bad_bodies_are_400_before_authentication(
    live_server: LiveServer, body, content_type, expected
) -> None:
    reply = httpx.put(
        live_server.functions_url(), content=body, headers={"Content-Type": content_type}
    )
    assert reply.status_code == 400
    assert set(reply.json()["data"]) == expected
    assert reply.json()["message"] == "validation error"


def test_body_over_8_000_000_bytes_is_kazoos_400(live_server: LiveServer) -> None:
    big = b'{"data":{"name":"x","function_js":"' + b"a" * 8_000_000 + b'"}}'
    reply = httpx.put(
        live_server.functions_url(),
        content=big,
        headers={"Content-Type": "application/json"},
        timeout=30,
    )
    assert reply.status_code == 400
    assert reply.json()["data"]["file"]["maxSize"]["target"] == 8_000_000


def test_fetch_post_patch_delete_cycle(api) -> None:
    server, client = api
    created = create(client, server.functions_url(), custom="x")
    url = f"{server.functions_url()}/{created['data']['id']}"
    got = client.get(url)
    assert got.status_code == 200 and got.headers["ETag"] == f'"{created["revision"]}"'
    assert got.json()["revision"] == created["revision"]
    posted = client.post(url, json={"data": {"name": "renamed", "function_js": BODY}})
    assert posted.status_code == 200
    assert posted.json()["data"] == {
        "name": "renamed",
        "function_js": BODY,
        "enabled": True,
        "language_pack": "javascript",
        "id": created["data"]["id"],
    }
    assert posted.json()["revision"].startswith("2-"), (
        "kfn saves on POST (docs/kazoo-compatibility.md §8.1)"
    )
    assert client.get(url).json()["data"]["name"] == "renamed"
    patched = client.patch(
        url, json={"data": {"enabled": False, "extra": "y", "language_pack": None}}
    )
    assert patched.json()["data"]["enabled"] is False
    assert patched.json()["data"]["extra"] == "y"
    assert patched.json()["data"]["language_pack"] == "javascript", (
        "null removes, the default re-applies"
    )
    nulled = client.patch(url, json={"data": {"name": None}})
    assert nulled.status_code == 400 and "name" in nulled.json()["data"]
    deleted = client.delete(url)
    assert deleted.status_code == 200
    assert deleted.json()["data"]["_read_only"] == {"deleted": True}
    assert deleted.json()["revision"] == patched.json()["revision"]
    gone = client.get(url)
    assert gone.status_code == 404
    assert gone.json()["data"] == {"cause": created["data"]["id"], "message": "bad identifier"}
    reuse = client.put(
        server.functions_url(),
        json={"data": {"id": created["data"]["id"], "name": "x", "function_js": ""}},
    )
    assert reuse.status_code == 409


def test_post_validates_before_loading(api) -> None:
    server, client = api
    url = f"{server.functions_url()}/nosuchfunction"
    assert client.post(url, json={"data": {"name": "x"}}).status_code == 400
    assert client.post(url, json={"data": {"name": "x", "function_js": ""}}).status_code == 404
    assert client.patch(url, json={"data": {"enabled": False}}).status_code == 404


def test_stale_if_match_is_412_and_if_none_match_is_304(api) -> None:
    server, client = api
    created = create(client, server.functions_url())
    url = f"{server.functions_url()}/{created['data']['id']}"
    client.patch(url, json={"data": {"name": "moved on"}})
    stale = client.patch(
        url, json={"data": {"name": "mine"}}, headers={"If-Match": f'"{created["revision"]}"'}
    )
    assert stale.status_code == 412 and stale.content == b""
    assert client.get(url).json()["data"]["name"] == "moved on"
    current = client.get(url).json()["revision"]
    assert client.get(url, headers={"If-None-Match": f'"{current}"'}).status_code == 304
    ok = client.patch(url, json={"data": {"name": "mine"}}, headers={"If-Match": f'"{current}"'})
    assert ok.status_code == 200


def test_listing_is_ascending_paginated_with_opaque_keys(api) -> None:
    server, client = api
    ids = sorted(
        create(client, server.functions_url(), id=f"fn{n:02d}")["data"]["id"] for n in range(5)
    )
    page1 = client.get(server.functions_url(), params={"page_size": 2}).json()
    assert [item["id"] for item in page1["data"]] == ids[:2]
    assert page1["page_size"] == 2 and page1["start_key"] and page1["next_start_key"]
    assert set(page1["data"][0]) == {"id", "name", "function_js", "enabled"}
    page2 = client.get(
        server.functions_url(), params={"page_size": 2, "start_key": page1["next_start_key"]}
    ).json()
    assert [item["id"] for item in page2["data"]] == ids[2:4]
    raw = client.get(server.functions_url(), params={"page_size": 10, "start_key": "fn03"}).json()
    assert [item["id"] for item in raw["data"]] == ids[3:] and "next_start_key" not in raw
    desc = client.get(server.functions_url(), params={"descending": "true"}).json()
    assert [item["id"] for item in desc["data"]] == ids[::-1]
    everything = client.get(server.functions_url(), params={"paginate": "false"}).json()
    assert (
        len(everything["data"]) == 5
        and "page_size" not in everything
        and "start_key" not in everything
    )
    assert everything["revision"] and len(everything["revision"]) == 32


def test_page_keys_of_another_account_are_clamped(api) -> None:
    server, client = api
    create(client, server.functions_url(), id="mine")
    foreign = base64.urlsafe_b64encode(json.dumps(["f" * 32, "zzz"]).encode()).rstrip(b"=").decode()
    listed = client.get(server.functions_url(), params={"start_key": foreign}).json()
    assert [item["id"] for item in listed["data"]] == ["mine"]


@pytest.mark.parametrize(
    ("size", "message"), [("abc", "invalid page size"), ("0", "page size must be at least 1")]
)
def test_bad_page_size_is_404_faulty_request(api, size, message) -> None:
    server, client = api
    reply = client.get(server.functions_url(), params={"page_size": size})
    assert reply.status_code == 404
    assert reply.json()["message"] == "faulty_request" and reply.json()["data"] == {
        "message": message
    }


def test_filters(api) -> None:
    server, client = api
    create(client, server.functions_url(), id="a", enabled=True, team="red")
    create(client, server.functions_url(), id="b", enabled=False, team="blue")
    create(client, server.functions_url(), id="c", enabled=False)

    def ids(**params) -> list[str]:
        return [
            item["id"] for item in client.get(server.functions_url(), params=params).json()["data"]
        ]

    assert ids(filter_enabled="false") == ["b", "c"]
    assert ids(filter_not_enabled="false") == ["a"]
    assert ids(filter_team='["red","blue"]') == ["a", "b"]
    assert ids(has_key="team") == ["a", "b"]
    assert ids(key_missing="team") == ["c"]
    assert ids(filter_enabled="false", has_key="team") == ["b"]


def test_empty_listing(api) -> None:
    server, client = api
    body = client.get(server.functions_url()).json()
    assert (
        body["data"] == []
        and body["page_size"] == 0
        and "revision" not in body
        and body["start_key"]
    )


def test_samples_need_no_token_and_are_the_sample_functions(live_server: LiveServer) -> None:
    from backend.samples import sample_functions

    reply = httpx.get(f"{live_server.url}/v2/functions/samples")
    assert reply.status_code == 200
    names = [item["name"] for item in reply.json()["data"]]
    assert names == [s.name for s in sample_functions()] and len(names) >= 8
    assert httpx.get(f"{live_server.functions_url()}/samples").status_code == 401
    token = live_server.token()
    scoped = httpx.get(f"{live_server.functions_url()}/samples", headers={"X-Auth-Token": token})
    assert scoped.json()["data"] == reply.json()["data"]
    filtered = httpx.get(
        f"{live_server.url}/v2/functions/samples", params={"filter_name": names[0]}
    )
    assert [item["name"] for item in filtered.json()["data"]] == [names[0]]


def test_routing_errors(api) -> None:
    server, client = api
    assert client.delete(server.functions_url()).json()["message"] == "invalid_method"
    assert client.put(f"{server.functions_url()}/x", json={"data": {}}).status_code == 405
    assert client.post(f"{server.functions_url()}/samples", json={"data": {}}).status_code == 405
    extra = client.get(f"{server.functions_url()}/x/y")
    assert extra.status_code == 404 and extra.json()["message"] == "not_found"
    short = client.get(f"{server.url}/v2/accounts/abc/functions")
    assert short.status_code == 404 and short.json()["data"] == {
        "message": "invalid account_id 'abc'"
    }
    unknown = client.get(f"{server.url}/v2/accounts/{'0' * 32}/functions")
    assert (
        unknown.json()["message"] == "bad_identifier"
        and unknown.json()["data"]["cause"] == "0" * 32
    )
    assert client.get(f"{server.url}/v1/accounts").status_code == 410
    propfind = client.request("PROPFIND", server.functions_url())
    assert propfind.status_code == 405 and propfind.json()["message"] == "invalid_method"
    assert client.head(server.functions_url()).status_code == 405
    assert client.get(server.functions_url(), headers={"Accept": "image/png"}).status_code == 406
    upload = client.put(server.functions_url(), content=b"x", headers={"Content-Type": "image/png"})
    assert upload.status_code == 415 and upload.content == b""


def test_verb_and_accept_tunnelling(api) -> None:
    server, client = api
    created = client.post(
        server.functions_url(),
        params={"verb": "PUT"},
        json={"data": {"name": "t", "function_js": BODY}},
    )
    assert created.status_code == 201
    doc_url = f"{server.functions_url()}/{created.json()['data']['id']}"
    assert client.post(doc_url, json={"data": {"verb": "DELETE"}}).status_code == 200
    assert client.get(doc_url).status_code == 404
    create(client, server.functions_url(), id="csv1")
    csv = client.get(server.functions_url(), params={"accept": "csv"})
    assert csv.headers["Content-Type"].startswith("text/csv")
    assert csv.text.splitlines()[0] == "id,name,function_js,enabled"


def test_curl_style_form_body_is_read_as_json(api) -> None:
    server, client = api
    reply = client.put(
        server.functions_url(),
        content=json.dumps(
            {"data": {"name": "curl", "function_js": "return {module:'hangup',data:{}};"}}
        ),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert reply.status_code == 201 and reply.json()["data"]["name"] == "curl"


def test_global_functions_route_is_for_super_admins(live_server: LiveServer) -> None:
    local = live_server.backend.accounts.default_account_id()
    assert local is not None
    plain = httpx.get(
        f"{live_server.url}/v2/functions", headers={"X-Auth-Token": live_server.token()}
    )
    assert plain.status_code == 403 and plain.json()["data"] == {"message": "forbidden"}
    token, _ = live_server.backend.accounts.issue_token(local, None, "test")
    admin = httpx.get(f"{live_server.url}/v2/functions", headers={"X-Auth-Token": token})
    assert admin.status_code == 200 and admin.json()["data"][0]["language_pack"] == "javascript"


def test_openapi_lists_every_route(live_server: LiveServer) -> None:
    doc = httpx.get(f"{live_server.url}/v2/openapi.json").json()
    assert doc["openapi"].startswith("3.")
    for path in (
        "/v2/accounts/{account_id}/functions",
        "/v2/accounts/{account_id}/functions/{function_id}",
        "/v2/accounts/{account_id}/functions/{function_id}/pivot",
        "/v2/accounts/{account_id}/functions/{function_id}/pivot/invocations",
        "/v2/functions/samples",
        "/v2/api_auth",
        "/v2/user_auth",
        "/v2/token_auth",
    ):
        assert path in doc["paths"]


def test_every_response_has_a_request_id(live_server: LiveServer) -> None:
    for reply in (
        httpx.get(f"{live_server.url}/v2/nothing"),
        httpx.get(f"{live_server.url}/v2/functions/samples"),
        httpx.put(live_server.functions_url(), content=b"{"),
    ):
        assert len(reply.headers["X-Request-ID"]) == 32
    echoed = httpx.get(f"{live_server.url}/v2/functions/samples", headers={"X-Request-ID": "abc"})
    assert echoed.headers["X-Request-ID"] == "abc" and echoed.json()["request_id"] == "abc"


def test_options_preflight_and_cors_on_errors(live_server: LiveServer) -> None:
    preflight = httpx.options(
        live_server.functions_url(),
        headers={"Origin": "http://x", "Access-Control-Request-Method": "PUT"},
    )
    assert preflight.status_code == 200 and preflight.content == b""
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"
    assert "PUT" in preflight.headers["Access-Control-Allow-Methods"]
    assert httpx.options(live_server.functions_url()).status_code == 405
    error = httpx.get(live_server.functions_url())
    assert error.status_code == 401 and error.headers["Access-Control-Allow-Origin"] == "*"
    plain = httpx.get(f"{live_server.url}/v2/functions/samples")
    assert "Access-Control-Allow-Origin" not in plain.headers


def test_jsonp_and_pretty_printing(live_server: LiveServer) -> None:
    wrapped = httpx.get(f"{live_server.url}/v2/functions/samples", params={"jsonp": "cb"})
    assert wrapped.text.startswith("cb({") and wrapped.text.endswith("});")
    pretty = httpx.get(
        f"{live_server.url}/v2/functions/samples", headers={"X-Pretty-Print": "true"}
    )
    assert pretty.text.startswith("{\n  ")


def test_form_fields_become_data(api) -> None:
    server, client = api
    reply = client.put(
        server.functions_url(),
        content=b"name=form&function_js=return+1",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert reply.status_code == 201 and reply.json()["data"]["function_js"] == "return 1"


def test_a_missing_content_type_is_json_with_kazoos_header(api) -> None:
    server, client = api
    body = json.dumps({"data": {"name": "n", "function_js": ""}}).encode()
    reply = client.put(server.functions_url(), content=body)
    assert reply.status_code == 201 and "Section 14.17" in reply.headers["X-RFC2616"]


def test_an_unexpected_failure_answers_in_kazoos_shape_without_the_exception(
    api, monkeypatch, caplog
) -> None:
    server, client = api

    def broken(*args, **kwargs):
        raise RuntimeError("a secret bug at /srv/kfn/functions.py")

    monkeypatch.setattr(server.backend.functions, "list", broken)
    reply = client.get(server.functions_url())
    assert reply.status_code == 500
    assert reply.json()["message"] == "datastore_fault"
    assert "secret bug" not in reply.text and "Traceback" not in reply.text
    request_id = reply.headers["X-Request-ID"]
    assert request_id in reply.json()["data"]["cause"]
    # The log has what the answer leaves out, under the same request id.
    logged = [r for r in caplog.records if request_id in r.getMessage()]
    assert logged and "secret bug" in str(logged[0].exc_info[1])


def test_cached_encodings_follow_every_revision(api) -> None:
    """GET and the listing reuse a document's JSON per revision: a change is seen at once,
    and the listing's revision is the md5 of exactly the data it sends."""
    import hashlib

    server, client = api
    doc_id = create(client, server.functions_url(), name="before")["data"]["id"]
    url = f"{server.functions_url()}/{doc_id}"
    assert client.get(url).json()["data"]["name"] == "before"
    listed = client.get(server.functions_url()).json()
    client.patch(url, json={"data": {"name": "after"}})
    assert client.get(url).json()["data"]["name"] == "after"
    relisted = client.get(server.functions_url()).json()
    assert [item["name"] for item in relisted["data"]] == ["after"]
    assert relisted["revision"] != listed["revision"]
    encoded = json.dumps(relisted["data"], separators=(",", ":"), ensure_ascii=True).encode()
    assert relisted["revision"] == hashlib.md5(encoded).hexdigest()
