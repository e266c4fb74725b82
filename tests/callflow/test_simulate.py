"""`simulate`, the entry point the CLI and the app use: function nodes branching, continuing
and resuming, refusals, and the 50-branch limit, on the sample callflows."""

from __future__ import annotations

from backend.callflow.simulate import (
    DirectorySource,
    Documents,
    FunctionDoc,
    MappingSource,
    Simulation,
    simulate,
)
from backend.samples import sample_callflows, sample_calls, samples_dir

CALLS = sample_calls()
FLOWS = sample_callflows()
SAMPLES = DirectorySource(samples_dir() / "functions")
DOCS = Documents.samples()


def modules(sim: Simulation) -> list[tuple[str, str]]:
    return [(step.module, step.outcome) for step in sim.steps]


def test_business_hours_branches_into_the_returned_flow_then_resumes() -> None:
    sim = simulate(FLOWS["main_number"], CALLS["known_caller"], SAMPLES)
    # The ring group is answered: its bridge stops, which resumes the function node's `_`.
    assert modules(sim) == [
        ("function", "branched"),
        ("ring_group", "stopped"),
        ("hangup", "ended"),
    ]
    assert sim.branches == 1 and sim.steps[2].note.startswith("resumed: flow ▸ _")
    after = simulate(FLOWS["main_number"], CALLS["after_hours"], SAMPLES)
    assert modules(after) == [
        ("function", "branched"),
        ("voicemail", "stopped"),  # left a message; no `_` after it: stop, resume `_`
        ("hangup", "ended"),
    ]


def test_a_chain_of_two_function_nodes() -> None:
    vip = simulate(FLOWS["screened_line"], CALLS["custom_vars"], SAMPLES, documents=DOCS)
    assert modules(vip)[:3] == [
        ("function", "branched"),  # blocklist: a callflow node, to the front desk
        ("callflow", "branched"),
        ("user", "stopped"),
    ]
    assert vip.steps[3].module == "function" and vip.steps[3].note.startswith("resumed")
    assert vip.branches == 3


def test_a_function_whose_flow_runs_another_function() -> None:
    sim = simulate(FLOWS["international_desk"], CALLS["international"], SAMPLES)
    assert modules(sim)[:4] == [
        ("function", "branched"),
        ("language", "continued"),
        ("function", "branched"),
        ("tts", "continued"),
    ]
    assert sim.steps[1].data["language"] == "de-de"
    assert sim.steps[3].data["text"] == "Hello Dieter, thanks for calling."


def test_a_missing_function_continues_to_the_wildcard_child() -> None:
    sim = simulate(FLOWS["missing_function"], CALLS["known_caller"], SAMPLES)
    assert modules(sim) == [("function", "continued"), ("tts", "stopped")]
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
        assert modules(sim) == [("function", "continued"), ("hangup", "ended")], expected
        assert expected in sim.steps[0].note
        assert sim.function_failed is (expected in ("Uncaught exception", "module"))


def test_kazoos_branch_limit_of_50() -> None:
    loop = FunctionDoc("loop", "return {module:'function', data:{id:'loop'}};")
    sim = simulate(
        {"flow": {"module": "function", "data": {"id": "loop"}}}, {}, MappingSource({"loop": loop})
    )
    assert sim.branches == 50 and sim.steps[-1].outcome == "ended"
    assert sim.ended == "branch limit reached"


def test_hangup_ends_everything_a_response_resumes_the_stack() -> None:
    blocked = simulate(FLOWS["screened_line"], CALLS["unknown_caller"], SAMPLES, documents=DOCS)
    # blocklist answers 603 (response: stop), which resumes the first node's `_`: vip_to_user.
    assert modules(blocked)[:3] == [
        ("function", "branched"),
        ("response", "stopped"),
        ("function", "branched"),
    ]
