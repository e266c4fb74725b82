"""Walk a callflow as KAZOO's executor, cf_exe, does: its primitives, a scenario, the branch stack.

cf_exe's primitives (`applications/callflow/src/cf_exe.erl`), as `_Walk` implements them:
- continue(key): to `children[key]`, else to `children._`, else stop;
- attempt(key): to `children[key]` only if it exists (the module decides what else);
- branch(flow): the flow replaces the current one; this node's non-empty `_` is pushed on the
  branch stack; every branch (function, callflow, a hunting menu, ...) spends one of 50;
- stop: pops the branch stack and goes on there, or ends the call's flow;
- hard_stop (hangup), control_usurped and transfer: the end, whatever is on the stack;
- an unknown module, or `skip_module: true`: continue to `_`; an empty flow `{}`: stop.

What each module does next is data (`continuations.MODULES`). What happens *during* the call
(is it answered, which digits are pressed, is it a fax) comes from the test call's scenario,
`"kfn": {"scenario": {...}}`, so a walk is reproducible; what KAZOO decides from call data (a
caller-id regex, a variable, the number dialled) is computed from the call.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from backend.callflow.continuations import MODULES, dead_branches
from backend.callflow.evaluate import FUNCTION_MODULE, Evaluation, evaluate
from backend.callflow.references import REFERRING, Reference, references
from backend.callflow.sources import Documents, FunctionDoc, FunctionSource
from backend.callflow.temporal import RuleError, first_rule
from backend.runtime import es5
from backend.runtime.sandbox import Sandbox

Checker = Callable[[str], es5.CheckReport]
Node = Mapping[str, Any]
Next = tuple[Node | None, str]  # where the walk goes next (None: the walk is over), and its label

MAX_BRANCHES = 50  # cf_exe's max_branch_count
MAX_STEPS = 500  # a walk that loops without branching (a menu retrying forever) stops here
MAX_PATHS = 1024
ANSWERED = "answered"

# FreeSWITCH's SIP code for each hangup cause KAZOO's bridges report (cf_util's failure
# branches try the cause, then "sip:<code>").
HANGUP_CODES = {
    "NO_ANSWER": "sip:480",
    "USER_BUSY": "sip:486",
    "CALL_REJECTED": "sip:603",
    "UNALLOCATED_NUMBER": "sip:404",
    "NO_ROUTE_DESTINATION": "sip:404",
    "NO_USER_RESPONSE": "sip:408",
    "SUBSCRIBER_ABSENT": "sip:480",
    "NUMBER_CHANGED": "sip:410",
    "DESTINATION_OUT_OF_ORDER": "sip:502",
    "INVALID_NUMBER_FORMAT": "sip:484",
    "NORMAL_TEMPORARY_FAILURE": "sip:503",
    "NORMAL_CIRCUIT_CONGESTION": "sip:503",
    "RECOVERY_ON_TIMER_EXPIRE": "sip:504",
    "ORIGINATOR_CANCEL": "sip:487",
}
FAILURE = "NO_ANSWER"  # the failure all-paths tries when no child names a cause

UNAVAILABLE = "unavailable"
# Scenario keys: each a list consumed in order by the modules that need it (empty: defaults).
SCENARIO_VALUES: dict[str, tuple[str, ...] | None] = {
    "answer": (ANSWERED, *HANGUP_CODES),  # user, device, groups, resources, offnet
    "digits": None,  # menu, collect_dtmf: strings of 0-9 * #; "" or none left: a timeout
    "fax": ("voice", "fax"),  # fax_detect
    "voicemail": ("left", "operator", "hangup"),  # voicemail
    "park": ("parked", "unanswered"),  # park
    "queue": (ANSWERED, "timeout"),  # acdc_member
    "pivot": ("failed",),  # pivot (kfn's Pivot runtime is not simulated here)
    # nomorobo: the score nomorobo's API answers, 0 to 1 (as text), or "unavailable" (no
    # answer, an error, a body without a score).
    "nomorobo": None,
}
SCENARIO_DEFAULTS = {
    "answer": ANSWERED,
    "digits": "",
    "fax": "voice",
    "voicemail": "left",
    "park": "parked",
    "queue": ANSWERED,
    "pivot": "failed",
    "nomorobo": UNAVAILABLE,
}
DIGITS = re.compile(r"[0-9*#]+")


class ScenarioError(ValueError):
    """A scenario key or value kfn does not know; the message names it."""


@dataclass
class Scenario:
    """What happens during the call. `choose` forces the child taken at a node (by its
    position, as steps name it): all-paths uses it for decisions KAZOO computes."""

    lists: dict[str, list[str]] = field(default_factory=dict)
    choose: dict[str, str] = field(default_factory=dict)

    @classmethod
    def parse(cls, raw: Any) -> Scenario:
        if raw is None:
            return cls()
        if not isinstance(raw, Mapping):
            raise ScenarioError("kfn.scenario must be an object")
        lists: dict[str, list[str]] = {}
        choose: dict[str, str] = {}
        for key, value in raw.items():
            if key == "choose":
                if not isinstance(value, Mapping) or not all(
                    isinstance(v, str) for v in value.values()
                ):
                    raise ScenarioError("kfn.scenario.choose must map node positions to keys")
                choose = {str(k): str(v) for k, v in value.items()}
                continue
            if key not in SCENARIO_VALUES:
                known = ", ".join([*SCENARIO_VALUES, "choose"])
                raise ScenarioError(f"unknown scenario key {key!r} (known: {known})")
            items = value if isinstance(value, list) else [value]
            allowed = SCENARIO_VALUES[key]
            for item in items:
                if not isinstance(item, str):
                    raise ScenarioError(f"kfn.scenario.{key}: {item!r} is not a string")
                if allowed is not None and item not in allowed:
                    raise ScenarioError(
                        f"kfn.scenario.{key}: unknown value {item!r} (one of: {', '.join(allowed)})"
                    )
                if key == "digits" and item and not DIGITS.fullmatch(item):
                    raise ScenarioError(f"kfn.scenario.digits: {item!r} is not DTMF digits")
                if key == "nomorobo" and _nomorobo_score(item) is None and item != UNAVAILABLE:
                    raise ScenarioError(
                        f"kfn.scenario.nomorobo: {item!r} is not a score from 0 to 1 "
                        f"or {UNAVAILABLE!r}"
                    )
            lists[key] = [str(item) for item in items]
        return cls(lists, choose)

    @classmethod
    def from_call(cls, call_payload: Mapping[str, Any]) -> Scenario:
        meta = call_payload.get("kfn")
        return cls.parse(meta.get("scenario") if isinstance(meta, Mapping) else None)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {key: list(values) for key, values in self.lists.items() if values}
        if self.choose:
            out["choose"] = dict(self.choose)
        return out


# -- the record of a walk --------------------------------------------------------------------------
@dataclass
class Step:
    where: str  # a readable position: "flow", "flow ▸ _", "callflow abc ▸ children.1"
    module: str
    data: dict[str, Any]
    outcome: str  # continued, branched, stopped, ended, skipped
    note: str = ""
    child: str | None = None  # the child key taken, if any
    function_id: str | None = None
    evaluation: Evaluation | None = None
    # What waits on KAZOO's branch stack while this step runs, the next to resume last.
    stack: list[str] = field(default_factory=list)
    resumed: bool = False  # KAZOO took this node off its branch stack (a stop resumed it)

    def to_json(self) -> dict[str, Any]:
        return {
            "where": self.where,
            "module": self.module,
            "data": self.data,
            "outcome": self.outcome,
            "note": self.note,
            "child": self.child,
            "stack": list(self.stack),
            "resumed": self.resumed,
            **({"function_id": self.function_id} if self.function_id else {}),
            **({"run": self.evaluation.to_json()} if self.evaluation else {}),
        }


@dataclass
class Simulation:
    steps: list[Step] = field(default_factory=list)
    branches: int = 0
    ended: str = ""
    scenario: Scenario = field(default_factory=Scenario)
    dead: list[str] = field(default_factory=list)  # "where: key" of children never taken
    references: list[Reference] = field(default_factory=list)  # each (kind, id) once
    target: str = FUNCTION_MODULE

    @property
    def function_failed(self) -> bool:
        """A function node's function failed, on the target's terms."""
        return any(
            step.evaluation is not None and not step.evaluation.passes(self.target)
            for step in self.steps
        )

    def path(self) -> list[tuple[str, str, str | None]]:
        """What tells two walks apart: each step's module, outcome and child taken."""
        return [(step.module, step.outcome, step.child) for step in self.steps]

    def to_json(self) -> dict[str, Any]:
        return {
            "branches": self.branches,
            "ended": self.ended,
            "scenario": self.scenario.to_json(),
            "dead_branches": self.dead,
            "references": [reference.to_json() for reference in self.references],
            "steps": [step.to_json() for step in self.steps],
        }


# -- choices: a scenario's lists, or an explorer enumerating every path ----------------------------
class Choices:
    """Answers the walk's questions from a scenario: each list is consumed in order."""

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self.used: dict[str, list[str]] = {}
        self.chosen: dict[str, str] = {}
        self._next = {key: iter(values) for key, values in scenario.lists.items()}

    def take(self, key: str, options: Sequence[str], default: str) -> str:
        value = next(self._next.get(key, iter(())), default)
        self.used.setdefault(key, []).append(value)
        return value

    def decide(self, where: str, options: Sequence[str], computed: str) -> str:
        value = self.scenario.choose.get(where, computed)
        if value != computed:
            self.chosen[where] = value
        return value

    def replayable(self) -> Scenario:
        """The shortest scenario that reproduces this walk: each list without the defaults
        that end it (what a missing value means anyway)."""
        lists: dict[str, list[str]] = {}
        for key, values in self.used.items():
            kept = list(values)
            while kept and kept[-1] == SCENARIO_DEFAULTS[key]:
                kept.pop()
            if kept:
                lists[key] = kept
        return Scenario(lists, dict(self.chosen))


class _Explorer(Choices):
    """Takes the recorded `prefix` of choices, then the first option of every new question,
    remembering the alternatives: a depth-first enumeration by replay."""

    def __init__(self, prefix: list[int]) -> None:
        super().__init__(Scenario())
        self.prefix = prefix
        self.made: list[tuple[int, int]] = []  # (index chosen, number of options)

    def _pick(self, options: Sequence[str]) -> str:
        position = len(self.made)
        index = self.prefix[position] if position < len(self.prefix) else 0
        self.made.append((index, len(options)))
        return options[index]

    def take(self, key: str, options: Sequence[str], default: str) -> str:
        value = self._pick(list(dict.fromkeys([default, *options])))
        self.used.setdefault(key, []).append(value)
        return value

    def decide(self, where: str, options: Sequence[str], computed: str) -> str:
        value = self._pick(list(dict.fromkeys([computed, *options])))
        if value != computed:
            self.chosen[where] = value
        return value

    def next_prefix(self) -> list[int] | None:
        """The choices of the next path, or None when every one has been walked."""
        made = list(self.made)
        while made:
            index, count = made.pop()
            if index + 1 < count:
                return [i for i, _ in made] + [index + 1]
        return None


# -- the walk ---------------------------------------------------------------------------------------
@dataclass
class Environment:
    """What a walk reads besides the flow: the call, the functions, the documents."""

    call: dict[str, Any]
    functions: FunctionSource
    documents: Documents = field(default_factory=Documents)
    account_id: str | None = None
    sandbox: Sandbox | None = None
    raw: bool = False
    check: Checker | None = None
    max_branches: int = MAX_BRANCHES
    capture_group: str | None = None  # what the dialled number's pattern captured
    target: str = FUNCTION_MODULE  # the engine function nodes run on (evaluate.TARGETS)
    # Function runs by id: the call is the same on every path, so is each function's result.
    evaluations: dict[str, Evaluation] = field(default_factory=dict)

    def now(self) -> datetime:
        """The call's moment: its `kfn.now` (the test clock), else the real time."""
        meta = self.call.get("kfn")
        stamp = meta.get("now") if isinstance(meta, Mapping) else None
        if isinstance(stamp, str):
            try:
                moment = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
            except ValueError:
                moment = None
            if moment is not None:
                return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        return datetime.now(UTC)


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _refusal(doc: FunctionDoc | None, function_id: str | None, account_id: str | None) -> str:
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
    return ""


class _Walk:
    def __init__(self, env: Environment, choices: Choices) -> None:
        self.env = env
        self.choices = choices
        self.sim = Simulation(target=env.target)
        self.stack: list[tuple[Node, str]] = []
        self.variables: dict[str, str] = {}
        self.digits_collected: list[str] = []
        self.resumed_note = ""
        self.referenced: set[tuple[str, str]] = set()  # (kind, id) of sim.references

    # -- cf_exe's primitives ----------------------------------------------------------------------
    def run(self, flow: Node) -> Simulation:
        node: Node | None = flow
        where = "flow"
        while node is not None:
            if len(self.sim.steps) >= MAX_STEPS:
                self.sim.ended = f"stopped after {MAX_STEPS} steps (a loop?)"
                break
            node, where = self._launch(node, where)
        return self.sim

    def _step(
        self,
        where: str,
        module: str,
        data: Mapping[str, Any],
        outcome: str,
        note: str = "",
        child: str | None = None,
    ) -> Step:
        resumed = bool(self.resumed_note)
        if resumed:
            note = f"{self.resumed_note}; {note}" if note else self.resumed_note
            self.resumed_note = ""
        step = Step(where, module, dict(data), outcome, note, child, resumed=resumed)
        step.stack = [label for _node, label in self.stack]
        self.sim.steps.append(step)
        return step

    def _child(self, node: Node, key: str) -> Node | None:
        child = _mapping(node.get("children")).get(key)
        return child if isinstance(child, Mapping) else None

    def _continue(
        self, node: Node, where: str, key: str = "_"
    ) -> tuple[Node | None, str, str | None]:
        """cf_exe continue: the child `key`, else `_`, else stop (None)."""
        for candidate in (key, "_") if key != "_" else ("_",):
            child = self._child(node, candidate)
            if child is not None:
                return child, f"{where} ▸ {candidate}", candidate
        return None, "", None

    def _pop(self, ended: str) -> Next:
        """cf_exe stop: pop the branch stack, or end."""
        if self.stack:
            node, where = self.stack.pop()
            self.resumed_note = f"resumed: {where}, kept on KAZOO's branch stack"
            return node, where
        self.sim.ended = ended
        return None, ""

    def _end(self, ended: str) -> Next:
        self.sim.ended = ended
        return None, ""

    def _branch(self, node: Node, where: str, flow: Node, into: str) -> Next | None:
        """cf_exe branch; None (after recording why) when the budget is spent."""
        if self.sim.branches >= self.env.max_branches:
            return None
        self.sim.branches += 1
        wildcard = self._child(node, "_")
        if wildcard:  # a non-empty `_` waits on the stack
            self.stack.append((wildcard, f"{where} ▸ _"))
        return flow, into

    # -- one node -----------------------------------------------------------------------------------
    def _launch(self, node: Node, where: str) -> Next:
        if not node:  # `{}`: cf_exe stops
            self._step(where, "", {}, "stopped", "an empty flow: KAZOO stops")
            return self._pop("an empty flow node stopped the call")
        module = str(node.get("module", ""))
        data = _mapping(node.get("data"))
        self._note_dead(node, module, where)
        self._note_references(node, module, data, where)
        row = MODULES.get(module)
        if data.get("skip_module") is True or row is None:
            reason = "skip_module is set" if row is not None else f"KAZOO has no module {module!r}"
            return self._go(node, where, module, data, "_", f"{reason}: continue to '_'", "skipped")
        decide: Callable[[Node, str, str, Mapping[str, Any]], Next]
        decide = getattr(self, f"_{row.kind.value}")
        return decide(node, where, module, data)

    def _go(
        self,
        node: Node,
        where: str,
        module: str,
        data: Mapping[str, Any],
        key: str,
        note: str = "",
        outcome: str = "continued",
    ) -> Next:
        """Record the step and continue(key), stopping when neither `key` nor `_` exists."""
        child, into, taken = self._continue(node, where, key)
        if child is None:
            self._step(where, module, data, "stopped", _joined(note, "no child to go to: stop"))
            return self._pop(f"{module}: no '{key}' child, KAZOO stops the callflow here")
        self._step(where, module, data, outcome, note, taken)
        return child, into

    def _attempt(self, node: Node, key: str) -> bool:
        return self._child(node, key) is not None

    def _note_references(
        self, node: Node, module: str, data: Mapping[str, Any], where: str
    ) -> None:
        if module not in REFERRING:
            return
        keys = list(_mapping(node.get("children")))
        for reference in references(module, data, keys, where, self.env.documents):
            if (reference.kind, reference.id) not in self.referenced:
                self.referenced.add((reference.kind, reference.id))
                self.sim.references.append(reference)

    def _note_dead(self, node: Node, module: str, where: str) -> None:
        children = _mapping(node.get("children"))
        for key in dead_branches(module, dict(children)):
            entry = f"{where}: {key}"
            if entry not in self.sim.dead:
                self.sim.dead.append(entry)

    # -- the kinds (continuations.Kind) ------------------------------------------------------------
    def _next(self, node: Node, where: str, module: str, data: Mapping[str, Any]) -> Next:
        return self._go(node, where, module, data, "_")

    def _stop(self, node: Node, where: str, module: str, data: Mapping[str, Any]) -> Next:
        self._step(where, module, data, "stopped", f"{module} stops the callflow")
        return self._pop(f"{module}: KAZOO stops the callflow here")

    def _hard_stop(self, node: Node, where: str, module: str, data: Mapping[str, Any]) -> Next:
        self._step(where, module, data, "ended", "hard stop: nothing resumes, not even the stack")
        return self._end("the call is hung up: KAZOO ends the callflow (hard stop)")

    def _handed_off(self, node: Node, where: str, module: str, data: Mapping[str, Any]) -> Next:
        self._step(where, module, data, "ended", "another application has the call now")
        return self._end(f"{module}: the call is handed away; the callflow is over")

    def _failure_child(self, node: Node, cause: str) -> str | None:
        """cf_util:handle_bridge_failure/3: the cause's child, else the code's."""
        for key in (cause, HANGUP_CODES.get(cause, "sip:600")):
            if self._attempt(node, key):
                return key
        return None

    def _failure_options(self, node: Node) -> list[str]:
        keys = [k for k in _mapping(node.get("children")) if k.isupper() or k.startswith("sip:")]
        causes = [k for k in keys if k in HANGUP_CODES]
        causes += [c for c, code in HANGUP_CODES.items() if code in keys and c not in causes]
        return [ANSWERED, *dict.fromkeys(causes), FAILURE]

    def _answer(self, node: Node) -> str:
        return self.choices.take("answer", self._failure_options(node), ANSWERED)

    def _bridged(self, where: str, module: str, data: Mapping[str, Any], how: str) -> Next:
        """A bridge that was answered: when it ends the module calls stop, which resumes
        what the branch stack holds (the caller may still be on the line)."""
        self._step(where, module, data, "stopped", f"{how}: the call is done")
        return self._pop(f"{module}: answered; after the bridge KAZOO stops")

    def _bridge(self, node: Node, where: str, module: str, data: Mapping[str, Any]) -> Next:
        outcome = self._answer(node)
        if outcome == ANSWERED:
            return self._bridged(where, module, data, "answered and bridged")
        key = self._failure_child(node, outcome)
        return self._go(node, where, module, data, key or "_", f"{outcome}")

    def _ring_group(self, node: Node, where: str, module: str, data: Mapping[str, Any]) -> Next:
        repeats = max(1, _int(data.get("repeats"), 1))
        tried: list[str] = []
        for _ in range(repeats):
            outcome = self._answer(node)
            if outcome == ANSWERED:
                note = _joined(", ".join(tried) + " then" if tried else "", "answered")
                return self._bridged(where, module, data, note)
            key = self._failure_child(node, outcome)
            if key is not None:
                return self._go(node, where, module, data, key, outcome)
            tried.append(outcome)
        return self._go(node, where, module, data, "_", f"{', '.join(tried)} ({repeats} rounds)")

    def _page_group(self, node: Node, where: str, module: str, data: Mapping[str, Any]) -> Next:
        if self.choices.take("answer", [ANSWERED, FAILURE], ANSWERED) == ANSWERED:
            return self._bridged(where, module, data, "the page was answered")
        return self._go(node, where, module, data, "_", "nobody answered the page")

    def _resources(self, node: Node, where: str, module: str, data: Mapping[str, Any]) -> Next:
        outcome = self._answer(node)
        if outcome == ANSWERED:
            return self._bridged(where, module, data, "the carrier answered")
        key = self._failure_child(node, outcome)
        if key is None:  # never `_`: the call ends with the cause
            self._step(where, module, data, "ended", f"{outcome}: no child for it, never '_'")
            return self._end(f"{module}: {outcome}; KAZOO answers the failure and stops")
        return self._go(node, where, module, data, key, outcome)

    def _queue(self, node: Node, where: str, module: str, data: Mapping[str, Any]) -> Next:
        if self.choices.take("queue", [ANSWERED, "timeout"], ANSWERED) == ANSWERED:
            self._step(where, module, data, "ended", "an agent answered: the queue has the call")
            return self._end("acdc_member: bridged to an agent (control usurped)")
        return self._go(node, where, module, data, "_", "the queue timed out")

    def _function(self, node: Node, where: str, module: str, data: Mapping[str, Any]) -> Next:
        function_id = str(data.get("id") or "")
        doc = self.env.functions.get(function_id) if function_id else None
        refusal = _refusal(doc, function_id or None, self.env.account_id)
        if refusal or doc is None:
            return self._go(node, where, module, data, "_", f"{refusal}; continue to '_'")
        run = self.env.evaluations.get(function_id)
        if run is None:
            report = self.env.check(doc.function_js) if self.env.check else None
            run = evaluate(
                doc.function_js,
                self.env.call,
                raw=self.env.raw,
                sandbox=self.env.sandbox,
                report=report,
            )
            self.env.evaluations[function_id] = run
        rejected = run.rejections(self.env.target)
        if not run.ok or not isinstance(run.flow, Mapping) or rejected:
            reasons = "; ".join(run.reasons()) or "no valid flow"
            if run.ok and rejected:
                reasons = f"KAZOO's function module runs ES5 only ({rejected[0]})"
            nxt = self._go(node, where, module, data, "_", f"{reasons}; continue to '_'")
            self._attach(run, function_id)
            return nxt
        step = self._step(where, module, data, "branched", "branched into the returned flow")
        step.function_id, step.evaluation = function_id, run
        return self._branch_or_end(step, node, where, run.flow, f"function {function_id}")

    def _branch_or_end(self, step: Step, node: Node, where: str, flow: Node, into: str) -> Next:
        """Branch after `step` is recorded (its stack is the one it ran with), or, with the
        budget spent, make `step` the end of the walk."""
        branched = self._branch(node, where, flow, into)
        if branched is None:
            step.outcome, step.note = "ended", self._budget_note()
            return self._end("branch limit reached")
        return branched

    def _attach(self, run: Evaluation, function_id: str) -> None:
        step = self.sim.steps[-1]
        step.function_id, step.evaluation = function_id, run

    def _budget_note(self) -> str:
        return f"KAZOO's limit of {self.env.max_branches} branches per call was reached"

    def _branch_into_callflow(
        self,
        node: Node,
        where: str,
        module: str,
        data: Mapping[str, Any],
        doc_id: str,
        doc: Mapping[str, Any],
        why: str,
    ) -> Next:
        step = self._step(where, module, data, "branched", why)
        return self._branch_or_end(
            step, node, where, _mapping(doc.get("flow")), f"callflow {doc_id}"
        )

    def _callflow(self, node: Node, where: str, module: str, data: Mapping[str, Any]) -> Next:
        doc_id = str(data.get("id") or "")
        doc = self.env.documents.callflows.get(doc_id)
        if doc is None:
            return self._go(
                node, where, module, data, "_", f"callflow {doc_id or '?'} is not here: '_'"
            )
        name = doc.get("name") or doc_id
        return self._branch_into_callflow(
            node, where, module, data, doc_id, doc, f"branched into callflow {name}"
        )

    def _menu(self, node: Node, where: str, module: str, data: Mapping[str, Any]) -> Next:
        menu_id = str(data.get("id") or "")
        menu = self.env.documents.menus.get(menu_id)
        retries = _int((menu or {}).get("retries"), 3)
        hunt = (menu or {}).get("hunt") is True
        note = "" if menu else f"menu {menu_id or '?'} is not here: KAZOO's defaults (3 retries)"
        children = [k for k in _mapping(node.get("children")) if DIGITS.fullmatch(k)]
        pressed: list[str] = []
        for _ in range(max(retries, 0)):
            options = [*children, "", "9" if "9" not in children else "8"]
            digits = self.choices.take("digits", options, "")
            if digits == "":
                pressed.append("no digits")
                if self._attempt(node, "timeout"):
                    return self._go(node, where, module, data, "timeout", _joined(note, "timeout"))
                continue
            pressed.append(digits)
            if self._attempt(node, digits):
                return self._go(
                    node, where, module, data, digits, _joined(note, f"pressed {digits}")
                )
            if hunt and (found := self.env.documents.lookup(digits)) is not None:
                doc_id, doc, _capture = found
                return self._branch_into_callflow(
                    node, where, module, data, doc_id, doc, f"hunted {digits} to callflow {doc_id}"
                )
        tried = ", ".join(pressed)
        if self._attempt(node, "max_retries"):
            return self._go(node, where, module, data, "max_retries", _joined(note, tried))
        return self._go(node, where, module, data, "_", _joined(note, f"{tried}: out of retries"))

    def _temporal_route(self, node: Node, where: str, module: str, data: Mapping[str, Any]) -> Next:
        """cf_temporal_route: the first rule (data.rules, then the children's keys) that holds
        at the call's time (`kfn.now`) in the route's time zone; none: `_`."""
        children = [k for k in _mapping(node.get("children")) if k != "_"]
        routes = _temporal_routes(data, children, self.env.documents.rule_sets)
        zone = data.get("timezone")
        zone = None if zone in (None, "", "inherit") else str(zone)  # inherit: the account's
        try:
            found, notes = first_rule(
                routes, self.env.documents.temporal_rules, self.env.now(), zone
            )
        except RuleError as exc:  # KAZOO's module crashes: cf_exe continues to `_`
            return self._go(node, where, module, data, "_", f"{exc}: KAZOO's module fails, '_'")
        computed = found or "_"
        chosen = self.choices.decide(where, [*children, "_"], computed)
        note = "; ".join(notes) or "no rules"
        return self._go(node, where, module, data, chosen, note)

    def _check_cid(self, node: Node, where: str, module: str, data: Mapping[str, Any]) -> Next:
        number = str(self.env.call.get("Caller-ID-Number", ""))
        regex = str(data.get("regex") or ".*")
        try:
            matched = re.search(regex, number) is not None
        except re.error as exc:
            return self._go(node, where, module, data, "_", f"regex {regex!r} is invalid: {exc}")
        absolute = data.get("use_absolute_mode") is True
        computed = (number if absolute else "match") if matched else "nomatch"
        options = [k for k in ("match", "nomatch", number) if self._attempt(node, k)]
        key = self.choices.decide(where, options, computed)
        # attempt(key), else continue: the same as continue(key), which falls back to `_`.
        return self._go(node, where, module, data, key, f"caller id {number or '(none)'}: {key}")

    def _cidlistmatch(self, node: Node, where: str, module: str, data: Mapping[str, Any]) -> Next:
        """cf_cidlistmatch: the caller id number against the list's prefixes and patterns."""
        number = str(self.env.call.get("Caller-ID-Number", ""))
        list_id = str(data.get("id") or "")
        matched = self.env.documents.list_matches(list_id, number)
        if matched is None:
            note = f"list {list_id or '?'} is not here: nomatch unless scenario.choose says match"
        else:
            note = f"caller id {number or '(none)'} {'is' if matched else 'is not'} in the list"
        computed = "match" if matched else "nomatch"
        key = self.choices.decide(where, ["match", "nomatch"], computed)
        return self._go(node, where, module, data, key, note)

    def _branch_bnumber(self, node: Node, where: str, module: str, data: Mapping[str, Any]) -> Next:
        capture = self.env.capture_group
        if not capture:
            return self._go(node, where, module, data, "_", "no capture group: '_'")
        if data.get("hunt") is True:
            found = self.env.documents.lookup(capture)
            if found is not None and _hunt_allowed(capture, data):
                doc_id, doc, _ = found
                return self._branch_into_callflow(
                    node, where, module, data, doc_id, doc, f"hunted {capture}"
                )
            return self._go(node, where, module, data, "_", f"no callflow for {capture}")
        return self._go(node, where, module, data, capture, f"captured {capture}")

    def _branch_variable(
        self, node: Node, where: str, module: str, data: Mapping[str, Any]
    ) -> Next:
        scope = str(data.get("scope") or "custom_channel_vars")
        variable = str(data.get("variable") or "")
        if scope != "custom_channel_vars":
            note = f"the {scope} document is not here: '_'"
            return self._go(node, where, module, data, "_", note)
        value = self._channel_var(variable)
        if value is None:
            return self._go(node, where, module, data, "_", f"{variable} is not set: '_'")
        return self._go(node, where, module, data, value, f"{variable} = {value}")

    def _channel_var(self, name: str) -> str | None:
        def normal(key: str) -> str:
            return key.lower().replace("-", "_")

        if normal(name) in self.variables:
            return self.variables[normal(name)]
        ccvs = _mapping(self.env.call.get("Custom-Channel-Vars"))
        found = {normal(k): v for k, v in ccvs.items()}.get(normal(name))
        return None if found in (None, "") else str(found)

    def _set_variables(self, node: Node, where: str, module: str, data: Mapping[str, Any]) -> Next:
        if module == "set_variable" and data.get("variable"):
            name = str(data["variable"]).lower().replace("-", "_")
            self.variables[name] = str(data.get("value", ""))
        return self._go(node, where, module, data, "_")

    def _collect_dtmf(self, node: Node, where: str, module: str, data: Mapping[str, Any]) -> Next:
        digits = self.choices.take("digits", ["", "1"], "")
        self.digits_collected.append(digits)
        return self._go(node, where, module, data, "_", f"collected {digits or 'nothing'}")

    def _fax_detect(self, node: Node, where: str, module: str, data: Mapping[str, Any]) -> Next:
        kind = self.choices.take("fax", ["voice", "fax"], "voice")
        key = "ON_FAX" if kind == "fax" else "ON_VOICE"
        return self._go(node, where, module, data, key, f"a {kind} call")

    def _park(self, node: Node, where: str, module: str, data: Mapping[str, Any]) -> Next:
        if self.choices.take("park", ["parked", "unanswered"], "parked") == "parked":
            self._step(where, module, data, "stopped", "parked, then picked up: done")
            return self._pop("park: the call was parked and retrieved; KAZOO stops")
        slot = str(data.get("slot") or "")
        key = slot if slot and self._attempt(node, slot) else "_"
        return self._go(node, where, module, data, key, "nobody picked the parked call up")

    def _nomorobo(self, node: Node, where: str, module: str, data: Mapping[str, Any]) -> Next:
        """cf_nomorobo: the score (nomorobo's 0-1, times 10, truncated) picks the highest
        integer child key not above it, else the lowest key; with no score, `_`, else `0`,
        else stop."""
        keys = sorted(
            -1 if key == "_" else int(key)
            for key in _mapping(node.get("children"))
            if key == "_" or re.fullmatch(r"-?[0-9]+", key)
        )
        options = [f"{max(key, 0) / 10:g}" for key in keys]
        answer = self.choices.take("nomorobo", options, UNAVAILABLE)
        score = _nomorobo_score(answer)
        if score is None:
            if keys[:1] == [-1]:
                return self._go(node, where, module, data, "_", "no nomorobo score: '_'")
            if keys[:1] == [0]:
                return self._go(node, where, module, data, "0", "no nomorobo score: '0'")
            self._step(where, module, data, "stopped", "no nomorobo score and no '_' or '0'")
            return self._pop("nomorobo: no score and no default child, KAZOO stops")
        if not keys:  # nomorobo_branch/2 has no clause for no keys: the module crashes
            return self._go(node, where, module, data, "_", "no children: KAZOO's module fails")
        branch = keys[0]
        for key in keys[1:]:
            if key <= score:
                branch = key
        key_text = "_" if branch == -1 else str(branch)
        return self._go(node, where, module, data, key_text, f"nomorobo score {score}")

    def _voicemail(self, node: Node, where: str, module: str, data: Mapping[str, Any]) -> Next:
        outcome = self.choices.take("voicemail", ["left", "operator", "hangup"], "left")
        if outcome == "hangup":
            self._step(where, module, data, "stopped", "the caller hung up in voicemail")
            return self._pop("voicemail: the caller hung up; KAZOO stops")
        note = "the caller left a message" if outcome == "left" else "operator: not here, '_'"
        return self._go(node, where, module, data, "_", note)

    def _pivot(self, node: Node, where: str, module: str, data: Mapping[str, Any]) -> Next:
        self.choices.take("pivot", ["failed"], "failed")
        return self._go(node, where, module, data, "_", "pivot is not called here: as failed, '_'")


def _temporal_routes(
    data: Mapping[str, Any], children: list[str], rule_sets: Mapping[str, Mapping[str, Any]]
) -> list[tuple[str, str]]:
    """cf_temporal_route:get_temporal_route/2's routes, (rule id, child key): data.rules, then
    the children's keys, then data.rule_set's rules (child "rule_set"); then each route named
    by a rule set becomes that set's rules, leading to the same child."""

    def members(set_id: str) -> list[str]:
        listed = (rule_sets.get(set_id) or {}).get("temporal_rules")
        return [str(r) for r in listed] if isinstance(listed, list) else []

    listed = data.get("rules")
    routes = [(str(r), str(r)) for r in listed] if isinstance(listed, list) else []
    routes += [(key, key) for key in children]
    if data.get("rule_set"):
        routes += [(rule, "rule_set") for rule in members(str(data["rule_set"]))]
    expanded: list[tuple[str, str]] = []
    for rule, child in routes:
        if child == "rule_set":
            expanded.append((rule, child))
        else:
            expanded += [(member, rule) for member in members(rule)] or [(rule, child)]
    return expanded


def _nomorobo_score(answer: str) -> int | None:
    """trunc(score * 10), as cf_nomorobo reads nomorobo's answer; None when not a score."""
    try:
        score = float(answer)
    except ValueError:
        return None
    return int(score * 10) if 0 <= score <= 1 else None


def _joined(*parts: str) -> str:
    return "; ".join(part for part in parts if part)


def _int(value: Any, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _hunt_allowed(digits: str, data: Mapping[str, Any]) -> bool:
    def matches(pattern: Any) -> bool:
        try:
            return bool(pattern) and re.search(str(pattern), digits) is not None
        except re.error:
            return False

    allow, deny = data.get("hunt_allow"), data.get("hunt_deny")
    return (not allow or matches(allow)) and not (deny and matches(deny))


def execute(
    callflow: Mapping[str, Any], env: Environment, scenario: Scenario | None = None
) -> Simulation:
    """One walk of `callflow` (a callflow document with `flow`) for `env.call`."""
    scenario = scenario if scenario is not None else Scenario.from_call(env.call)
    return _walk(callflow, env, Choices(scenario))


def _walk(callflow: Mapping[str, Any], env: Environment, choices: Choices) -> Simulation:
    walk = _Walk(env, choices)
    flow = callflow.get("flow")
    if not isinstance(flow, Mapping):
        walk.sim.ended = "the callflow has no 'flow' object"
        return walk.sim
    sim = walk.run(flow)
    sim.scenario = choices.replayable()
    return sim


def _size(scenario: Scenario) -> int:
    return sum(len(values) for values in scenario.lists.values()) + len(scenario.choose)


def static_dead_branches(node: Any, where: str = "flow") -> list[str]:
    """Children anywhere in `node`'s tree that their module can never take, as "where: key"."""
    if not isinstance(node, Mapping) or not node:
        return []
    children = _mapping(node.get("children"))
    found = [
        f"{where}: {key}" for key in dead_branches(str(node.get("module", "")), dict(children))
    ]
    for key, child in children.items():
        found.extend(static_dead_branches(child, f"{where} ▸ {key}"))
    return found


@dataclass
class AllPaths:
    paths: list[Simulation]
    complete: bool  # False when the bound cut the enumeration short
    dead: list[str]
    references: list[Reference] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "complete": self.complete,
            "dead_branches": self.dead,
            "references": [reference.to_json() for reference in self.references],
            "paths": [
                {
                    "scenario": path.scenario.to_json(),
                    "ended": path.ended,
                    "branches": path.branches,
                    "steps": [step.to_json() for step in path.steps],
                }
                for path in self.paths
            ],
        }


def all_paths(callflow: Mapping[str, Any], env: Environment, limit: int = MAX_PATHS) -> AllPaths:
    """Every distinct path through `callflow` (each bridge outcome, menu key, rule, match), up
    to `limit`, each with the scenario that reproduces it; and the children no path can take."""
    paths: list[Simulation] = []
    seen: dict[tuple[tuple[str, str, str | None], ...], int] = {}
    prefix: list[int] | None = []
    while prefix is not None and len(paths) < limit:
        explorer = _Explorer(prefix)
        sim = _walk(callflow, env, explorer)
        key = tuple(sim.path())
        if key not in seen:
            seen[key] = len(paths)
            paths.append(sim)
        elif _size(sim.scenario) < _size(paths[seen[key]].scenario):
            paths[seen[key]] = sim  # the same path, with a simpler scenario
        prefix = explorer.next_prefix()
    seen_dead = itertools.chain.from_iterable(p.dead for p in paths)
    dead = list(dict.fromkeys([*static_dead_branches(callflow.get("flow")), *seen_dead]))
    referred = {(r.kind, r.id): r for p in paths for r in p.references}
    return AllPaths(paths, prefix is None, dead, list(referred.values()))
