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


def test_menus_are_stored_with_kazoos_defaults(api) -> None:
    server, client = api
    made = client.put(url(server, "menus"), json={"data": {"name": "Main menu"}})
    assert made.status_code == 201, made.text
    menu = made.json()["data"]
    # The menus schema's defaults, which crossbar stores and cf_menu then reads.
    assert (menu["retries"], menu["hunt"], menu["max_extension_length"]) == (3, True, 4)
    assert client.get(url(server, "menus")).json()["data"] == [
        {"id": menu["id"], "name": "Main menu", "flags": []}
    ]
    too_many = client.put(url(server, "menus"), json={"data": {"name": "x", "retries": 11}})
    assert too_many.status_code == 400 and "maximum" in too_many.json()["data"]["retries"]
    nameless = client.put(url(server, "menus"), json={"data": {"retries": 2}})
    assert nameless.status_code == 400 and "required" in nameless.json()["data"]["name"]


def test_a_lists_entries_live_under_it_and_go_with_it(api) -> None:
    server, client = api
    lists = url(server, "lists")
    list_id = client.put(lists, json={"data": {"name": "VIP"}}).json()["data"]["id"]
    entries = f"{lists}/{list_id}/entries"
    first = client.put(entries, json={"data": {"number": "1415", "name": "Bay"}})
    assert first.status_code == 201, first.text
    assert first.json()["data"]["list_id"] == list_id  # from the path, as cb_lists sets it
    client.put(entries, json={"data": {"regexp": "^\\+44"}})
    other = client.put(lists, json={"data": {"name": "Other"}}).json()["data"]["id"]
    client.put(f"{lists}/{other}/entries", json={"data": {"number": "1"}})
    listed = client.get(entries).json()["data"]
    assert sorted(item.get("number") or item["regexp"] for item in listed) == ["1415", "^\\+44"]
    entry_id = first.json()["data"]["id"]
    patched = client.patch(f"{entries}/{entry_id}", json={"data": {"number": "1416"}})
    assert patched.status_code == 200 and patched.json()["data"]["number"] == "1416"
    assert client.get(lists).json()["data"][0]["name"] in ("VIP", "Other")
    assert client.put(f"{lists}/nope/entries", json={"data": {}}).status_code == 404
    # An entry is reached through its own list only.
    assert client.get(f"{lists}/{other}/entries/{entry_id}").status_code == 404
    # Not reachable as a module of its own.
    assert client.get(url(server, "list_entries")).status_code == 404
    assert client.delete(f"{lists}/{list_id}").status_code == 200
    assert client.get(f"{entries}/{entry_id}").status_code == 404
    assert len(client.get(f"{lists}/{other}/entries").json()["data"]) == 1


def test_deleting_a_lists_entries_collection_empties_it(api) -> None:
    server, client = api
    lists = url(server, "lists")
    list_id = client.put(lists, json={"data": {"name": "Spam"}}).json()["data"]["id"]
    entries = f"{lists}/{list_id}/entries"
    for number in ("1", "2"):
        client.put(entries, json={"data": {"number": number}})
    gone = client.delete(entries)
    assert gone.status_code == 200 and len(gone.json()["data"]) == 2
    assert client.get(entries).json()["data"] == []
    assert client.get(f"{lists}/{list_id}").status_code == 200  # the list itself stays


def test_temporal_rule_sets_are_listed_with_their_rules(api) -> None:
    server, client = api
    sets = url(server, "temporal_rules_sets")
    made = client.put(sets, json={"data": {"name": "Holidays", "temporal_rules": ["xmas"]}})
    assert made.status_code == 201, made.text
    assert client.get(sets).json()["data"] == [
        {"id": made.json()["data"]["id"], "name": "Holidays", "rules": ["xmas"], "flags": []}
    ]
    empty = client.put(sets, json={"data": {"name": "None", "temporal_rules": []}})
    assert empty.status_code == 400 and "minItems" in empty.json()["data"]["temporal_rules"]
