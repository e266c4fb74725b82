"""Callflow and temporal rule documents over real HTTP: KAZOO's cb_callflows rules, the
listing view's fields, the same envelopes, revisions and isolation as functions."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import LiveServer

FLOW = {"module": "tts", "data": {"text": "hi"}, "children": {"_": {"module": "hangup"}}}


@pytest.fixture
def api(live_server: LiveServer):
    client = httpx.Client(headers={"X-Auth-Token": live_server.token()}, timeout=10)
    yield live_server, client
    client.close()


def url(server: LiveServer, module: str = "callflows") -> str:
    return f"{server.url}/v2/accounts/{server.account_id}/{module}"


def test_create_list_get_patch_delete_a_callflow(api) -> None:
    server, client = api
    made = client.put(
        url(server), json={"data": {"name": "Main", "numbers": ["2000"], "flow": FLOW}}
    )
    assert made.status_code == 201, made.text
    doc_id = made.json()["data"]["id"]
    assert made.headers["Location"] == f"/v2/accounts/{server.account_id}/callflows/{doc_id}"
    assert made.json()["data"]["flow"]["data"]["voice"] == "female"  # the module's defaults
    listed = client.get(url(server)).json()["data"]
    assert listed == [
        {
            "id": doc_id,
            "name": "Main",
            "type": None,
            "numbers": ["2000"],
            "patterns": [],
            "featurecode": False,
            "owner_id": None,
            "group_id": None,
            "modules": ["tts", "hangup"],
            "flags": [],
        }
    ]
    got = client.get(f"{url(server)}/{doc_id}")
    assert got.status_code == 200 and got.headers["ETag"] == f'"{got.json()["revision"]}"'
    patched = client.patch(f"{url(server)}/{doc_id}", json={"data": {"numbers": ["2001"]}})
    assert patched.status_code == 200 and patched.json()["data"]["numbers"] == ["2001"]
    assert client.delete(f"{url(server)}/{doc_id}").json()["data"]["_read_only"]["deleted"]
    assert client.get(f"{url(server)}/{doc_id}").status_code == 404


def test_a_callflow_needs_a_number_or_a_pattern_and_a_valid_flow(api) -> None:
    server, client = api
    bare = client.put(url(server), json={"data": {"name": "nowhere", "flow": FLOW}})
    assert bare.status_code == 400
    assert bare.json()["data"]["numbers"]["required"]["message"] == (
        "Callflows must be assigned at least one number or pattern"
    )
    bad_flow = {"module": "ring_group", "data": {"endpoints": []}}
    broken = client.put(url(server), json={"data": {"numbers": ["1"], "flow": bad_flow}})
    assert broken.status_code == 400
    assert "minItems" in broken.json()["data"]["flow.data.endpoints"]
    typed = client.put(url(server), json={"data": {"numbers": "2000", "flow": FLOW}})
    assert typed.status_code == 400 and "type" in typed.json()["data"]["numbers"]


def test_numbers_and_patterns_are_unique_in_the_account(api) -> None:
    server, client = api
    first = client.put(
        url(server), json={"data": {"name": "First", "numbers": ["2000"], "patterns": ["^3"]}}
    ).json()["data"]["id"]
    again = client.put(
        url(server), json={"data": {"numbers": ["2000", "2001"], "patterns": ["^3"]}}
    )
    assert again.status_code == 400
    problems = again.json()["data"]
    assert problems["numbers"]["unique"] == {
        "message": f"Number 2000 exists in callflow {first} First",
        "cause": "2000",
    }
    assert problems["patterns"]["unique"]["cause"] == "^3"
    # The callflow itself may keep its numbers.
    same = client.post(f"{url(server)}/{first}", json={"data": {"numbers": ["2000"]}})
    assert same.status_code == 200, same.text
    # Another account may use the same number.
    other = server.backend.accounts.create_account("Other")
    token = server.token(other.api_key)
    elsewhere = httpx.put(
        f"{server.url}/v2/accounts/{other.account_id}/callflows",
        json={"data": {"numbers": ["2000"]}},
        headers={"X-Auth-Token": token},
    )
    assert elsewhere.status_code == 201
    # ...but never read this account's callflow.
    foreign = httpx.get(f"{url(server)}/{first}", headers={"X-Auth-Token": token})
    assert foreign.status_code == 403


def test_temporal_rules_are_documents_too(api) -> None:
    server, client = api
    missing = client.put(url(server, "temporal_rules"), json={"data": {"name": "x"}})
    assert missing.status_code == 400 and "required" in missing.json()["data"]["cycle"]
    made = client.put(
        url(server, "temporal_rules"),
        json={"data": {"name": "Weekdays", "cycle": "weekly", "wdays": ["monday", "friday"]}},
    )
    assert made.status_code == 201, made.text
    assert made.json()["data"]["interval"] == 1 and made.json()["data"]["start_date"] == 62586115200
    listed = client.get(url(server, "temporal_rules")).json()["data"]
    assert [(r["name"], r["flags"]) for r in listed] == [("Weekdays", [])]


def test_callflows_live_only_under_an_account(api) -> None:
    server, client = api
    assert client.get(f"{server.url}/v2/callflows").status_code == 404
