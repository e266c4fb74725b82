"""Bad and awkward input over real sockets: split, slow and huge bodies, deep nesting, text that
is not Unicode, odd methods, paths and headers. Each answer is a 4xx in KAZOO's shape (or
cowboy's empty one), nothing is lost or truncated, and no exception text reaches the client."""

from __future__ import annotations

import json
import re
import socket
import time
from urllib.parse import urlencode, urlsplit

import httpx
import pytest

from backend.api import envelope
from tests.conftest import LiveServer


def _address(server: LiveServer) -> tuple[str, int]:
    parts = urlsplit(server.url)
    return parts.hostname or "127.0.0.1", parts.port or 80


def _read_response(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    """One HTTP/1.1 response (Content-Length framed) read off a raw socket."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1]) if lines[0] else 0
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return status, headers, body


def send_in_pieces(
    server: LiveServer,
    head: bytes,
    body: bytes,
    pieces: int,
    pause_s: float = 0.02,
) -> tuple[int, dict[str, str], bytes]:
    """Send `head` then `body` cut into `pieces`, each its own TCP segment, a pause apart
    (a slow or far client); return the response."""
    with socket.create_connection(_address(server), timeout=30) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.sendall(head)
        size = max(1, -(-len(body) // pieces))
        for start in range(0, len(body), size):
            time.sleep(pause_s)  # the scenario: a body that arrives over time, not ordering
            sock.sendall(body[start : start + size])
        return _read_response(sock)


def raw_request(server: LiveServer, data: bytes) -> tuple[int, dict[str, str], bytes]:
    with socket.create_connection(_address(server), timeout=30) as sock:
        sock.sendall(data)
        return _read_response(sock)


def _put_head(server: LiveServer, token: str, length: int, ctype: str) -> bytes:
    path = urlsplit(server.functions_url()).path
    return (
        f"PUT {path} HTTP/1.1\r\nHost: kfn\r\nX-Auth-Token: {token}\r\n"
        f"Content-Type: {ctype}\r\nContent-Length: {length}\r\n\r\n"
    ).encode()


def _json_body_of_size(size: int) -> tuple[bytes, str]:
    """A functions PUT body of exactly `size` bytes, and the function_js it carries."""
    empty = json.dumps({"data": {"name": "big", "function_js": ""}}).encode()
    # Vary the text so a truncation anywhere would show; all ASCII so bytes == characters.
    filler = "".join(f"/*{i:07d}*/" for i in range((size - len(empty)) // 11 + 1))
    js = filler[: size - len(empty)]
    body = json.dumps({"data": {"name": "big", "function_js": js}}).encode()
    assert len(body) == size
    return body, js


def _stored_js(server: LiveServer, token: str, doc_id: str) -> str:
    reply = httpx.get(f"{server.functions_url()}/{doc_id}", headers={"X-Auth-Token": token})
    assert reply.status_code == 200, reply.text
    return reply.json()["data"]["function_js"]


@pytest.mark.parametrize(
    ("size", "pieces"),
    [(2_000, 2), (400_000, 7), (envelope.MAX_BODY_BYTES, 5)],
    ids=["2KB-in-2", "400KB-in-7", "limit-in-5"],
)
def test_a_json_body_split_across_reads_is_stored_whole(
    live_server: LiveServer, size: int, pieces: int
) -> None:
    token = live_server.token()
    body, js = _json_body_of_size(size)
    head = _put_head(live_server, token, len(body), "application/json")
    status, _, answer = send_in_pieces(live_server, head, body, pieces)
    assert status == 201, answer[:300]
    doc_id = json.loads(answer)["data"]["id"]
    assert _stored_js(live_server, token, doc_id) == js


def test_a_form_body_split_across_reads_is_stored_whole(live_server: LiveServer) -> None:
    token = live_server.token()
    js = "var t = " + " + ".join(f"'part {i} & more = x'" for i in range(120)) + "; return t;"
    body = urlencode({"name": "form", "function_js": js}).encode()
    head = _put_head(live_server, token, len(body), "application/x-www-form-urlencoded")
    status, _, answer = send_in_pieces(live_server, head, body, 2, pause_s=0.1)
    assert status == 201, answer[:300]
    assert _stored_js(live_server, token, json.loads(answer)["data"]["id"]) == js


def test_a_chunked_body_is_stored_whole(live_server: LiveServer) -> None:
    token = live_server.token()
    body, js = _json_body_of_size(50_000)
    path = urlsplit(live_server.functions_url()).path
    head = (
        f"PUT {path} HTTP/1.1\r\nHost: kfn\r\nX-Auth-Token: {token}\r\n"
        "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
    ).encode()
    chunked = b"".join(
        b"%x\r\n%s\r\n" % (len(body[i : i + 7000]), body[i : i + 7000])
        for i in range(0, len(body), 7000)
    )
    status, _, answer = send_in_pieces(live_server, head, chunked + b"0\r\n\r\n", 4)
    assert status == 201, answer[:300]
    assert _stored_js(live_server, token, json.loads(answer)["data"]["id"]) == js


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_one_byte_over_the_limit_is_kazoos_file_max_size(
    live_server: LiveServer, chunked: bool
) -> None:
    token = live_server.token()
    body, _ = _json_body_of_size(envelope.MAX_BODY_BYTES + 1)
    if chunked:
        path = urlsplit(live_server.functions_url()).path
        head = (
            f"PUT {path} HTTP/1.1\r\nHost: kfn\r\nX-Auth-Token: {token}\r\n"
            "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
        ).encode()
        body = b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body)
    else:
        head = _put_head(live_server, token, len(body), "application/json")
    status, _, answer = send_in_pieces(live_server, head, body, 3)
    assert status == 400
    assert "maxSize" in json.loads(answer)["data"]["file"]
    assert live_server.backend.store.count("functions") == 0


def test_a_body_that_stops_arriving_gets_408_and_the_connection_closed(
    live_server: LiveServer, monkeypatch
) -> None:
    monkeypatch.setattr(envelope, "BODY_TIMEOUT_S", 0.3)
    token = live_server.token()
    head = _put_head(live_server, token, 1000, "application/json")
    with socket.create_connection(_address(live_server), timeout=30) as sock:
        sock.sendall(head + b'{"data": {"name": "slow"')
        status, _, answer = _read_response(sock)
        assert status == 408 and json.loads(answer)["message"] == "request_timeout"
        assert sock.recv(1) == b""  # closed: the rest of that body is never read
    assert live_server.backend.store.count("functions") == 0


@pytest.mark.parametrize("depth", [200, 100_000])
def test_deep_nesting_is_a_400_not_a_500(live_server: LiveServer, depth: int, caplog) -> None:
    token = live_server.token()
    nested = "[" * depth + "]" * depth
    body = f'{{"data": {{"name": "deep", "function_js": "", "x": {nested}}}}}'.encode()
    reply = httpx.put(
        live_server.functions_url(),
        content=body,
        headers={"X-Auth-Token": token, "Content-Type": "application/json"},
    )
    assert reply.status_code == 400, reply.text[:300]
    message = reply.json()["data"]["json"]["invalid"]["message"]
    assert f"deeper than {envelope.MAX_JSON_DEPTH}" in message
    # kfn logged no "unhandled error" (other loggers may report earlier tests' sockets).
    assert not [r for r in caplog.records if r.name == "kfn.api" and r.levelname == "ERROR"]


def test_nesting_up_to_the_limit_is_accepted(live_server: LiveServer) -> None:
    token = live_server.token()
    depth = envelope.MAX_JSON_DEPTH - 3  # envelope, data and "x" are three levels
    nested: object = 1
    for _ in range(depth):
        nested = [nested]
    reply = httpx.put(
        live_server.functions_url(),
        json={"data": {"name": "deep", "function_js": "", "x": nested}},
        headers={"X-Auth-Token": token},
    )
    assert reply.status_code == 201, reply.text[:300]


@pytest.mark.parametrize("where", ["value", "key"])
def test_a_lone_surrogate_is_refused_at_the_door(live_server: LiveServer, where: str) -> None:
    token = live_server.token()
    data = {"name": "ok", "function_js": ""}
    body = json.dumps({"data": data})
    body = (
        body.replace('"ok"', '"a\\ud800b"')
        if where == "value"
        else body.replace('"name"', '"x\\udfff": 1, "name"')
    )
    reply = httpx.put(
        live_server.functions_url(),
        content=body.encode(),
        headers={"X-Auth-Token": token, "Content-Type": "application/json"},
    )
    assert reply.status_code == 400
    assert "lone UTF-16 surrogate" in reply.json()["data"]["json"]["invalid"]["message"]
    assert live_server.backend.store.count("functions") == 0


def test_a_surrogate_pair_and_nul_are_text_and_round_trip(live_server: LiveServer) -> None:
    token = live_server.token()
    body = '{"data": {"name": "smile \\ud83d\\ude00 nul \\u0000 end", "function_js": ""}}'
    reply = httpx.put(
        live_server.functions_url(),
        content=body.encode(),
        headers={"X-Auth-Token": token, "Content-Type": "application/json"},
    )
    assert reply.status_code == 201, reply.text
    assert reply.json()["data"]["name"] == "smile \U0001f600 nul \x00 end"
    listing = httpx.get(
        live_server.functions_url(), headers={"X-Auth-Token": token, "Accept": "text/csv"}
    )
    assert listing.status_code == 200
    assert "smile \U0001f600 nul" in listing.text


def test_csv_spells_booleans_as_json_and_survives_text_stored_before_the_check(
    live_server: LiveServer,
) -> None:
    token = live_server.token()
    functions = live_server.backend.functions
    functions.create(live_server.account_id, {"name": "on", "function_js": ""})
    # What an older kfn could have stored: a lone surrogate, written past the door.
    functions.create(live_server.account_id, {"name": "bad \ud800", "function_js": ""})
    listing = httpx.get(
        live_server.functions_url(), headers={"X-Auth-Token": token, "Accept": "text/csv"}
    )
    assert listing.status_code == 200, listing.text
    rows = listing.text.splitlines()
    enabled = rows[0].split(",").index("enabled")
    assert {row.split(",")[enabled] for row in rows[1:]} == {"true"}
    assert "True" not in listing.text
    assert "bad \\ud800" in listing.text


def test_jsonp_takes_only_a_javascript_name(live_server: LiveServer) -> None:
    token = live_server.token()
    headers = {"X-Auth-Token": token}
    bad = httpx.get(
        live_server.functions_url(), params={"jsonp": "<script>alert(1)</script>"}, headers=headers
    )
    assert bad.status_code == 400 and "<script>" not in bad.text
    assert bad.headers["Content-Type"].startswith("application/json")
    assert "jsonp" in bad.json()["data"]
    good = httpx.get(live_server.functions_url(), params={"jsonp": "app.cb_1"}, headers=headers)
    assert good.status_code == 200
    assert good.headers["Content-Type"].startswith("application/javascript")
    assert re.fullmatch(r"app\.cb_1\(\{.*\}\);", good.text, re.S)
    assert good.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(
    ("request_bytes", "status"),
    [
        (b"FOO /v2/functions HTTP/1.1\r\nHost: x\r\n\r\n", 400),  # aiohttp's parser refuses it
        (b"GET /v2/\xff\xfe HTTP/1.1\r\nHost: x\r\n\r\n", 400),
        (b"GET /v2/x HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 9000 + b"\r\n\r\n", 431),
        # cowboy_http:parse_request/3: a request line past 8000 bytes is 414 (a Pivot GET
        # carrying a big call in its query string), where a header too long is 431.
        (b"GET /pivot/a/f/s?x=" + b"a" * 8100 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414),
        (b"GET /v2/x HTTP/1.1\r\nHost: x\r\nBad Header: 1\r\n\r\n", 400),
    ],
    ids=["unknown-method", "bytes-in-path", "huge-header", "huge-request-line", "bad-header"],
)
def test_requests_the_parser_or_cowboy_refuse_get_an_empty_body(
    live_server: LiveServer, request_bytes: bytes, status: int
) -> None:
    got, headers, body = raw_request(live_server, request_bytes)
    assert got == status
    assert body == b"" and headers.get("x-content-type-options") == "nosniff"


@pytest.mark.parametrize("method", ["TRACE", "PROPFIND", "CONNECT"])
def test_methods_kazoo_does_not_know_are_405_in_the_envelope(
    live_server: LiveServer, method: str
) -> None:
    path = urlsplit(live_server.functions_url()).path
    status, _, body = raw_request(
        live_server, f"{method} {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode()
    )
    assert status == 405 and json.loads(body)["message"] == "invalid_method"


@pytest.mark.parametrize(
    "path", ["/v2/accounts%0A/x", "/v2/acc%00ounts", "/v2/%ZZ", "/v2/accounts/%0D%0A/functions"]
)
def test_odd_paths_get_kazoos_envelope(live_server: LiveServer, path: str) -> None:
    status, headers, body = raw_request(
        live_server, f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode()
    )
    assert status in (401, 404)
    reply = json.loads(body)
    assert reply["status"] == "error" and reply["error"] == str(status)
    assert headers["content-type"].startswith("application/json")


@pytest.mark.parametrize(
    "body",
    [
        b"\xff\xfe not utf-8",
        b'{"data": NaN}',
        b'{"data": {"name": 1e999999}}',
        b"[1, 2]",
        b'{"data": "text"}',
        b'{"data": {"name": "x", "function_js": 5}}',
        b'{"data": {"name": ["x"], "function_js": ""}}',
        b"{" * 10,
        b'{"data": {}, "data": [] ',
    ],
)
def test_malformed_bodies_are_4xx_without_exception_text(
    live_server: LiveServer, body: bytes
) -> None:
    token = live_server.token()
    reply = httpx.put(
        live_server.functions_url(),
        content=body,
        headers={"X-Auth-Token": token, "Content-Type": "application/json"},
    )
    assert 400 <= reply.status_code < 500, reply.text
    assert reply.json()["status"] == "error"
    assert "Traceback" not in reply.text and "Error(" not in reply.text
    assert live_server.backend.store.count("functions") == 0
