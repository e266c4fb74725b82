"""The callflow executor against cf_exe: its primitives, every module's continuation, scenarios,
decisions computed from the call, number lookup, and all-paths with dead branches."""

from __future__ import annotations

from typing import Any

import pytest

from backend.callflow.continuations import MODULES
from backend.callflow.execute import (
    MAX_BRANCHES,
    Environment,
    Scenario,
    ScenarioError,
    Simulation,
    all_paths,
    execute,
    static_dead_branches,
)
from backend.callflow.modules import module_names
from backend.callflow.sources import DirectorySource, Documents, FunctionDoc, MappingSource
from backend.samples import sample_callflows, sample_calls, samples_dir

CALLS = sample_calls()
FLOWS = sample_callflows()
DOCS = Documents.samples()
SAMPLES = DirectorySource(samples_dir() / "functions")
HANGUP = {"module": "hangup", "data": {}}


def node(module: str, data: dict[str, Any] | None = None, **children: Any) -> dict[str, Any]:
    made: dict[str, Any] = {"module": module, "data": data or {}}
    if children:
        made["children"] = {key.replace("WILD", "_"): child for key, child in children.items()}
    return made


def tts(text: str, **children: Any) -> dict[str, Any]:
    return node("tts", {"text": text}, **children)


def walk(
    flow: dict[str, Any],
    scenario: dict[str, Any] | None = None,
    *,
    call: dict[str, Any] | None = None,
    functions: dict[str, FunctionDoc] | None = None,
    documents: Documents | None = None,
    capture: str | None = None,
) -> Simulation:
    env = Environment(
        call or {},
        MappingSource(functions or {}),
        documents or Documents(),
        capture_group=capture,
    )
    return execute({"flow": flow}, env, Scenario.parse(scenario))


def trail(sim: Simulation) -> list[tuple[str, str, str | None]]:
    return sim.path()


def said(sim: Simulation) -> list[str]:
    return [step.data["text"] for step in sim.steps if step.module == "tts"]


# -- cf_exe's primitives ------------------------------------------------------------------------------
def test_continue_falls_back_to_the_wildcard_then_stops() -> None:
    sim = walk(node("branch_variable", {"variable": "x"}, WILD=tts("wild")))
    assert said(sim) == ["wild"]
    assert sim.ended == "tts: no '_' child, KAZOO stops the callflow here"


def test_attempt_has_no_fallback_resources_never_take_the_wildcard() -> None:
    flow = node("resources", {}, WILD=tts("never"))
    sim = walk(flow, {"answer": ["USER_BUSY"]})
    assert trail(sim) == [("resources", "ended", None)]
    assert "USER_BUSY" in sim.ended
    assert static_dead_branches(flow) == ["flow: _"]


def test_a_branch_pushes_the_wildcard_and_stop_resumes_it() -> None:
    returns_bridge = FunctionDoc("f", "return {module: 'user', data: {id: 'u'}};")
    flow = node("function", {"id": "f"}, WILD=tts("after the bridge"))
    sim = walk(flow, {"answer": ["answered"]}, functions={"f": returns_bridge})
    assert trail(sim) == [
        ("function", "branched", None),
        ("user", "stopped", None),
        ("tts", "stopped", None),
    ]
    assert sim.steps[2].note.startswith("resumed: flow ▸ _, kept on KAZOO's branch stack")
    assert [step.stack for step in sim.steps] == [[], ["flow ▸ _"], []]
    assert [step.resumed for step in sim.steps] == [False, False, True]


def test_hard_stop_ignores_the_stack_response_does_not() -> None:
    for module, resumes in (("hangup", False), ("response", True)):
        body = f"return {{module: '{module}', data: {{}}}};"
        sim = walk(
            node("function", {"id": "f"}, WILD=tts("resumed")),
            functions={"f": FunctionDoc("f", body)},
        )
        assert (said(sim) == ["resumed"]) is resumes, module


def test_handed_off_calls_end_whatever_the_stack() -> None:
    body = "return {module: 'conference', data: {id: '" + "c" * 32 + "'}};"
    sim = walk(
        node("function", {"id": "f"}, WILD=tts("never")), functions={"f": FunctionDoc("f", body)}
    )
    assert trail(sim)[-1] == ("conference", "ended", None) and said(sim) == []


def test_unknown_module_and_skip_module_continue_to_the_wildcard() -> None:
    assert said(walk(node("no_such_module", {}, WILD=tts("a")))) == ["a"]
    skipped = walk(node("user", {"skip_module": True}, WILD=tts("b")))
    assert trail(skipped)[0] == ("user", "skipped", "_") and said(skipped) == ["b"]


def test_an_empty_flow_stops() -> None:
    sim = walk(node("tts", {"text": "x"}, WILD={}))
    assert trail(sim) == [("tts", "continued", "_"), ("", "stopped", None)]


def test_a_callflow_that_branches_into_itself_stops_at_the_branch_limit() -> None:
    loop = {"id": "loop", "flow": node("callflow", {"id": "loop"})}
    docs = Documents(callflows={"loop": loop})
    sim = walk(loop["flow"], documents=docs)
    assert sim.branches == MAX_BRANCHES and sim.ended == "branch limit reached"
    assert trail(sim)[-1] == ("callflow", "ended", None)


def test_functions_and_callflows_share_the_budget() -> None:
    docs = Documents(callflows={"c": {"flow": node("function", {"id": "f"})}})
    f = FunctionDoc("f", "return {module: 'callflow', data: {id: 'c'}};")
    sim = walk(node("callflow", {"id": "c"}), functions={"f": f}, documents=docs)
    modules = [s.module for s in sim.steps if s.outcome == "branched"]
    assert sim.branches == MAX_BRANCHES and set(modules) == {"callflow", "function"}


# -- every module's continuation --------------------------------------------------------------------
# Written from KAZOO's module files (continuations.py cites each), independently of the table:
# where each module goes with the default scenario (answered, no digits, a voice call).
CONTINUES = {
    *("after_bridge", "answer", "audio_macro", "audio_macro.prompt", "audio_macro.say"),
    *("audio_macro.tone", "call_forward", "call_waiting", "do_not_disturb", "dynamic_cid"),
    *("edr", "flush_dtmf", "hotdesk", "language", "lookupcidname", "manual_presence"),
    *("missed_call_alert", "noop", "notification", "play", "prepend_cid", "privacy"),
    *("record_call", "record_caller", "ring_group_toggle", "route_to_cid", "send_dtmf", "set"),
    *("set_alert_info", "set_cid", "skel", "sleep", "tts", "webhook", "acdc_agent", "acdc_queue"),
    *("acdc_wait_time", "directory", "disa", "intercom", "set_variable", "set_variables"),
    *("collect_dtmf", "pivot", "voicemail", "function", "callflow", "temporal_route"),
    *("check_cid", "cidlistmatch", "branch_bnumber", "branch_variable", "nomorobo", "menu"),
}
STOPS = {
    *("dead_air", "wait_for_hangup", "move", "intercept", "intercept_feature", "eavesdrop"),
    *("eavesdrop_feature", "group_pickup", "group_pickup_feature", "response", "camping_feature"),
    *("user", "device", "group", "ring_group", "page_group", "resources", "offnet", "park"),
}
ENDS = {"hangup", "conference", "conference_feature", "faxbox", "receive_fax", "transfer"}
SPECIAL = {"acdc_member": ("ended", None), "fax_detect": ("continued", "ON_VOICE")}


def test_the_expectations_cover_every_catalogued_module() -> None:
    every = CONTINUES | STOPS | ENDS | set(SPECIAL)
    assert sorted(every) == sorted(module_names()) == sorted(MODULES)
    assert not (CONTINUES & STOPS or CONTINUES & ENDS or STOPS & ENDS)


@pytest.mark.parametrize("module", module_names())
def test_each_module_continues_as_kazoos_does(module: str) -> None:
    data = {"id": "missing", "variable": "v", "regex": "^$"} if module != "check_cid" else {}
    children = {"ON_VOICE": tts("voice"), "WILD": tts("wildcard")}
    sim = walk(node(module, data, **children), call={"Caller-ID-Number": "+1"})
    first = sim.steps[0]
    if module in CONTINUES:  # check_cid: ".*" matches, there is no "match" child: `_`
        expected: tuple[str, str | None] = ("continued", "_")
    elif module in STOPS:
        expected = ("stopped", None)
    elif module in ENDS:
        expected = ("ended", None)
    else:
        expected = SPECIAL[module]
    assert (first.outcome, first.child) == expected, (module, first.note)
    assert MODULES[module].source, module


@pytest.mark.parametrize("module", ["user", "device", "group", "ring_group"])
def test_bridge_failures_take_the_cause_then_the_code_then_the_wildcard(module: str) -> None:
    flow = node(module, {}, NO_ANSWER=tts("cause"), **{"sip:486": tts("code")}, WILD=tts("wild"))
    assert said(walk(flow, {"answer": ["NO_ANSWER"]})) == ["cause"]
    assert said(walk(flow, {"answer": ["USER_BUSY"]})) == ["code"]
    assert said(walk(flow, {"answer": ["CALL_REJECTED", "CALL_REJECTED"]})) == ["wild"]


def test_ring_group_rings_again_up_to_repeats() -> None:
    flow = node("ring_group", {"repeats": 3}, WILD=tts("gave up"))
    sim = walk(flow, {"answer": ["NO_ANSWER", "NO_ANSWER", "answered"]})
    assert trail(sim) == [("ring_group", "stopped", None)]
    assert "NO_ANSWER, NO_ANSWER then; answered" in sim.steps[0].note
    assert said(walk(flow, {"answer": ["NO_ANSWER"] * 3})) == ["gave up"]


def test_resources_follow_a_failure_child_but_never_the_wildcard() -> None:
    flow = node("offnet", {}, NO_ROUTE_DESTINATION=tts("no route"), WILD=tts("never"))
    assert said(walk(flow, {"answer": ["NO_ROUTE_DESTINATION"]})) == ["no route"]
    assert said(walk(flow, {"answer": ["USER_BUSY"]})) == []


def test_menu_digits_timeout_retries_and_max_retries() -> None:
    menu = node(
        "menu",
        {"id": "m"},
        **{"1": tts("one"), "timeout": tts("timeout"), "max_retries": tts("max")},
        WILD=tts("wild"),
    )
    assert said(walk(menu, {"digits": ["1"]})) == ["one"]
    assert said(walk(menu)) == ["timeout"]  # no digits: the timeout child at once
    assert said(walk(menu, {"digits": ["7", "8", "9"]})) == ["max"]  # 3 retries, all invalid
    assert said(walk(menu, {"digits": ["7", "1"]})) == ["one"]  # a retry, then a good key
    no_children = node("menu", {"id": "m"}, WILD=tts("wild"))
    sim = walk(no_children, {"digits": ["5"]})
    assert said(sim) == ["wild"] and "KAZOO's defaults (3 retries)" in sim.steps[0].note


def test_a_menu_document_sets_retries_and_hunting() -> None:
    docs = Documents(
        callflows={"x": {"numbers": ["2000"], "flow": tts("hunted")}},
        menus={"m": {"retries": 1, "hunt": True}},
    )
    menu = node("menu", {"id": "m"}, max_retries=tts("max"))
    hunted = walk(menu, {"digits": ["2000"]}, documents=docs)
    assert said(hunted) == ["hunted"] and hunted.branches == 1
    assert said(walk(menu, {"digits": ["5"]}, documents=docs)) == ["max"]  # one retry only


def test_check_cid_computes_match_nomatch_and_absolute_mode() -> None:
    children = {"match": tts("match"), "nomatch": tts("nomatch"), "+14155550123": tts("exact")}
    flow = node("check_cid", {"regex": "^\\+1415"}, **children)
    assert said(walk(flow, call={"Caller-ID-Number": "+14155550123"})) == ["match"]
    assert said(walk(flow, call={"Caller-ID-Number": "+12125550100"})) == ["nomatch"]
    absolute = node("check_cid", {"regex": ".", "use_absolute_mode": True}, **children)
    assert said(walk(absolute, call={"Caller-ID-Number": "+14155550123"})) == ["exact"]


def test_branch_variable_reads_channel_vars_and_set_variable() -> None:
    branch = node("branch_variable", {"variable": "tier"}, gold=tts("gold"), WILD=tts("other"))
    call = {"Custom-Channel-Vars": {"Tier": "gold"}}
    assert said(walk(branch, call=call)) == ["gold"]
    assert said(walk(branch)) == ["other"]
    chain = node("set_variable", {"variable": "tier", "value": "gold"}, WILD=branch)
    assert said(walk(chain)) == ["gold"]


def test_fax_detect_voicemail_park_and_queue_follow_the_scenario() -> None:
    fax = node("fax_detect", {}, ON_FAX=tts("fax"), ON_VOICE=tts("voice"))
    assert said(walk(fax, {"fax": "fax"})) == ["fax"] and said(walk(fax)) == ["voice"]
    vm = node("voicemail", {"id": "v"}, WILD=tts("after"))
    assert said(walk(vm)) == ["after"] and said(walk(vm, {"voicemail": ["hangup"]})) == []
    park = node("park", {"slot": "101"}, **{"101": tts("slot")}, WILD=tts("wild"))
    assert said(walk(park)) == [] and said(walk(park, {"park": "unanswered"})) == ["slot"]
    queue = node("acdc_member", {"id": "q"}, WILD=tts("timed out"))
    assert said(walk(queue)) == [] and said(walk(queue, {"queue": "timeout"})) == ["timed out"]


# -- scenarios ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"anwser": []}, "unknown scenario key 'anwser'"),
        ({"answer": ["NO_ANSER"]}, "unknown value 'NO_ANSER'"),
        ({"digits": ["1a"]}, "'1a' is not DTMF digits"),
        ({"fax": 1}, "1 is not a string"),
        ({"choose": ["x"]}, "choose must map"),
        ([1], "must be an object"),
    ],
)
def test_a_bad_scenario_is_an_error_that_names_it(raw: Any, message: str) -> None:
    with pytest.raises(ScenarioError, match=message):
        Scenario.parse(raw)


def test_the_scenario_comes_from_the_call_and_is_consumed_in_order() -> None:
    flow = node("user", {}, NO_ANSWER=node("device", {}, USER_BUSY=tts("both failed")))
    call = {"kfn": {"scenario": {"answer": ["NO_ANSWER", "USER_BUSY"]}}}
    env = Environment(call, MappingSource({}))
    sim = execute({"flow": flow}, env)
    assert said(sim) == ["both failed"]
    assert sim.scenario.to_json() == {"answer": ["NO_ANSWER", "USER_BUSY"]}


def test_choose_forces_a_computed_decision() -> None:
    flow = node("check_cid", {"regex": "^$"}, match=tts("match"), nomatch=tts("nomatch"))
    assert said(walk(flow, {"choose": {"flow": "match"}}, call={"Caller-ID-Number": "1"})) == [
        "match"
    ]


# -- number lookup -------------------------------------------------------------------------------------
def test_number_lookup_exact_then_the_longest_pattern_capture() -> None:
    docs = Documents(
        callflows={
            "exact": {"numbers": ["301"], "flow": {}},
            "short": {"patterns": ["^3(\\d)"], "flow": {}},
            "long": {"patterns": ["^3(\\d{2})$"], "flow": {}},
            "fallback": {"numbers": ["no_match"], "flow": {}},
        }
    )
    assert docs.lookup("301")[:1] == ("exact",)
    found = docs.lookup("302")
    assert found is not None and (found[0], found[2]) == ("long", "02")
    assert docs.lookup("999")[0] == "fallback"  # type: ignore[index]


def test_dialling_a_pattern_extension_branches_on_the_capture() -> None:
    found = DOCS.lookup("302")
    assert found is not None
    _doc_id, doc, capture = found
    sim = execute(doc, Environment({}, SAMPLES, DOCS, capture_group=capture))
    assert trail(sim)[:2] == [("branch_bnumber", "continued", "02"), ("callflow", "branched", None)]
    assert trail(sim)[2][0] == "ring_group"  # the sales callflow


# -- the sample callflows under several scenarios -------------------------------------------------------
def sample(name: str, call: str, scenario: dict[str, Any] | None = None) -> Simulation:
    payload = {**CALLS[call], "kfn": {**CALLS[call].get("kfn", {}), "scenario": scenario or {}}}
    env = Environment(payload, SAMPLES, DOCS)
    return execute(FLOWS[name], env)


def test_main_number_rings_sales_by_day_and_voicemail_after_hours() -> None:
    answered = sample("main_number", "known_caller")
    assert [s.module for s in answered.steps] == ["function", "ring_group", "hangup"]
    missed = sample("main_number", "known_caller", {"answer": ["NO_ANSWER"]})
    assert [s.module for s in missed.steps] == ["function", "ring_group", "voicemail", "hangup"]
    night = sample("main_number", "after_hours")
    assert [s.module for s in night.steps] == ["function", "voicemail", "hangup"]


def test_the_support_menu_by_digits() -> None:
    one = sample("support", "known_caller", {"digits": ["1"]})
    assert [s.module for s in one.steps] == ["menu", "callflow", "user"]
    busy = sample("support", "known_caller", {"digits": ["1"], "answer": ["USER_BUSY"]})
    assert said(busy) == ["The front desk is on another call."]
    nothing = sample("support", "known_caller")
    assert trail(nothing)[0] == ("menu", "continued", "max_retries")  # the menu doc: 2 retries


def test_screening_sends_strangers_faxes_to_the_fax_box() -> None:
    local = sample("screening", "known_caller")
    assert trail(local)[0] == ("check_cid", "continued", "match")
    fax = sample("screening", "international", {"fax": "fax"})
    assert [s.module for s in fax.steps] == ["check_cid", "fax_detect", "receive_fax"]


def test_the_vip_line_rings_account_managers_for_listed_callers() -> None:
    vip = sample("vip_line", "known_caller")  # +14155550123 is an entry of vip_numbers
    assert [(s.module, s.child) for s in vip.steps] == [("cidlistmatch", "match"),
                                                       ("ring_group", None)]  # fmt: skip
    missed = sample("vip_line", "known_caller", {"answer": ["NO_ANSWER"]})
    assert [s.module for s in missed.steps] == ["cidlistmatch", "ring_group", "voicemail"]
    other = sample("vip_line", "unknown_caller")
    assert [s.module for s in other.steps] == ["cidlistmatch", "callflow", "user"]
    berlin = sample("vip_line", "international")  # +49: not the list's +44 pattern
    assert trail(berlin)[0] == ("cidlistmatch", "continued", "nomatch")


# -- all paths --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(FLOWS))
def test_every_enumerated_path_is_reproduced_by_its_scenario(name: str) -> None:
    env = Environment(CALLS["known_caller"], SAMPLES, DOCS)
    found = all_paths(FLOWS[name], env)
    assert found.complete and found.paths
    assert len({tuple(p.path()) for p in found.paths}) == len(found.paths)
    for path in found.paths:
        replay = execute(FLOWS[name], env, path.scenario)
        assert replay.path() == path.path(), (name, path.scenario.to_json())


def test_all_paths_of_the_support_menu() -> None:
    found = all_paths(FLOWS["support"], Environment(CALLS["known_caller"], SAMPLES, DOCS))
    endings = {p.steps[-1].module for p in found.paths}
    assert {"user", "tts", "voicemail", "ring_group", "resources"} <= endings
    assert any(p.scenario.to_json() == {"digits": ["1"], "answer": ["USER_BUSY"]}
               for p in found.paths)  # fmt: skip


def test_dead_branches_are_flagged() -> None:
    flow = node(
        "conference",
        {"id": "c"},
        NO_ANSWER=tts("never"),
        WILD=node("resources", {}, WILD=tts("never either"), USER_BUSY=tts("fine")),
    )
    found = all_paths({"flow": flow}, Environment({}, MappingSource({})))
    # conference hands the call away (no child at all); resources never fall to `_`.
    assert found.dead == ["flow: NO_ANSWER", "flow: _", "flow ▸ _: _"]
    assert [p.path() for p in found.paths] == [[("conference", "ended", None)]]


def test_a_temporal_rule_kazoo_cannot_evaluate_continues_to_the_wildcard() -> None:
    docs = Documents(temporal_rules={"odd": {"name": "odd", "cycle": "monthly",
                                             "wdays": ["monday", "friday"]}})  # fmt: skip
    flow = node("temporal_route", {}, odd=tts("odd"), WILD=tts("wild"))
    sim = walk(flow, documents=docs, call={"kfn": {"now": "2026-11-25T15:00:00Z"}})
    assert said(sim) == ["wild"] and "KAZOO's module fails" in sim.steps[0].note


def test_all_paths_stops_at_its_bound() -> None:
    flow: dict[str, Any] = HANGUP
    for _ in range(12):  # 12 two-way decisions: 4,096 paths
        flow = node("fax_detect", {}, ON_FAX=flow, ON_VOICE=flow)
    found = all_paths({"flow": flow}, Environment({}, MappingSource({})), limit=100)
    assert len(found.paths) == 100 and not found.complete


def test_cidlistmatch_checks_prefixes_and_patterns_of_the_list() -> None:
    # KAZOO builds the keys from the caller id without its "+": an entry "+1310..." never
    # matches it, "1415..." matches "+1415..." (cf_cidlistmatch:build_keys/1).
    entries = [{"number": "14155550123"}, {"number": "+13105550100"}, {"prefix": "1212555"}]
    docs = Documents(lists={"vip": [*entries, {"pattern": "^\\+44"}]})
    flow = node("cidlistmatch", {"id": "vip"}, match=tts("vip"), nomatch=tts("other"))
    for number, expected in (("+14155550123", "vip"), ("+12125550142", "vip"),
                             ("+442071838750", "vip"), ("+13105550100", "other")):  # fmt: skip
        sim = walk(flow, call={"Caller-ID-Number": number}, documents=docs)
        assert said(sim) == [expected], number
    unknown = walk(node("cidlistmatch", {"id": "nope"}, nomatch=tts("other")))
    assert said(unknown) == ["other"] and "is not here" in unknown.steps[0].note


def test_the_sample_vip_list_is_read_from_the_samples() -> None:
    assert DOCS.list_matches("vip_numbers", "+14155550123") is True
    assert DOCS.list_matches("vip_numbers", "+13105550100") is False


def test_nomorobo_branches_on_the_score_as_cf_nomorobo_does() -> None:
    # Keys 0, 3 and 7: the highest key not above trunc(score * 10), else the lowest key.
    flow = node("nomorobo", {}, **{"0": tts("clean"), "3": tts("odd"), "7": tts("robot")})
    for score, expected in (("0", "clean"), ("0.29", "clean"), ("0.3", "odd"),
                            ("0.69", "odd"), ("0.7", "robot"), ("1", "robot")):  # fmt: skip
        assert said(walk(flow, {"nomorobo": [score]})) == [expected], score
    high = node("nomorobo", {}, **{"5": tts("five"), "8": tts("eight")})
    assert said(walk(high, {"nomorobo": ["0.2"]})) == ["five"]  # below every key: the lowest
    # No score (the lookup failed): `_`, else `0`, else stop.
    assert said(walk(flow)) == ["clean"]
    with_wild = node("nomorobo", {}, WILD=tts("default"), **{"0": tts("clean")})
    assert said(walk(with_wild)) == ["default"]
    only_high = walk(node("nomorobo", {}, **{"5": tts("five")}))
    assert said(only_high) == [] and only_high.steps[0].outcome == "stopped"
    # `_` counts as -1: a low score with keys `_` and 5 takes `_`.
    assert said(walk(node("nomorobo", {}, WILD=tts("wild"), **{"5": tts("five")}),
                     {"nomorobo": ["0.4"]})) == ["wild"]  # fmt: skip


def test_all_paths_tries_every_nomorobo_score_band() -> None:
    flow = node("nomorobo", {}, **{"0": tts("clean"), "3": tts("odd"), "7": tts("robot")})
    found = all_paths({"flow": flow}, Environment({}, MappingSource({})))
    assert sorted(said(path) for path in found.paths) == [["clean"], ["odd"], ["robot"]]


@pytest.mark.parametrize("bad", ["high", "1.5", "-0.1"])
def test_a_nomorobo_score_must_be_from_0_to_1(bad: str) -> None:
    with pytest.raises(ScenarioError, match="not a score from 0 to 1"):
        Scenario.parse({"nomorobo": [bad]})


def test_temporal_rule_sets_lead_their_rules_to_one_child() -> None:
    # cf_temporal_route: data.rule_set's rules lead to the child "rule_set"; a child named by
    # a rule set's id is reached by any of the set's rules.
    rules = {
        "xmas": {"name": "xmas", "cycle": "yearly", "month": 12, "days": [25]},
        "new_year": {"name": "new year", "cycle": "yearly", "month": 1, "days": [1]},
        "weekday": {"name": "weekday", "cycle": "weekly",
                    "wdays": ["monday", "tuesday", "wednesday", "thursday", "friday"]},
    }  # fmt: skip
    sets = {"holidays": {"name": "Holidays", "temporal_rules": ["xmas", "new_year"]}}
    docs = Documents(temporal_rules=rules, rule_sets=sets)

    def at(moment: str, flow: dict[str, Any]) -> list[str]:
        return said(walk(flow, documents=docs, call={"kfn": {"now": moment}}))

    by_data = node("temporal_route", {"rule_set": "holidays", "timezone": "UTC"},
                   rule_set=tts("closed"), WILD=tts("open"))  # fmt: skip
    assert at("2026-12-25T12:00:00Z", by_data) == ["closed"]
    assert at("2027-01-01T12:00:00Z", by_data) == ["closed"]
    assert at("2026-12-24T12:00:00Z", by_data) == ["open"]
    by_child = node("temporal_route", {"timezone": "UTC"},
                    holidays=tts("holiday"), weekday=tts("work"), WILD=tts("weekend"))  # fmt: skip
    assert at("2026-12-25T12:00:00Z", by_child) == ["holiday"]  # a Friday, but a holiday first
    assert at("2026-12-24T12:00:00Z", by_child) == ["work"]
    assert at("2026-12-26T12:00:00Z", by_child) == ["weekend"]


def test_referenced_documents_are_shown_read_or_stood_in_for_never_invented() -> None:
    flow = node("menu", {"id": "gone"}, **{"1": node("user", {"id": "u1"})},
                timeout=node("cidlistmatch", {"id": "vip_numbers"}, nomatch=node(
                    "callflow", {"id": "c0ffee00c0ffee00c0ffee00c0ffee00"})))  # fmt: skip
    sim = walk(flow, documents=DOCS)
    found = {(r.kind, r.id): (r.found, r.note) for r in sim.references}
    assert found[("menu", "gone")] == (
        False, "not here: cf_menu's defaults (retries 3, timeout 10000, "
        "max_extension_length 4, hunt False), no prompts")  # fmt: skip
    assert found[("list", "vip_numbers")][0] is True
    assert found[("callflow", "c0ffee00c0ffee00c0ffee00c0ffee00")][0] is True
    assert ("user", "u1") not in found  # not walked: a menu timeout took another child
    paths = all_paths({"flow": flow}, Environment({}, MappingSource({}), DOCS))
    kinds = {(r.kind, r.id): r.found for r in paths.references}
    assert kinds[("user", "u1")] is None  # named only: the scenario stands in
    rules = node("temporal_route", {"rules": ["nope"], "rule_set": "nor"}, WILD=HANGUP)
    noted = {(r.kind, r.id): r.found for r in walk(rules, documents=DOCS).references}
    assert noted == {("temporal_rule", "nope"): False, ("temporal_rule_set", "nor"): False}
