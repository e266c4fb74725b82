"""Callflow simulation: branching, continuing, resuming, refusals and the 50-branch limit."""

from __future__ import annotations

from backend.callflow.simulate import DirectorySource, FunctionDoc, MappingSource, simulate
from backend.samples import sample_callflows, sample_calls, samples_dir

CALLS = sample_calls()
FLOWS = sample_callflows()
SAMPLES = DirectorySource(samples_dir() / "functions")


def modules(sim) -> list[tuple[str, str]]:
    return [(step.module, step.outcome) for step in sim.steps]


def test_business_hours_branches_into_the_returned_flow_then_resumes() -> None:
    sim = simulate(FLOWS["main_number"], CALLS["known_caller"], SAMPLES)
    assert modules(sim) == [
        ("function", "branched"),
        ("ring_group", "recorded"),
        ("voicemail", "recorded"),
        ("hangup", "recorded"),
    ]
    assert sim.branches == 1
    after = simulate(FLOWS["main_number"], CALLS["after_hours"], SAMPLES)
    assert modules(after) == [
        ("function", "branched"),
        ("voicemail", "recorded"),
        ("hangup", "recorded"),
    ]


def test_a_chain_of_two_function_nodes() -> None:
    vip = simulate(FLOWS["screened_line"], CALLS["custom_vars"], SAMPLES)
    assert modules(vip) == [
        ("function", "branched"),
        ("callflow", "recorded"),
        ("function", "branched"),
        ("user", "recorded"),
        ("voicemail", "recorded"),
        ("voicemail", "recorded"),
    ]
    assert vip.branches == 2


def test_a_function_whose_flow_runs_another_function() -> None:
    sim = simulate(FLOWS["international_desk"], CALLS["international"], SAMPLES)
    assert modules(sim)[:4] == [
        ("function", "branched"),
        ("language", "recorded"),
        ("function", "branched"),
        ("tts", "recorded"),
    ]
    assert sim.steps[1].data["language"] == "de-de"
    assert sim.steps[3].data["text"] == "Hello Dieter, thanks for calling."


def test_a_missing_function_continues_to_the_wildcard_child() -> None:
    sim = simulate(FLOWS["missing_function"], CALLS["known_caller"], SAMPLES)
    assert modules(sim) == [("function", "continued"), ("tts", "recorded")]
    assert "does not exist" in sim.steps[0].note


def test_disabled_deleted_foreign_and_failing_functions_continue() -> None:
    flow = {
        "flow": {
            "module": "function",
            "data": {"id": "f"},
            "children": {"_": {"module": "hangup", "data": {}}},
        }
    }
    cases = {
        "is disabled": FunctionDoc("f", "return {module:'noop',data:{}};", enabled=False),
        "is deleted": FunctionDoc("f", "return {module:'noop',data:{}};", deleted=True),
        "another account": FunctionDoc("f", "return {module:'noop',data:{}};", account_id="b" * 32),
        "Uncaught exception": FunctionDoc("f", "throw new Error('x');"),
        "module": FunctionDoc("f", "return {action:'tts'};"),
    }
    for expected, doc in cases.items():
        sim = simulate(flow, CALLS["known_caller"], MappingSource({"f": doc}), account_id="a" * 32)
        assert modules(sim) == [("function", "continued"), ("hangup", "recorded")], expected
        assert expected in sim.steps[0].note


def test_kazoos_branch_limit_of_50() -> None:
    loop = FunctionDoc("loop", "return {module:'function', data:{id:'loop'}};")
    sim = simulate(
        {"flow": {"module": "function", "data": {"id": "loop"}}}, {}, MappingSource({"loop": loop})
    )
    assert sim.branches == 50 and sim.steps[-1].outcome == "stopped"
    assert sim.ended == "branch limit reached"


def test_hangup_and_response_end_the_call_nothing_resumes() -> None:
    blocked = simulate(FLOWS["screened_line"], CALLS["unknown_caller"], SAMPLES)
    assert modules(blocked) == [("function", "branched"), ("response", "recorded")]
    assert blocked.ended.startswith("a SIP response ends the call")
