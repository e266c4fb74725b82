"""Walk a callflow as KAZOO's executor would for `function` nodes (docs/kazoo-compatibility.md §6).

A function node runs its function: a valid returned flow replaces the current one (the node's
own `_` child is kept on a stack and resumed when that flow ends), anything else continues to
the `_` child. KAZOO allows at most 50 branches per call. Other modules are recorded, not
executed, and the walk follows their `_` child; `hangup` and `response` end the call.
kfn also refuses, as docs/kazoo-compatibility.md §8.3 says, to run a
function that is disabled, deleted, missing or owned by another account, and says why.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from backend.callflow.evaluate import Evaluation, evaluate
from backend.runtime import es5
from backend.runtime.sandbox import Sandbox
from backend.samples import parse_function_file

Checker = Callable[[str], es5.CheckReport]

MAX_BRANCHES = 50
MAX_STEPS = 500
# Modules after which KAZOO's callflow is over: nothing follows, nothing resumes.
CALL_ENDING_MODULES = {"hangup": "the call is hung up", "response": "a SIP response ends the call"}


@dataclass(frozen=True)
class FunctionDoc:
    id: str
    function_js: str
    name: str = ""
    enabled: bool = True
    deleted: bool = False
    account_id: str | None = None


class FunctionSource(Protocol):
    def get(self, function_id: str) -> FunctionDoc | None: ...


class MappingSource:
    """Functions held in memory (the app passes the documents it fetched)."""

    def __init__(self, docs: Mapping[str, FunctionDoc]) -> None:
        self.docs = dict(docs)

    def get(self, function_id: str) -> FunctionDoc | None:
        return self.docs.get(function_id)


class DirectorySource:
    """Functions from files: `<id>.js` (a body) or `<id>.json` (a function document)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def get(self, function_id: str) -> FunctionDoc | None:
        if "/" in function_id or function_id.startswith("."):
            return None
        script = self.directory / f"{function_id}.js"
        if script.is_file():
            sample = parse_function_file(script)
            return FunctionDoc(function_id, sample.function_js, sample.name)
        document = self.directory / f"{function_id}.json"
        if document.is_file():
            doc = json.loads(document.read_text(encoding="utf-8"))
            return FunctionDoc(
                function_id,
                str(doc.get("function_js", "")),
                str(doc.get("name", function_id)),
                doc.get("enabled", True) is not False,
            )
        return None


class StoreSource:
    """Functions from the store, as the embedded server sees them."""

    def __init__(self, functions: Any) -> None:
        self.functions = functions

    def get(self, function_id: str) -> FunctionDoc | None:
        doc = self.functions.store.get("functions", function_id)
        if doc is None:
            return None
        return FunctionDoc(
            function_id,
            str(doc.get("function_js", "")),
            str(doc.get("name", "")),
            doc.get("enabled", True) is not False,
            bool(doc.get("pvt_deleted")),
            doc.get("pvt_account_id"),
        )


@dataclass
class Step:
    where: str  # a readable position: "flow", "flow ▸ _", "function abc ▸ children.1"
    module: str
    data: dict[str, Any]
    outcome: str  # recorded, skipped, branched, continued, stopped
    note: str = ""
    function_id: str | None = None
    evaluation: Evaluation | None = None


@dataclass
class Simulation:
    steps: list[Step] = field(default_factory=list)
    branches: int = 0
    ended: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "branches": self.branches,
            "ended": self.ended,
            "steps": [
                {
                    "where": step.where,
                    "module": step.module,
                    "data": step.data,
                    "outcome": step.outcome,
                    "note": step.note,
                    **({"function_id": step.function_id} if step.function_id else {}),
                    **({"run": step.evaluation.to_json()} if step.evaluation else {}),
                }
                for step in self.steps
            ],
        }


def _refusal(
    doc: FunctionDoc | None, function_id: str | None, account_id: str | None
) -> str | None:
    if not function_id:
        return "the function node has no data.id"
    if doc is None:
        return f"function {function_id} does not exist"
    if doc.deleted:
        return f"function {function_id} is deleted"
    if not doc.enabled:
        return f"function {function_id} is disabled"
    if account_id is not None and doc.account_id not in (None, account_id):
        return f"function {function_id} belongs to another account"
    return None


def _run_function_node(
    step: Step,
    doc: FunctionDoc | None,
    call_payload: dict[str, Any],
    *,
    account_id: str | None,
    sandbox: Sandbox | None,
    raw: bool,
    branches: int,
    branch_limit: int,
    check: Checker | None,
) -> tuple[Step, Any]:
    """Decide a function node's outcome; return the step and the flow to branch into, if any."""
    refusal = _refusal(doc, step.function_id, account_id)
    if refusal or doc is None:
        step.note = f"{refusal}; continuing to '_'"
        return step, None
    report = check(doc.function_js) if check else None
    step.evaluation = run = evaluate(
        doc.function_js, call_payload, raw=raw, sandbox=sandbox, report=report
    )
    if not run.ok:
        step.note = f"{'; '.join(run.reasons()) or 'no valid flow'}; continuing to '_'"
        return step, None
    if branches >= branch_limit:
        step.outcome = "stopped"
        step.note = f"KAZOO's limit of {branch_limit} branches per call was reached"
        return step, None
    step.outcome, step.note = "branched", "branched into the returned flow"
    return step, run.flow


def simulate(
    callflow: Mapping[str, Any],
    call_payload: dict[str, Any],
    source: FunctionSource,
    *,
    account_id: str | None = None,
    sandbox: Sandbox | None = None,
    raw: bool = False,
    max_branches: int = MAX_BRANCHES,
    check: Checker | None = None,
) -> Simulation:
    """Walk `callflow` for one call. `check` replaces `es5.check` for the function bodies (the
    app's runs it in a process of its own)."""
    sim = Simulation()
    flow = callflow.get("flow")
    if not isinstance(flow, Mapping):
        sim.ended = "the callflow has no 'flow' object"
        return sim
    node: Mapping[str, Any] | None = flow
    where = "flow"
    resume: list[tuple[Mapping[str, Any], str]] = []
    while node is not None:
        if len(sim.steps) >= MAX_STEPS:
            sim.ended = f"stopped after {MAX_STEPS} steps"
            return sim
        module = str(node.get("module", ""))
        raw_data, raw_children = node.get("data"), node.get("children")
        data: Mapping[str, Any] = raw_data if isinstance(raw_data, Mapping) else {}
        children: Mapping[str, Any] = raw_children if isinstance(raw_children, Mapping) else {}
        wildcard = children.get("_") if isinstance(children.get("_"), Mapping) else None
        next_node, next_where = wildcard, f"{where} ▸ _"
        if data.get("skip_module") is True:
            sim.steps.append(Step(where, module, dict(data), "skipped", "skip_module is set"))
        elif module == "function":
            function_id = data.get("id")
            step, returned = _run_function_node(
                Step(where, module, dict(data), "continued", function_id=function_id),
                source.get(str(function_id)) if function_id else None,
                call_payload,
                account_id=account_id,
                sandbox=sandbox,
                raw=raw,
                branches=sim.branches,
                branch_limit=max_branches,
                check=check,
            )
            sim.steps.append(step)
            if step.outcome == "stopped":
                sim.ended = "branch limit reached"
                return sim
            if step.outcome == "branched":
                sim.branches += 1
                if wildcard is not None:
                    resume.append((wildcard, f"{where} ▸ _"))
                next_node, next_where = returned, f"function {function_id}"
        elif module in CALL_ENDING_MODULES:
            sim.steps.append(Step(where, module, dict(data), "recorded"))
            sim.ended = f"{CALL_ENDING_MODULES[module]}: KAZOO stops the callflow here"
            return sim
        else:
            sim.steps.append(Step(where, module, dict(data), "recorded"))
        if next_node is None and resume:
            next_node, next_where = resume.pop()
        node, where = next_node, next_where
    sim.ended = "the flow ended (no '_' child): KAZOO stops the callflow here"
    return sim
