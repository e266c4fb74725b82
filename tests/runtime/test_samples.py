"""Every sample function gives its expected flow for every sample call, and each flow validates.

The expectations below were worked out by hand from each function's rules and each call's
facts (who calls, from where, when), not copied from a run.
"""

from __future__ import annotations

import pytest

from backend.callflow.evaluate import evaluate
from backend.runtime.es5 import check
from backend.samples import sample_callflows, sample_calls, sample_functions

CALLS = sample_calls()
FUNCTIONS = {f.slug: f for f in sample_functions()}
MAIN_MENU = {"module": "callflow", "data": {"id": "c0ffee00c0ffee00c0ffee00c0ffee00"}}
SUPPORT = {"module": "callflow", "data": {"id": "a9b8c7d6e5f40312a9b8c7d6e5f40312"}}
MENU_PROMPT = "Press 1 for sales, 2 for support, or 0 for the operator."
OFFICE = {
    "west": "7e57a11e7e57a11e7e57a11e7e57a11e",
    "east": "ea57ea57ea57ea57ea57ea57ea57ea57",
    "central": "ce47ce47ce47ce47ce47ce47ce47ce47",
    "main": "3a1b3a1b3a1b3a1b3a1b3a1b3a1b3a1b",
}


def greeting(text: str) -> tuple[str, dict]:
    return "tts", {"text": text}


# function -> call -> (module, a subset of the flow's data that must match)
EXPECTED: dict[str, dict[str, tuple[str, dict]]] = {
    "greeting_by_name": {
        "known_caller": greeting("Hello Alice, thanks for calling."),
        "after_hours": greeting("Hello Alice, thanks for calling."),
        "unknown_caller": greeting("Hello, thanks for calling."),
        "anonymous": greeting("Hello, thanks for calling."),
        "dtmf_digits": greeting("Hello Bob, thanks for calling."),
        "custom_vars": greeting("Hello Carol, thanks for calling."),
        "several_users": greeting("Hello Front, thanks for calling."),
        "international": greeting("Hello Dieter, thanks for calling."),
    },
    # Every call is on Wednesday 2026-11-25 except after_hours (Saturday 2026-11-28 03:00 UTC).
    "day_of_week": {name: ("play", {"id": "greeting-wednesday"}) for name in CALLS}
    | {"after_hours": ("play", {"id": "greeting-saturday"})},
    # Wednesday 10:00-12:00 in New York is open; Friday 22:00 in New York is closed.
    "business_hours": {name: ("ring_group", {"timeout": 30}) for name in CALLS}
    | {"after_hours": ("voicemail", {"id": "0f1e2d3c4b5a69788796a5b4c3d2e1f0"})},
    # +13125550199 is blocked; "anonymous" is anonymous; the rest go to the main menu.
    "blocklist_hangup": {name: (MAIN_MENU["module"], MAIN_MENU["data"]) for name in CALLS}
    | {"unknown_caller": ("response", {"code": 603}), "anonymous": ("response", {"code": 603})},
    # Alice's number is on the VIP list; Carol is tagged vip in Custom-Application-Vars.
    "vip_to_user": {name: (SUPPORT["module"], SUPPORT["data"]) for name in CALLS}
    | {
        n: ("user", {"id": "3d2c1b0a9f8e7d6c5b4a39281706f5e4", "timeout": 25})
        for n in ("known_caller", "after_hours", "custom_vars")
    },
    # Only dtmf_digits carries Digits (2: support).
    "menu_by_digits": {name: ("tts", {"text": MENU_PROMPT}) for name in CALLS}
    | {"dtmf_digits": (SUPPORT["module"], SUPPORT["data"])},
    "language_by_country": {name: ("language", {"language": "en-us"}) for name in CALLS}
    | {"international": ("language", {"language": "de-de"})},
    # 415 west, 312 central, 212/646 east; German, internal (1001) and anonymous numbers: main.
    "ring_group_by_area_code": {
        name: (
            "ring_group",
            {
                "endpoints": [
                    {"endpoint_type": "group", "id": OFFICE[office], "delay": 0, "timeout": 20}
                ]
            },
        )
        for name, office in {
            "known_caller": "west",
            "after_hours": "west",
            "unknown_caller": "central",
            "dtmf_digits": "east",
            "custom_vars": "east",
            "several_users": "main",
            "international": "main",
            "anonymous": "main",
        }.items()
    },
}


def test_there_are_enough_samples() -> None:
    assert len(CALLS) >= 8 and len(FUNCTIONS) >= 8 and len(sample_callflows()) >= 4
    assert set(EXPECTED) == set(FUNCTIONS)


@pytest.mark.parametrize("slug", sorted(FUNCTIONS))
def test_sample_functions_are_es5_clean(slug: str) -> None:
    report = check(FUNCTIONS[slug].function_js)
    assert report.syntax_error is None and report.es5 == []


@pytest.mark.parametrize(
    ("slug", "call_name"), [(f, c) for f in sorted(EXPECTED) for c in sorted(CALLS)]
)
def test_sample_function_gives_its_expected_flow(slug: str, call_name: str) -> None:
    module, data = EXPECTED[slug][call_name]
    run = evaluate(FUNCTIONS[slug].function_js, CALLS[call_name])
    assert run.ok, run.reasons()
    assert run.flow["module"] == module
    for key, value in data.items():
        assert run.flow["data"][key] == value, key


def test_kazoos_own_test_function_is_dropped_for_the_missing_module() -> None:
    body = "return {'action':'tts', 'data':{'text':'hi'}};"  # pqc_cb_functions' body
    run = evaluate(body, CALLS["known_caller"])
    assert run.outcome.ok and not run.ok
    assert run.verdict.errors == {
        "module": {"required": {"message": "Field is required but missing", "value": "module"}}
    }
