"""The `call` object is built exactly as KAZOO's query-string round trip builds it."""

from __future__ import annotations

import random

import pytest

from backend.runtime.call import CallEncodingError, build_call, decode_query, encode_query


def test_every_value_becomes_a_string() -> None:
    call = build_call(
        {"Caller-ID-Name": "Alice Smith", "Recording-Duration": 12, "Flag": True, "Ratio": 1.5}
    )
    assert call == {
        "Caller-ID-Name": "Alice Smith",
        "Recording-Duration": "12",
        "Flag": "true",
        "Ratio": "1.5",
    }


def test_objects_become_flat_bracket_keys_and_arrays_keep_the_last_element() -> None:
    call = build_call(
        {"Custom-Application-Vars": {"foo": "bar", "n": {"deep": 1}}, "User-ID": ["u1", "u2"]}
    )
    assert call["Custom-Application-Vars[foo]"] == "bar"
    assert call["Custom-Application-Vars[n][deep]"] == "1"
    assert "Custom-Application-Vars" not in call
    assert call["User-ID[]"] == "u2" and "User-ID" not in call


def test_values_are_percent_encoded_and_decoded_back() -> None:
    assert encode_query({"Name": "Zoë & Co+1"}) == "Name=Zo%C3%AB+%26+Co%2B1"
    assert build_call({"Name": "Zoë & Co+1;x=y"}) == {"Name": "Zoë & Co+1;x=y"}


def test_empty_objects_make_the_empty_key_and_keys_are_not_encoded() -> None:
    call = build_call({"Custom-SIP-Headers": {}, "a+b": "v", "k;j": "w"})
    assert call[""] == ""
    assert call["a b"] == "v", "mochiweb turns + in a key into a space"
    assert "k" in call and "j" in call, "a ; in a key splits it, as in KAZOO"


@pytest.mark.parametrize("payload", [{"A": None}, {"A": [{"x": 1}]}])
def test_what_kazoo_cannot_encode_is_an_error(payload) -> None:
    with pytest.raises(CallEncodingError, match="would not run"):
        build_call(payload)


def test_raw_mode_passes_json_unchanged_and_settings_never_reach_the_function() -> None:
    payload = {"User-ID": ["u1", "u2"], "kfn": {"now": "2026-01-01T00:00:00Z"}}
    assert build_call(payload, raw=True) == {"User-ID": ["u1", "u2"]}
    assert "kfn" not in build_call(payload)


def test_building_per_parameter_equals_decoding_the_whole_query() -> None:
    # build_call skips the round trip for plain parameters; it must equal the full pipeline,
    # separators, duplicates after mangling and all.
    rng = random.Random(11)
    alphabet = ["a", "B", "7", "-", ".", "_", "~", " ", "+", "%", "&", ";", "=", "[", "]", "é", ""]

    def text() -> str:
        return "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 5)))

    def value(depth: int = 0):
        kind = rng.randrange(6 if depth < 2 else 4)
        if kind == 0:
            return text()
        if kind == 1:
            return rng.choice([0, 7, -3, 2.5, 1.0, True, False])
        if kind in (2, 3):
            return text() or "plain"
        if kind == 4:
            return {text(): value(depth + 1) for _ in range(rng.randrange(0, 3))}
        return [rng.choice(["x", 1, "a b", True]) for _ in range(rng.randrange(0, 3))]

    for _ in range(500):
        params = {text(): value() for _ in range(rng.randrange(0, 6))}
        assert build_call(params) == decode_query(encode_query(params)), params
